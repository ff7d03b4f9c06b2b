//! What the worker needs from a chain, as a trait: the node implements it over its client and
//! transaction pool; a separate process could implement it over RPC.

use cohort_primitives::{
	api::{Duty, Membership},
	DatasetId, PayloadRef, RoundIndex, Score, TaskId, TaskInfo, TaskSpec,
};
use sp_core::{sr25519, H256};

pub type AccountId = sp_runtime::AccountId32;
pub type BlockNumber = u32;
pub type Balance = u128;
pub type Task = TaskInfo<AccountId, Balance, BlockNumber>;
pub type WorkerDuty = Duty<AccountId, BlockNumber>;
pub type Payload = PayloadRef<BlockNumber>;

/// An extrinsic the worker wants signed by one of its keys and submitted.
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
	/// `Federated::submit_aggregate`.
	Aggregate {
		task: TaskId,
		round: RoundIndex,
		aggregate: H256,
		scores: Vec<Score>,
		payload: Option<Vec<u8>>,
	},
}

/// A chain call that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ChainError(pub String);

/// The chain as the worker sees it, at its best block.
pub trait Chain {
	/// The best block's number.
	fn best_number(&self) -> BlockNumber;
	/// What `who` must do now (the `FederatedApi::duties` runtime API).
	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError>;
	/// The tasks `who` has joined.
	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError>;
	/// A task, or `None` past the last one.
	fn task(&self, task: TaskId) -> Result<Option<Task>, ChainError>;
	/// The bytes of a payload, read from the block body it names and checked against its hash.
	fn payload(&self, at: &Payload) -> Result<Vec<u8>, ChainError>;
	/// Signs `action` with the worker key `signer` and submits it to the transaction pool.
	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<(), ChainError>;
}
