//! One round of a task as the chain keeps it: who was selected, what they committed, revealed
//! and submitted, and how it ended.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{DatasetId, PayloadRef, Score};

/// The highest contribution score: an update that helps as much as possible.
pub const MAX_SCORE: Score = 1_000_000;

/// Why a round failed. A failed round keeps the previous global model and pays nobody.
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
	/// No aggregate hash reached the quorum before the aggregate phase ended.
	NoQuorum,
	/// The owner cancelled the task during the round.
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
	/// Selected aggregators compute the aggregate and a score per accepted update, and commit
	/// to them (`aggregate_commitment`), so that nobody can copy another's result.
	Aggregate,
	/// Aggregators who committed reveal their aggregate hash, scores and salt; the first reveal
	/// of each distinct hash carries its payload.
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
	/// Its update, once revealed and accepted.
	pub update: Option<PayloadRef<BlockNumber>>,
	/// The median of the agreeing aggregators' scores, once the round is final.
	pub score: Option<Score>,
	/// What the round paid it.
	pub reward: Balance,
}

/// What an aggregator revealed.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxTrainers))]
#[codec(mel_bound())]
pub struct AggregateSubmission<MaxTrainers: Get<u32>> {
	/// BLAKE2-256 of the aggregate payload it computed.
	pub aggregate: H256,
	/// One contribution score per accepted update, in the order of the round's trainers.
	pub scores: BoundedVec<Score, MaxTrainers>,
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
	/// `aggregate_commitment(..)` of its result, once committed.
	pub commitment: Option<H256>,
	/// Its result, once revealed and matched against the commitment.
	pub submission: Option<AggregateSubmission<MaxTrainers>>,
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
	/// The accepted updates, in order: the order aggregators score them in.
	pub fn accepted_updates(&self) -> impl Iterator<Item = (&AccountId, &PayloadRef<BlockNumber>)> {
		self.trainers.iter().filter_map(|t| t.update.as_ref().map(|u| (&t.who, u)))
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
	/// Updates accepted in the round.
	pub updates: u32,
	/// What the round paid, to trainers and aggregators together.
	pub paid: Balance,
}
