//! Configuration of each pallet in the runtime.

use crate::{
	fees, AccountId, Aura, Balance, Balances, Block, BlockNumber, ComputeLease, DataMarket, Hash,
	Incentives, Nonce, PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason,
	RuntimeHoldReason, RuntimeOrigin, RuntimeTask, System, DAYS, EXISTENTIAL_DEPOSIT,
	MILLISECS_PER_BLOCK, MINUTES, MIN_MILLISECS_PER_BLOCK, SS58_PREFIX, UNIT, VERSION,
};
use frame_support::traits::tokens::{pay::PayFromAccount, UnityAssetBalanceConversion};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, Weight,
	},
};
use frame_support::{traits::tokens::imbalance::ResolveTo, PalletId};
use frame_system::limits::{BlockLength, BlockWeights};
use frame_system::{EnsureRoot, EnsureRootWithSuccess};
use pallet_transaction_payment::FungibleAdapter;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::traits::{AccountIdConversion, BlakeTwo256, Hash as _, IdentityLookup};
use sp_runtime::Perbill;
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

/// The block time: 6 s unless the genesis preset asks for less (the test presets do). Aura's
/// slot is twice the timestamp's minimum period, which is half of it.
impl pallet_block_time::Config for Runtime {
	type DefaultMillis = ConstU64<MILLISECS_PER_BLOCK>;
	type MinMillis = ConstU64<MIN_MILLISECS_PER_BLOCK>;
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
	type MinimumPeriod = pallet_block_time::HalfBlockMillis<Runtime>;
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

// Block space is priced in `fees.rs`; fees go to the treasury and the block author.
impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, fees::DealWithFees>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = fees::WeightToFee;
	type LengthToFee = ConstantMultiplier<Balance, fees::TransactionByteFee>;
	type FeeMultiplierUpdate = fees::FeeMultiplierUpdate;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = fees::AuraAccountAuthor;
	type EventHandler = ();
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	/// The treasury's account: slashes and 80 % of fees go there.
	pub TreasuryAccount: AccountId = TreasuryPalletId::get().into_account_truncating();
	pub const MaxBalance: Balance = Balance::MAX;
}

/// FRAME's treasury: it receives slashes and most fees; only Root spends from it.
impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EnsureRoot<AccountId>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = ConstU32<{ DAYS }>;
	// Nothing is burned: what the treasury does not spend stays for later.
	type Burn = ();
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<64>;
	type SpendOrigin = EnsureRootWithSuccess<AccountId, MaxBalance>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = ConstU32<{ 30 * DAYS }>;
	type BlockNumberProvider = System;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TreasuryArguments;
}

/// Spends in the treasury's benchmarks: the native token, to an account made from the seed.
#[cfg(feature = "runtime-benchmarks")]
pub struct TreasuryArguments;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_treasury::ArgumentsFactory<(), AccountId> for TreasuryArguments {
	fn create_asset_kind(_: u32) {}
	fn create_beneficiary(seed: [u8; 32]) -> AccountId {
		AccountId::from(seed)
	}
}

parameter_types! {
	/// A reporter gets a tenth of the slash it reported; the treasury the rest.
	pub const IncentivesReporterShare: Perbill = Perbill::from_percent(10);
	pub const IncentivesPotId: PalletId = PalletId(*b"coh/rwds");
}

/// Stake, emission, rewards by contribution and reputation; the schedule and the shares are
/// set at genesis (`genesis_config_presets.rs`), see `docs/economics.md`.
impl pallet_incentives::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<TreasuryAccount, Balances>;
	type ReporterShare = IncentivesReporterShare;
	type SharesOrigin = EnsureRoot<AccountId>;
	type PotId = IncentivesPotId;
	// A week: long enough for offences found late (a quorum that failed, a challenge) to
	// still reach stake on its way out.
	type UnbondingPeriod = ConstU32<{ 7 * DAYS }>;
	type MaxUnlockingChunks = ConstU32<16>;
	// The smallest task bond: a ledger costs a storage record.
	type MinStake = ConstU128<{ UNIT }>;
	type HistoryDepth = ConstU32<84>;
	type WeightInfo = pallet_incentives::weights::SubstrateWeight<Runtime>;
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
	type Randomness = ParentHashRandomness;
	// Trainers join with datasets the data market lists; bonds are committed stake kept by the
	// incentives pallet, which also hears of every reward and judgement. A worker that failed
	// its compute challenge may not aggregate; one leased by a task's owner joins its tasks.
	type DataMarket = DataMarket;
	type ComputeAccess = ComputeLease;
	type Stake = Incentives;
	type Contributions = Incentives;
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
	type Contributions = Incentives;
	// A worker leased by a dataset's owner trains on it as a delegate would.
	type ComputeAccess = ComputeLease;
	type WeightInfo = pallet_data_market::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// A missed heartbeat costs a tenth of the offer's bond (a share to the reporter).
	pub const ComputeMissedHeartbeatSlash: Perbill = Perbill::from_percent(10);
	/// A wrong or late challenge answer costs a fifth.
	pub const ComputeChallengeSlash: Perbill = Perbill::from_percent(20);
}

/// Compute leases: offers bond compute-provider stake, consumers pay per block from escrow,
/// heartbeats and challenges check the service. See `docs/compute-lease.md`.
impl pallet_compute_lease::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Stake = Incentives;
	type Contributions = Incentives;
	type Randomness = ParentHashRandomness;
	type ChallengeOrigin = EnsureRoot<AccountId>;
	// As much as an aggregator's least bond: a slash must hurt.
	type MinBond = ConstU128<{ 10 * UNIT }>;
	type MaxOffers = ConstU32<1024>;
	type MaxLeasesPerOffer = ConstU32<16>;
	type MaxLeasesEndingPerBlock = ConstU32<32>;
	type MaxRequestsPerConsumer = ConstU32<16>;
	// Two minutes: a heartbeat costs a fee (about 0.005 COH), so thirty an hour.
	type HeartbeatInterval = ConstU32<{ 2 * MINUTES }>;
	type MissedHeartbeatSlash = ComputeMissedHeartbeatSlash;
	type ChallengeSlash = ComputeChallengeSlash;
	type ChallengeQuorum = ConstU32<2>;
	type MaxVerifiers = ConstU32<5>;
	type MillisPerBlock = pallet_block_time::BlockMillis<Runtime>;
	type WeightInfo = pallet_compute_lease::weights::SubstrateWeight<Runtime>;
}
