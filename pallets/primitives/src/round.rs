//! One round of a task as the chain keeps it: who was selected, what they committed, revealed
//! and submitted, and how it ended.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::H256;

use alloc::vec::Vec;

use crate::{committee, task::ScoreGate, DatasetId, PayloadRef, Score};

/// The highest score: an update pointing exactly where the aggregators' reference update
/// points (see `docs/scoring.md`).
pub const MAX_SCORE: Score = 1_000_000;
/// The score of an update orthogonal to the reference: it neither helps nor harms. Scores below
/// it point away from the reference; `0` points exactly against it.
pub const NEUTRAL_SCORE: Score = MAX_SCORE / 2;

/// The new global model on the validation set, as the agreeing aggregators measured it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct RoundMetrics {
	/// Mean cross-entropy loss, in millionths (saturating at `u32::MAX`).
	pub loss_micros: u32,
	/// Share of validation samples classified right, in millionths (at most 1_000_000).
	pub accuracy_micros: u32,
}

/// The most `accuracy_micros` can be.
pub const MAX_ACCURACY: u32 = 1_000_000;

/// Why a round failed. A failed round keeps the previous global model and pays nobody, except
/// a cancelled one, which pays for the updates already published to the task owner.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum FailReason {
	/// Fewer than `min_trainers` committed before the commit phase ended.
	NotEnoughCommits,
	/// Fewer than `min_trainers` revealed a valid update before the reveal phase ended.
	NotEnoughReveals,
	/// Fewer than `quorum` aggregators revealed scores before the score reveal phase ended.
	NotEnoughScores,
	/// The scores accepted too few updates for the task's aggregation rule.
	NotEnoughAccepted,
	/// No aggregate hash reached the quorum before the aggregate phase ended.
	NoQuorum,
	/// The owner cancelled the task during the round. Its revealed updates (once scored, its
	/// accepted ones) were paid for: their royalties, then the trainers' part of the reward.
	Cancelled,
}

/// Where a round is.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Phase {
	/// Selected trainers train and commit `hash(update ++ salt)`.
	Commit,
	/// Trainers who committed reveal the update and the salt.
	Reveal,
	/// Selected aggregators score every revealed update and commit to the scores
	/// (`score_commitment`), so that nobody can copy another's.
	Score,
	/// Aggregators who committed reveal their scores. When the phase closes, each update's
	/// score is the lower median of the revealed scores, and the chain fixes which updates
	/// enter the model: those scoring at least the task's `gate.min_score`.
	ScoreReveal,
	/// Selected aggregators aggregate exactly the accepted updates (weighted by their samples)
	/// with the task's rule, measure the new model on the validation set, and commit to both
	/// (`aggregate_commitment`).
	Aggregate,
	/// Aggregators who committed reveal their aggregate hash, metrics and salt; the first
	/// reveal of each distinct hash carries its payload.
	AggregateReveal,
	/// A quorum agreed: `aggregate` is the next global model.
	Finalized { aggregate: H256 },
	/// The round ended without a new model.
	Failed { reason: FailReason },
}

impl Phase {
	/// Whether the round is over.
	pub fn is_closed(&self) -> bool {
		matches!(self, Phase::Finalized { .. } | Phase::Failed { .. })
	}
}

/// A trainer selected for a round, and what it has done in it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct TrainerSlot<AccountId, Balance, BlockNumber> {
	pub who: AccountId,
	/// The dataset it trains on.
	pub dataset: DatasetId,
	/// `update_commitment(..)` (see [`crate::commitment`]), once committed.
	pub commitment: Option<H256>,
	/// Its update, once revealed (the payload checked, the bytes unseen before).
	pub update: Option<PayloadRef<BlockNumber>>,
	/// The samples its update was trained on (from the update's header): its weight in the
	/// weighted mean.
	pub samples: u32,
	/// The lower median of the aggregators' scores of its update, once the scores are in.
	pub score: Option<Score>,
	/// Whether its update enters the model (its score reached the task's `gate.min_score`).
	pub accepted: bool,
	/// What the round paid it.
	pub reward: Balance,
}

/// What an aggregator revealed.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct AggregateSubmission {
	/// BLAKE2-256 of the aggregate payload it computed.
	pub aggregate: H256,
	/// How the new model does on the validation set.
	pub metrics: RoundMetrics,
}

/// An aggregator selected for a round, and what it has done in it.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxTrainers))]
#[codec(mel_bound(AccountId: MaxEncodedLen, Balance: MaxEncodedLen))]
pub struct AggregatorSlot<AccountId, Balance, MaxTrainers: Get<u32>>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
{
	pub who: AccountId,
	/// `score_commitment(..)` of its scores, once committed.
	pub score_commitment: Option<H256>,
	/// One score per revealed update, in the order of the round's trainers, once revealed and
	/// matched against the commitment.
	pub scores: Option<BoundedVec<Score, MaxTrainers>>,
	/// `aggregate_commitment(..)` of its result, once committed.
	pub commitment: Option<H256>,
	/// Its result, once revealed and matched against the commitment.
	pub submission: Option<AggregateSubmission>,
	/// What the round paid it.
	pub reward: Balance,
}

/// A round of a task.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxTrainers, MaxAggregators))]
#[codec(mel_bound(AccountId: MaxEncodedLen, Balance: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct RoundInfo<
	AccountId,
	Balance,
	BlockNumber,
	MaxTrainers: Get<u32>,
	MaxAggregators: Get<u32>,
> where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	pub phase: Phase,
	pub started: BlockNumber,
	/// The last block of the current phase: in the block after it, the round moves on.
	pub phase_ends: BlockNumber,
	/// The global model trainers start from (the aggregate of an earlier round, and where its
	/// payload is); `None` is the task's initial model.
	pub global_model: Option<PayloadRef<BlockNumber>>,
	pub trainers: BoundedVec<TrainerSlot<AccountId, Balance, BlockNumber>, MaxTrainers>,
	pub aggregators: BoundedVec<AggregatorSlot<AccountId, Balance, MaxTrainers>, MaxAggregators>,
	/// The payload of each distinct aggregate hash submitted (the first submitter carries it).
	pub aggregates: BoundedVec<PayloadRef<BlockNumber>, MaxAggregators>,
	/// Whether the round's work counts for emission and moves reputation, fixed at the draw:
	/// its task is public and at least `PUBLIC_COMMITTEE` of the drawn aggregators are
	/// independent of the task's owner (`independence::is_independent`).
	pub public: bool,
}

impl<AccountId, Balance, BlockNumber, MaxTrainers, MaxAggregators>
	RoundInfo<AccountId, Balance, BlockNumber, MaxTrainers, MaxAggregators>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxTrainers: Get<u32>,
	MaxAggregators: Get<u32>,
{
	/// The revealed updates, in order: the order aggregators score them in.
	pub fn revealed_updates(&self) -> impl Iterator<Item = (&AccountId, &PayloadRef<BlockNumber>)> {
		self.trainers.iter().filter_map(|t| t.update.as_ref().map(|u| (&t.who, u)))
	}

	/// What the committee's revealed scores decide under `gate` ([`committee::decide`]): each
	/// revealed update's score and verdict, and for each aggregator that revealed scores, in
	/// order, whether it strayed.
	pub fn decide(&self, gate: &ScoreGate) -> committee::Decision {
		let submissions: Vec<&[Score]> = self
			.aggregators
			.iter()
			.filter_map(|a| a.scores.as_ref().map(|s| s.as_slice()))
			.collect();
		committee::decide(&submissions, self.revealed_updates().count(), gate)
	}

	/// The updates the scores accepted, in order, with their samples: exactly what enters the
	/// model.
	pub fn accepted_updates(
		&self,
	) -> impl Iterator<Item = (&AccountId, &PayloadRef<BlockNumber>, u32)> {
		self.trainers
			.iter()
			.filter(|t| t.accepted)
			.filter_map(|t| t.update.as_ref().map(|u| (&t.who, u, t.samples)))
	}

	/// Whether `who` was selected for this round, as a trainer or an aggregator.
	pub fn is_selected(&self, who: &AccountId) -> bool {
		self.trainers.iter().any(|t| t.who == *who)
			|| self.aggregators.iter().any(|a| a.who == *who)
	}

	/// The payload of the aggregate with this hash, if one was submitted.
	pub fn aggregate_payload(&self, hash: &H256) -> Option<&PayloadRef<BlockNumber>> {
		self.aggregates.iter().find(|p| p.payload_hash == *hash)
	}

	/// Whether an update with this hash was already revealed in this round.
	pub fn has_update(&self, hash: &H256) -> bool {
		self.trainers.iter().any(|t| t.update.as_ref().is_some_and(|u| u.payload_hash == *hash))
	}
}

/// What is kept of a round once its full record is pruned (after the chain's retention).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct RoundSummary<Balance, BlockNumber> {
	/// `Finalized { aggregate }` or `Failed { reason }`.
	pub outcome: Phase,
	pub started: BlockNumber,
	/// Updates revealed in the round.
	pub updates: u32,
	/// Updates the scores accepted into the model.
	pub accepted: u32,
	/// The new model on the validation set: the lower median of the agreeing aggregators'
	/// measurements (`None` unless the round was finalized).
	pub metrics: Option<RoundMetrics>,
	/// What the round paid in rewards, to trainers and aggregators together (royalties apart).
	pub paid: Balance,
	/// What the round paid in royalties to the owners of the datasets behind its updates, out
	/// of the task's budget: the accepted updates' when it was finalized, the updates the
	/// cancellation paid for when the owner cancelled it, nothing otherwise.
	pub royalties: Balance,
}
