//! # Federated pallet
//!
//! Coordinates federated-learning tasks round by round, so that nobody has to trust a central
//! server. The numeric work (training, aggregation, evaluation) happens off chain; the chain
//! decides who works in each round, checks what they submit, agrees on the result and pays.
//!
//! ## Overview
//!
//! A **task owner** creates a task ([`Pallet::create_task`]) describing the model, the local
//! training, the aggregation rule, the number of rounds, the reward per round and the rules for
//! the datasets it trains on (the most royalty it pays per accepted update, a minimum
//! reputation, an optional list of datasets). The whole budget, `rounds * (reward_per_round +
//! max_trainers * datasets.max_royalty)`, is held from the owner, so that every round's reward
//! and royalties are covered; so is a deposit for the storage the task uses, until the task is
//! pruned ([`Pallet::prune_task`]). **Trainers** and **aggregators** join with a bond
//! ([`Pallet::join`]): stake in their role that the incentives pallet keeps
//! ([`Config::Stake`]), committed to the task until they leave it (what their stake lacks is
//! bonded from their free balance). The task may limit who joins to an allowlist
//! ([`Pallet::set_allowlist`]).
//!
//! A trainer joins with a dataset listed on the data market ([`Config::DataMarket`]), which
//! decides whether it may (the trainer is the dataset's owner or a worker the owner authorised,
//! the dataset's schema fits the model, it meets the task's rules) and fixes the terms for the
//! trainer's stay: who is paid the dataset's royalty, how much per accepted update, and the most
//! samples an update trained on it may claim. In a task that trains with differential privacy
//! (`training.dp`), each round costs every dataset drawn into it the task's `epsilon_micros` of
//! its privacy budget; a dataset that cannot pay is not drawn.
//!
//! Each round goes through these phases (see `docs/federated.md` for the diagram):
//!
//! 1. *selection*: as soon as enough participants have joined, trainers and aggregators are
//!    drawn for the round, weighted by bond, from the runtime's randomness (in a task with
//!    differential privacy, only trainers whose dataset can pay the round's ε, which is then
//!    debited);
//! 2. *commit*: selected trainers commit to their update with a commitment that names them, the
//!    task and the round ([`Pallet::commit_update`], [`cohort_primitives::commitment`]);
//! 3. *reveal*: they reveal the update and the salt ([`Pallet::reveal_update`]); the pallet checks
//!    the commitment, the length, the header, and that no one revealed the same bytes before,
//!    and keeps only the hash, length and position of the update: the bytes stay in the block
//!    body;
//! 4. *score*: selected aggregators score every revealed update against a reference update
//!    trained on the validation set, and commit to the scores ([`Pallet::commit_scores`]);
//! 5. *score reveal*: they reveal the scores ([`Pallet::reveal_scores`]). When the phase
//!    closes, each update's score is the lower median of the revealed scores, and the chain
//!    fixes which updates enter the model: those scoring within the task's
//!    [`ScoreGate::accept_within`](cohort_primitives::ScoreGate) of the round's median score;
//!    trainers scoring more than its `slash_beyond` below it lose part of their bond (see
//!    `cohort_primitives::judgement`); every score, accepted or not, moves the reputation of
//!    the dataset behind the update;
//! 6. *aggregate*: aggregators aggregate exactly the accepted updates, each weighted by the
//!    samples its header claims (at most the task's `max_samples` and the size its dataset's
//!    terms state), with the task's rule and norm clip, measure the new model on the validation
//!    set, and commit to the aggregate hash and the metrics ([`Pallet::commit_aggregate`]);
//! 7. *aggregate reveal*: they reveal them ([`Pallet::reveal_aggregate`]); the first reveal of
//!    each distinct hash carries its payload. When every committed aggregator has revealed, or
//!    the phase ends, the hash that reached the quorum becomes the next global model, the round
//!    keeps the lower median of the agreeing aggregators' metrics, and the round's reward is
//!    settled: first each accepted update's royalty goes to its dataset's owner and the data
//!    market records which datasets trained the model (its lineage), then the round's reward is
//!    paid: the aggregators' share to the agreeing aggregators, the rest to the trainers of
//!    accepted updates in proportion to their scores.
//!
//! Every phase closes as soon as everyone in it has acted. A phase that ends without enough
//! participants fails the round (keeping the previous global model) instead of leaving it
//! stuck. Selected participants who do not commit or reveal, aggregators who disagree with the
//! quorum, and trainers whose updates the scores reject below the slashing threshold lose
//! `penalty` of their bond; the stake keeper sends the slashed funds to the treasury.
//!
//! Every reward paid is reported to [`Config::Contributions`] as the account's contribution in
//! its role (emission follows it), and every judgement (a trainer's score, an aggregator's
//! agreement with the quorum or its absence) moves the account's reputation in the role.
//!
//! The owner may cancel a task ([`Pallet::cancel_task`]): the round under way fails, but the
//! updates it already published are paid for as a finalized round pays them, royalties first,
//! so cancelling after the reveal gets neither the updates nor their data for free.
//!
//! A live task in which no round starts for [`Config::TaskExpiry`] blocks expires and returns
//! its budget. Only the last [`Config::RetainedRounds`] round records are kept in full; every
//! finished round keeps a summary until the task is pruned.
//!
//! Workers do not scan the chain: [`Pallet::duties`] (the `FederatedApi` runtime API) tells an
//! account what to do now and where every payload it needs is; [`Pallet::round_history`] gives
//! every finished round's outcome, metrics, rewards and royalties.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod deposit;
mod enlarge;
#[cfg(test)]
mod mock;
mod prune;
mod round;
#[cfg(test)]
mod tests;
mod validate;
pub mod weights;
pub use weights::WeightInfo;

use cohort_primitives::{
	api::TaskQuote,
	round::{AggregatorSlot, RoundInfo, RoundSummary, TrainerSlot},
};
use frame_support::traits::fungible;
use frame_system::pallet_prelude::BlockNumberFor;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A task as stored.
pub type TaskOf<T> = cohort_primitives::TaskInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A task specification as submitted.
pub type TaskSpecOf<T> = cohort_primitives::TaskSpec<BalanceOf<T>, BlockNumberFor<T>>;
/// A round as stored.
pub type RoundOf<T> = RoundInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxTrainersPerRound,
	<T as Config>::MaxAggregatorsPerRound,
>;
/// What is kept of a finished round.
pub type RoundSummaryOf<T> = RoundSummary<BalanceOf<T>, BlockNumberFor<T>>;
/// A trainer's place in a round.
pub type TrainerSlotOf<T> =
	TrainerSlot<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// An aggregator's place in a round.
pub type AggregatorSlotOf<T> = AggregatorSlot<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	<T as Config>::MaxTrainersPerRound,
>;
/// An owner's allowlist.
pub type AllowlistOf<T> =
	frame_support::BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxAllowlist>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use cohort_primitives::{
		commitment::{aggregate_commitment, score_commitment, update_commitment_of_hash},
		dataset::DatasetTerms,
		payload::PayloadRef,
		round::{AggregateSubmission, FailReason, Phase, RoundMetrics, MAX_ACCURACY, MAX_SCORE},
		scaling::FeatureScaling,
		task::InitialModel,
		traits::{ComputeAccess, Contributions, DataMarket, DatasetRequest, Role, Stake},
		DatasetId, PayloadKind, RoundIndex, Score, TaskId, TaskStatus,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible::MutateHold, tokens::Precision, Randomness},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::{
		traits::{Saturating, Zero},
		Perbill,
	};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency that budgets, deposits and rewards are paid in (bonds are stake, kept
		/// by [`Config::Stake`]).
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::BalancedHold<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The randomness that selection draws from.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// The data market: it decides who trains on which dataset and on what terms, keeps
		/// the datasets' privacy budgets and reputations, and settles each finalized round's
		/// royalties (out of the task's budget) and lineage.
		type DataMarket: DataMarket<Self::AccountId, BalanceOf<Self>, Self::RuntimeHoldReason>;

		/// Whether an account may aggregate, and whether a worker serves a task's owner under a
		/// running compute lease (it may then join the owner's allowlisted tasks).
		type ComputeAccess: ComputeAccess<Self::AccountId>;

		/// Where participants' bonds live: committed stake in their role, slashed there.
		type Stake: Stake<Self::AccountId, BalanceOf<Self>>;

		/// Told of every reward paid and every judgement of a participant's work.
		type Contributions: Contributions<Self::AccountId, BalanceOf<Self>>;

		/// At most this many trainers in one round (and scores in one submission).
		#[pallet::constant]
		type MaxTrainersPerRound: Get<u32>;

		/// At most this many aggregators in one round.
		#[pallet::constant]
		type MaxAggregatorsPerRound: Get<u32>;

		/// At most this many trainers may join one task. Trainers and aggregators have caps of
		/// their own, so that neither role can crowd the other out.
		#[pallet::constant]
		type MaxTrainersPerTask: Get<u32>;

		/// At most this many aggregators may join one task.
		#[pallet::constant]
		type MaxAggregatorsPerTask: Get<u32>;

		/// At most this many accounts on a task's allowlist.
		#[pallet::constant]
		type MaxAllowlist: Get<u32>;

		/// At most this many tasks may be running (or paused) at once.
		#[pallet::constant]
		type MaxActiveTasks: Get<u32>;

		/// At most this many of them may belong to one owner, so that one account cannot fill
		/// the list (several accounts each pay a deposit and a budget).
		#[pallet::constant]
		type MaxActiveTasksPerOwner: Get<u32>;

		/// A task whose rounds fail this many times in a row is evicted: it ends, and its
		/// deposit is forfeited (a task that never trains cannot hold a place among the active
		/// tasks for long, nor for free).
		#[pallet::constant]
		type FailedRoundsToEvict: Get<u32>;

		/// Where an evicted task's forfeited deposit goes: the treasury.
		type OnForfeit: frame_support::traits::OnUnbalanced<
			frame_support::traits::fungible::Credit<Self::AccountId, Self::Currency>,
		>;

		/// At most this many rounds per task.
		#[pallet::constant]
		type MaxRounds: Get<u32>;

		/// The largest update or aggregate payload, in bytes, any task may allow.
		#[pallet::constant]
		type MaxPayloadBytes: Get<u32>;

		/// The payload bytes a task may count on each block to carry: a reveal phase must be
		/// long enough for every selected trainer's largest update at this rate. Set it well
		/// below the block length, so that one task's reveals cannot fill whole blocks.
		#[pallet::constant]
		type BlockPayloadBytes: Get<u32>;

		/// The smallest bond a trainer may join any task with.
		#[pallet::constant]
		type MinTrainerBond: Get<BalanceOf<Self>>;

		/// The smallest bond an aggregator may join any task with.
		#[pallet::constant]
		type MinAggregatorBond: Get<BalanceOf<Self>>;

		/// The smallest penalty a task may set.
		#[pallet::constant]
		type MinPenalty: Get<Perbill>;

		/// The shortest phase, in blocks.
		#[pallet::constant]
		type MinPhaseLength: Get<BlockNumberFor<Self>>;

		/// The longest phase, in blocks.
		#[pallet::constant]
		type MaxPhaseLength: Get<BlockNumberFor<Self>>;

		/// The part of a task's deposit that does not depend on its size.
		#[pallet::constant]
		type TaskDepositBase: Get<BalanceOf<Self>>;

		/// The part of a task's deposit per byte of storage it may use.
		#[pallet::constant]
		type TaskDepositPerByte: Get<BalanceOf<Self>>;

		/// A live task in which no round starts for this many blocks expires.
		#[pallet::constant]
		type TaskExpiry: Get<BlockNumberFor<Self>>;

		/// Blocks after its end before anyone may prune a task.
		#[pallet::constant]
		type TaskRetention: Get<BlockNumberFor<Self>>;

		/// Finished rounds kept in full per task; older ones keep only their summary.
		#[pallet::constant]
		type RetainedRounds: Get<u32>;

		/// Weights of the calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A task owner's budget for rewards.
		TaskBudget,
		/// A task owner's deposit for the storage the task uses, until it is pruned.
		TaskDeposit,
	}

	/// The dataset a trainer joined a task with, and the terms the data market fixed for its
	/// stay.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct JoinedDataset<AccountId, Balance> {
		pub id: DatasetId,
		/// Who is paid the royalty (at most the task's `datasets.max_royalty`) per accepted
		/// update, and the most samples an update may claim.
		pub terms: DatasetTerms<AccountId, Balance>,
	}

	/// A participant of a task.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Participant<AccountId, Balance> {
		pub role: Role,
		/// The dataset a trainer trains on (`None` for an aggregator).
		pub dataset: Option<JoinedDataset<AccountId, Balance>>,
		/// What is held from it for this task.
		pub bond: Balance,
	}

	/// How a participant joins.
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
	pub enum JoinAs {
		/// A trainer, training on this dataset.
		Trainer { dataset: DatasetId },
		/// An aggregator.
		Aggregator,
	}

	/// What a participant did wrong.
	#[derive(
		Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo,
	)]
	pub enum Offence {
		/// A selected trainer did not commit.
		NoCommit,
		/// A trainer committed but did not reveal a valid update.
		NoReveal,
		/// A selected aggregator did not commit to scores.
		NoScores,
		/// An aggregator committed to scores but did not reveal them.
		NoScoresReveal,
		/// A trainer's update scored more than the task's `gate.slash_beyond` below its round's
		/// median score: it pointed away from what the validation set asks for, or copied,
		/// replayed or shrank another update (a poisoned or free-riding update).
		Rejected,
		/// A selected aggregator did not commit to a result.
		NoAggregate,
		/// An aggregator committed but did not reveal its result.
		NoAggregateReveal,
		/// An aggregator revealed a hash other than the one the quorum agreed on.
		Disagreed,
		/// An aggregator scored an update more than the task's `gate.score_tolerance` below
		/// the committee's lower median or above its upper median for it: a mistake or a bid
		/// to move the median. It is also paid nothing for the round.
		StrayedScores,
	}

	/// The id the next task gets.
	#[pallet::storage]
	pub type NextTaskId<T> = StorageValue<_, TaskId, ValueQuery>;

	/// Every task not yet pruned.
	#[pallet::storage]
	pub type Tasks<T: Config> = StorageMap<_, Blake2_128Concat, TaskId, TaskOf<T>>;

	/// Tasks that are running or paused, in order of creation; the per-block hook walks them.
	#[pallet::storage]
	pub type ActiveTasks<T: Config> =
		StorageValue<_, BoundedVec<TaskId, T::MaxActiveTasks>, ValueQuery>;

	/// How many live tasks each owner has (at most [`Config::MaxActiveTasksPerOwner`]).
	#[pallet::storage]
	pub type LiveTasksOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The participants of each task.
	#[pallet::storage]
	pub type Participants<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		Participant<T::AccountId, BalanceOf<T>>,
	>;

	/// Each task's round under way and its last [`Config::RetainedRounds`] finished rounds, in
	/// full.
	#[pallet::storage]
	pub type Rounds<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, TaskId, Twox64Concat, RoundIndex, RoundOf<T>>;

	/// A summary of every finished round of each task, kept until the task is pruned.
	#[pallet::storage]
	pub type RoundSummaries<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, TaskId, Twox64Concat, RoundIndex, RoundSummaryOf<T>>;

	/// The accounts that may join a task, when its owner has set a list.
	#[pallet::storage]
	pub type Allowlists<T: Config> = StorageMap<_, Blake2_128Concat, TaskId, AllowlistOf<T>>;

	/// The feature scaling a task's owner fixed before its first round
	/// ([`Pallet::set_feature_scaling`]): every trainer applies it to its data and every
	/// aggregator to the validation set. Gone when the task is pruned.
	#[pallet::storage]
	pub type FeatureScalings<T: Config> = StorageMap<_, Blake2_128Concat, TaskId, FeatureScaling>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A task was created; its budget and its storage deposit were held from the owner.
		TaskCreated {
			task: TaskId,
			owner: T::AccountId,
			budget: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// The owner paused a task.
		TaskPaused { task: TaskId },
		/// The owner resumed a task.
		TaskResumed { task: TaskId },
		/// The owner cancelled a task; `refund` of its budget went back.
		TaskCancelled { task: TaskId, refund: BalanceOf<T> },
		/// All rounds of a task have run; `refund` of its budget went back to the owner.
		TaskFinished { task: TaskId, refund: BalanceOf<T> },
		/// No round of a task started for too long; `refund` of its budget went back.
		TaskExpired { task: TaskId, refund: BalanceOf<T> },
		/// A task's rounds failed [`Config::FailedRoundsToEvict`] times in a row: it ended,
		/// the rest of its budget went back to the owner and its deposit was forfeited.
		TaskEvicted { task: TaskId, refund: BalanceOf<T>, forfeited: BalanceOf<T> },
		/// An ended task's records were removed; its deposit and every remaining bond went back.
		TaskPruned { task: TaskId, deposit: BalanceOf<T>, bonds_released: u32 },
		/// The owner set who may join a task (`accounts: 0`: anyone); the deposit is now
		/// `deposit`.
		AllowlistSet { task: TaskId, accounts: u32, deposit: BalanceOf<T> },
		/// The owner fixed a task's feature scaling (`features: 0`: removed it) before its
		/// first round; the deposit is now `deposit`.
		FeatureScalingSet { task: TaskId, features: u32, deposit: BalanceOf<T> },
		/// The owner published the model the task starts from; its bytes are in this block's
		/// body at `model`, and the first round may start.
		InitialModelPublished { task: TaskId, model: PayloadRef<BlockNumberFor<T>> },
		/// An account joined a task, with `bond` held.
		Joined { task: TaskId, who: T::AccountId, role: Role, bond: BalanceOf<T> },
		/// An account left a task (or the task was pruned) and got `bond` back.
		Left { task: TaskId, who: T::AccountId, bond: BalanceOf<T> },
		/// A participant added `extra` to its bond in a task, which is now `bond`.
		BondIncreased { task: TaskId, who: T::AccountId, extra: BalanceOf<T>, bond: BalanceOf<T> },
		/// A round started: these trainers and aggregators were selected.
		RoundStarted {
			task: TaskId,
			round: RoundIndex,
			trainers: Vec<T::AccountId>,
			aggregators: Vec<T::AccountId>,
			commit_by: BlockNumberFor<T>,
		},
		/// A trainer committed to an update.
		UpdateCommitted { task: TaskId, round: RoundIndex, who: T::AccountId, commitment: H256 },
		/// The commit phase ended; trainers may reveal until `reveal_by`.
		RevealOpened { task: TaskId, round: RoundIndex, reveal_by: BlockNumberFor<T> },
		/// A trainer revealed its update; the bytes are in this block's body at `update`.
		UpdateRevealed {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			update: PayloadRef<BlockNumberFor<T>>,
		},
		/// The reveal phase ended; aggregators may score the `updates` revealed and commit
		/// until `commit_by`.
		ScoringOpened {
			task: TaskId,
			round: RoundIndex,
			updates: u32,
			commit_by: BlockNumberFor<T>,
		},
		/// An aggregator committed to scores.
		ScoresCommitted { task: TaskId, round: RoundIndex, who: T::AccountId, commitment: H256 },
		/// The score commit phase ended; aggregators may reveal until `reveal_by`.
		ScoreRevealOpened { task: TaskId, round: RoundIndex, reveal_by: BlockNumberFor<T> },
		/// An aggregator revealed its scores (one per revealed update, in trainer order).
		ScoresRevealed { task: TaskId, round: RoundIndex, who: T::AccountId, scores: Vec<Score> },
		/// A revealed update got its score (the lower median of the revealed scores); it enters
		/// the model if `accepted`.
		UpdateScored {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			score: Score,
			accepted: bool,
		},
		/// The scores are in; aggregators may aggregate the `updates` accepted and commit until
		/// `commit_by`.
		AggregationOpened {
			task: TaskId,
			round: RoundIndex,
			updates: u32,
			commit_by: BlockNumberFor<T>,
		},
		/// An aggregator committed to a result.
		AggregateCommitted { task: TaskId, round: RoundIndex, who: T::AccountId, commitment: H256 },
		/// The aggregate commit phase ended; aggregators may reveal until `reveal_by`.
		AggregateRevealOpened { task: TaskId, round: RoundIndex, reveal_by: BlockNumberFor<T> },
		/// Too few aggregators committed to scores, or no aggregate reached a quorum: these
		/// aggregators were drawn to join the committee and score or aggregate until
		/// `commit_by`. For the aggregate, the hash a majority of the enlarged committee reveals
		/// decides the round, and those who revealed another are slashed.
		CommitteeEnlarged {
			task: TaskId,
			round: RoundIndex,
			added: Vec<T::AccountId>,
			commit_by: BlockNumberFor<T>,
		},
		/// An aggregator revealed an aggregate hash and the new model's metrics.
		AggregateRevealed {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			aggregate: H256,
			metrics: RoundMetrics,
		},
		/// A quorum agreed on `aggregate`: it is the task's new global model; `metrics` are the
		/// lower medians of the agreeing aggregators' measurements on the validation set. The
		/// datasets' owners were paid `royalties` for the accepted updates, then the round's
		/// participants `paid` in rewards, both out of the task's budget.
		RoundFinalized {
			task: TaskId,
			round: RoundIndex,
			aggregate: H256,
			agreeing: u32,
			metrics: RoundMetrics,
			paid: BalanceOf<T>,
			royalties: BalanceOf<T>,
		},
		/// A round ended without a new model; the previous global model stays.
		RoundFailed { task: TaskId, round: RoundIndex, reason: FailReason },
		/// A participant was paid for a round.
		Rewarded {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
		},
		/// A participant lost part of its bond.
		Slashed {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			offence: Offence,
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No task with this id.
		UnknownTask,
		/// Only the task's owner may do this.
		NotOwner,
		/// The task specification is inconsistent or outside the chain's limits.
		InvalidSpec,
		/// The model specification is degenerate, or its payload would exceed the size limit.
		InvalidModel,
		/// The aggregation rule cannot work with the task's trainers per round.
		InvalidAggregationRule,
		/// A phase is shorter or longer than the chain allows.
		InvalidPhaseLength,
		/// A task needs at least one round, and at most as many as the chain allows.
		InvalidRoundCount,
		/// The quorum must be more than half of the aggregators, and at most all of them.
		InvalidQuorum,
		/// The penalty is below the chain's minimum.
		PenaltyTooLow,
		/// The reveal phases are too short for the blocks to carry every selected trainer's
		/// largest update (or an aggregate) at the chain's payload rate.
		RevealWindowTooShort,
		/// The budget (rounds times the reward and the most royalties of a round), a bond or
		/// the deposit overflows.
		BudgetOverflow,
		/// Too many tasks are running already.
		TooManyActiveTasks,
		/// The owner has as many live tasks as the chain allows one owner.
		TooManyTasksOfOwner,
		/// The task is not running.
		NotActive,
		/// The task is not paused.
		NotPaused,
		/// The task has ended (finished, cancelled or expired).
		TaskEnded,
		/// The task's first round has started: its feature scaling can no longer change (the
		/// model has seen features in the scaling it had).
		RoundsStarted,
		/// The scaling does not give one entry per input feature of the task's model.
		ScalingMismatch,
		/// The task starts from a seed: it takes no initial model.
		SeededTask,
		/// The task's initial model is already published.
		InitialModelAlreadyPublished,
		/// The model does not hash to the initial model the task's spec names.
		InitialModelMismatch,
		/// The task has not ended, or ended too recently to be pruned.
		NotPrunable,
		/// The account has already joined this task.
		AlreadyJoined,
		/// The account has not joined this task.
		NotParticipant,
		/// The task has as many participants of this role as it may.
		TooManyParticipants,
		/// The task's owner has not put this account on the task's allowlist.
		NotAllowlisted,
		/// The bond is below the task's minimum for the role.
		BondTooLow,
		/// A bond cannot grow by nothing.
		NothingToBond,
		/// This account may not aggregate.
		ComputeNotAllowed,
		/// The account is selected in the round under way and may not leave before it ends.
		SelectedInOpenRound,
		/// No such round, or it is not the task's current round.
		WrongRound,
		/// The round is not in the phase this call belongs to.
		WrongPhase,
		/// The account is not selected as a trainer in this round.
		NotSelectedTrainer,
		/// The account is not selected as an aggregator in this round.
		NotSelectedAggregator,
		/// The account has already committed in this round.
		AlreadyCommitted,
		/// The committee was enlarged: in the phase it was enlarged for, only the added members
		/// commit.
		NotAnAddedAggregator,
		/// The account did not commit in this round.
		NotCommitted,
		/// The account has already revealed in this round.
		AlreadyRevealed,
		/// What was revealed does not match this account's commitment for this task and round.
		CommitmentMismatch,
		/// Another trainer already revealed exactly this update in this round.
		DuplicateUpdate,
		/// The payload is larger than the task allows.
		PayloadTooLarge,
		/// The payload's header is malformed or its length does not match it.
		MalformedPayload,
		/// The payload's header names another task, round, kind, parameter count or scale.
		PayloadHeaderMismatch,
		/// An update must claim between 1 and the task's `max_samples` training samples, and no
		/// more than its dataset's terms allow (an aggregate: 0).
		SamplesOutOfRange,
		/// The score gate's margins are out of order or range, its clip is below 100 %, or its
		/// weight cap, copy distance or free-rider norm is out of range.
		InvalidGate,
		/// There must be exactly one score per revealed update.
		WrongScoreCount,
		/// A score is above 1_000_000.
		ScoreOutOfRange,
		/// An accuracy is above 1_000_000 (100%).
		MetricsOutOfRange,
		/// No reveal has carried this aggregate's payload yet, so this one must.
		AggregatePayloadMissing,
		/// The payload does not hash to the revealed aggregate hash.
		AggregateHashMismatch,
		/// A task that trains with differential privacy must state a positive ε per round.
		InvalidPrivacy,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Starts rounds that can start, moves on rounds whose phase has ended, and expires
		/// tasks in which no round has started for too long.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::progress_tasks(now)
		}

		/// Starts, with the weight the block has left, the next round of tasks whose round was
		/// decided in this block (or whose last missing participant joined): a round then takes
		/// as many blocks as it has inclusions.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::start_rounds_early(now, remaining)
		}

		fn integrity_test() {
			assert!(T::MaxTrainersPerRound::get() > 0, "rounds need trainers");
			assert!(T::MaxAggregatorsPerRound::get() > 0, "rounds need aggregators");
			assert!(
				T::MaxTrainersPerTask::get() >= T::MaxTrainersPerRound::get(),
				"a task must be able to fill a round with trainers"
			);
			assert!(
				T::MaxAggregatorsPerTask::get() >= T::MaxAggregatorsPerRound::get(),
				"a task must be able to fill a round with aggregators"
			);
			assert!(T::MinPhaseLength::get() >= 1u32.into(), "a phase lasts at least a block");
			assert!(!T::MinTrainerBond::get().is_zero(), "trainer bonds must be positive");
			assert!(!T::MinAggregatorBond::get().is_zero(), "aggregator bonds must be positive");
			assert!(!T::MinPenalty::get().is_zero(), "a no-show must cost something");
			assert!(T::BlockPayloadBytes::get() > 0, "blocks must carry payloads");
			assert!(!T::TaskDepositBase::get().is_zero(), "a task must cost a deposit");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state(now)
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates a federated-learning task and holds its budget and a deposit for its storage
		/// from the caller, who becomes its owner. The budget is `rounds * (reward_per_round +
		/// max_trainers * datasets.max_royalty)`: every round's reward and the most royalties its
		/// accepted updates can earn. What rounds do not spend goes back when the task ends.
		///
		/// Rounds start once `min_trainers` trainers and `aggregators` aggregators have joined.
		/// The task's minimum bonds are derived from the spec so that a participant's penalty is
		/// at least what its role earns in a round.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_task())]
		pub fn create_task(origin: OriginFor<T>, spec: TaskSpecOf<T>) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let TaskQuote {
				parameter_count,
				budget,
				deposit,
				min_trainer_bond,
				min_aggregator_bond,
				..
			} = Self::quote_task(&spec)?;

			let task = NextTaskId::<T>::get();
			ActiveTasks::<T>::try_append(task).map_err(|_| Error::<T>::TooManyActiveTasks)?;
			LiveTasksOf::<T>::try_mutate(&owner, |live| {
				ensure!(*live < T::MaxActiveTasksPerOwner::get(), Error::<T>::TooManyTasksOfOwner);
				*live += 1;
				Ok::<_, Error<T>>(())
			})?;
			T::Currency::hold(&HoldReason::TaskBudget.into(), &owner, budget)?;
			T::Currency::hold(&HoldReason::TaskDeposit.into(), &owner, deposit)?;
			NextTaskId::<T>::put(task.saturating_add(1));
			let now = frame_system::Pallet::<T>::block_number();
			Tasks::<T>::insert(
				task,
				TaskOf::<T> {
					owner: owner.clone(),
					spec,
					status: TaskStatus::Active,
					budget,
					deposit,
					min_trainer_bond,
					min_aggregator_bond,
					parameter_count,
					next_round: 0,
					global_model: None,
					trainers: 0,
					aggregators: 0,
					created: now,
					last_round_started: now,
					failed_in_a_row: 0,
					ended: None,
					allowlist_len: 0,
					scaled_features: 0,
				},
			);
			Self::deposit_event(Event::TaskCreated { task, owner, budget, deposit });
			Ok(())
		}

		/// Pauses a running task: the round under way finishes, no new round starts.
		/// Only the owner may call it. A task paused longer than [`Config::TaskExpiry`] expires.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::pause_task())]
		pub fn pause_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::switch_status(
				&who,
				task,
				TaskStatus::Active,
				TaskStatus::Paused,
				Error::<T>::NotActive,
			)?;
			Self::deposit_event(Event::TaskPaused { task });
			Ok(())
		}

		/// Resumes a paused task. Only the owner may call it.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::resume_task())]
		pub fn resume_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::switch_status(
				&who,
				task,
				TaskStatus::Paused,
				TaskStatus::Active,
				Error::<T>::NotPaused,
			)?;
			Self::deposit_event(Event::TaskResumed { task });
			Ok(())
		}

		/// Cancels a task: the round under way fails without penalties, and what is left of
		/// the budget goes back to the owner. Updates already revealed in that round (once the
		/// scores are in, the accepted ones) are paid first, as a finalized round pays them:
		/// each one's royalty to its dataset's owner, then the trainers' part of the round's
		/// reward in equal shares, and the aggregators' part to the aggregators whose scores
		/// are on chain. Once updates and scores are public, the owner could use them off
		/// chain, so cancelling does not get them, or their data, for free. The cancelled
		/// round's lineage in the data market lists the updates that were published to the
		/// task owner and paid for here. Participants leave with [`Pallet::leave`] to get their
		/// bonds back. Only the owner may call it.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel_task(T::MaxTrainersPerRound::get())
			.saturating_add(Pallet::<T>::independence_weight()))]
		pub fn cancel_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::live_task_of(&who, task)?;
			if let Some(mut round) = Self::open_round(task, &info) {
				let index = info.next_round;
				let royalties = Self::pay_revealed_work(task, index, &mut info, &mut round);
				round.phase = Phase::Failed { reason: FailReason::Cancelled };
				Self::deposit_event(Event::RoundFailed {
					task,
					round: index,
					reason: FailReason::Cancelled,
				});
				Self::summarise(task, index, &round, None, royalties);
				Rounds::<T>::insert(task, index, round);
			}
			let refund = Self::end_task(task, &mut info, TaskStatus::Cancelled)?;
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::TaskCancelled { task, refund });
			Ok(())
		}

		/// Joins a task as a trainer (on a dataset) or an aggregator, holding `bond` (at least
		/// the task's minimum for the role). Selection for each round is weighted by bond. Each
		/// role has its own cap, and the owner may limit joining to an allowlist.
		///
		/// A trainer's dataset must be accepted by the data market ([`Config::DataMarket`]):
		/// its refusal comes back as the data market's own error. The terms it fixes (royalty
		/// owner and amount, the most samples an update may claim) hold until the trainer
		/// leaves.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::join(T::MaxAllowlist::get())
			.saturating_add(T::DbWeight::get().reads(T::ComputeAccess::serves_reads())))]
		pub fn join(
			origin: OriginFor<T>,
			task: TaskId,
			role: JoinAs,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.status.is_live(), Error::<T>::TaskEnded);
			ensure!(!Participants::<T>::contains_key(task, &who), Error::<T>::AlreadyJoined);
			if info.allowlist_len > 0 {
				ensure!(
					Allowlists::<T>::get(task).is_some_and(|list| list.contains(&who))
						|| T::ComputeAccess::serves(&who, &info.owner),
					Error::<T>::NotAllowlisted
				);
			}
			let (participant, role) = match role {
				JoinAs::Trainer { dataset } => {
					ensure!(
						info.trainers < T::MaxTrainersPerTask::get(),
						Error::<T>::TooManyParticipants
					);
					ensure!(bond >= info.min_trainer_bond, Error::<T>::BondTooLow);
					// Last of the checks: the data market records the dataset as in the task.
					// If the hold below fails, the call's error reverts that record with the
					// rest of the call's changes (every call runs in its own storage layer).
					let rules = &info.spec.datasets;
					let mut terms = T::DataMarket::join(
						&who,
						dataset,
						DatasetRequest {
							task,
							model: &info.spec.model,
							rules,
							epsilon: info.spec.training.dp.map(|dp| dp.epsilon_micros),
						},
					)?;
					if terms.royalty > rules.max_royalty {
						// The data market refuses such datasets; the task's budget only covers
						// royalties up to its maximum.
						frame_support::defensive!(
							"the data market granted a royalty above the task's maximum"
						);
						terms.royalty = rules.max_royalty;
					}
					info.trainers.saturating_inc();
					(
						Participant {
							role: Role::Trainer,
							dataset: Some(JoinedDataset { id: dataset, terms }),
							bond,
						},
						Role::Trainer,
					)
				},
				JoinAs::Aggregator => {
					ensure!(
						info.aggregators < T::MaxAggregatorsPerTask::get(),
						Error::<T>::TooManyParticipants
					);
					ensure!(bond >= info.min_aggregator_bond, Error::<T>::BondTooLow);
					ensure!(T::ComputeAccess::may_aggregate(&who), Error::<T>::ComputeNotAllowed);
					info.aggregators.saturating_inc();
					(Participant { role: Role::Aggregator, dataset: None, bond }, Role::Aggregator)
				},
			};
			T::Stake::commit(&who, role, bond)?;
			Participants::<T>::insert(task, &who, participant);
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::Joined { task, who, role, bond });
			Ok(())
		}

		/// Adds `extra` to the caller's bond in a task (committed from its stake in the role).
		/// Rounds draw only participants whose bond is at least the task's minimum for their
		/// role: after penalties have worn a bond below it, this is how a participant is drawn
		/// again (a larger bond is also drawn more often).
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			task: TaskId,
			extra: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.status.is_live(), Error::<T>::TaskEnded);
			ensure!(!extra.is_zero(), Error::<T>::NothingToBond);
			let mut participant =
				Participants::<T>::get(task, &who).ok_or(Error::<T>::NotParticipant)?;
			T::Stake::commit(&who, participant.role, extra)?;
			participant.bond = participant.bond.saturating_add(extra);
			let bond = participant.bond;
			Participants::<T>::insert(task, &who, participant);
			Self::deposit_event(Event::BondIncreased { task, who, extra, bond });
			Ok(())
		}

		/// Leaves a task and releases what is left of the bond. Not allowed while selected in
		/// the round under way.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::leave())]
		pub fn leave(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			let participant =
				Participants::<T>::get(task, &who).ok_or(Error::<T>::NotParticipant)?;
			if let Some(round) = Self::open_round(task, &info) {
				ensure!(!round.is_selected(&who), Error::<T>::SelectedInOpenRound);
			}
			Self::release_participant(task, &mut info, &who, participant);
			Tasks::<T>::insert(task, info);
			Ok(())
		}

		/// Commits to an update: `commitment = update_commitment(caller, task, round, update,
		/// salt)` (see `cohort_primitives::commitment`), which only the caller can open. Only a
		/// trainer selected for the round, during its commit phase. When every selected trainer
		/// has committed, the reveal phase opens at once.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::commit_update(T::MaxTrainersPerRound::get()))]
		pub fn commit_update(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			commitment: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (mut info, mut record) = Self::current_round(task, round)?;
			ensure!(record.phase == Phase::Commit, Error::<T>::WrongPhase);
			let slot = record
				.trainers
				.iter_mut()
				.find(|t| t.who == who)
				.ok_or(Error::<T>::NotSelectedTrainer)?;
			ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
			slot.commitment = Some(commitment);
			Self::deposit_event(Event::UpdateCommitted { task, round, who, commitment });

			if record.trainers.iter().all(|t| t.commitment.is_some()) {
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_commit(task, round, &mut info, &mut record, now);
				Tasks::<T>::insert(task, info);
			}
			Rounds::<T>::insert(task, round, record);
			Ok(())
		}

		/// Reveals a committed update and its salt. The pallet checks the commitment (which
		/// names the caller, the task and the round), the size bound, the header (kind, task,
		/// round, parameter count, scale, and samples between 1 and the least of the task's
		/// `max_samples` and the samples the trainer's dataset terms allow) and that nobody
		/// revealed the same bytes in this round,
		/// then keeps the update's hash, length and position; the bytes stay in this block's
		/// body. When every committed trainer has revealed, aggregation opens at once.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::reveal_update(
			update.len() as u32,
			T::MaxTrainersPerRound::get(),
		))]
		pub fn reveal_update(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			update: BoundedVec<u8, T::MaxPayloadBytes>,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (mut info, mut record) = Self::current_round(task, round)?;
			ensure!(record.phase == Phase::Reveal, Error::<T>::WrongPhase);
			let at = record
				.trainers
				.iter()
				.position(|t| t.who == who)
				.ok_or(Error::<T>::NotSelectedTrainer)?;
			let commitment = record.trainers[at].commitment.ok_or(Error::<T>::NotCommitted)?;
			ensure!(record.trainers[at].update.is_none(), Error::<T>::AlreadyRevealed);
			// One hash of the (up to a megabyte of) bytes serves the commitment and the record.
			let update_ref = Self::payload_ref(&update);
			ensure!(
				update_commitment_of_hash(&who, task, round, &update_ref.payload_hash, &salt)
					== commitment,
				Error::<T>::CommitmentMismatch
			);
			// The samples an update claims weigh it in the mean: at most the task's bound, and
			// at most what its dataset holds.
			let dataset_samples = Participants::<T>::get(task, &who)
				.and_then(|p| p.dataset)
				.ok_or(Error::<T>::NotParticipant)?
				.terms
				.samples;
			let most = info.spec.max_samples.min(dataset_samples);
			let samples =
				Self::check_payload(&info, task, round, PayloadKind::Update, 1..=most, &update)?;
			ensure!(!record.has_update(&update_ref.payload_hash), Error::<T>::DuplicateUpdate);
			record.trainers[at].update = Some(update_ref.clone());
			record.trainers[at].samples = samples;
			Self::deposit_event(Event::UpdateRevealed { task, round, who, update: update_ref });

			let all_revealed =
				record.trainers.iter().all(|t| t.commitment.is_none() || t.update.is_some());
			if all_revealed {
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_reveal(task, round, &mut info, &mut record, now);
				Tasks::<T>::insert(task, info);
			}
			Rounds::<T>::insert(task, round, record);
			Ok(())
		}

		/// Commits to the result this aggregator computed from exactly the accepted updates:
		/// `commitment = aggregate_commitment(caller, task, round, aggregate_hash, metrics,
		/// salt)`, with the new model's validation loss and accuracy in millionths. Nobody has
		/// revealed a result yet, so there is nothing to copy. When every selected aggregator
		/// has committed, the aggregate reveal phase opens at once. After the committee was
		/// enlarged ([`Event::CommitteeEnlarged`]), only the added members commit.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::commit_aggregate(T::MaxAggregatorsPerRound::get())
			.saturating_add(Pallet::<T>::eviction_weight()))]
		pub fn commit_aggregate(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			commitment: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (mut info, mut record) = Self::current_round(task, round)?;
			ensure!(record.phase == Phase::Aggregate, Error::<T>::WrongPhase);
			let first = Self::first_acting(&info, &record);
			if let Some(at) = record.aggregators.iter().position(|a| a.who == who) {
				ensure!(at >= first, Error::<T>::NotAnAddedAggregator);
			}
			let all_in = Self::commit_as_aggregator(&mut record, first, &who, commitment, |a| {
				&mut a.commitment
			})?;
			Self::deposit_event(Event::AggregateCommitted { task, round, who, commitment });

			if all_in {
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_aggregate_commit(task, round, &mut info, &mut record, now);
				Tasks::<T>::insert(task, info);
			}
			Rounds::<T>::insert(task, round, record);
			Ok(())
		}

		/// Reveals the aggregate hash, metrics and salt behind this aggregator's commitment. The
		/// first reveal of each distinct hash must carry the aggregate's payload (its bytes stay
		/// in this block's body). When every committed aggregator has revealed, the round is
		/// decided at once; otherwise at the end of the phase. If no hash then has a quorum, the
		/// committee may be enlarged ([`Event::CommitteeEnlarged`]).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::reveal_aggregate(
			T::MaxTrainersPerRound::get(),
			T::MaxAggregatorsPerRound::get(),
			payload.as_ref().map_or(0, |p| p.len() as u32),
		)
		.saturating_add(Pallet::<T>::independence_weight())
		.saturating_add(Pallet::<T>::eviction_weight())
		.saturating_add(Pallet::<T>::enlarge_weight()))]
		pub fn reveal_aggregate(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			aggregate: H256,
			metrics: RoundMetrics,
			salt: [u8; 32],
			payload: Option<BoundedVec<u8, T::MaxPayloadBytes>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (mut info, mut record) = Self::current_round(task, round)?;
			ensure!(record.phase == Phase::AggregateReveal, Error::<T>::WrongPhase);
			let at = record
				.aggregators
				.iter()
				.position(|a| a.who == who)
				.ok_or(Error::<T>::NotSelectedAggregator)?;
			let commitment = record.aggregators[at].commitment.ok_or(Error::<T>::NotCommitted)?;
			ensure!(record.aggregators[at].submission.is_none(), Error::<T>::AlreadyRevealed);
			ensure!(
				aggregate_commitment(&who, task, round, &aggregate, &metrics, &salt) == commitment,
				Error::<T>::CommitmentMismatch
			);
			ensure!(metrics.accuracy_micros <= MAX_ACCURACY, Error::<T>::MetricsOutOfRange);
			let new_payload = match (record.aggregate_payload(&aggregate).is_some(), payload) {
				(true, _) => None,
				(false, None) => return Err(Error::<T>::AggregatePayloadMissing.into()),
				(false, Some(bytes)) => {
					let payload_ref = Self::payload_ref(&bytes);
					ensure!(
						payload_ref.payload_hash == aggregate,
						Error::<T>::AggregateHashMismatch
					);
					Self::check_payload(&info, task, round, PayloadKind::Aggregate, 0..=0, &bytes)?;
					Some(payload_ref)
				},
			};
			record.aggregators[at].submission = Some(AggregateSubmission { aggregate, metrics });
			if let Some(payload_ref) = new_payload {
				// One entry per distinct hash, and at most one new hash per aggregator: it fits.
				if record.aggregates.try_push(payload_ref).is_err() {
					frame_support::defensive!("more aggregate payloads than aggregators");
				}
			}
			Self::deposit_event(Event::AggregateRevealed { task, round, who, aggregate, metrics });

			let all_revealed =
				record.aggregators.iter().all(|a| a.commitment.is_none() || a.submission.is_some());
			if all_revealed {
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_aggregate(task, round, &mut info, &mut record, now)?;
				Tasks::<T>::insert(task, info);
			}
			Rounds::<T>::insert(task, round, record);
			Ok(())
		}

		/// Limits who may join a live task to `accounts` (an empty list: anyone may). Accounts
		/// that joined already stay. The owner's deposit grows (or shrinks) with the list. Only
		/// the owner may call it.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::set_allowlist(accounts.len() as u32))]
		pub fn set_allowlist(
			origin: OriginFor<T>,
			task: TaskId,
			accounts: AllowlistOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::live_task_of(&who, task)?;
			let mut accounts = accounts.into_inner();
			accounts.sort();
			accounts.dedup();
			let accounts = AllowlistOf::<T>::truncate_from(accounts);
			let len = accounts.len() as u32;
			let deposit = Self::task_deposit(info.spec.rounds, len, info.scaled_features)?;
			Self::adjust_deposit(&mut info, deposit)?;
			info.allowlist_len = len;
			if accounts.is_empty() {
				Allowlists::<T>::remove(task);
			} else {
				Allowlists::<T>::insert(task, accounts);
			}
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::AllowlistSet { task, accounts: len, deposit });
			Ok(())
		}

		/// Fixes the feature scaling of a task that has not started a round: each feature `x`
		/// of every trainer's data and of the validation set becomes `(x − mean) / deviation`
		/// (millionths; a deviation of 0 makes the feature 0), one entry per input feature of
		/// the model; an empty list removes it. One scaling for the whole task, not each
		/// dataset's own, so that owners whose data differ stay different; a task owner pools
		/// the datasets' stated statistics into one with `cohort_primitives::scaling::pool`
		/// (`cohort-worker task scaling` does it from the chain). A round starts only once
		/// enough participants joined, so the owner sends it right after the task. Participants
		/// read it before they join. The deposit follows its size. Only the owner.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::set_feature_scaling(scaling.len() as u32))]
		pub fn set_feature_scaling(
			origin: OriginFor<T>,
			task: TaskId,
			scaling: FeatureScaling,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::live_task_of(&who, task)?;
			ensure!(
				info.next_round == 0 && !Rounds::<T>::contains_key(task, 0),
				Error::<T>::RoundsStarted
			);
			let features = scaling.len() as u32;
			ensure!(
				features == 0 || features == info.spec.model.input_features(),
				Error::<T>::ScalingMismatch
			);
			let deposit = Self::task_deposit(info.spec.rounds, info.allowlist_len, features)?;
			Self::adjust_deposit(&mut info, deposit)?;
			info.scaled_features = features;
			if scaling.is_empty() {
				FeatureScalings::<T>::remove(task);
			} else {
				FeatureScalings::<T>::insert(task, scaling);
			}
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::FeatureScalingSet { task, features, deposit });
			Ok(())
		}

		/// Publishes the model a task starts from (`InitialModel::Hash`): `model` must hash
		/// (BLAKE2-256) to the spec's hash and be an initial-model payload (kind 2, task and round
		/// 0, no samples) with the task's parameter count and scale, at most
		/// `max_payload_bytes`. Its bytes stay in this block's body; the task's global model is
		/// now this payload, which every worker reads as it reads an aggregate, and the first
		/// round may start. Until it is published no round starts (and the task expires after
		/// [`Config::TaskExpiry`]). `cohort-worker model import` turns a PyTorch safetensors
		/// file into such a payload. Only the owner, once, before the first round.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::publish_initial_model(model.len() as u32))]
		pub fn publish_initial_model(
			origin: OriginFor<T>,
			task: TaskId,
			model: BoundedVec<u8, T::MaxPayloadBytes>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::live_task_of(&who, task)?;
			let InitialModel::Hash(expected) = info.spec.initial_model else {
				return Err(Error::<T>::SeededTask.into());
			};
			// The first round needs it, so a task that has one has not started a round.
			ensure!(info.global_model.is_none(), Error::<T>::InitialModelAlreadyPublished);
			let payload_ref = Self::payload_ref(&model);
			ensure!(payload_ref.payload_hash == expected, Error::<T>::InitialModelMismatch);
			Self::check_payload(&info, 0, 0, PayloadKind::Initial, 0..=0, &model)?;
			info.global_model = Some(payload_ref.clone());
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::InitialModelPublished { task, model: payload_ref });
			Ok(())
		}

		/// Removes an ended task and everything kept for it, [`Config::TaskRetention`] blocks
		/// after it ended: its rounds and their summaries, its allowlist, and its participants,
		/// whose bonds are released. The owner's deposit goes back to the owner. Anyone may
		/// call it (it only cleans up).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::prune_task(
			T::MaxTrainersPerTask::get().saturating_add(T::MaxAggregatorsPerTask::get()),
			T::MaxRounds::get(),
		))]
		pub fn prune_task(origin: OriginFor<T>, task: TaskId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let (participants, rounds) = Self::do_prune(task)?;
			Ok(Some(T::WeightInfo::prune_task(participants, rounds)).into())
		}

		/// Commits a selected aggregator to its scores of the round's revealed updates:
		/// `commitment` is `score_commitment(who, task, round, scores, salt)` (see
		/// [`cohort_primitives::commitment`]), so nobody can copy another's scores. Only in the
		/// score phase, once per aggregator; the phase closes as soon as every selected
		/// aggregator has committed. After the committee was enlarged to score
		/// ([`Event::CommitteeEnlarged`]), only the added members commit.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::commit_scores(T::MaxAggregatorsPerRound::get())
			.saturating_add(Pallet::<T>::eviction_weight()))]
		pub fn commit_scores(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			commitment: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (mut info, mut record) = Self::current_round(task, round)?;
			ensure!(record.phase == Phase::Score, Error::<T>::WrongPhase);
			let first = Self::first_acting(&info, &record);
			if let Some(at) = record.aggregators.iter().position(|a| a.who == who) {
				ensure!(at >= first, Error::<T>::NotAnAddedAggregator);
			}
			let all_in = Self::commit_as_aggregator(&mut record, first, &who, commitment, |a| {
				&mut a.score_commitment
			})?;
			Self::deposit_event(Event::ScoresCommitted { task, round, who, commitment });

			if all_in {
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_score_commit(task, round, &mut info, &mut record, now);
				Tasks::<T>::insert(task, info);
			}
			Rounds::<T>::insert(task, round, record);
			Ok(())
		}

		/// Reveals the scores behind the caller's score commitment: one score (at most
		/// 1_000_000) per revealed update, in the order of the round's trainers. Only in the
		/// score reveal phase. When every aggregator who committed has revealed, or the phase
		/// ends, each update's score becomes the lower median of the revealed scores and the
		/// chain fixes the accepted updates.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::reveal_scores(
			T::MaxTrainersPerRound::get(),
			T::MaxAggregatorsPerRound::get(),
		)
		.saturating_add(Pallet::<T>::eviction_weight()))]
		pub fn reveal_scores(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			scores: BoundedVec<Score, T::MaxTrainersPerRound>,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (mut info, mut record) = Self::current_round(task, round)?;
			ensure!(record.phase == Phase::ScoreReveal, Error::<T>::WrongPhase);
			let at = record
				.aggregators
				.iter()
				.position(|a| a.who == who)
				.ok_or(Error::<T>::NotSelectedAggregator)?;
			let commitment =
				record.aggregators[at].score_commitment.ok_or(Error::<T>::NotCommitted)?;
			ensure!(record.aggregators[at].scores.is_none(), Error::<T>::AlreadyRevealed);
			ensure!(
				score_commitment(&who, task, round, &scores, &salt) == commitment,
				Error::<T>::CommitmentMismatch
			);
			ensure!(scores.len() == record.revealed_updates().count(), Error::<T>::WrongScoreCount);
			ensure!(scores.iter().all(|s| *s <= MAX_SCORE), Error::<T>::ScoreOutOfRange);
			Self::deposit_event(Event::ScoresRevealed {
				task,
				round,
				who,
				scores: scores.to_vec(),
			});
			record.aggregators[at].scores = Some(scores);

			let all_revealed = record
				.aggregators
				.iter()
				.all(|a| a.score_commitment.is_none() || a.scores.is_some());
			if all_revealed {
				let now = frame_system::Pallet::<T>::block_number();
				Self::close_score_reveal(task, round, &mut info, &mut record, now);
				Tasks::<T>::insert(task, info);
			}
			Rounds::<T>::insert(task, round, record);
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// `task`, if it exists, `who` owns it and it has not ended.
		fn live_task_of(who: &T::AccountId, task: TaskId) -> Result<TaskOf<T>, DispatchError> {
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.owner == *who, Error::<T>::NotOwner);
			ensure!(info.status.is_live(), Error::<T>::TaskEnded);
			Ok(info)
		}

		/// The task's round under way, if there is one.
		pub(crate) fn open_round(task: TaskId, info: &TaskOf<T>) -> Option<RoundOf<T>> {
			Rounds::<T>::get(task, info.next_round).filter(|r| !r.phase.is_closed())
		}

		/// Moves `who`'s task from status `from` to `to`; fails with `wrong_status` if it is not
		/// in `from`.
		fn switch_status(
			who: &T::AccountId,
			task: TaskId,
			from: TaskStatus,
			to: TaskStatus,
			wrong_status: Error<T>,
		) -> DispatchResult {
			Tasks::<T>::try_mutate(task, |info| {
				let info = info.as_mut().ok_or(Error::<T>::UnknownTask)?;
				ensure!(info.owner == *who, Error::<T>::NotOwner);
				ensure!(info.status == from, wrong_status);
				info.status = to;
				Ok(())
			})
		}

		/// The task and its round under way, checking that `round` is it.
		fn current_round(
			task: TaskId,
			round: RoundIndex,
		) -> Result<(TaskOf<T>, RoundOf<T>), DispatchError> {
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.next_round == round, Error::<T>::WrongRound);
			let record = Self::open_round(task, &info).ok_or(Error::<T>::WrongRound)?;
			Ok((info, record))
		}

		/// Records `commitment` in the commitment field `field` of `who`'s aggregator slot (scores
		/// or result: one per aggregator and round); returns whether every member acting in the
		/// phase (from `first` on) has now committed there, which closes the phase.
		fn commit_as_aggregator(
			record: &mut RoundOf<T>,
			first: usize,
			who: &T::AccountId,
			commitment: H256,
			field: fn(&mut AggregatorSlotOf<T>) -> &mut Option<H256>,
		) -> Result<bool, DispatchError> {
			let slot = record
				.aggregators
				.iter_mut()
				.find(|a| a.who == *who)
				.ok_or(Error::<T>::NotSelectedAggregator)?;
			let committed = field(slot);
			ensure!(committed.is_none(), Error::<T>::AlreadyCommitted);
			*committed = Some(commitment);
			Ok(record.aggregators.iter_mut().skip(first).all(|a| field(a).is_some()))
		}

		/// Where the payload in the extrinsic being applied is.
		fn payload_ref(bytes: &[u8]) -> PayloadRef<BlockNumberFor<T>> {
			PayloadRef {
				payload_hash: H256(sp_io::hashing::blake2_256(bytes)),
				len: bytes.len() as u32,
				block: frame_system::Pallet::<T>::block_number(),
				extrinsic_index: frame_system::Pallet::<T>::extrinsic_index().unwrap_or_default(),
			}
		}

		/// Releases a participant's bond and removes it from the task; a trainer's dataset
		/// leaves the task in the data market.
		pub(crate) fn release_participant(
			task: TaskId,
			info: &mut TaskOf<T>,
			who: &T::AccountId,
			participant: Participant<T::AccountId, BalanceOf<T>>,
		) {
			T::Stake::release(who, participant.role, participant.bond);
			match participant.role {
				Role::Trainer => info.trainers.saturating_dec(),
				Role::Aggregator => info.aggregators.saturating_dec(),
				Role::DataOwner | Role::ComputeProvider => {
					frame_support::defensive!("participants are trainers or aggregators");
				},
			}
			if let Some(dataset) = participant.dataset {
				T::DataMarket::leave(task, dataset.id);
			}
			Participants::<T>::remove(task, who);
			Self::deposit_event(Event::Left { task, who: who.clone(), bond: participant.bond });
		}

		/// Slashes the task's `penalty` of a participant's bond for `offence` (the stake keeper
		/// sends it to the treasury), and in a `public` round the offence counts as work of no
		/// quality in the role (a private one moves no reputation).
		pub(crate) fn slash(
			task: TaskId,
			round: RoundIndex,
			info: &TaskOf<T>,
			public: bool,
			who: &T::AccountId,
			offence: Offence,
		) {
			Participants::<T>::mutate(task, who, |p| {
				let Some(p) = p else { return };
				// A rejected update's score is its judgement already.
				if offence != Offence::Rejected && public {
					T::Contributions::note_quality(who, p.role, 0);
				}
				let amount = info.spec.penalty * p.bond;
				if amount.is_zero() {
					return;
				}
				let slashed = T::Stake::slash(who, p.role, amount, None);
				p.bond = p.bond.saturating_sub(slashed);
				Self::deposit_event(Event::Slashed {
					task,
					round,
					who: who.clone(),
					offence,
					amount: slashed,
				});
			});
		}

		/// Ends a task: removes it from the active list and releases the rest of the budget.
		/// The deposit stays held until the task is pruned.
		pub(crate) fn end_task(
			task: TaskId,
			info: &mut TaskOf<T>,
			status: TaskStatus,
		) -> Result<BalanceOf<T>, DispatchError> {
			ActiveTasks::<T>::mutate(|active| active.retain(|t| *t != task));
			LiveTasksOf::<T>::mutate_exists(&info.owner, |live| {
				*live = live.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0)
			});
			let refund = T::Currency::release(
				&HoldReason::TaskBudget.into(),
				&info.owner,
				info.budget,
				Precision::BestEffort,
			)?;
			info.budget = Zero::zero();
			info.status = status;
			info.ended = Some(frame_system::Pallet::<T>::block_number());
			Ok(refund)
		}
	}
}
