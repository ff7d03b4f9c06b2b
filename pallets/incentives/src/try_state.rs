//! The invariants the pallet keeps, checked by `try_state`.

use crate::{
	BalanceOf, Config, CurrentEra, Eras, HoldReason, Ledgers, Pallet, Points, Reputation, Shares,
	Unallocated,
};
use alloc::collections::BTreeMap;
use cohort_primitives::{round::MAX_SCORE, traits::Role};
use frame_support::{
	ensure,
	traits::{
		fungible::{Inspect, InspectHold},
		Get,
	},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	TryRuntimeError,
};

impl<T: Config> Pallet<T> {
	/// Checks that
	/// - the shares add up to 100 % where there is emission;
	/// - every ledger holds something, commits no more than it has bonded, and unbonds only
	///   positive amounts, and what is held from each account is exactly its ledgers' stake;
	/// - only eras still in the claim window are kept, and none pays more than its payout, or
	///   counts fewer points than its unclaimed records; the era under way pays nothing yet;
	/// - the pot holds at least its existential deposit, what is unallocated and everything
	///   claimable: every minted unit is paid, claimable or in the pot (at least: anyone may
	///   send COH to the pot, and FRAME cannot refuse a transfer);
	/// - the total issuance is at most the genesis issuance plus what this pallet minted: nothing
	///   else mints (the randomized run in the compute-lease pallet's tests checks equality,
	///   where nobody burns);
	/// - reputations are at most the best score.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		ensure!(
			Self::shares_are_whole(&Shares::<T>::get()) || crate::Schedule::<T>::get().is_none(),
			"with emission, the shares add up to 100 %"
		);

		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (who, _, ledger) in Ledgers::<T>::iter() {
			ensure!(
				!ledger.active.is_zero() || !ledger.unlocking.is_empty(),
				"an empty ledger is removed"
			);
			ensure!(ledger.committed <= ledger.active, "committed stake is bonded stake");
			ensure!(
				ledger.unlocking.iter().all(|c| !c.value.is_zero()),
				"unbonding chunks are positive"
			);
			held.entry(who).or_default().saturating_accrue(ledger.total());
		}
		for (who, stake) in &held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Stake.into(), who) == *stake,
				"the stake held from each account is what its ledgers say"
			);
		}

		let current = CurrentEra::<T>::get();
		let mut claimable = BalanceOf::<T>::zero();
		for (era, rewards) in Eras::<T>::iter() {
			ensure!(era <= current, "no era is recorded before it starts");
			ensure!(
				era.saturating_add(T::HistoryDepth::get()) >= current,
				"expired eras are removed"
			);
			let mut unclaimed_points = crate::PerRole::<BalanceOf<T>>::default();
			for ((_, role), points) in Points::<T>::iter_prefix(era) {
				unclaimed_points.get_mut(role).saturating_accrue(points);
			}
			for role in Role::ALL {
				ensure!(
					rewards.claimed.get(role) <= rewards.payout.get(role),
					"no role is paid more than its payout"
				);
				ensure!(
					unclaimed_points.get(role) <= rewards.points.get(role),
					"unclaimed points are part of the era's points"
				);
				if era == current {
					ensure!(
						unclaimed_points.get(role) == rewards.points.get(role),
						"the era under way counts every point"
					);
					ensure!(
						rewards.payout.get(role).is_zero(),
						"the era under way pays nothing yet"
					);
				}
				claimable.saturating_accrue(
					rewards.payout.get(role).saturating_sub(*rewards.claimed.get(role)),
				);
			}
		}
		let accounted = T::Currency::minimum_balance()
			.saturating_add(Unallocated::<T>::get())
			.saturating_add(claimable);
		// At least: anyone may send COH to the pot, and that is nobody's reward.
		ensure!(
			T::Currency::balance(&Self::pot()) >= accounted,
			"the pot holds everything minted and not yet paid"
		);

		// At most: an account may burn its own funds (`balances.burn`), and Root may adjust the
		// issuance; nothing but emission raises it.
		ensure!(
			T::Currency::total_issuance()
				<= crate::GenesisIssuance::<T>::get().saturating_add(crate::Minted::<T>::get()),
			"the total issuance is at most the genesis issuance plus what emission minted"
		);

		ensure!(
			Reputation::<T>::iter_values().all(|r| r <= MAX_SCORE),
			"reputations are at most the best score"
		);
		Ok(())
	}
}
