//! What the worker needs from a chain, as a trait: the node implements it over its client and
//! transaction pool (`--ml-worker`); the standalone `cohort-worker` over a node's JSON-RPC.

use std::time::Duration;

use cohort_primitives::{
	api::{Duty, Membership, Rewards},
	compute::{ChallengeId, ComputeDuty, Hardware, Lease, LeaseId, Offer, OfferTerms},
	scaling::FeatureStats,
	traits::Role,
	DatasetId, DatasetInfo, PayloadRef, RoundIndex, RoundMetrics, Score, TaskId, TaskInfo,
	TaskSpec,
};
use sp_core::{sr25519, H256};

pub type AccountId = sp_runtime::AccountId32;
pub type BlockNumber = u32;
pub type Balance = u128;
pub type Task = TaskInfo<AccountId, Balance, BlockNumber>;
pub type WorkerDuty = Duty<AccountId, BlockNumber>;
pub type Payload = PayloadRef<BlockNumber>;
/// A dataset's record in the data market.
pub type DatasetView = DatasetInfo<AccountId, Balance, BlockNumber>;
/// A compute duty of a worker key (`ComputeLeaseApi::compute_duties`).
pub type ComputeWorkerDuty = ComputeDuty<AccountId, BlockNumber>;
/// A worker's offer of compute, as the chain keeps it.
pub type ComputeOffer = Offer<Balance, BlockNumber>;
/// What a compute offer asks: slots, price, lease lengths, bond.
pub type Terms = OfferTerms<Balance, BlockNumber>;
/// A running compute lease.
pub type ComputeLease = Lease<AccountId, Balance, BlockNumber>;

/// An extrinsic the worker wants signed by one of its keys and submitted.
// A task spec is large and the other actions small; actions are made one at a time and sent at
// once, never kept in bulk, so boxing the spec would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
	/// `Federated::create_task` (the dev demo task).
	CreateTask { spec: TaskSpec<Balance, BlockNumber> },
	/// `Federated::join` as a trainer on `dataset`, or as an aggregator (`dataset: None`).
	Join { task: TaskId, dataset: Option<DatasetId>, bond: Balance },
	/// `Federated::commit_update`.
	Commit { task: TaskId, round: RoundIndex, commitment: H256 },
	/// `Federated::reveal_update`.
	Reveal { task: TaskId, round: RoundIndex, update: Vec<u8>, salt: [u8; 32] },
	/// `Federated::commit_scores`.
	CommitScores { task: TaskId, round: RoundIndex, commitment: H256 },
	/// `Federated::reveal_scores`: one score per revealed update, in the round's order.
	RevealScores { task: TaskId, round: RoundIndex, scores: Vec<Score>, salt: [u8; 32] },
	/// `Federated::commit_aggregate`.
	CommitAggregate { task: TaskId, round: RoundIndex, commitment: H256 },
	/// `Federated::reveal_aggregate`: the payload travels only if no earlier reveal carried it.
	RevealAggregate {
		task: TaskId,
		round: RoundIndex,
		aggregate: H256,
		metrics: RoundMetrics,
		salt: [u8; 32],
		payload: Option<Vec<u8>>,
	},
	/// `Federated::leave`.
	Leave { task: TaskId },
	/// `ComputeLease::settle`: the lease's worker is paid for the blocks served so far.
	Settle { lease: LeaseId },
	/// `Incentives::claim`: `who`'s reward for `role` in closed `era`.
	Claim { who: AccountId, era: u32, role: Role },
	/// `ComputeLease::register_offer`: the worker's detected hardware, its own benchmark
	/// score, and the terms it offers.
	RegisterOffer { hardware: Hardware, claimed_score: u32, terms: Terms },
	/// `ComputeLease::heartbeat`.
	Heartbeat,
	/// `ComputeLease::commit_challenge`: `challenge_commitment(signer, id, answer, salt)`.
	CommitChallenge { id: ChallengeId, commitment: H256 },
	/// `ComputeLease::reveal_challenge`.
	RevealChallenge { id: ChallengeId, answer: H256, salt: [u8; 32] },
}

/// A chain call that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ChainError(pub String);

/// What became of one extrinsic of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
	/// The extrinsic's hash, as [`Chain::submit`] returns it.
	pub extrinsic: H256,
	/// `None`: dispatched successfully. `Some(name)`: the runtime refused it, with this error
	/// (`Federated::CommitmentMismatch`, say); the fee is paid, the call changed nothing.
	pub error: Option<String>,
}

/// A trainer's slot in a round, as the worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainerView {
	pub who: AccountId,
	/// Its commitment, once committed.
	pub commitment: Option<H256>,
	/// Where its update is, once revealed and accepted.
	pub update: Option<Payload>,
	/// The median of the aggregators' scores of its update, once the scores are in.
	pub score: Option<Score>,
	/// Whether its update enters the model.
	pub accepted: bool,
}

/// An aggregator's slot in a round, as the worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatorView {
	pub who: AccountId,
	/// Its commitment to scores, once committed.
	pub score_commitment: Option<H256>,
	/// The scores it revealed, once accepted.
	pub scores: Option<Vec<Score>>,
	/// Its commitment to a result, once committed.
	pub commitment: Option<H256>,
	/// The aggregate hash and metrics it revealed, once accepted.
	pub revealed: Option<(H256, RoundMetrics)>,
}

/// A round of a task, as the worker needs it (the runtime's round record, trimmed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundView {
	pub trainers: Vec<TrainerView>,
	pub aggregators: Vec<AggregatorView>,
	/// The global model the round started from (`None`: the task's initial model).
	pub global_model: Option<Payload>,
	/// The aggregate it finalized, if it did.
	pub finalized: Option<H256>,
}

/// A round as the runtime API returns it (`FederatedApi::round`), with bounds large enough for
/// any runtime: a bounded vector decodes as a vector no longer than its bound.
pub type RoundRecord = cohort_primitives::RoundInfo<
	AccountId,
	Balance,
	BlockNumber,
	sp_core::ConstU32<{ u32::MAX }>,
	sp_core::ConstU32<{ u32::MAX }>,
>;

impl<MaxTrainers, MaxAggregators>
	From<cohort_primitives::RoundInfo<AccountId, Balance, BlockNumber, MaxTrainers, MaxAggregators>>
	for RoundView
where
	MaxTrainers: sp_core::Get<u32>,
	MaxAggregators: sp_core::Get<u32>,
{
	fn from(
		record: cohort_primitives::RoundInfo<
			AccountId,
			Balance,
			BlockNumber,
			MaxTrainers,
			MaxAggregators,
		>,
	) -> Self {
		let trainers = record
			.trainers
			.into_iter()
			.map(|t| TrainerView {
				who: t.who,
				commitment: t.commitment,
				update: t.update,
				score: t.score,
				accepted: t.accepted,
			})
			.collect();
		let aggregators = record
			.aggregators
			.into_iter()
			.map(|a| AggregatorView {
				who: a.who,
				score_commitment: a.score_commitment,
				scores: a.scores.map(|s| s.into_inner()),
				commitment: a.commitment,
				revealed: a.submission.map(|s| (s.aggregate, s.metrics)),
			})
			.collect();
		let finalized = match record.phase {
			cohort_primitives::Phase::Finalized { aggregate } => Some(aggregate),
			_ => None,
		};
		RoundView { trainers, aggregators, global_model: record.global_model, finalized }
	}
}

/// The chain as the worker sees it, at its best block.
pub trait Chain {
	/// The best block's number.
	fn best_number(&self) -> BlockNumber;
	/// The time between blocks (the Aura slot): with a task's last measured work time, it says
	/// whether work started now can land before its deadline.
	fn block_time(&self) -> Duration;
	/// What `who` must do now (the `FederatedApi::duties` runtime API).
	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError>;
	/// What `who` must do now as a compute worker (the `ComputeLeaseApi::compute_duties`
	/// runtime API): heartbeats, challenges to answer and reveal, consumers to serve.
	fn compute_duties(&self, who: &AccountId) -> Result<Vec<ComputeWorkerDuty>, ChainError>;
	/// `who`'s compute offer, if it registered one (`ComputeLeaseApi::offer`).
	fn offer(&self, who: &AccountId) -> Result<Option<ComputeOffer>, ChainError>;
	/// A running lease (`ComputeLeaseApi::lease`).
	fn lease(&self, lease: LeaseId) -> Result<Option<ComputeLease>, ChainError>;
	/// The tasks `who` has joined.
	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError>;
	/// A task, or `None` past the last one (or once it is pruned).
	fn task(&self, task: TaskId) -> Result<Option<Task>, ChainError>;
	/// The feature scaling a task's owner fixed, if any: trainers apply it to their data and
	/// aggregators to the validation set.
	fn feature_scaling(&self, task: TaskId) -> Result<Option<Vec<FeatureStats>>, ChainError>;
	/// A dataset as the data market keeps it (its listing says what its file commits to).
	fn dataset(&self, id: DatasetId) -> Result<Option<DatasetView>, ChainError>;
	/// What `who` can claim from the incentives pallet, and the era under way.
	fn pending_rewards(&self, who: &AccountId) -> Result<Rewards<Balance>, ChainError>;
	/// A round of a task, while the chain keeps its full record.
	fn round(&self, task: TaskId, round: RoundIndex) -> Result<Option<RoundView>, ChainError>;
	/// The bytes of a payload, read from the block body it names and checked against its hash.
	fn payload(&self, at: &Payload) -> Result<Vec<u8>, ChainError>;
	/// Signs `action` with the worker key `signer`, submits it to the transaction pool, and
	/// returns the extrinsic's hash (what [`Outcome::extrinsic`] names once it is in a block).
	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<H256, ChainError>;
	/// The outcome of every extrinsic in block `number` of the best chain, in block order;
	/// `Ok(None)` if there is no such block (yet).
	fn outcomes(&self, number: BlockNumber) -> Result<Option<Vec<Outcome>>, ChainError>;
}
