//! What the `IncentivesApi` runtime API answers.

use crate::{BalanceOf, Config, CurrentEra, Eras, Ledgers, Pallet, Points};
use alloc::vec::Vec;
use cohort_primitives::{
	api::{PendingReward, Rewards, RoleStake},
	traits::Role,
};
use frame_support::traits::Get;
use sp_runtime::Saturating;

impl<T: Config> Pallet<T> {
	/// What `who` can claim now: its points in each role in each closed era still in the claim
	/// window, each with what [`Pallet::claim`] would pay, oldest era first.
	pub fn pending_rewards(who: &T::AccountId) -> Rewards<BalanceOf<T>> {
		let current = CurrentEra::<T>::get();
		let depth = T::HistoryDepth::get();
		let mut pending = Vec::new();
		// Era `e` expires when era `e + depth` closes: the closed eras from `current - depth` on
		// are still in the window.
		for era in current.saturating_sub(depth)..current {
			let Some(rewards) = Eras::<T>::get(era) else { continue };
			for role in Role::ALL {
				let Some(points) = Points::<T>::get(era, (who.clone(), role)) else { continue };
				let role_points = *rewards.points.get(role);
				pending.push(PendingReward {
					era,
					role,
					points,
					role_points,
					amount: Self::share_of(*rewards.payout.get(role), points, role_points),
					claimable_until: era.saturating_add(depth),
				});
			}
		}
		Rewards { current_era: current, pending }
	}

	/// `who`'s stake in each role it has any in, in `Role::ALL`'s order.
	pub fn stake(who: &T::AccountId) -> Vec<RoleStake<BalanceOf<T>>> {
		Role::ALL
			.into_iter()
			.filter_map(|role| {
				let ledger = Ledgers::<T>::get(who, role)?;
				Some(RoleStake {
					role,
					active: ledger.active,
					committed: ledger.committed,
					unlocking: ledger.total().saturating_sub(ledger.active),
				})
			})
			.collect()
	}
}
