//! The runtime API a worker asks "what should this key do now", so that it never scans the
//! chain blindly: every payload it needs comes with the block and extrinsic that carry it.

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{
	compute::{ComputeDuty, Lease, LeaseId, Offer},
	dataset::{DatasetTask, RoundLineage},
	scaling::FeatureStats,
	traits::Role,
	DatasetId, DatasetInfo, PayloadRef, RoundIndex, RoundSummary, TaskId, TaskInfo, TaskSpec,
};
use sp_runtime::DispatchError;

/// One thing an account must do now.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub enum Duty<AccountId, BlockNumber> {
	/// Train on `dataset` from the global model (`None`: the task's initial model), then commit
	/// `update_commitment(who, task, round, update, salt)` before the end of block `commit_by`.
	Train {
		task: TaskId,
		round: RoundIndex,
		dataset: DatasetId,
		global_model: Option<PayloadRef<BlockNumber>>,
		commit_by: BlockNumber,
	},
	/// Reveal the update and salt behind `commitment` before the end of block `reveal_by`.
	Reveal { task: TaskId, round: RoundIndex, commitment: H256, reveal_by: BlockNumber },
	/// Score each of `updates` (in this order) against the global model on the validation set,
	/// and commit `score_commitment(who, task, round, scores, salt)` before the end of block
	/// `commit_by`.
	Score {
		task: TaskId,
		round: RoundIndex,
		global_model: Option<PayloadRef<BlockNumber>>,
		updates: Vec<(AccountId, PayloadRef<BlockNumber>)>,
		commit_by: BlockNumber,
	},
	/// Reveal the scores and salt behind `commitment` before the end of block `reveal_by`.
	RevealScores { task: TaskId, round: RoundIndex, commitment: H256, reveal_by: BlockNumber },
	/// Aggregate exactly the accepted `updates` (in this order, each weighted by its samples)
	/// onto the global model with the task's rule, measure the new model on the validation set,
	/// and commit `aggregate_commitment(who, task, round, aggregate, metrics, salt)` before the
	/// end of block `commit_by`.
	Aggregate {
		task: TaskId,
		round: RoundIndex,
		global_model: Option<PayloadRef<BlockNumber>>,
		updates: Vec<AcceptedUpdate<AccountId, BlockNumber>>,
		commit_by: BlockNumber,
	},
	/// Reveal the aggregate hash, metrics and salt behind `commitment` before the end of block
	/// `reveal_by`. `payload_known` lists the aggregate hashes whose payload an earlier reveal
	/// carried; a reveal of any other hash must carry its payload.
	RevealAggregate {
		task: TaskId,
		round: RoundIndex,
		commitment: H256,
		payload_known: Vec<H256>,
		reveal_by: BlockNumber,
	},
}

/// An update the scores accepted into the model.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct AcceptedUpdate<AccountId, BlockNumber> {
	pub who: AccountId,
	pub update: PayloadRef<BlockNumber>,
	/// Its weight in the weighted mean: the samples its header claims (bounded by the task).
	pub samples: u32,
}

/// A task an account has joined.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Membership {
	pub task: TaskId,
	pub role: Role,
	/// The dataset it trains on (trainers).
	pub dataset: Option<DatasetId>,
	/// The round under way, if it was selected for it.
	pub selected_in: Option<RoundIndex>,
}

/// A reward an account can claim from the incentives pallet: its points in a role in a closed
/// era, and what they pay.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct PendingReward<Balance> {
	pub era: u32,
	pub role: Role,
	/// The account's points in the role in that era.
	pub points: Balance,
	/// Every account's points in the role in that era.
	pub role_points: Balance,
	/// What a claim pays: the role's payout × points / role points, rounded down.
	pub amount: Balance,
	/// The reward expires when this era closes (it can be claimed while it is under way).
	pub claimable_until: u32,
}

/// What creating a task with a given spec holds from its owner and asks of its participants,
/// as the chain computes it (`FederatedApi::quote_task`): a client shows it before anything is
/// signed, and `create_task` holds exactly this.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct TaskQuote<Balance> {
	/// Parameters of the model the spec names.
	pub parameter_count: u32,
	/// Bytes of one update or aggregate payload (header included).
	pub payload_bytes: u32,
	/// Held for rewards: every round's reward and the most royalties its updates can earn.
	/// What rounds do not spend goes back when the task ends.
	pub budget: Balance,
	/// Held for the task's storage until it is pruned.
	pub deposit: Balance,
	/// The smallest bond a trainer may join with.
	pub min_trainer_bond: Balance,
	/// The smallest bond an aggregator may join with.
	pub min_aggregator_bond: Balance,
}

/// An account's stake in one role (`IncentivesApi::stake`): what backs its bonds in tasks and
/// leases, and what it can take out.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct RoleStake<Balance> {
	pub role: Role,
	/// Bonded (held), including what is committed.
	pub active: Balance,
	/// The part of `active` that backs task bonds and leases and cannot be unbonded.
	pub committed: Balance,
	/// Unbonded and waiting out the unbonding period (still held, still slashable).
	pub unlocking: Balance,
}

/// What an account can claim now, and the era under way.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Rewards<Balance> {
	pub current_era: u32,
	/// Oldest era first, roles in `Role::ALL`'s order.
	pub pending: Vec<PendingReward<Balance>>,
}

sp_api::decl_runtime_apis! {
	/// Federated-learning tasks and rounds, as workers and clients need them.
	///
	/// `Round` is the runtime's round record (`RoundInfo` with its bounds).
	pub trait FederatedApi<AccountId, Balance, BlockNumber, Round>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
		Round: Codec,
	{
		/// What `who` must do now, in every task it has joined.
		fn duties(who: AccountId) -> Vec<Duty<AccountId, BlockNumber>>;
		/// The tasks `who` has joined.
		fn memberships(who: AccountId) -> Vec<Membership>;
		/// A task.
		fn task(task: TaskId) -> Option<TaskInfo<AccountId, Balance, BlockNumber>>;
		/// A round of a task, under way or recently finished (older rounds are pruned to a
		/// summary).
		fn round(task: TaskId, round: RoundIndex) -> Option<Round>;
		/// What is kept of a finished round once its full record is pruned.
		fn round_summary(task: TaskId, round: RoundIndex) -> Option<RoundSummary<Balance, BlockNumber>>;
		/// Every finished round of a task, oldest first: outcome, updates revealed and
		/// accepted, the new model's validation metrics, and what the round paid in rewards
		/// and in royalties.
		fn round_history(task: TaskId) -> Vec<(RoundIndex, RoundSummary<Balance, BlockNumber>)>;
		/// The feature scaling every participant of a task applies to its data and to the
		/// validation set before the model sees them (`None`: features are used as they are).
		fn feature_scaling(task: TaskId) -> Option<Vec<FeatureStats>>;
		/// What `create_task(spec)` would hold and ask, or the error it would fail with (the
		/// spec checked by the chain's own rules); nothing is created.
		fn quote_task(spec: TaskSpec<Balance, BlockNumber>) -> Result<TaskQuote<Balance>, DispatchError>;
		/// Every live task, and whether `who` could join it now as a trainer with `dataset` and
		/// the task's minimum bond: `Ok`, or the error `federated.join` would fail with (the
		/// join itself is tried and undone, so every rule of the chain is applied, the data
		/// market's too). Oldest task first.
		fn joinable_tasks(who: AccountId, dataset: DatasetId) -> Vec<(TaskId, Result<(), DispatchError>)>;
	}

	/// The data market: datasets, and the lineage that traces a model to its data.
	pub trait DataMarketApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// A dataset: its listing, status, deposit, privacy spent, reputation and earnings.
		fn dataset(dataset: DatasetId) -> Option<DatasetInfo<AccountId, Balance, BlockNumber>>;
		/// The datasets `owner` has listed (and not yet gone), by id.
		fn datasets_of(owner: AccountId) -> Vec<(DatasetId, DatasetInfo<AccountId, Balance, BlockNumber>)>;
		/// The per-feature statistics a dataset's owner stated (what task owners pool into a
		/// task's feature scaling), if any.
		fn feature_stats(dataset: DatasetId) -> Option<Vec<FeatureStats>>;
		/// Which datasets, owners and trainers trained each finalized round of a task's model,
		/// oldest round first, with the royalty each was paid.
		fn task_lineage(task: TaskId) -> Vec<RoundLineage<AccountId, Balance>>;
		/// Every task a dataset has joined, with the rounds it trained and what it earned.
		fn dataset_tasks(dataset: DatasetId) -> Vec<DatasetTask<Balance>>;
	}

	/// Emission rewards.
	pub trait IncentivesApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// What `who` can claim now (`incentives.claim(who, era, role)` for each), and the era
		/// under way.
		fn pending_rewards(who: AccountId) -> Rewards<Balance>;
		/// `who`'s stake in each role it has any in, in `Role::ALL`'s order.
		fn stake(who: AccountId) -> Vec<RoleStake<Balance>>;
	}

	/// Compute leases: offers, leases, and what a worker must do for them.
	pub trait ComputeLeaseApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// What `worker` must do now: heartbeats, challenges to answer or verify, consumers
		/// to serve.
		fn compute_duties(worker: AccountId) -> Vec<ComputeDuty<AccountId, BlockNumber>>;
		/// The offer of `worker`, if it registered one.
		fn offer(worker: AccountId) -> Option<Offer<Balance, BlockNumber>>;
		/// A running lease.
		fn lease(lease: LeaseId) -> Option<Lease<AccountId, Balance, BlockNumber>>;
		/// The running leases of `worker`'s offer, by id.
		fn leases_of(worker: AccountId) -> Vec<(LeaseId, Lease<AccountId, Balance, BlockNumber>)>;
		/// The least bond a new offer needs now (it grows as the list of offers fills).
		fn min_offer_bond() -> Balance;
	}
}
