//! Invariants: every unit held in escrow is owed by a lease or a request, offers' bonds are
//! the committed stake, slots and queues agree with the leases.

use alloc::collections::btree_map::BTreeMap;
use cohort_primitives::traits::{Role, Stake};
use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::{Saturating, TryRuntimeError};

use crate::{
	BalanceOf, Challenges, Config, Expiries, HoldReason, Leases, LeasesOf, Offers, Pallet,
	RequestCount, Requests, Resolutions, Workers,
};

impl<T: Config> Pallet<T> {
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		// Escrow: each consumer's hold is what its leases still owe plus its requests.
		let mut owed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut slots: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (id, l) in Leases::<T>::iter() {
			ensure!(
				l.start <= l.paid_until && l.paid_until <= l.end,
				"a lease is paid beyond its term"
			);
			let unpaid = Self::escrow_of(l.price, l.slots, l.end - l.paid_until)
				.map_err(|_| "a lease's price overflows")?;
			owed.entry(l.consumer.clone()).or_default().saturating_accrue(unpaid);
			slots.entry(l.worker.clone()).or_default().saturating_accrue(l.slots);
			ensure!(
				LeasesOf::<T>::get(&l.worker).contains(&id),
				"a lease is not listed on its offer"
			);
			ensure!(
				(0..crate::EXPIRY_SEARCH)
					.any(|i| Expiries::<T>::get(l.end + i.into()).contains(&id)),
				"a lease is not queued to end"
			);
		}
		let mut requests: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (_, r) in Requests::<T>::iter() {
			owed.entry(r.consumer.clone()).or_default().saturating_accrue(r.escrow);
			*requests.entry(r.consumer.clone()).or_default() += 1;
		}
		for (who, count) in RequestCount::<T>::iter() {
			ensure!(requests.get(&who) == Some(&count), "request counts disagree");
		}
		ensure!(RequestCount::<T>::iter().count() == requests.len(), "request counts disagree");
		for (who, amount) in &owed {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), who) == *amount,
				"escrow held differs from what leases and requests owe"
			);
		}
		// Each offer's count of challenges it verifies is the open challenges that drew it.
		let mut verifying: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (_, c) in Challenges::<T>::iter() {
			for (v, _) in c.verifiers.iter() {
				ensure!(*v != c.worker, "a worker verifies its own challenge");
				*verifying.entry(v.clone()).or_default() += 1;
			}
		}
		ensure!(
			verifying.keys().all(Offers::<T>::contains_key),
			"a drawn verifier's offer is gone before its challenge is decided"
		);
		// Offers: listed once, their bond is their committed stake, their slots what leases take.
		let workers = Workers::<T>::get();
		ensure!(workers.len() == Offers::<T>::iter().count(), "workers and offers disagree");
		for (who, offer) in Offers::<T>::iter() {
			ensure!(
				workers.iter().filter(|w| **w == who).count() == 1,
				"an offer is not listed once"
			);
			ensure!(
				T::Stake::committed(&who, Role::ComputeProvider) == offer.terms.bond,
				"an offer's bond is not its committed stake"
			);
			ensure!(
				offer.leased_slots == slots.get(&who).copied().unwrap_or(0)
					&& offer.leased_slots <= offer.terms.slots,
				"an offer's leased slots disagree with its leases"
			);
			ensure!(
				offer.verifying == verifying.get(&who).copied().unwrap_or(0),
				"an offer's count of challenges it verifies disagrees with the challenges"
			);
			if let Some(id) = offer.challenge {
				ensure!(
					Challenges::<T>::get(id).is_some_and(|c| c.worker == who),
					"a dangling challenge"
				);
			}
		}
		for (worker, ids) in LeasesOf::<T>::iter() {
			ensure!(!ids.is_empty(), "an empty lease list is stored");
			for id in ids {
				ensure!(
					Leases::<T>::get(id).is_some_and(|l| l.worker == worker),
					"a listed lease is gone"
				);
			}
		}
		for (_, ids) in Expiries::<T>::iter() {
			ensure!(!ids.is_empty(), "an empty expiry queue is stored");
		}
		// Challenges: each open one resolves once, and its worker knows it.
		for (id, c) in Challenges::<T>::iter() {
			let at = c.reveal_by + 1u32.into();
			ensure!(Resolutions::<T>::get(at).contains(&id), "an open challenge never resolves");
			ensure!(
				Offers::<T>::get(&c.worker).is_some_and(|o| o.challenge == Some(id)),
				"a challenge's worker does not know it"
			);
		}
		Ok(())
	}
}
