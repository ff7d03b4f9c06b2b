//! How the `federated` pallet reaches the rest of the chain. The data market implements
//! [`DataMarket`]; the compute leases and the incentives pallet will implement the others; until
//! they land, the runtime wires in the `()` implementations below.

use sp_runtime::DispatchError;

use crate::{
	dataset::{DatasetRules, DatasetTerms, DatasetUse, Epsilon},
	DatasetId, ModelSpec, RoundIndex, Score, TaskId,
};

/// What a participant does in a task.
#[derive(
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	scale_info::TypeInfo,
)]
pub enum Role {
	Trainer,
	Aggregator,
}

/// What the federated pallet tells the data market when a trainer joins a task with a dataset.
pub struct DatasetRequest<'a, Balance> {
	pub task: TaskId,
	/// The model the task trains: the dataset's schema must fit it.
	pub model: &'a ModelSpec,
	pub rules: &'a DatasetRules<Balance>,
	/// The ε each round costs a dataset drawn into it (the task trains with differential
	/// privacy), or `None`.
	pub epsilon: Option<Epsilon>,
}

/// How the `federated` pallet reaches the data market: who may train on a dataset, on what
/// terms, what its privacy budget still allows, and how royalties and lineage are settled when
/// a round finalizes. The data market owns every dataset's money flows and records.
pub trait DataMarket<AccountId, Balance, Reason> {
	/// Checks that `who` may train the task on `dataset` (its owner or a worker the owner
	/// authorised; listed; the schema fits; the task's rules allow it; not in the task already)
	/// and records the dataset as in the task. The error is the data market's own.
	fn join(
		who: &AccountId,
		dataset: DatasetId,
		request: DatasetRequest<'_, Balance>,
	) -> Result<DatasetTerms<AccountId, Balance>, DispatchError>;

	/// The dataset is no longer in the task (its trainer left, or the task was pruned).
	fn leave(task: TaskId, dataset: DatasetId);

	/// Whether the dataset's privacy budget can pay `epsilon` now.
	fn can_spend_privacy(dataset: DatasetId, epsilon: Epsilon) -> bool;

	/// Debits `epsilon` from the dataset's privacy budget if it can pay; says whether it did.
	fn spend_privacy(dataset: DatasetId, epsilon: Epsilon) -> bool;

	/// An update trained on the dataset earned `score` (it moves the dataset's reputation).
	fn record_score(dataset: DatasetId, score: Score);

	/// Pays each use's royalty to the dataset's owner out of `payer`'s funds held for `reason`
	/// (the task's budget), and records the round's lineage. Returns what was paid. Nothing is
	/// created or lost: a royalty that cannot be paid is not recorded as paid.
	fn settle_round(
		task: TaskId,
		round: RoundIndex,
		payer: &AccountId,
		reason: &Reason,
		uses: &[DatasetUse<AccountId, Balance>],
	) -> Balance;

	/// Lists a dataset for `owner` that fits `model`, for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_dataset(owner: &AccountId, model: &ModelSpec, samples: u32) -> DatasetId;
}

/// No data market: every dataset id is accepted, belongs to the trainer, pays no royalty and
/// has no privacy budget.
impl<AccountId: Clone, Balance: Default, Reason> DataMarket<AccountId, Balance, Reason> for () {
	fn join(
		who: &AccountId,
		_: DatasetId,
		_: DatasetRequest<'_, Balance>,
	) -> Result<DatasetTerms<AccountId, Balance>, DispatchError> {
		Ok(DatasetTerms { owner: who.clone(), royalty: Balance::default(), samples: u32::MAX })
	}
	fn leave(_: TaskId, _: DatasetId) {}
	fn can_spend_privacy(_: DatasetId, _: Epsilon) -> bool {
		true
	}
	fn spend_privacy(_: DatasetId, _: Epsilon) -> bool {
		true
	}
	fn record_score(_: DatasetId, _: Score) {}
	fn settle_round(
		_: TaskId,
		_: RoundIndex,
		_: &AccountId,
		_: &Reason,
		_: &[DatasetUse<AccountId, Balance>],
	) -> Balance {
		Balance::default()
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_dataset(_: &AccountId, _: &ModelSpec, _: u32) -> DatasetId {
		0
	}
}

/// Whether an account has the compute to aggregate (the compute-lease pallet decides).
pub trait ComputeAccess<AccountId> {
	fn may_aggregate(who: &AccountId) -> bool;
}

/// Every account may aggregate: until compute leases land, a bond is the only requirement.
impl<AccountId> ComputeAccess<AccountId> for () {
	fn may_aggregate(_: &AccountId) -> bool {
		true
	}
}

/// Told of every reward a round pays, e.g. so that the data market can credit a dataset's owner.
pub trait RewardObserver<AccountId, Balance> {
	fn on_reward(task: TaskId, round: RoundIndex, who: &AccountId, role: Role, amount: Balance);
}

impl<AccountId, Balance> RewardObserver<AccountId, Balance> for () {
	fn on_reward(_: TaskId, _: RoundIndex, _: &AccountId, _: Role, _: Balance) {}
}
