//! How the pallets reach each other. The data market implements [`DataMarket`]; the incentives
//! pallet implements [`Stake`] and [`Contributions`]; the compute-lease pallet implements
//! [`ComputeAccess`]. Mocks and chains without one of them wire in the `()` implementations below.

use sp_runtime::DispatchError;

use crate::{
	dataset::{DatasetRules, DatasetTerms, DatasetUse, Epsilon},
	DatasetId, ModelSpec, RoundIndex, Score, TaskId,
};

/// What an account does for the network: the roles that stake, earn emission and build a
/// reputation. A task's participants are trainers or aggregators; data owners are paid through
/// their datasets, compute providers through their leases.
#[derive(
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Hash,
	Ord,
	Debug,
	scale_info::TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Role {
	/// Trains updates on a dataset in federated tasks.
	Trainer,
	/// Scores and aggregates updates in federated tasks.
	Aggregator,
	/// Lists datasets that tasks train on.
	DataOwner,
	/// Leases worker capacity to others.
	ComputeProvider,
}

impl Role {
	/// Every role, in order.
	pub const ALL: [Role; 4] =
		[Role::Trainer, Role::Aggregator, Role::DataOwner, Role::ComputeProvider];
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
	/// created or lost: a royalty that cannot be paid is not recorded as paid. A royalty counts
	/// towards emission only if `earns_emission` (a public task) and its dataset's owner is not
	/// the payer (paying oneself is not demand).
	fn settle_round(
		task: TaskId,
		round: RoundIndex,
		payer: &AccountId,
		reason: &Reason,
		uses: &[DatasetUse<AccountId, Balance>],
		earns_emission: bool,
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
		_: bool,
	) -> Balance {
		Balance::default()
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_dataset(_: &AccountId, _: &ModelSpec, _: u32) -> DatasetId {
		0
	}
}

/// What compute leases allow (the compute-lease pallet decides): whether an account may
/// aggregate, and whether a worker serves a consumer under a running lease, in which case it
/// acts for the consumer: it may join the consumer's allowlisted tasks, and train on the
/// consumer's datasets as if the consumer had authorised it.
pub trait ComputeAccess<AccountId> {
	/// Whether `who` may aggregate (a registered worker that failed its last challenge may not).
	fn may_aggregate(who: &AccountId) -> bool;
	/// Whether `worker` serves `consumer` under a running lease now.
	fn serves(worker: &AccountId, consumer: &AccountId) -> bool;
	/// The most storage reads one [`serves`](Self::serves) makes, for the weights of the calls
	/// that ask it.
	fn serves_reads() -> u64;
}

/// No compute leases: every account may aggregate, and no worker serves anyone.
impl<AccountId> ComputeAccess<AccountId> for () {
	fn may_aggregate(_: &AccountId) -> bool {
		true
	}
	fn serves(_: &AccountId, _: &AccountId) -> bool {
		false
	}
	fn serves_reads() -> u64 {
		0
	}
}

/// Where an account's stake in a role lives (the incentives pallet). Other pallets never hold
/// bonds themselves: they *commit* part of an account's stake to a duty (a task, a lease), which
/// then cannot be unbonded, release it when the duty ends, and slash it for misbehaviour.
pub trait Stake<AccountId, Balance> {
	/// Commits `amount` of `who`'s stake in `role` to a duty. Stake that is bonded and not yet
	/// committed is used first; what it lacks is bonded from `who`'s free balance.
	fn commit(who: &AccountId, role: Role, amount: Balance) -> Result<(), DispatchError>;

	/// Releases `amount` of committed stake: it stays bonded, free to back another duty or to
	/// be unbonded.
	fn release(who: &AccountId, role: Role, amount: Balance);

	/// Takes up to `amount` of `who`'s stake in `role` (committed stake first, then the rest of
	/// the bonded stake, then stake that is unbonding) and sends it to the treasury, with a share
	/// to `reporter` if there is one. Returns what was taken; committed stake shrinks by as much.
	fn slash(who: &AccountId, role: Role, amount: Balance, reporter: Option<&AccountId>)
		-> Balance;

	/// How much of `who`'s stake in `role` is committed to duties.
	fn committed(who: &AccountId, role: Role) -> Balance;
}

/// Where pallets report what accounts contributed (the incentives pallet): it pays each era's
/// emission in proportion, and keeps a reputation per account and role.
pub trait Contributions<AccountId, Balance> {
	/// `who` contributed work in `role` worth `points` in the current era. Every pallet reports
	/// the COH that a task owner or a consumer paid for the work, so that emission follows what
	/// the market pays for.
	fn note_contribution(who: &AccountId, role: Role, points: Balance);

	/// `who`'s work in `role` was judged: `quality` in millionths (a trainer's score, an
	/// aggregator's agreement with the quorum). It moves `who`'s reputation in the role.
	fn note_quality(who: &AccountId, role: Role, quality: Score);

	/// `who`'s reputation in `role`, in millionths, or `None` before any work was judged.
	fn reputation(who: &AccountId, role: Role) -> Option<Score>;
}

impl<AccountId, Balance> Contributions<AccountId, Balance> for () {
	fn note_contribution(_: &AccountId, _: Role, _: Balance) {}
	fn note_quality(_: &AccountId, _: Role, _: Score) {}
	fn reputation(_: &AccountId, _: Role) -> Option<Score> {
		None
	}
}
