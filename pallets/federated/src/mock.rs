//! A test runtime: System, Balances and the federated pallet.

use crate as pallet_federated;
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, Hooks},
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
/// A dataset the mock data market refuses.
pub const FORBIDDEN_DATASET: u64 = 666;
/// An account the mock compute market refuses.
pub const NO_COMPUTE: AccountId = 666;

/// Payload bytes a task may count on per block.
pub const BLOCK_PAYLOAD_BYTES: u32 = 2048;
/// The fixed part of a task's deposit.
pub const DEPOSIT_BASE: Balance = 1_000;
/// Blocks without a round after which a live task expires.
pub const TASK_EXPIRY: u64 = 50;
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

pub struct TestDatasets;
impl cohort_primitives::traits::DatasetAccess<AccountId> for TestDatasets {
	fn may_train(_: &AccountId, dataset: u64) -> bool {
		dataset != FORBIDDEN_DATASET
	}
}

pub struct TestCompute;
impl cohort_primitives::traits::ComputeAccess<AccountId> for TestCompute {
	fn may_aggregate(who: &AccountId) -> bool {
		*who != NO_COMPUTE
	}
}

impl pallet_federated::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<Treasury, Balances>;
	type Randomness = TestRandomness;
	type DatasetAccess = TestDatasets;
	type ComputeAccess = TestCompute;
	type RewardObserver = ();
	type MaxTrainersPerRound = ConstU32<8>;
	type MaxAggregatorsPerRound = ConstU32<5>;
	type MaxTrainersPerTask = ConstU32<12>;
	type MaxAggregatorsPerTask = ConstU32<6>;
	type MaxAllowlist = ConstU32<4>;
	type MaxActiveTasks = ConstU32<4>;
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
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs a test and then checks the pallet's invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		Federated::do_try_state(System::block_number()).expect("invariants hold");
	});
}

/// Moves to block `n`, running the pallet's per-block hook in each block, and checks the
/// invariants after each.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Federated::on_initialize(next);
		Federated::do_try_state(next).expect("invariants hold");
	}
}
