//! Configuration of each pallet in the runtime: consensus (Aura, GRANDPA, authorship) here,
//! everything else from `cohort-runtime-common` (the same on the parachain runtime).

use crate::{
	fees, AccountId, Aura, Balance, Balances, Block, BlockNumber, ComputeLease, DataMarket, Hash,
	Incentives, Nonce, PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason,
	RuntimeHoldReason, RuntimeOrigin, RuntimeTask, System, VERSION,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstBool, ConstU32, ConstU64},
	weights::constants::ParityDbWeight,
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_version::RuntimeVersion;

pub use cohort_runtime_common::TreasuryAccount;

parameter_types! {
	/// How many recent block hashes the runtime keeps (for mortal transactions).
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of execution per block; proofs are unbounded (nobody re-executes the block
	/// from a proof, as a relay chain does a parachain's).
	pub RuntimeBlockWeights: BlockWeights = cohort_runtime_common::block_weights(u64::MAX);
	/// Five MiB per block: model updates and aggregates travel in block bodies.
	pub RuntimeBlockLength: BlockLength = cohort_runtime_common::block_length();
	pub const SS58Prefix: u16 = cohort_runtime_common::SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB, so weights use its costs.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// Equivocation reports need a session/staking setup the solochain does not have yet.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = fees::AuraAccountAuthor;
	type EventHandler = ();
}

// Balances, fees, sudo, the treasury, the timestamp and block time, and the Cohort pallets:
// configured once for both runtimes.
cohort_runtime_common::impl_cohort_pallets!();
