//! A test runtime: System, Balances and the incentives pallet, with a treasury account that
//! receives slashes.

use crate as pallet_incentives;
use crate::{EmissionSchedule, PerRole};
use cohort_primitives::traits::Role;
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Incentives: pallet_incentives,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

/// The existential deposit.
pub const ED: Balance = 5;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<ED>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Where slashes go.
pub const TREASURY: AccountId = 999;
/// Blocks before unbonded stake can be withdrawn.
pub const UNBONDING: u64 = 10;
/// The smallest stake.
pub const MIN_STAKE: Balance = 100;
/// Eras in which a reward can be claimed.
pub const HISTORY: u32 = 3;
/// Blocks per era.
pub const ERA: u64 = 10;
/// What era 0 mints.
pub const INITIAL: Balance = 1_000_000;
/// The emission halves every this many eras.
pub const HALVING: u32 = 4;
/// The supply cap.
pub const CAP: Balance = 1_000_000_000;

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
	pub const Pot: PalletId = PalletId(*b"coh/rwds");
}

impl pallet_incentives::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<Treasury, Balances>;
	type ReporterShare = ReporterShare;
	type SharesOrigin = EnsureRoot<AccountId>;
	type PotId = Pot;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type MaxUnlockingChunks = ConstU32<3>;
	type MinStake = ConstU64<MIN_STAKE>;
	type HistoryDepth = ConstU32<HISTORY>;
	type WeightInfo = ();
}

/// Every account starts with this much.
pub const ENDOWMENT: Balance = 1_000_000;

/// 40 % to trainers, 30 % to aggregators, 20 % to data owners, 10 % to compute providers.
pub fn shares() -> PerRole<Perbill> {
	PerRole {
		trainers: Perbill::from_percent(40),
		aggregators: Perbill::from_percent(30),
		data_owners: Perbill::from_percent(20),
		compute_providers: Perbill::from_percent(10),
	}
}

/// The test schedule.
pub fn schedule() -> EmissionSchedule<Balance, u64> {
	EmissionSchedule {
		era_length: ERA,
		initial_era_emission: INITIAL,
		halving_interval: HALVING,
		supply_cap: CAP,
	}
}

/// Accounts 1..=20 and the treasury are endowed; account 20 starts with trainer stake.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).chain([TREASURY]).map(|a| (a, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_incentives::GenesisConfig::<Test> {
		schedule: Some(schedule()),
		shares: shares(),
		stakers: vec![(20, Role::Trainer, 1_000)],
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
		Incentives::do_try_state().expect("invariants hold");
	});
}

/// Runs blocks up to `n`, with the pallet's hooks, checking the invariants after each.
pub fn run_to(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Incentives::on_initialize(next);
		Incentives::on_idle(next, frame_support::weights::Weight::MAX);
		Incentives::do_try_state().expect("invariants hold");
	}
}

/// The events the pallet deposited, oldest first.
pub fn events() -> Vec<pallet_incentives::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Incentives(e) => Some(e),
			_ => None,
		})
		.collect()
}
