//! A test runtime: System, Balances and the federated pallet, with a test data market and a
//! test stake keeper (the incentives pallet's part).

use crate as pallet_federated;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Hooks},
};
use sp_core::H256;
use sp_runtime::{traits::Hash, BuildStorage};

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Federated: pallet_federated,
		Stake: stake,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Where slashed bonds go.
pub const TREASURY: AccountId = 999;
/// An account the mock compute market refuses.
pub const NO_COMPUTE: AccountId = 666;

/// Payload bytes a task may count on per block.
pub const BLOCK_PAYLOAD_BYTES: u32 = 2048;
/// The fixed part of a task's deposit.
pub const DEPOSIT_BASE: Balance = 1_000;
/// Blocks without a round after which a live task expires.
pub const TASK_EXPIRY: u64 = 50;
/// Live tasks one owner may have.
pub const MAX_TASKS_PER_OWNER: u32 = 3;
/// Failed rounds in a row that evict a task.
pub const FAILED_ROUNDS_TO_EVICT: u32 = 3;
/// Blocks after its end before a task may be pruned.
pub const TASK_RETENTION: u64 = 20;

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const MinPenalty: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(1);
}

/// Test randomness: the hash of the subject and the block number, so draws change per block.
pub struct TestRandomness;
impl frame_support::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let now = System::block_number();
		(<Test as frame_system::Config>::Hashing::hash_of(&(subject, now)), now.saturating_sub(1))
	}
}

pub use market::*;

pub struct TestCompute;
impl cohort_primitives::traits::ComputeAccess<AccountId> for TestCompute {
	fn may_aggregate(who: &AccountId) -> bool {
		*who != NO_COMPUTE
	}
	fn serves(worker: &AccountId, consumer: &AccountId) -> bool {
		LEASES.with(|l| l.borrow().contains(&(*worker, *consumer)))
	}
	fn serves_reads() -> u64 {
		1
	}
}

thread_local! {
	/// Running compute leases, as (worker, consumer).
	pub static LEASES: core::cell::RefCell<Vec<(AccountId, AccountId)>> = const { core::cell::RefCell::new(Vec::new()) };
}

impl pallet_federated::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = TestRandomness;
	type DataMarket = TestMarket;
	type ComputeAccess = TestCompute;
	type Stake = Stake;
	type Contributions = Stake;
	type MaxTrainersPerRound = ConstU32<8>;
	type MaxAggregatorsPerRound = ConstU32<5>;
	type MaxTrainersPerTask = ConstU32<12>;
	type MaxAggregatorsPerTask = ConstU32<6>;
	type MaxAllowlist = ConstU32<8>;
	type MaxActiveTasks = ConstU32<4>;
	type MaxActiveTasksPerOwner = ConstU32<MAX_TASKS_PER_OWNER>;
	type FailedRoundsToEvict = ConstU32<FAILED_ROUNDS_TO_EVICT>;
	type OnForfeit = frame_support::traits::tokens::imbalance::ResolveTo<Treasury, Balances>;
	type MaxRounds = ConstU32<10>;
	type MaxPayloadBytes = ConstU32<4096>;
	type BlockPayloadBytes = ConstU32<BLOCK_PAYLOAD_BYTES>;
	type MinTrainerBond = ConstU64<100>;
	type MinAggregatorBond = ConstU64<200>;
	type MinPenalty = MinPenalty;
	type MinPhaseLength = ConstU64<1>;
	type MaxPhaseLength = ConstU64<100>;
	type TaskDepositBase = ConstU64<DEPOSIT_BASE>;
	type TaskDepositPerByte = ConstU64<1>;
	type TaskExpiry = ConstU64<TASK_EXPIRY>;
	type TaskRetention = ConstU64<TASK_RETENTION>;
	type RetainedRounds = ConstU32<2>;
	type WeightInfo = ();
}

impl stake::Config for Test {}

/// A stake keeper for tests, as the incentives pallet keeps stake: committed stake is held under
/// a reason of its own and slashed into the treasury; contributions and judgements are recorded
/// for tests to check.
#[frame_support::pallet]
pub mod stake {
	use super::{AccountId, Balance, Balances, Treasury};
	use cohort_primitives::{
		traits::{Contributions, Role, Stake},
		Score,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{BalancedHold, MutateHold},
			tokens::{imbalance::ResolveTo, Precision},
			OnUnbalanced,
		},
	};

	#[pallet::pallet]
	pub struct Pallet<T>(_);
	#[pallet::config]
	pub trait Config: frame_system::Config {}
	/// Why stake is held.
	#[pallet::composite_enum]
	pub enum HoldReason {
		Stake,
	}
	/// Committed stake per account and role.
	#[pallet::storage]
	pub type Committed<T> = StorageMap<_, Twox64Concat, (AccountId, Role), Balance, ValueQuery>;
	/// Contributions reported per account and role.
	#[pallet::storage]
	pub type Contributed<T> = StorageMap<_, Twox64Concat, (AccountId, Role), Balance, ValueQuery>;
	/// Qualities reported per account and role, in order.
	#[pallet::storage]
	pub type Judged<T> =
		StorageMap<_, Twox64Concat, (AccountId, Role), BoundedVec<Score, ConstU32<64>>, ValueQuery>;

	fn reason() -> super::RuntimeHoldReason {
		HoldReason::Stake.into()
	}

	impl<T: Config> Stake<AccountId, Balance> for Pallet<T> {
		fn commit(who: &AccountId, role: Role, amount: Balance) -> DispatchResult {
			<Balances as MutateHold<_>>::hold(&reason(), who, amount)?;
			Committed::<T>::mutate((who, role), |c| *c += amount);
			Ok(())
		}
		fn release(who: &AccountId, role: Role, amount: Balance) {
			let _ = <Balances as MutateHold<_>>::release(&reason(), who, amount, Precision::Exact);
			Committed::<T>::mutate((who, role), |c| *c -= amount);
		}
		fn slash(who: &AccountId, role: Role, amount: Balance, _: Option<&AccountId>) -> Balance {
			let amount = amount.min(Committed::<T>::get((who, role)));
			let (credit, _) = <Balances as BalancedHold<_>>::slash(&reason(), who, amount);
			Committed::<T>::mutate((who, role), |c| *c -= amount);
			ResolveTo::<Treasury, Balances>::on_unbalanced(credit);
			amount
		}
		fn committed(who: &AccountId, role: Role) -> Balance {
			Committed::<T>::get((who, role))
		}
	}

	impl<T: Config> Contributions<AccountId, Balance> for Pallet<T> {
		fn note_contribution(who: &AccountId, role: Role, points: Balance) {
			Contributed::<T>::mutate((who, role), |c| *c += points);
		}
		fn note_quality(who: &AccountId, role: Role, quality: Score) {
			Judged::<T>::mutate((who, role), |q| q.force_push(quality));
		}
		fn reputation(who: &AccountId, role: Role) -> Option<Score> {
			Judged::<T>::get((who, role)).last().copied()
		}
	}
}

/// Every account starts with this much.
pub const ENDOWMENT: Balance = 1_000_000;

/// Accounts 1..=40 and the treasury are endowed.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=40).chain([TREASURY, NO_COMPUTE]).map(|a| (a, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// Every endowed account owns the dataset of its own number: no royalty, no privacy
		// accounting, any number of samples.
		for who in 1..=40 {
			market::list(who, MockDataset::owned_by(who));
		}
	});
	ext
}

/// Runs a test and then checks the pallet's invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		Federated::do_try_state(System::block_number()).expect("invariants hold");
	});
}

/// Moves to block `n`: ends each block with the pallet's `on_idle` (as much weight as it
/// wants), runs `on_initialize` in the next, and checks the invariants after each.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let now = System::block_number();
		Federated::on_idle(now, frame_support::weights::Weight::MAX);
		let next = now + 1;
		System::set_block_number(next);
		Federated::on_initialize(next);
		Federated::do_try_state(next).expect("invariants hold");
	}
}

/// A data market for tests. Its state lives in storage (under keys of its own), so that a call
/// that fails reverts it, as it would a real data market's; every call that changes something
/// is recorded for tests to check.
mod market {
	use super::*;
	use codec::{Decode, Encode};
	#[cfg(feature = "runtime-benchmarks")]
	use cohort_primitives::ModelSpec;
	use cohort_primitives::{
		dataset::{DatasetTerms, DatasetUse, Epsilon},
		traits::{DataMarket, DatasetRequest},
		DatasetId, RoundIndex, Score, TaskId,
	};
	use frame_support::{
		storage::unhashed,
		traits::{
			fungible::MutateHold,
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use sp_runtime::DispatchError;
	use std::collections::{BTreeMap, BTreeSet};

	const DATASETS: &[u8] = b":test-market:datasets";
	const IN_TASK: &[u8] = b":test-market:in-task";
	const CALLS: &[u8] = b":test-market:calls";
	const MISREPORT: &[u8] = b":test-market:misreport";

	/// A dataset as the test market lists it.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct MockDataset {
		pub owner: AccountId,
		/// Workers the owner authorised.
		pub delegates: Vec<AccountId>,
		pub royalty: Balance,
		pub samples: u32,
		/// Whether its schema fits every task's model (the test market checks nothing else).
		pub fits: bool,
		/// The ε it may still spend (`None`: no privacy accounting).
		pub privacy_left: Option<Epsilon>,
		/// The last score an update trained on it earned.
		pub last_score: Option<Score>,
	}

	impl MockDataset {
		pub fn owned_by(owner: AccountId) -> Self {
			MockDataset {
				owner,
				delegates: Vec::new(),
				royalty: 0,
				samples: u32::MAX,
				fits: true,
				privacy_left: None,
				last_score: None,
			}
		}
	}

	/// A call the federated pallet made that changed the market.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub enum MarketCall {
		Join {
			who: AccountId,
			dataset: DatasetId,
			task: TaskId,
			epsilon: Option<Epsilon>,
		},
		Leave {
			task: TaskId,
			dataset: DatasetId,
		},
		SpendPrivacy {
			dataset: DatasetId,
			epsilon: Epsilon,
		},
		RecordScore {
			dataset: DatasetId,
			score: Score,
		},
		Settle {
			task: TaskId,
			round: RoundIndex,
			payer: AccountId,
			uses: Vec<DatasetUse<AccountId, Balance>>,
			paid: Balance,
			earns_emission: bool,
		},
	}

	fn datasets() -> BTreeMap<DatasetId, MockDataset> {
		unhashed::get(DATASETS).unwrap_or_default()
	}

	/// Lists (or replaces) a dataset.
	pub fn list(id: DatasetId, dataset: MockDataset) {
		let mut all = datasets();
		all.insert(id, dataset);
		unhashed::put(DATASETS, &all);
	}

	/// Changes a listed dataset.
	pub fn edit(id: DatasetId, f: impl FnOnce(&mut MockDataset)) {
		let mut all = datasets();
		f(all.get_mut(&id).expect("listed"));
		unhashed::put(DATASETS, &all);
	}

	pub fn dataset(id: DatasetId) -> MockDataset {
		datasets().remove(&id).expect("listed")
	}

	/// Whether the market has the dataset in the task.
	pub fn in_task(task: TaskId, id: DatasetId) -> bool {
		unhashed::get::<BTreeSet<(TaskId, DatasetId)>>(IN_TASK)
			.unwrap_or_default()
			.contains(&(task, id))
	}

	fn set_in_task(task: TaskId, id: DatasetId, is_in: bool) {
		let mut all: BTreeSet<(TaskId, DatasetId)> = unhashed::get(IN_TASK).unwrap_or_default();
		if is_in {
			all.insert((task, id));
		} else {
			all.remove(&(task, id));
		}
		unhashed::put(IN_TASK, &all);
	}

	/// Makes `settle_round` report `extra` more than it paid (a faulty data market).
	pub fn misreport(extra: Balance) {
		unhashed::put(MISREPORT, &extra);
	}

	/// Every call recorded so far, oldest first.
	pub fn market_calls() -> Vec<MarketCall> {
		unhashed::get(CALLS).unwrap_or_default()
	}

	fn record(call: MarketCall) {
		let mut calls = market_calls();
		calls.push(call);
		unhashed::put(CALLS, &calls);
	}

	pub struct TestMarket;

	impl DataMarket<AccountId, Balance, RuntimeHoldReason> for TestMarket {
		fn join(
			who: &AccountId,
			id: DatasetId,
			request: DatasetRequest<'_, Balance>,
		) -> Result<DatasetTerms<AccountId, Balance>, DispatchError> {
			let dataset = datasets().remove(&id).ok_or(DispatchError::Other("UnknownDataset"))?;
			if dataset.owner != *who && !dataset.delegates.contains(who) {
				return Err(DispatchError::Other("NotOwnerOrDelegate"));
			}
			if !dataset.fits {
				return Err(DispatchError::Other("SchemaMismatch"));
			}
			if dataset.royalty > request.rules.max_royalty {
				return Err(DispatchError::Other("RoyaltyTooHigh"));
			}
			if !request.rules.allowlist.is_empty() && !request.rules.allowlist.contains(&id) {
				return Err(DispatchError::Other("NotAllowlisted"));
			}
			if dataset.last_score.unwrap_or(0) < request.rules.min_reputation {
				return Err(DispatchError::Other("ReputationTooLow"));
			}
			if let Some(left) = dataset.privacy_left {
				let epsilon = request.epsilon.ok_or(DispatchError::Other("PrivacyRequired"))?;
				if left < epsilon {
					return Err(DispatchError::Other("PrivacyBudgetExhausted"));
				}
			}
			if in_task(request.task, id) {
				return Err(DispatchError::Other("AlreadyInTask"));
			}
			set_in_task(request.task, id, true);
			record(MarketCall::Join {
				who: *who,
				dataset: id,
				task: request.task,
				epsilon: request.epsilon,
			});
			Ok(DatasetTerms {
				owner: dataset.owner,
				royalty: dataset.royalty,
				samples: dataset.samples,
			})
		}

		fn leave(task: TaskId, dataset: DatasetId) {
			set_in_task(task, dataset, false);
			record(MarketCall::Leave { task, dataset });
		}

		fn can_spend_privacy(dataset: DatasetId, epsilon: Epsilon) -> bool {
			datasets()
				.get(&dataset)
				.is_some_and(|d| d.privacy_left.is_none_or(|left| left >= epsilon))
		}

		fn spend_privacy(id: DatasetId, epsilon: Epsilon) -> bool {
			if !Self::can_spend_privacy(id, epsilon) {
				return false;
			}
			edit(id, |d| d.privacy_left = d.privacy_left.map(|left| left - epsilon));
			record(MarketCall::SpendPrivacy { dataset: id, epsilon });
			true
		}

		fn record_score(dataset: DatasetId, score: Score) {
			edit(dataset, |d| d.last_score = Some(score));
			record(MarketCall::RecordScore { dataset, score });
		}

		fn settle_round(
			task: TaskId,
			round: RoundIndex,
			payer: &AccountId,
			reason: &RuntimeHoldReason,
			uses: &[DatasetUse<AccountId, Balance>],
			earns_emission: bool,
		) -> Balance {
			let mut paid = 0;
			for line in uses.iter().filter(|u| u.royalty > 0) {
				paid += <Balances as MutateHold<AccountId>>::transfer_on_hold(
					reason,
					payer,
					&line.owner,
					line.royalty,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)
				.unwrap_or(0);
			}
			record(MarketCall::Settle {
				task,
				round,
				payer: *payer,
				uses: uses.to_vec(),
				paid,
				earns_emission,
			});
			paid + unhashed::get::<Balance>(MISREPORT).unwrap_or(0)
		}

		/// A dataset with a royalty and a privacy budget, so that benchmarks take every path.
		#[cfg(feature = "runtime-benchmarks")]
		fn benchmark_dataset(owner: &AccountId, _: &ModelSpec, samples: u32) -> DatasetId {
			let id = 1_000_000 + datasets().len() as DatasetId;
			list(
				id,
				MockDataset {
					samples,
					royalty: 1,
					privacy_left: Some(1_000_000_000),
					..MockDataset::owned_by(*owner)
				},
			);
			id
		}
	}
}
