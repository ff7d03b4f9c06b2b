//! Configuration of each pallet in the runtime.

use crate::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, DataMarket, Hash, Nonce, PalletInfo,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin,
	RuntimeTask, System, DAYS, EXISTENTIAL_DEPOSIT, SLOT_DURATION, SS58_PREFIX, UNIT, VERSION,
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_support::{traits::tokens::imbalance::ResolveTo, PalletId};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::traits::{AccountIdConversion, BlakeTwo256, Hash as _};
use sp_runtime::{traits::One, Perbill};
use sp_version::RuntimeVersion;

/// Three quarters of each block are for normal transactions; the rest is kept for operational
/// ones (e.g. a runtime upgrade) so that they always fit.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	/// How many recent block hashes the runtime keeps (for mortal transactions).
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of execution per six-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// Five MiB per block: model updates and aggregates travel in block bodies.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	pub const SS58Prefix: u16 = SS58_PREFIX;
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

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	/// One unit per picosecond of execution and per byte: a transfer costs a few 10^-4 COH.
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Where slashed bonds go until a treasury pallet lands.
	pub TreasuryAccount: AccountId = PalletId(*b"coh/trsy").into_account_truncating();
}

/// Selection randomness: BLAKE2-256 of the subject and the parent block's hash. The parent
/// block's author can re-roll it by withholding the block; see `docs/federated.md` for the
/// limits and what a deployment should use instead.
pub struct ParentHashRandomness;
impl frame_support::traits::Randomness<Hash, BlockNumber> for ParentHashRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let parent = System::parent_hash();
		(BlakeTwo256::hash_of(&(subject, parent)), System::block_number().saturating_sub(1))
	}
}

parameter_types! {
	/// At most this many trainers in a round: also the most datasets in a round's lineage.
	pub const FederatedMaxTrainersPerRound: u32 = 16;
	/// A task's penalty may not be lower: a no-show must cost something.
	pub const FederatedMinPenalty: Perbill = Perbill::from_percent(1);
}

impl pallet_federated::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	type Randomness = ParentHashRandomness;
	// Trainers join with datasets the data market lists; compute leases and incentives land
	// later: until then every bonded aggregator is accepted, and rewards are only paid.
	type DataMarket = DataMarket;
	type ComputeAccess = ();
	type RewardObserver = ();
	type MaxTrainersPerRound = FederatedMaxTrainersPerRound;
	type MaxAggregatorsPerRound = ConstU32<5>;
	// Each role has a cap of its own, so trainers cannot crowd out aggregators or the reverse.
	type MaxTrainersPerTask = ConstU32<64>;
	type MaxAggregatorsPerTask = ConstU32<16>;
	type MaxAllowlist = ConstU32<64>;
	type MaxActiveTasks = ConstU32<32>;
	type MaxRounds = ConstU32<1000>;
	type MaxPayloadBytes = ConstU32<{ 1024 * 1024 }>;
	// A task counts on 1 MiB of payload per block: under a third of the normal class's 3.75 MiB,
	// so that several tasks can reveal at once and other transactions still fit.
	type BlockPayloadBytes = ConstU32<{ 1024 * 1024 }>;
	type MinTrainerBond = ConstU128<{ UNIT }>;
	type MinAggregatorBond = ConstU128<{ 10 * UNIT }>;
	type MinPenalty = FederatedMinPenalty;
	type MinPhaseLength = ConstU32<1>;
	type MaxPhaseLength = ConstU32<{ DAYS }>;
	// 10 COH, plus a thousandth of a COH per byte the task may store (about 40 COH for the dev
	// demo task): filling the active list or storage costs real money, returned on pruning.
	type TaskDepositBase = ConstU128<{ 10 * UNIT }>;
	type TaskDepositPerByte = ConstU128<{ UNIT / 1_000 }>;
	type TaskExpiry = ConstU32<{ DAYS }>;
	type TaskRetention = ConstU32<{ DAYS }>;
	type RetainedRounds = ConstU32<8>;
	type WeightInfo = pallet_federated::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// A grant lasts at most 30 days.
	pub const DataMarketMaxAccessPeriod: BlockNumber = 30 * DAYS;
}

impl pallet_data_market::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// 1 COH, plus a thousandth of a COH per byte stored (about 1.6 COH for a listing with a
	// 512-byte description): spamming listings or delegates costs real money, returned on
	// delisting.
	type DepositBase = ConstU128<{ UNIT }>;
	type DepositPerByte = ConstU128<{ UNIT / 1_000 }>;
	type MaxDatasetsPerOwner = ConstU32<64>;
	type MaxDelegates = ConstU32<16>;
	type MaxUsesPerRound = FederatedMaxTrainersPerRound;
	// A grant is a storage entry the buyer pays for with the price: at least a hundredth of a COH.
	type MinAccessPrice = ConstU128<{ UNIT / 100 }>;
	type MaxAccessPeriod = DataMarketMaxAccessPeriod;
	type WeightInfo = pallet_data_market::weights::SubstrateWeight<Runtime>;
}
