//! Benchmarks of every call and of closing an era, each in its most expensive case.

use super::*;
use crate::{CurrentEra, Eras, Ledgers, Pallet as Incentives, Schedule, Shares};
use cohort_primitives::traits::{Contributions, Role};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use sp_runtime::{
	traits::{Bounded, One, Saturating},
	Perbill,
};

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	// Enough to stake, not so much that the supply cap leaves no room for emission.
	T::Currency::set_balance(&who, stake::<T>().saturating_mul(10u32.into()));
	who
}

fn stake<T: Config>() -> BalanceOf<T> {
	T::MinStake::get().saturating_mul(100u32.into())
}

/// An account with stake whose unbonding chunks fill all but `free` places.
fn with_chunks<T: Config>(free: u32) -> T::AccountId {
	let who = funded::<T>("staker");
	Incentives::<T>::do_bond(&who, Role::Trainer, stake::<T>()).unwrap();
	for _ in 0..T::MaxUnlockingChunks::get().saturating_sub(free) {
		Incentives::<T>::do_unbond(&who, Role::Trainer, T::MinStake::get()).unwrap();
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number() + One::one(),
		);
	}
	who
}

fn ensure_schedule<T: Config>() -> EmissionSchedule<BalanceOf<T>, BlockNumberFor<T>> {
	Schedule::<T>::get().unwrap_or_else(|| {
		let schedule = EmissionSchedule {
			era_length: 10u32.into(),
			initial_era_emission: T::Currency::minimum_balance().saturating_mul(1_000u32.into()),
			halving_interval: 10,
			supply_cap: BalanceOf::<T>::max_value(),
		};
		Schedule::<T>::put(&schedule);
		Incentives::<T>::open_pot();
		schedule
	})
}

/// Every role has contributors in the era under way.
fn contribute<T: Config>(who: &T::AccountId) {
	for role in Role::ALL {
		Incentives::<T>::note_contribution(who, role, T::Currency::minimum_balance());
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		let who = funded::<T>("staker");
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Role::Trainer, stake::<T>());
		assert_eq!(Ledgers::<T>::get(&who, Role::Trainer).unwrap().active, stake::<T>());
	}

	#[benchmark]
	fn unbond() {
		let who = with_chunks::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Role::Trainer, T::MinStake::get());
		let ledger = Ledgers::<T>::get(&who, Role::Trainer).unwrap();
		assert_eq!(ledger.unlocking.len() as u32, T::MaxUnlockingChunks::get());
	}

	#[benchmark]
	fn rebond() {
		let who = with_chunks::<T>(0);
		let unbonding = T::MinStake::get().saturating_mul(T::MaxUnlockingChunks::get().into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Role::Trainer, unbonding);
		assert!(Ledgers::<T>::get(&who, Role::Trainer).unwrap().unlocking.is_empty());
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let who = with_chunks::<T>(0);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get())
				+ One::one(),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Role::Trainer);
		assert!(Ledgers::<T>::get(&who, Role::Trainer).unwrap().unlocking.is_empty());
	}

	#[benchmark]
	fn claim() {
		let schedule = ensure_schedule::<T>();
		let who = funded::<T>("contributor");
		contribute::<T>(&who);
		let era = CurrentEra::<T>::get();
		Incentives::<T>::close_era(frame_system::Pallet::<T>::block_number(), &schedule);
		let caller = funded::<T>("caller");
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), who.clone(), era, Role::Trainer);
		assert!(!Eras::<T>::get(era).unwrap().claimed.trainers.is_zero());
	}

	#[benchmark]
	fn set_shares() {
		let shares = PerRole {
			trainers: Perbill::from_percent(25),
			aggregators: Perbill::from_percent(25),
			data_owners: Perbill::from_percent(25),
			compute_providers: Perbill::from_percent(25),
		};
		#[extrinsic_call]
		_(RawOrigin::Root, shares);
		assert_eq!(Shares::<T>::get(), shares);
	}

	/// Closing an era that mints, pays every role, and expires an era with points.
	#[benchmark]
	fn close_era() {
		let schedule = ensure_schedule::<T>();
		let who = funded::<T>("contributor");
		for _ in 0..T::HistoryDepth::get() {
			contribute::<T>(&who);
			Incentives::<T>::close_era(frame_system::Pallet::<T>::block_number(), &schedule);
		}
		contribute::<T>(&who);
		let era = CurrentEra::<T>::get();
		let expiring = era - T::HistoryDepth::get();
		assert!(Eras::<T>::contains_key(expiring));
		#[block]
		{
			Incentives::<T>::close_era(frame_system::Pallet::<T>::block_number(), &schedule);
		}
		assert!(!Eras::<T>::contains_key(expiring));
		assert_eq!(CurrentEra::<T>::get(), era + 1);
	}

	impl_benchmark_test_suite!(Incentives, crate::mock::new_test_ext(), crate::mock::Test);
}
