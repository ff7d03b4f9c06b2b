//! What the runtime API tells a worker: its duties, its offer and its leases.

use alloc::vec::Vec;
use cohort_primitives::compute::{ComputeDuty, LeaseId};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

use crate::{BalanceOf, Challenges, Config, LeaseOf, Leases, LeasesOf, Offers, Pallet, Workers};

impl<T: Config> Pallet<T> {
	/// What `worker` must do now: a heartbeat once half the interval has passed while leases
	/// run, the challenges it must answer and reveal (its own, or one it was drawn to
	/// verify), and the consumers it serves.
	pub fn compute_duties(
		worker: T::AccountId,
	) -> Vec<ComputeDuty<T::AccountId, BlockNumberFor<T>>> {
		let Some(offer) = Offers::<T>::get(&worker) else { return Vec::new() };
		let now = frame_system::Pallet::<T>::block_number();
		let mut duties = Vec::new();
		let leases = Self::leases_of(worker.clone());
		if !leases.is_empty() {
			let interval = T::HeartbeatInterval::get();
			// The lease that defaults first sets the deadline: each is covered from the later of
			// its start and the last heartbeat.
			let since = leases
				.iter()
				.map(|(_, l)| Self::alive_since(l, Some(&offer)))
				.min()
				.unwrap_or_default();
			let half: BlockNumberFor<T> = interval / 2u32.into();
			if now >= since.saturating_add(half) {
				duties.push(ComputeDuty::Heartbeat { due: since.saturating_add(interval) });
			}
		}
		for (id, c) in Challenges::<T>::iter() {
			let own = if c.worker == worker {
				Some(c.answer.as_ref())
			} else {
				c.verifiers.iter().find(|(v, _)| *v == worker).map(|(_, a)| a.as_ref())
			};
			match own {
				Some(None) if now <= c.commit_by => duties.push(ComputeDuty::AnswerChallenge {
					id,
					seed: c.seed,
					size: c.size,
					commit_by: c.commit_by,
				}),
				Some(Some(a))
					if a.revealed.is_none() && now > c.commit_by && now <= c.reveal_by =>
				{
					duties.push(ComputeDuty::RevealChallenge {
						id,
						commitment: a.commitment,
						reveal_by: c.reveal_by,
					})
				},
				_ => {},
			}
		}
		for (lease, l) in leases {
			if now < l.end {
				duties.push(ComputeDuty::Serve {
					lease,
					consumer: l.consumer,
					until: l.end,
					paid_until: l.paid_until,
				});
			}
		}
		duties
	}

	/// The least bond `register_offer` takes now: [`Pallet::min_offer_bond`] for the offers
	/// registered, and at least [`Config::MinBond`].
	pub fn new_offer_bond() -> BalanceOf<T> {
		let others = Workers::<T>::decode_len().unwrap_or(0) as u32;
		Self::min_offer_bond(others).max(T::MinBond::get())
	}

	/// The running leases of `worker`'s offer.
	pub fn leases_of(worker: T::AccountId) -> Vec<(LeaseId, LeaseOf<T>)> {
		LeasesOf::<T>::get(worker)
			.into_iter()
			.filter_map(|id| Leases::<T>::get(id).map(|l| (id, l)))
			.collect()
	}
}
