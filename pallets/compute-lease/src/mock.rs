//! A test runtime: System, Balances, the incentives pallet (stake, slashes to a treasury
//! account) and the compute-lease pallet.

use crate as pallet_compute_lease;
use crate::ChallengeSchedule;
use cohort_primitives::compute::{Backends, Gpu, Hardware, OfferTerms};
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, Hooks},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::{traits::Hash, BuildStorage, Perbill};

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Incentives: pallet_incentives,
		ComputeLease: pallet_compute_lease,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

pub const ED: Balance = 5;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<ED>;
	type RuntimeHoldReason = RuntimeHoldReason;
	// As in the runtime: a reaped account's dust goes to the treasury, nothing burns.
	type DustRemoval = ResolveTo<Treasury, Balances>;
}

/// Where slashes go.
pub const TREASURY: AccountId = 999;

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
	pub const Pot: PalletId = PalletId(*b"coh/rwds");
	pub const MissedHeartbeatSlash: Perbill = Perbill::from_percent(10);
	pub const ChallengeSlash: Perbill = Perbill::from_percent(20);
}

impl pallet_incentives::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<Treasury, Balances>;
	type ReporterShare = ReporterShare;
	type SharesOrigin = EnsureRoot<AccountId>;
	type PotId = Pot;
	type UnbondingPeriod = ConstU64<10>;
	type MaxUnlockingChunks = ConstU32<3>;
	type MinStake = ConstU64<10>;
	type HistoryDepth = ConstU32<3>;
	type WeightInfo = ();
}

/// Test randomness: the hash of the subject and the block number.
pub struct TestRandomness;
impl frame_support::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let now = System::block_number();
		(<Test as frame_system::Config>::Hashing::hash_of(&(subject, now)), now.saturating_sub(1))
	}
}

/// The smallest bond.
pub const MIN_BOND: Balance = 1_000;
/// Offers the list holds.
pub const MAX_OFFERS: u32 = 16;
/// Blocks between heartbeats.
pub const INTERVAL: u64 = 10;
/// Milliseconds per block.
pub const BLOCK_MILLIS: u64 = 6_000;

impl pallet_compute_lease::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Stake = Incentives;
	type Contributions = Incentives;
	type Randomness = TestRandomness;
	type ChallengeOrigin = EnsureRoot<AccountId>;
	type MinBond = ConstU64<MIN_BOND>;
	type MaxOffers = ConstU32<MAX_OFFERS>;
	type MaxLeasesPerOffer = ConstU32<4>;
	type MaxLeasesEndingPerBlock = ConstU32<2>;
	type MaxRequestsPerConsumer = ConstU32<2>;
	type HeartbeatInterval = ConstU64<INTERVAL>;
	type MissedHeartbeatSlash = MissedHeartbeatSlash;
	type ChallengeSlash = ChallengeSlash;
	type ChallengeQuorum = ConstU32<2>;
	type MaxVerifiers = ConstU32<3>;
	type MillisPerBlock = ConstU64<BLOCK_MILLIS>;
	type WeightInfo = ();
}

/// Every account starts with this much.
pub const ENDOWMENT: Balance = 1_000_000;
/// The provider whose offer the tests lease.
pub const WORKER: AccountId = 1;
/// Other registered workers (verifiers).
pub const VERIFIERS: [AccountId; 3] = [2, 3, 4];
/// A consumer.
pub const CONSUMER: AccountId = 10;
/// An account with no part.
pub const STRANGER: AccountId = 11;
/// The worker's price per slot per block.
pub const PRICE: Balance = 7;
/// The worker's claimed score.
pub const SCORE: u32 = 40;

/// A CPU worker with one GPU.
pub fn hardware() -> Hardware {
	Hardware {
		cores: 8,
		memory_mib: 16_384,
		gpus: vec![Gpu { model: b"Test GPU".to_vec().try_into().unwrap(), memory_mib: 8_192 }]
			.try_into()
			.unwrap(),
		backends: Backends(Backends::CPU | Backends::OPENCL),
	}
}

/// Two slots at [`PRICE`], leases of 5 to 100 blocks, the minimum bond.
pub fn terms() -> OfferTerms<Balance, u64> {
	OfferTerms { slots: 2, price: PRICE, min_blocks: 5, max_blocks: 100, bond: MIN_BOND }
}

/// Challenges every 20 blocks, 3 blocks to commit, 3 to reveal.
pub fn schedule() -> ChallengeSchedule<u64> {
	ChallengeSchedule { period: 20, commit_blocks: 3, reveal_blocks: 3 }
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with(None, None)
}

/// Accounts 1..=20 and the treasury endowed, with the incentives pallet's genesis (emission,
/// shares, stakers) when given, and the challenge schedule.
pub fn new_test_ext_with(
	incentives: Option<pallet_incentives::GenesisConfig<Test>>,
	schedule: Option<ChallengeSchedule<u64>>,
) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).chain([TREASURY]).map(|a| (a, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	if let Some(incentives) = incentives {
		incentives.assimilate_storage(&mut storage).unwrap();
	}
	pallet_compute_lease::GenesisConfig::<Test> { schedule }
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
		check();
	});
}

/// Checks the pallet's invariants (the incentives pallet's need its `try-runtime` feature).
pub fn check() {
	ComputeLease::do_try_state().expect("compute-lease invariants hold");
}

/// Runs blocks up to `n` with the pallet's hooks, checking the invariants after each.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		ComputeLease::on_initialize(next);
		check();
	}
}

pub fn origin(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// The pallet's events so far.
pub fn events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::ComputeLease(e) => Some(e),
			_ => None,
		})
		.collect()
}
