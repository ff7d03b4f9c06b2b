//! # Incentives pallet
//!
//! The token economy of Cohort: new COH minted on a schedule, stake by role, rewards by
//! contribution, a reputation per account and role, and slashes that go to the treasury.
//!
//! ## Overview
//!
//! **Emission.** Time is cut into *eras* of [`EmissionSchedule::era_length`] blocks. When an
//! era closes, the schedule's emission for it (`initial_era_emission`, halved every
//! `halving_interval` eras, never taking the total issuance above `supply_cap`) is minted into
//! the reward pot. Together with what earlier eras left unallocated, it is split between the
//! roles by [`Shares`] (Root may change them: [`Pallet::set_shares`]): a role's share is the
//! era's *payout* for that role if anyone contributed in it, and stays in the pot for the next
//! era otherwise. Nothing is minted outside this schedule.
//!
//! **Rewards by contribution.** Other pallets report, through
//! [`Contributions`](cohort_primitives::traits::Contributions), the work accounts did in each
//! role during the era, measured in what the market paid for it: a trainer's and an
//! aggregator's round rewards, a data owner's royalties, a provider's lease payments. Each
//! account's reward for an era and role is the role's payout times its share of the role's
//! points; anyone may trigger the payment ([`Pallet::claim`]), and it goes to the account. A
//! reward can be claimed for [`Config::HistoryDepth`] eras; after that it returns to the pot.
//! Closing an era touches only a few fixed records, whatever the number of accounts.
//!
//! **Stake by role.** An account bonds COH for a role ([`Pallet::bond`]), held under
//! [`HoldReason::Stake`]. Other pallets *commit* part of it to a duty through
//! [`Stake`](cohort_primitives::traits::Stake): a federated task's bond is committed trainer or
//! aggregator stake and weights the account's selection in the task's rounds. Committed stake
//! cannot be unbonded. Unbonding ([`Pallet::unbond`]) waits [`Config::UnbondingPeriod`] blocks
//! before [`Pallet::withdraw_unbonded`] frees it, and stake that is unbonding can still be
//! slashed; [`Pallet::rebond`] takes it back.
//!
//! **Slashing.** A pallet that finds misbehaviour slashes the account's stake in the role:
//! committed stake first, then the rest of the bonded stake, then unbonding stake, latest
//! first. The slashed funds go to [`Config::OnSlash`] (the treasury), minus
//! [`Config::ReporterShare`] for the reporter where there is one.
//!
//! **Reputation.** Every judged piece of work (a trainer's score, an aggregator's agreement
//! with the quorum) moves the account's reputation in the role, a moving average in millionths
//! ([`cohort_primitives::dataset::next_reputation`]); other pallets read it.
//!
//! See `docs/economics.md` for the schedule, the shares and the reasoning behind each parameter.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod emission;
#[cfg(test)]
mod mock;
mod stake;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
pub mod weights;
pub use weights::WeightInfo;

use cohort_primitives::traits::Role;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible, Get},
};
use frame_system::pallet_prelude::BlockNumberFor;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// Funds taken from an account, to be put somewhere.
pub type CreditOf<T> =
	fungible::Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;
/// An era, numbered from 0.
pub type EraIndex = u32;
/// An account's stake in a role, as stored.
pub type LedgerOf<T> =
	StakeLedger<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxUnlockingChunks>;

/// One value per role.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct PerRole<V> {
	pub trainers: V,
	pub aggregators: V,
	pub data_owners: V,
	pub compute_providers: V,
}

impl<V> PerRole<V> {
	/// The value for `role`.
	pub fn get(&self, role: Role) -> &V {
		match role {
			Role::Trainer => &self.trainers,
			Role::Aggregator => &self.aggregators,
			Role::DataOwner => &self.data_owners,
			Role::ComputeProvider => &self.compute_providers,
		}
	}

	/// The value for `role`, to change.
	pub fn get_mut(&mut self, role: Role) -> &mut V {
		match role {
			Role::Trainer => &mut self.trainers,
			Role::Aggregator => &mut self.aggregators,
			Role::DataOwner => &mut self.data_owners,
			Role::ComputeProvider => &mut self.compute_providers,
		}
	}
}

/// How much is minted, and when.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct EmissionSchedule<Balance, BlockNumber> {
	/// An era lasts this many blocks.
	pub era_length: BlockNumber,
	/// What era 0 mints.
	pub initial_era_emission: Balance,
	/// The emission halves every this many eras (0: it never halves).
	pub halving_interval: EraIndex,
	/// Emission never takes the total issuance above this.
	pub supply_cap: Balance,
}

/// A closed era's rewards (and, for the era under way, its points so far).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
)]
pub struct EraRewards<Balance> {
	/// What each role's contributors share; zero until the era closes, and for roles in which
	/// nobody contributed.
	pub payout: PerRole<Balance>,
	/// Each role's points: the sum of what was reported.
	pub points: PerRole<Balance>,
	/// What has been claimed of each role's payout.
	pub claimed: PerRole<Balance>,
}

/// Stake that is unbonding, and when it can be withdrawn.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct UnlockChunk<Balance, BlockNumber> {
	pub value: Balance,
	pub unlocks_at: BlockNumber,
}

/// An account's stake in one role.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
#[scale_info(skip_type_params(MaxChunks))]
pub struct StakeLedger<Balance, BlockNumber, MaxChunks: Get<u32>> {
	/// Bonded stake, including what is committed.
	pub active: Balance,
	/// The part of `active` that backs duties (task bonds, leases) and cannot be unbonded.
	pub committed: Balance,
	/// Stake on its way out, oldest first; still slashable.
	pub unlocking: BoundedVec<UnlockChunk<Balance, BlockNumber>, MaxChunks>,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use cohort_primitives::Score;
	use frame_support::{traits::OnUnbalanced, PalletId};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{traits::Saturating, Perbill};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency that is staked, minted and slashed.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::BalancedHold<Self::AccountId>
			+ fungible::Balanced<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// Where slashed stake goes: the treasury.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// The reporter's part of a slash it reported.
		#[pallet::constant]
		type ReporterShare: Get<Perbill>;

		/// Who may change the roles' shares of emission.
		type SharesOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The reward pot's account is derived from this.
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// Unbonded stake can be withdrawn after this many blocks.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// At most this many unbonding chunks per account and role.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// An account's bonded stake in a role is zero or at least this: a ledger is a storage
		/// record, and dust ledgers would be free to create.
		#[pallet::constant]
		type MinStake: Get<BalanceOf<Self>>;

		/// A reward can be claimed for this many eras after its era closed.
		#[pallet::constant]
		type HistoryDepth: Get<EraIndex>;

		/// The weight of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Stake bonded for a role: it backs the account's duties and can be slashed.
		Stake,
	}

	/// How much is minted, and when (set at genesis).
	#[pallet::storage]
	pub type Schedule<T: Config> =
		StorageValue<_, EmissionSchedule<BalanceOf<T>, BlockNumberFor<T>>, OptionQuery>;

	/// Each role's share of an era's emission; they add up to 100 % (or are all zero on a
	/// chain without emission).
	#[pallet::storage]
	pub type Shares<T: Config> = StorageValue<_, PerRole<Perbill>, ValueQuery>;

	/// The era under way.
	#[pallet::storage]
	pub type CurrentEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

	/// The block at which the era under way started.
	#[pallet::storage]
	pub type EraStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Minted funds in the pot that no era has allocated yet: roles nobody contributed in,
	/// rounding, and rewards nobody claimed in time. They join the next era's payout.
	#[pallet::storage]
	pub type Unallocated<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Everything this pallet ever minted: the pot's existential deposit and every era's
	/// emission.
	#[pallet::storage]
	pub type Minted<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The total issuance at genesis, before this pallet minted anything. Nothing but this
	/// pallet mints in the runtime, and nothing burns but an account burning its own funds
	/// (`balances.burn`): slashes, fees, dust and forfeits move to the treasury. So the total
	/// issuance is this plus [`Minted`] less what accounts burnt; `try_state` checks it is at
	/// most this plus [`Minted`].
	#[pallet::storage]
	pub type GenesisIssuance<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The rewards of the era under way (points only) and of the closed eras that can still be
	/// claimed.
	#[pallet::storage]
	pub type Eras<T: Config> =
		StorageMap<_, Twox64Concat, EraIndex, EraRewards<BalanceOf<T>>, OptionQuery>;

	/// Each account's points in each role, per era; removed when claimed or expired.
	#[pallet::storage]
	pub type Points<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EraIndex,
		Blake2_128Concat,
		(T::AccountId, Role),
		BalanceOf<T>,
		OptionQuery,
	>;

	/// Expired eras whose points records are still being removed, oldest first, with the
	/// cursor of the removal under way.
	#[pallet::storage]
	pub type ExpiredEras<T: Config> = StorageValue<
		_,
		BoundedVec<(EraIndex, Option<BoundedVec<u8, ConstU32<256>>>), ConstU32<16>>,
		ValueQuery,
	>;

	/// Each account's stake in each role.
	#[pallet::storage]
	pub type Ledgers<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		Role,
		LedgerOf<T>,
		OptionQuery,
	>;

	/// Each account's reputation in each role, in millionths.
	#[pallet::storage]
	pub type Reputation<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, Role, Score, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The emission schedule; `None` mints nothing.
		pub schedule: Option<EmissionSchedule<BalanceOf<T>, BlockNumberFor<T>>>,
		/// Each role's share of emission; they must add up to 100 % if there is a schedule.
		pub shares: PerRole<Perbill>,
		/// Accounts that start with stake: who, in which role, how much.
		pub stakers: alloc::vec::Vec<(T::AccountId, Role, BalanceOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(schedule) = &self.schedule {
				assert!(!schedule.era_length.is_zero(), "an era lasts at least a block");
				Schedule::<T>::put(schedule);
			}
			assert!(
				self.schedule.is_none() || Pallet::<T>::shares_are_whole(&self.shares),
				"with emission, the shares must add up to 100 %"
			);
			Shares::<T>::put(self.shares);
			GenesisIssuance::<T>::put(<T::Currency as fungible::Inspect<_>>::total_issuance());
			Pallet::<T>::open_pot();
			for (who, role, amount) in &self.stakers {
				Pallet::<T>::do_bond(who, *role, *amount).expect("genesis stakers can bond");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` was bonded for `role`.
		Bonded { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `amount` started unbonding; it can be withdrawn from block `unlocks_at`.
		Unbonding {
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
			unlocks_at: BlockNumberFor<T>,
		},
		/// `amount` of unbonding stake was bonded again.
		Rebonded { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// Unbonded stake went back to the account's free balance.
		Withdrawn { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `amount` of stake was committed to a duty (a task, a lease).
		Committed { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `amount` of committed stake was released; it stays bonded.
		Released { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `amount` of stake was slashed: `to_reporter` of it went to the reporter, the rest to
		/// the treasury.
		Slashed {
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
			reporter: Option<T::AccountId>,
			to_reporter: BalanceOf<T>,
		},
		/// An era closed: `minted` was created, and `payout` is what each role's contributors
		/// share (the rest waits in the pot).
		EraClosed { era: EraIndex, minted: BalanceOf<T>, payout: PerRole<BalanceOf<T>> },
		/// A reward for an era and role was paid.
		Claimed { who: T::AccountId, era: EraIndex, role: Role, amount: BalanceOf<T> },
		/// An era's unclaimed rewards went back to the pot.
		EraExpired { era: EraIndex, unclaimed: BalanceOf<T> },
		/// The roles' shares of emission changed.
		SharesSet { shares: PerRole<Perbill> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The amount is zero.
		ZeroAmount,
		/// The bonded stake would be below the minimum (and not zero).
		BelowMinStake,
		/// The account has no stake in this role.
		NotStaked,
		/// Only stake that is bonded and not committed to a duty can be unbonded.
		StakeCommitted,
		/// Not that much stake is bonded (or unbonding, for a rebond).
		InsufficientStake,
		/// Too many unbonding chunks: withdraw or rebond first.
		TooManyUnlockingChunks,
		/// Nothing has finished unbonding.
		NothingToWithdraw,
		/// The shares do not add up to 100 %.
		SharesNotWhole,
		/// That era has not closed yet.
		EraNotClosed,
		/// That era's rewards can no longer be claimed.
		EraExpired,
		/// The account has nothing to claim for that era and role.
		NothingToClaim,
		/// A stake or reward overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Closes the era when its last block has passed: a fixed amount of work, whatever the
		/// number of accounts.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			match Schedule::<T>::get() {
				Some(s) if now >= EraStart::<T>::get().saturating_add(s.era_length) => {
					let removed = Self::close_era(now, &s);
					T::WeightInfo::close_era().saturating_add(
						T::DbWeight::get().reads_writes(removed.into(), removed.into()),
					)
				},
				_ => T::DbWeight::get().reads(1),
			}
		}

		/// Removes expired eras' points records with the block's spare weight.
		fn on_idle(_now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::remove_expired_points(remaining)
		}

		fn integrity_test() {
			assert!(!T::MinStake::get().is_zero(), "stake must have a positive minimum");
			assert!(T::MaxUnlockingChunks::get() > 0, "stake must be able to unbond");
			assert!(T::HistoryDepth::get() > 0, "rewards must be claimable for an era at least");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bonds `amount` more of the caller's free balance as stake for `role`. The bonded
		/// stake must reach [`Config::MinStake`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond())]
		pub fn bond(
			origin: OriginFor<T>,
			role: Role,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond(&who, role, amount)
		}

		/// Starts unbonding `amount` of the caller's stake for `role` that is not committed to a
		/// duty. It stays slashable, and can be withdrawn after [`Config::UnbondingPeriod`]
		/// blocks. What stays bonded must be zero or at least [`Config::MinStake`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(
			origin: OriginFor<T>,
			role: Role,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(&who, role, amount)
		}

		/// Bonds again `amount` of the caller's unbonding stake for `role`, latest first.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::rebond())]
		pub fn rebond(
			origin: OriginFor<T>,
			role: Role,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_rebond(&who, role, amount)
		}

		/// Returns the caller's stake for `role` that has finished unbonding to its free
		/// balance.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(&who, role)
		}

		/// Pays `who` its reward for `role` in a closed `era` from the reward pot. Anyone may
		/// call it; the reward always goes to `who`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::claim())]
		pub fn claim(
			origin: OriginFor<T>,
			who: T::AccountId,
			era: EraIndex,
			role: Role,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_claim(&who, era, role)
		}

		/// Sets each role's share of emission, from the next era that closes. They must add up
		/// to 100 %. Only [`Config::SharesOrigin`] (Root) may call it.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_shares())]
		pub fn set_shares(origin: OriginFor<T>, shares: PerRole<Perbill>) -> DispatchResult {
			T::SharesOrigin::ensure_origin(origin)?;
			ensure!(Self::shares_are_whole(&shares), Error::<T>::SharesNotWhole);
			Shares::<T>::put(shares);
			Self::deposit_event(Event::SharesSet { shares });
			Ok(())
		}
	}
}
