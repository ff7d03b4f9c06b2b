//! Leases: starting one, paying what was served from escrow, ending one (early, at its term or
//! in default), and retiring a withdrawn offer once nothing runs on it.

use cohort_primitives::{
	compute::{LeaseId, Offer, OfferStatus},
	traits::{Contributions, Role, Stake},
};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	BalanceOf, Config, Error, Event, Expiries, HoldReason, LeaseEnd, LeaseOf, Leases, LeasesOf,
	NextLeaseId, OfferOf, Offers, Pallet, Workers, EXPIRY_SEARCH,
};

impl<T: Config> Pallet<T> {
	/// Starts a lease of `slots` of `worker`'s offer for `blocks` blocks, its `escrow`
	/// (`escrow_of(price, slots, blocks)`) already held from `consumer`. Checks everything the
	/// offer requires of a lease.
	pub(crate) fn start_lease(
		consumer: T::AccountId,
		worker: T::AccountId,
		mut offer: OfferOf<T>,
		slots: u32,
		blocks: BlockNumberFor<T>,
		escrow: BalanceOf<T>,
	) -> Result<LeaseId, DispatchError> {
		ensure!(consumer != worker, Error::<T>::SelfLease);
		ensure!(offer.status == OfferStatus::Active, Error::<T>::NotActive);
		ensure!(offer.verified_score != Some(0), Error::<T>::FailedChallenge);
		ensure!(offer.terms.bond >= T::MinBond::get(), Error::<T>::BondTooLow);
		ensure!(
			slots > 0 && offer.leased_slots.saturating_add(slots) <= offer.terms.slots,
			Error::<T>::NotEnoughSlots
		);
		ensure!(
			blocks >= offer.terms.min_blocks && blocks <= offer.terms.max_blocks,
			Error::<T>::LeaseLengthOutOfRange
		);
		let now = frame_system::Pallet::<T>::block_number();
		let end = now.saturating_add(blocks);
		let id = NextLeaseId::<T>::get();
		// Cannot fail: each lease takes a slot, and an offer has at most `MaxLeasesPerOffer`.
		LeasesOf::<T>::try_append(&worker, id).map_err(|_| Error::<T>::NotEnoughSlots)?;
		Self::queue_expiry(end, id)?;
		NextLeaseId::<T>::put(id.saturating_add(1));
		offer.leased_slots = offer.leased_slots.saturating_add(slots);
		let price = offer.terms.price;
		Offers::<T>::insert(&worker, offer);
		Leases::<T>::insert(
			id,
			LeaseOf::<T> {
				worker: worker.clone(),
				consumer: consumer.clone(),
				slots,
				price,
				start: now,
				end,
				paid_until: now,
			},
		);
		Self::deposit_event(Event::LeaseStarted {
			lease: id,
			worker,
			consumer,
			slots,
			price,
			end,
			escrow,
		});
		Ok(id)
	}

	/// Queues a lease to end at the first block from `end` with room.
	fn queue_expiry(end: BlockNumberFor<T>, id: LeaseId) -> DispatchResult {
		let mut at = end;
		for _ in 0..EXPIRY_SEARCH {
			if Expiries::<T>::try_append(at, id).is_ok() {
				return Ok(());
			}
			at = at.saturating_add(1u32.into());
		}
		Err(Error::<T>::ExpiryQueueFull.into())
	}

	/// Whether the lease is in default at block `at`: the heartbeat interval has passed since
	/// the later of its start and the worker's last heartbeat.
	pub(crate) fn in_default(
		lease: &LeaseOf<T>,
		offer: Option<&OfferOf<T>>,
		at: BlockNumberFor<T>,
	) -> bool {
		at > Self::alive_since(lease, offer).saturating_add(T::HeartbeatInterval::get())
	}

	/// The later of the lease's start and the worker's last heartbeat: the lease is covered
	/// from there for an interval.
	pub(crate) fn alive_since(lease: &LeaseOf<T>, offer: Option<&OfferOf<T>>) -> BlockNumberFor<T> {
		offer.map_or(lease.start, |o| o.last_heartbeat.max(lease.start))
	}

	/// The block up to which the lease is served at block `at` (at most its end): `at` while
	/// the worker's heartbeats are on time, its last heartbeat otherwise; never before what
	/// is paid already. `offer` is the worker's.
	pub(crate) fn served_until(
		lease: &LeaseOf<T>,
		offer: Option<&OfferOf<T>>,
		at: BlockNumberFor<T>,
	) -> BlockNumberFor<T> {
		let to =
			if Self::in_default(lease, offer, at) { Self::alive_since(lease, offer) } else { at };
		to.min(lease.end).max(lease.paid_until)
	}

	/// What the blocks from `from` to `to` of `lease` are worth.
	fn worth(lease: &LeaseOf<T>, from: BlockNumberFor<T>, to: BlockNumberFor<T>) -> BalanceOf<T> {
		// Cannot overflow: the whole lease's price was computed with checks when it began.
		Self::escrow_of(lease.price, lease.slots, to.saturating_sub(from)).unwrap_or_default()
	}

	/// Pays the worker from the consumer's escrow for the blocks up to `to`; returns what was
	/// paid.
	pub(crate) fn pay(id: LeaseId, lease: &mut LeaseOf<T>, to: BlockNumberFor<T>) -> BalanceOf<T> {
		let amount = Self::worth(lease, lease.paid_until, to);
		if amount.is_zero() {
			lease.paid_until = lease.paid_until.max(to);
			return amount;
		}
		match T::Currency::transfer_on_hold(
			&HoldReason::Escrow.into(),
			&lease.consumer,
			&lease.worker,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		) {
			Ok(_) => {
				lease.paid_until = to;
				T::Contributions::note_contribution(&lease.worker, Role::ComputeProvider, amount);
				amount
			},
			Err(e) => {
				// The escrow is this pallet's alone and always covers the unpaid blocks; a
				// payment that cannot be made stays owed (nothing is recorded as paid).
				log::error!(target: "runtime::compute-lease", "lease {id}: escrow payment failed: {e:?}");
				Zero::zero()
			},
		}
	}

	/// Ends a lease: pays the worker up to `to`, refunds the consumer the rest of the escrow,
	/// frees the slots, takes it out of the queue of ending leases (unless it ends because the
	/// queue came to it), and retires a withdrawing offer that has nothing left.
	pub(crate) fn close_lease(
		id: LeaseId,
		mut lease: LeaseOf<T>,
		to: BlockNumberFor<T>,
		reason: LeaseEnd,
		queued: bool,
	) {
		if queued {
			Self::remove_expiry(lease.end, id);
		}
		let paid = Self::pay(id, &mut lease, to);
		let refunded = Self::worth(&lease, lease.paid_until, lease.end);
		if let Err(e) = T::Currency::release(
			&HoldReason::Escrow.into(),
			&lease.consumer,
			refunded,
			Precision::Exact,
		) {
			log::error!(target: "runtime::compute-lease", "lease {id}: refund failed: {e:?}");
		}
		Leases::<T>::remove(id);
		LeasesOf::<T>::mutate_exists(&lease.worker, |ids| {
			if let Some(list) = ids {
				list.retain(|l| *l != id);
				if list.is_empty() {
					*ids = None;
				}
			}
		});
		Offers::<T>::mutate(&lease.worker, |o| {
			if let Some(offer) = o {
				offer.leased_slots = offer.leased_slots.saturating_sub(lease.slots);
			}
		});
		Self::deposit_event(Event::LeaseEnded { lease: id, reason, paid, refunded });
		Self::maybe_retire(&lease.worker);
	}

	/// Ends the leases whose term is this block's: each is paid in full if its heartbeats were
	/// on time at its end, up to the last heartbeat (and the bond slashed) otherwise.
	/// Returns how many ended.
	pub(crate) fn end_leases_at(now: BlockNumberFor<T>) -> u32 {
		let ids = Expiries::<T>::take(now);
		let mut ended = 0;
		for id in ids {
			let Some(lease) = Leases::<T>::get(id) else { continue };
			ended += 1;
			let offer = Offers::<T>::get(&lease.worker);
			let defaulted = Self::in_default(&lease, offer.as_ref(), lease.end);
			let to = Self::served_until(&lease, offer.as_ref(), lease.end);
			let worker = lease.worker.clone();
			if defaulted {
				// Slashed before the lease closes: closing the last lease of a withdrawing
				// offer releases its bond.
				let slashed = Self::slash_bond(&worker, T::MissedHeartbeatSlash::get(), None);
				Self::deposit_event(Event::HeartbeatMissed { worker, leases: 1, slashed });
				Self::close_lease(id, lease, to, LeaseEnd::MissedHeartbeat, false);
			} else {
				Self::close_lease(id, lease, to, LeaseEnd::Term, false);
			}
		}
		ended
	}

	/// Ends `worker`'s leases that are in default now and slashes its bond once, with a share
	/// to `reporter`. Returns how many ended.
	pub(crate) fn end_defaulted(worker: &T::AccountId, reporter: Option<&T::AccountId>) -> u32 {
		let now = frame_system::Pallet::<T>::block_number();
		let offer = Offers::<T>::get(worker);
		let defaulted: alloc::vec::Vec<_> = LeasesOf::<T>::get(worker)
			.into_iter()
			.filter_map(|id| Leases::<T>::get(id).map(|l| (id, l)))
			.filter(|(_, l)| Self::in_default(l, offer.as_ref(), now.min(l.end)))
			.collect();
		let ended = defaulted.len() as u32;
		if ended == 0 {
			return 0;
		}
		// Slashed before the leases close: closing the last lease of a withdrawing offer
		// releases its bond.
		let slashed = Self::slash_bond(worker, T::MissedHeartbeatSlash::get(), reporter);
		Self::deposit_event(Event::HeartbeatMissed {
			worker: worker.clone(),
			leases: ended,
			slashed,
		});
		for (id, lease) in defaulted {
			// The offer as read above: closing a lease changes its slots, not its heartbeat.
			let to = Self::served_until(&lease, offer.as_ref(), now.min(lease.end));
			Self::close_lease(id, lease, to, LeaseEnd::MissedHeartbeat, true);
		}
		ended
	}

	/// Takes a lease out of the queue of ending leases (it is queued at its end or a few
	/// blocks later).
	fn remove_expiry(end: BlockNumberFor<T>, id: LeaseId) {
		let mut at = end;
		for _ in 0..EXPIRY_SEARCH {
			let mut found = false;
			Expiries::<T>::mutate_exists(at, |q| {
				if let Some(list) = q {
					let before = list.len();
					list.retain(|l| *l != id);
					found = list.len() != before;
					if list.is_empty() {
						*q = None;
					}
				}
			});
			if found {
				return;
			}
			at = at.saturating_add(1u32.into());
		}
	}

	/// Removes a withdrawing offer with no lease and no open challenge, releasing its bond.
	pub(crate) fn maybe_retire(worker: &T::AccountId) {
		let Some(offer) = Offers::<T>::get(worker) else { return };
		if !Self::retirable(&offer) || !LeasesOf::<T>::get(worker).is_empty() {
			return;
		}
		Offers::<T>::remove(worker);
		Workers::<T>::mutate(|w| w.retain(|a| a != worker));
		T::Stake::release(worker, Role::ComputeProvider, offer.terms.bond);
		Self::deposit_event(Event::OfferWithdrawn {
			worker: worker.clone(),
			bond: offer.terms.bond,
		});
	}

	fn retirable(offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>) -> bool {
		offer.status == OfferStatus::Withdrawing
			&& offer.challenge.is_none()
			&& offer.verifying == 0
	}
}
