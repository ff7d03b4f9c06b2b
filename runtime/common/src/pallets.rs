//! The configuration of the pallets both runtimes carry the same way: balances, fees, sudo,
//! the treasury, the timestamp and block time, and every Cohort pallet.
//!
//! A pallet's `Config` must be implemented in the crate that defines the runtime, so the
//! implementations are a macro each runtime expands once; the parameters are plain items here.

use crate::{AccountId, Balance, BlockNumber, DAYS};
use frame_support::{parameter_types, PalletId};
use sp_runtime::Perbill;

/// The treasury's pallet id, from which its account is derived.
pub const TREASURY_PALLET_ID: PalletId = PalletId(*b"py/trsry");

parameter_types! {
	pub const TreasuryPalletId: PalletId = TREASURY_PALLET_ID;
	/// The treasury's account: slashes and 80 % of fees go there.
	pub TreasuryAccount: AccountId = crate::genesis::treasury_account();
	pub const MaxBalance: Balance = Balance::MAX;
	/// A reporter gets a tenth of the slash it reported; the treasury the rest.
	pub const IncentivesReporterShare: Perbill = Perbill::from_percent(10);
	pub const IncentivesPotId: PalletId = PalletId(*b"coh/rwds");
	/// At most this many trainers in a round: also the most datasets in a round's lineage.
	pub const FederatedMaxTrainersPerRound: u32 = 16;
	/// A task's penalty may not be lower: a no-show must cost something.
	pub const FederatedMinPenalty: Perbill = Perbill::from_percent(1);
	/// A grant lasts at most 30 days.
	pub const DataMarketMaxAccessPeriod: BlockNumber = 30 * DAYS;
	/// A missed heartbeat costs a tenth of the offer's bond (a share to the reporter).
	pub const ComputeMissedHeartbeatSlash: Perbill = Perbill::from_percent(10);
	/// A wrong or late challenge answer costs a fifth.
	pub const ComputeChallengeSlash: Perbill = Perbill::from_percent(20);
}

/// Implements the shared pallets' `Config` for `Runtime`.
///
/// Expand it once in the runtime's configuration module. In scope there: `Runtime`,
/// `RuntimeEvent`, `RuntimeCall`, `RuntimeHoldReason`, `RuntimeFreezeReason` and the pallets
/// `System`, `Aura`, `Balances`, `DataMarket`, `Incentives` and `ComputeLease` (named so in
/// `construct_runtime`, with `pallet_authorship` among the pallets: fees go to the author it
/// finds); the runtime depends on each configured pallet's crate.
#[macro_export]
macro_rules! impl_cohort_pallets {
	() => {
		/// The block time: 6 s unless the genesis preset asks for less (the solochain's test
		/// presets do). Aura's slot is twice the timestamp's minimum period, which is half of it.
		impl pallet_block_time::Config for Runtime {
			type DefaultMillis =
				$crate::reexport::frame_support::traits::ConstU64<{ $crate::MILLISECS_PER_BLOCK }>;
			type MinMillis = $crate::reexport::frame_support::traits::ConstU64<
				{ $crate::MIN_MILLISECS_PER_BLOCK },
			>;
		}

		impl pallet_timestamp::Config for Runtime {
			/// Milliseconds since the Unix epoch.
			type Moment = u64;
			type OnTimestampSet = Aura;
			type MinimumPeriod = pallet_block_time::HalfBlockMillis<Runtime>;
			type WeightInfo = ();
		}

		impl pallet_balances::Config for Runtime {
			type MaxLocks = $crate::reexport::frame_support::traits::ConstU32<50>;
			type MaxReserves = ();
			type ReserveIdentifier = [u8; 8];
			type Balance = $crate::Balance;
			type RuntimeEvent = RuntimeEvent;
			// Dust of a reaped account goes to the treasury rather than being burnt: nothing but
			// emission changes the total issuance (the incentives pallet's `try_state` checks it).
			type DustRemoval =
				$crate::reexport::frame_support::traits::tokens::imbalance::ResolveTo<
					$crate::TreasuryAccount,
					Balances,
				>;
			type ExistentialDeposit =
				$crate::reexport::frame_support::traits::ConstU128<{ $crate::EXISTENTIAL_DEPOSIT }>;
			type AccountStore = System;
			type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
			type FreezeIdentifier = RuntimeFreezeReason;
			type MaxFreezes =
				$crate::reexport::frame_support::traits::VariantCountOf<RuntimeFreezeReason>;
			type RuntimeHoldReason = RuntimeHoldReason;
			type RuntimeFreezeReason = RuntimeFreezeReason;
			type DoneSlashHandler = ();
		}

		// Block space is priced in `cohort_runtime_common::fees`; fees go to the treasury and
		// the block author.
		impl pallet_transaction_payment::Config for Runtime {
			type RuntimeEvent = RuntimeEvent;
			type OnChargeTransaction = pallet_transaction_payment::FungibleAdapter<
				Balances,
				$crate::fees::DealWithFees<Runtime, $crate::TreasuryAccount>,
			>;
			type OperationalFeeMultiplier = $crate::reexport::frame_support::traits::ConstU8<5>;
			type WeightToFee = $crate::fees::WeightToFee;
			type LengthToFee = $crate::reexport::frame_support::weights::ConstantMultiplier<
				$crate::Balance,
				$crate::fees::TransactionByteFee,
			>;
			type FeeMultiplierUpdate = $crate::fees::FeeMultiplierUpdate<Runtime>;
			type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
		}

		impl pallet_sudo::Config for Runtime {
			type RuntimeEvent = RuntimeEvent;
			type RuntimeCall = RuntimeCall;
			type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
		}

		/// FRAME's treasury: it receives slashes and most fees; only Root spends from it.
		impl pallet_treasury::Config for Runtime {
			type Currency = Balances;
			type RejectOrigin = frame_system::EnsureRoot<$crate::AccountId>;
			type RuntimeEvent = RuntimeEvent;
			type SpendPeriod = $crate::reexport::frame_support::traits::ConstU32<{ $crate::DAYS }>;
			// Nothing is burned: what the treasury does not spend stays for later.
			type Burn = ();
			type PalletId = $crate::TreasuryPalletId;
			type BurnDestination = ();
			type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
			type SpendFunds = ();
			type MaxApprovals = $crate::reexport::frame_support::traits::ConstU32<64>;
			type SpendOrigin =
				frame_system::EnsureRootWithSuccess<$crate::AccountId, $crate::MaxBalance>;
			type AssetKind = ();
			type Beneficiary = $crate::AccountId;
			type BeneficiaryLookup =
				$crate::reexport::sp_runtime::traits::IdentityLookup<$crate::AccountId>;
			type Paymaster = $crate::reexport::frame_support::traits::tokens::pay::PayFromAccount<
				Balances,
				$crate::TreasuryAccount,
			>;
			type BalanceConverter =
				$crate::reexport::frame_support::traits::tokens::UnityAssetBalanceConversion;
			type PayoutPeriod =
				$crate::reexport::frame_support::traits::ConstU32<{ 30 * $crate::DAYS }>;
			type BlockNumberProvider = System;
			#[cfg(feature = "runtime-benchmarks")]
			type BenchmarkHelper = $crate::TreasuryArguments;
		}

		/// Stake, emission, rewards by contribution and reputation; the schedule and the
		/// shares are set at genesis (`cohort_runtime_common::genesis`), see
		/// `docs/economics.md`.
		impl pallet_incentives::Config for Runtime {
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			type OnSlash = $crate::reexport::frame_support::traits::tokens::imbalance::ResolveTo<
				$crate::TreasuryAccount,
				Balances,
			>;
			type ReporterShare = $crate::IncentivesReporterShare;
			type SharesOrigin = frame_system::EnsureRoot<$crate::AccountId>;
			type PotId = $crate::IncentivesPotId;
			// A week: long enough for offences found late (a quorum that failed, a challenge)
			// to still reach stake on its way out.
			type UnbondingPeriod =
				$crate::reexport::frame_support::traits::ConstU32<{ 7 * $crate::DAYS }>;
			type MaxUnlockingChunks = $crate::reexport::frame_support::traits::ConstU32<16>;
			// The smallest task bond: a ledger costs a storage record.
			type MinStake = $crate::reexport::frame_support::traits::ConstU128<{ $crate::UNIT }>;
			type HistoryDepth = $crate::reexport::frame_support::traits::ConstU32<84>;
			type WeightInfo = pallet_incentives::weights::SubstrateWeight<Runtime>;
		}

		impl pallet_federated::Config for Runtime {
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			type Randomness = $crate::ParentHashRandomness<Runtime>;
			// Trainers join with datasets the data market lists; bonds are committed stake kept
			// by the incentives pallet, which also hears of every reward and judgement. A worker
			// that failed its compute challenge may not aggregate; one leased by a task's owner
			// joins its tasks.
			type DataMarket = DataMarket;
			type ComputeAccess = ComputeLease;
			type Stake = Incentives;
			type Contributions = Incentives;
			type MaxTrainersPerRound = $crate::FederatedMaxTrainersPerRound;
			// Room to enlarge a committee of up to five when it does not agree on the aggregate.
			type MaxAggregatorsPerRound = $crate::reexport::frame_support::traits::ConstU32<10>;
			// Each role has a cap of its own, so trainers cannot crowd out aggregators or the
			// reverse.
			type MaxTrainersPerTask = $crate::reexport::frame_support::traits::ConstU32<64>;
			type MaxAggregatorsPerTask = $crate::reexport::frame_support::traits::ConstU32<16>;
			type MaxAllowlist = $crate::reexport::frame_support::traits::ConstU32<64>;
			type MaxActiveTasks = $crate::reexport::frame_support::traits::ConstU32<32>;
			// One owner fills at most an eighth of the list; a task whose rounds fail three times
			// in a row (no trainer commits, no committee agrees) is evicted and loses its
			// deposit, so a list filled by several accounts empties again within three rounds
			// and every place costs a deposit each time (docs/economics.md, "Squatting").
			type MaxActiveTasksPerOwner = $crate::reexport::frame_support::traits::ConstU32<4>;
			type FailedRoundsToEvict = $crate::reexport::frame_support::traits::ConstU32<3>;
			type OnForfeit = $crate::reexport::frame_support::traits::tokens::imbalance::ResolveTo<
				$crate::TreasuryAccount,
				Balances,
			>;
			type MaxRounds = $crate::reexport::frame_support::traits::ConstU32<1000>;
			type MaxPayloadBytes =
				$crate::reexport::frame_support::traits::ConstU32<{ 1024 * 1024 }>;
			// A task counts on 1 MiB of payload per block: under a third of the normal class's
			// 3.75 MiB, so that several tasks can reveal at once and other transactions still
			// fit.
			type BlockPayloadBytes =
				$crate::reexport::frame_support::traits::ConstU32<{ 1024 * 1024 }>;
			type MinTrainerBond =
				$crate::reexport::frame_support::traits::ConstU128<{ $crate::UNIT }>;
			type MinAggregatorBond =
				$crate::reexport::frame_support::traits::ConstU128<{ 10 * $crate::UNIT }>;
			type MinPenalty = $crate::FederatedMinPenalty;
			type MinPhaseLength = $crate::reexport::frame_support::traits::ConstU32<1>;
			type MaxPhaseLength =
				$crate::reexport::frame_support::traits::ConstU32<{ $crate::DAYS }>;
			// 10 COH, plus a thousandth of a COH per byte the task may store (about 40 COH for
			// the dev demo task): filling the active list or storage costs real money, returned
			// on pruning.
			type TaskDepositBase =
				$crate::reexport::frame_support::traits::ConstU128<{ 10 * $crate::UNIT }>;
			type TaskDepositPerByte =
				$crate::reexport::frame_support::traits::ConstU128<{ $crate::UNIT / 1_000 }>;
			type TaskExpiry = $crate::reexport::frame_support::traits::ConstU32<{ $crate::DAYS }>;
			type TaskRetention =
				$crate::reexport::frame_support::traits::ConstU32<{ $crate::DAYS }>;
			type RetainedRounds = $crate::reexport::frame_support::traits::ConstU32<8>;
			type WeightInfo = pallet_federated::weights::SubstrateWeight<Runtime>;
		}

		impl pallet_data_market::Config for Runtime {
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			// 1 COH, plus a thousandth of a COH per byte stored (about 1.6 COH for a listing
			// with a 512-byte description): spamming listings or delegates costs real money,
			// returned on delisting.
			type DepositBase = $crate::reexport::frame_support::traits::ConstU128<{ $crate::UNIT }>;
			type DepositPerByte =
				$crate::reexport::frame_support::traits::ConstU128<{ $crate::UNIT / 1_000 }>;
			type MaxDatasetsPerOwner = $crate::reexport::frame_support::traits::ConstU32<64>;
			type MaxDelegates = $crate::reexport::frame_support::traits::ConstU32<16>;
			type MaxUsesPerRound = $crate::FederatedMaxTrainersPerRound;
			// A grant is a storage entry the buyer pays for with the price: at least a hundredth
			// of a COH.
			type MinAccessPrice =
				$crate::reexport::frame_support::traits::ConstU128<{ $crate::UNIT / 100 }>;
			type MaxAccessPeriod = $crate::DataMarketMaxAccessPeriod;
			type Contributions = Incentives;
			type WeightInfo = pallet_data_market::weights::SubstrateWeight<Runtime>;
		}

		/// Compute leases: offers bond compute-provider stake, consumers pay per block from
		/// escrow, heartbeats and challenges check the service. See `docs/compute-lease.md`.
		impl pallet_compute_lease::Config for Runtime {
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			type Stake = Incentives;
			type Contributions = Incentives;
			type Randomness = $crate::ParentHashRandomness<Runtime>;
			type ChallengeOrigin = frame_system::EnsureRoot<$crate::AccountId>;
			// As much as an aggregator's least bond: a slash must hurt.
			type MinBond =
				$crate::reexport::frame_support::traits::ConstU128<{ 10 * $crate::UNIT }>;
			type MaxOffers = $crate::reexport::frame_support::traits::ConstU32<1024>;
			type MaxLeasesPerOffer = $crate::reexport::frame_support::traits::ConstU32<16>;
			type MaxLeasesEndingPerBlock = $crate::reexport::frame_support::traits::ConstU32<32>;
			type MaxRequestsPerConsumer = $crate::reexport::frame_support::traits::ConstU32<16>;
			// Two minutes: a heartbeat costs a fee (about 0.005 COH), so thirty an hour.
			type HeartbeatInterval =
				$crate::reexport::frame_support::traits::ConstU32<{ 2 * $crate::MINUTES }>;
			type MissedHeartbeatSlash = $crate::ComputeMissedHeartbeatSlash;
			type ChallengeSlash = $crate::ComputeChallengeSlash;
			type ChallengeQuorum = $crate::reexport::frame_support::traits::ConstU32<2>;
			type MaxVerifiers = $crate::reexport::frame_support::traits::ConstU32<5>;
			type MillisPerBlock = pallet_block_time::BlockMillis<Runtime>;
			type WeightInfo = pallet_compute_lease::weights::SubstrateWeight<Runtime>;
		}
	};
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
