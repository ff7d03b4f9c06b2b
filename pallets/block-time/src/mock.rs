//! A test runtime: System and the block-time pallet, 6 s by default, at least 1 s.

use crate as pallet_block_time;
use frame_support::{derive_impl, traits::ConstU64};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		BlockTime: pallet_block_time,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// The default block time.
pub const DEFAULT: u64 = 6_000;
/// The shortest allowed.
pub const MIN: u64 = 1_000;

impl pallet_block_time::Config for Test {
	type DefaultMillis = ConstU64<DEFAULT>;
	type MinMillis = ConstU64<MIN>;
}

/// Externalities from a genesis that sets `millis` (or not).
pub fn new_test_ext(millis: Option<u64>) -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		block_time: pallet_block_time::GenesisConfig { millis, ..Default::default() },
	}
	.build_storage()
	.unwrap();
	storage.into()
}
