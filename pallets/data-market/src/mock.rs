//! A test runtime: System, Balances, the data market, and a stand-in for the task budget that
//! royalties are paid from (the federated pallet's `TaskBudget` hold).

use crate as pallet_data_market;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use sp_runtime::BuildStorage;

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Test>;

/// Holds a task owner's budget, as the federated pallet does.
#[frame_support::pallet]
pub mod budget {
	#[pallet::pallet]
	pub struct Pallet<T>(_);
	#[pallet::config]
	pub trait Config: frame_system::Config {}
	/// Why a task owner's funds are held.
	#[pallet::composite_enum]
	pub enum HoldReason {
		TaskBudget,
	}
}

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		DataMarket: pallet_data_market,
		Budget: budget,
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

impl budget::Config for Test {}

/// The fixed part of a listing's deposit.
pub const DEPOSIT_BASE: Balance = 100;
/// The smallest access price.
pub const MIN_ACCESS_PRICE: Balance = 10;
/// The longest grant.
pub const MAX_ACCESS_PERIOD: u64 = 100;

parameter_types! {
	pub const MaxAccessPeriod: u64 = MAX_ACCESS_PERIOD;
}

impl pallet_data_market::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = ConstU64<DEPOSIT_BASE>;
	type DepositPerByte = ConstU64<1>;
	type MaxDatasetsPerOwner = ConstU32<3>;
	type MaxDelegates = ConstU32<2>;
	type MaxUsesPerRound = ConstU32<4>;
	type MinAccessPrice = ConstU64<MIN_ACCESS_PRICE>;
	type MaxAccessPeriod = MaxAccessPeriod;
	type Contributions = Recorder;
	type WeightInfo = ();
}

std::thread_local! {
	/// What the market reported to the incentives pallet: contributions, then judgements.
	pub static REPORTS: core::cell::RefCell<Vec<Report>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// A report to the incentives pallet.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
	Contribution(AccountId, cohort_primitives::traits::Role, Balance),
	Quality(AccountId, cohort_primitives::traits::Role, u32),
}

/// Records what the market reports, as the incentives pallet would receive it.
pub struct Recorder;
impl cohort_primitives::traits::Contributions<AccountId, Balance> for Recorder {
	fn note_contribution(who: &AccountId, role: cohort_primitives::traits::Role, points: Balance) {
		REPORTS.with(|r| r.borrow_mut().push(Report::Contribution(*who, role, points)));
	}
	fn note_quality(who: &AccountId, role: cohort_primitives::traits::Role, quality: u32) {
		REPORTS.with(|r| r.borrow_mut().push(Report::Quality(*who, role, quality)));
	}
	fn reputation(_: &AccountId, _: cohort_primitives::traits::Role) -> Option<u32> {
		None
	}
}

/// What the market reported so far.
pub fn reports() -> Vec<Report> {
	REPORTS.with(|r| r.borrow().clone())
}

/// Every account starts with this much.
pub const ENDOWMENT: Balance = 1_000_000;

/// Accounts 1..=20 are endowed.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).map(|a| (a, ENDOWMENT)).collect(),
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
		DataMarket::do_try_state().expect("invariants hold");
	});
}
