//! Emission: minting each era's COH into the reward pot, splitting it between roles, paying
//! contributors their part, and returning what nobody claimed in time.

use crate::{
	BalanceOf, Config, CurrentEra, EmissionSchedule, EraIndex, EraStart, Eras, Error, Event,
	ExpiredEras, Pallet, PerRole, Points, Reputation, Shares, Unallocated,
};
use cohort_primitives::{
	dataset::next_reputation,
	traits::{Contributions, Role},
	Score,
};
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
		Get,
	},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	DispatchResult, Perbill,
};

/// Points records an era's close removes at once when the queue of expired eras is full (no
/// spare block weight for many eras): bounded, and counted in the close's weight.
pub(crate) const OVERFLOW_CLEAR: u32 = 1_000;

impl<T: Config> Pallet<T> {
	/// The reward pot: every minted unit not yet paid is here.
	pub fn pot() -> T::AccountId {
		T::PotId::get().into_account_truncating()
	}

	/// Creates the pot with the existential deposit, which stays there for good, so that
	/// rewards can always be paid out of it down to the last unit.
	pub(crate) fn open_pot() {
		let pot = Self::pot();
		let min = T::Currency::minimum_balance();
		if T::Currency::balance(&pot) < min {
			if let Ok(minted) = T::Currency::mint_into(&pot, min) {
				crate::Minted::<T>::mutate(|m| m.saturating_accrue(minted));
			}
		}
	}

	pub(crate) fn shares_are_whole(shares: &PerRole<Perbill>) -> bool {
		Role::ALL.iter().map(|r| shares.get(*r).deconstruct() as u64).sum::<u64>()
			== Perbill::one().deconstruct() as u64
	}

	/// What the schedule mints in `era`, before the supply cap.
	pub fn scheduled_emission(
		schedule: &EmissionSchedule<BalanceOf<T>, BlockNumberFor<T>>,
		era: EraIndex,
	) -> BalanceOf<T> {
		let halvings = era.checked_div(schedule.halving_interval).unwrap_or(0);
		let initial: u128 = schedule.initial_era_emission.unique_saturated_into();
		BalanceOf::<T>::unique_saturated_from(initial.checked_shr(halvings).unwrap_or(0))
	}

	/// Closes the era under way: mints its emission into the pot, fixes each role's payout,
	/// expires the era that falls out of the claim window, and opens the next era. Returns how
	/// many points records it removed at once (see [`Self::expire`]), which its benchmarked
	/// weight does not count.
	pub(crate) fn close_era(
		now: BlockNumberFor<T>,
		schedule: &EmissionSchedule<BalanceOf<T>, BlockNumberFor<T>>,
	) -> u32 {
		let era = CurrentEra::<T>::get();
		let room = schedule.supply_cap.saturating_sub(T::Currency::total_issuance());
		let mut minted = Self::scheduled_emission(schedule, era).min(room);
		if !minted.is_zero() {
			match T::Currency::mint_into(&Self::pot(), minted) {
				Ok(done) => crate::Minted::<T>::mutate(|m| m.saturating_accrue(done)),
				Err(e) => {
					log::error!(target: "runtime::incentives", "minting era {era}'s emission: {e:?}");
					minted = Zero::zero();
				},
			}
		}

		let pool = Unallocated::<T>::get().saturating_add(minted);
		let shares = Shares::<T>::get();
		let mut rewards = Eras::<T>::get(era).unwrap_or_default();
		let mut allocated = BalanceOf::<T>::zero();
		for role in Role::ALL {
			if !rewards.points.get(role).is_zero() {
				let payout = *shares.get(role) * pool;
				*rewards.payout.get_mut(role) = payout;
				allocated.saturating_accrue(payout);
			}
		}
		Unallocated::<T>::put(pool.saturating_sub(allocated));
		let payout = rewards.payout;
		Eras::<T>::insert(era, rewards);
		Self::deposit_event(Event::EraClosed { era, minted, payout });

		let removed = era.checked_sub(T::HistoryDepth::get()).map_or(0, Self::expire);
		CurrentEra::<T>::put(era.saturating_add(1));
		EraStart::<T>::put(now);
		removed
	}

	/// An era's unclaimed rewards go back to the pot; its points records are removed in spare
	/// block space ([`Self::remove_expired_points`]).
	fn expire(era: EraIndex) -> u32 {
		let Some(rewards) = Eras::<T>::take(era) else { return 0 };
		let unclaimed = Role::ALL.iter().fold(BalanceOf::<T>::zero(), |sum, r| {
			sum.saturating_add(rewards.payout.get(*r).saturating_sub(*rewards.claimed.get(*r)))
		});
		Unallocated::<T>::mutate(|u| u.saturating_accrue(unclaimed));
		Self::deposit_event(Event::EraExpired { era, unclaimed });
		if rewards.points == PerRole::default() {
			return 0;
		}
		let mut removed = 0;
		ExpiredEras::<T>::mutate(|queue| {
			if queue.try_push((era, None)).is_err() {
				// The queue is full only if blocks have had no spare weight for many eras: remove
				// a bounded part of the oldest era's records now and give up on the rest (they
				// can no longer be claimed, only take space), and queue this one.
				if let Some((oldest, cursor)) = queue.first().cloned() {
					let result = Points::<T>::clear_prefix(
						oldest,
						OVERFLOW_CLEAR,
						cursor.as_ref().map(|c| c.as_slice()),
					);
					removed = result.unique;
					if result.maybe_cursor.is_some() {
						log::warn!(target: "runtime::incentives", "era {oldest}: points left behind");
					}
					queue.remove(0);
				}
				let _ = queue.try_push((era, None));
			}
		});
		removed
	}

	/// Removes expired eras' points records, as many as `remaining` weight allows.
	pub(crate) fn remove_expired_points(remaining: Weight) -> Weight {
		// A removal reads and writes a record of at most some 100 bytes (an account, a role and
		// an amount), which the proof must carry.
		let per_record =
			T::DbWeight::get().reads_writes(1, 1).saturating_add(Weight::from_parts(0, 100));
		let base = T::DbWeight::get().reads_writes(1, 1);
		let Some(budget) = remaining.checked_sub(&base) else { return Weight::zero() };
		let limit = budget.checked_div_per_component(&per_record).unwrap_or(0).min(1_000) as u32;
		if limit == 0 {
			return Weight::zero();
		}
		let mut queue = ExpiredEras::<T>::get();
		let Some((era, cursor)) = queue.first().cloned() else {
			return T::DbWeight::get().reads(1);
		};
		let result = Points::<T>::clear_prefix(era, limit, cursor.as_ref().map(|c| c.as_slice()));
		match result.maybe_cursor {
			Some(next) => queue[0].1 = BoundedVec::try_from(next).ok(),
			None => {
				queue.remove(0);
			},
		}
		ExpiredEras::<T>::put(queue);
		base.saturating_add(per_record.saturating_mul(result.loops as u64))
	}

	/// `payout × points / total`, rounded down: the rounding stays in the pot.
	pub(crate) fn share_of(
		payout: BalanceOf<T>,
		points: BalanceOf<T>,
		total: BalanceOf<T>,
	) -> BalanceOf<T> {
		let (payout, points, total): (u128, u128, u128) = (
			payout.unique_saturated_into(),
			points.unique_saturated_into(),
			total.unique_saturated_into(),
		);
		let share = sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
			payout,
			points,
			total,
			sp_runtime::Rounding::Down,
		)
		.unwrap_or(0);
		BalanceOf::<T>::unique_saturated_from(share)
	}

	pub(crate) fn do_claim(who: &T::AccountId, era: EraIndex, role: Role) -> DispatchResult {
		frame_support::ensure!(era < CurrentEra::<T>::get(), Error::<T>::EraNotClosed);
		let mut rewards = Eras::<T>::get(era).ok_or(Error::<T>::EraExpired)?;
		let points =
			Points::<T>::take(era, (who.clone(), role)).ok_or(Error::<T>::NothingToClaim)?;
		let amount = Self::share_of(*rewards.payout.get(role), points, *rewards.points.get(role));
		if !amount.is_zero() {
			T::Currency::transfer(&Self::pot(), who, amount, Preservation::Preserve)?;
		}
		rewards.claimed.get_mut(role).saturating_accrue(amount);
		Eras::<T>::insert(era, rewards);
		Self::deposit_event(Event::Claimed { who: who.clone(), era, role, amount });
		Ok(())
	}
}

impl<T: Config> Contributions<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn note_contribution(who: &T::AccountId, role: Role, points: BalanceOf<T>) {
		// Without a schedule no era ever closes: nothing would pay these points.
		if points.is_zero() || !crate::Schedule::<T>::exists() {
			return;
		}
		let era = CurrentEra::<T>::get();
		Points::<T>::mutate(era, (who.clone(), role), |p| {
			*p = Some(p.unwrap_or_default().saturating_add(points))
		});
		Eras::<T>::mutate(era, |rewards| {
			rewards
				.get_or_insert_with(Default::default)
				.points
				.get_mut(role)
				.saturating_accrue(points)
		});
	}

	fn note_quality(who: &T::AccountId, role: Role, quality: Score) {
		Reputation::<T>::mutate(who, role, |r| {
			*r = Some(next_reputation(*r, quality.min(cohort_primitives::round::MAX_SCORE)))
		});
	}

	fn reputation(who: &T::AccountId, role: Role) -> Option<Score> {
		Reputation::<T>::get(who, role)
	}
}
