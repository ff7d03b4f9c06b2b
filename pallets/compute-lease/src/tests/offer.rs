use super::*;
use crate::{Error, Event, Offers, Workers};
use cohort_primitives::compute::{Backends, OfferStatus};
use frame_support::assert_noop;

#[test]
fn registering_commits_the_bond_and_lists_the_worker() {
	test(|| {
		register(WORKER);
		let offer = Offers::<Test>::get(WORKER).unwrap();
		assert_eq!(offer.status, OfferStatus::Active);
		assert_eq!(offer.claimed_score, SCORE);
		assert_eq!(offer.verified_score, None, "only a challenge verifies a score");
		assert_eq!(committed(WORKER), MIN_BOND);
		assert_eq!(Workers::<Test>::get().to_vec(), vec![WORKER]);
		assert!(events().contains(&Event::OfferRegistered {
			worker: WORKER,
			slots: 2,
			price: PRICE,
			bond: MIN_BOND,
			claimed_score: SCORE
		}));
		assert_noop!(
			ComputeLease::register_offer(origin(WORKER), hardware(), SCORE, terms()),
			Error::<Test>::AlreadyRegistered
		);
	});
}

#[test]
fn invalid_offers_are_refused() {
	test(|| {
		let bad = |f: fn(&mut cohort_primitives::compute::OfferTerms<Balance, u64>)| {
			let mut t = terms();
			f(&mut t);
			t
		};
		for t in [
			bad(|t| t.slots = 0),
			bad(|t| t.slots = 5), // more than the leases an offer can run
			bad(|t| t.min_blocks = 0),
			bad(|t| t.max_blocks = 4),
		] {
			assert_noop!(
				ComputeLease::register_offer(origin(WORKER), hardware(), SCORE, t),
				Error::<Test>::InvalidOffer
			);
		}
		assert_noop!(
			ComputeLease::register_offer(origin(WORKER), hardware(), 0, terms()),
			Error::<Test>::InvalidOffer
		);
		let mut hw = hardware();
		hw.backends = Backends(0);
		assert_noop!(
			ComputeLease::register_offer(origin(WORKER), hw.clone(), SCORE, terms()),
			Error::<Test>::InvalidOffer
		);
		hw.backends = Backends(16);
		assert_noop!(
			ComputeLease::register_offer(origin(WORKER), hw, SCORE, terms()),
			Error::<Test>::InvalidOffer
		);
		assert_noop!(
			ComputeLease::register_offer(
				origin(WORKER),
				hardware(),
				SCORE,
				bad(|t| t.bond = MIN_BOND - 1)
			),
			Error::<Test>::BondTooLow
		);
		// A bond the worker cannot pay is refused by the stake keeper.
		assert!(ComputeLease::register_offer(
			origin(WORKER),
			hardware(),
			SCORE,
			bad(|t| t.bond = ENDOWMENT * 2)
		)
		.is_err());
		assert!(Offers::<Test>::get(WORKER).is_none());
	});
}

/// Registers `who` with the least bond the list's fill asks for — what the runtime API quotes
/// (`ComputeLeaseApi::min_offer_bond`), and no less: a planck under it is refused — and returns
/// it.
fn register_at_minimum(who: AccountId) -> Balance {
	let bond = ComputeLease::new_offer_bond();
	assert_eq!(
		bond,
		ComputeLease::min_offer_bond(Workers::<Test>::decode_len().unwrap_or(0) as u32)
			.max(MIN_BOND)
	);
	let mut t = terms();
	t.bond = bond - 1;
	assert_noop!(
		ComputeLease::register_offer(origin(who), hardware(), SCORE, t.clone()),
		Error::<Test>::BondTooLow
	);
	t.bond = bond;
	assert_ok!(ComputeLease::register_offer(origin(who), hardware(), SCORE, t));
	bond
}

#[test]
fn offers_are_bounded() {
	test(|| {
		for who in 1..=MAX_OFFERS as AccountId {
			register_at_minimum(who);
		}
		let mut t = terms();
		t.bond = ENDOWMENT / 2;
		assert_noop!(
			ComputeLease::register_offer(origin(MAX_OFFERS as AccountId + 1), hardware(), SCORE, t),
			Error::<Test>::TooManyOffers
		);
	});
}

#[test]
fn the_offer_bond_grows_once_half_the_list_is_full() {
	test(|| {
		let half = MAX_OFFERS / 2;
		let bonds: Vec<Balance> = (1..=MAX_OFFERS as AccountId).map(register_at_minimum).collect();
		// The first half at the minimum, then MinBond × half / places left, rounded up.
		for (others, bond) in bonds.iter().enumerate() {
			let others = others as u32;
			let expected = if others <= half {
				MIN_BOND
			} else {
				(MIN_BOND * half as Balance).div_ceil((MAX_OFFERS - others) as Balance)
			};
			assert_eq!(*bond, expected, "with {others} offers registered");
		}
		assert_eq!(bonds[MAX_OFFERS as usize - 1], MIN_BOND * half as Balance);
		// Filling the list locks 1.86 times what it did at a flat minimum (16 places; at the
		// runtime's 1,024, 4.2 times).
		let total: Balance = bonds.iter().sum();
		assert_eq!(total, 29_744);
	});
}

#[test]
fn sybil_offers_at_the_minimum_cannot_fill_the_list_and_a_newcomer_gets_in() {
	test(|| {
		// A squatter with many accounts, each bonding the minimum, fills half the list and no
		// more; a provider arriving later bonds what the fill asks and gets a place.
		let half = MAX_OFFERS / 2;
		for who in 1..=half as AccountId + 1 {
			register(who);
		}
		assert_noop!(
			ComputeLease::register_offer(origin(half as AccountId + 2), hardware(), SCORE, terms()),
			Error::<Test>::BondTooLow
		);
		let newcomer = 20;
		let bond = register_at_minimum(newcomer);
		assert!(bond > MIN_BOND && bond < 2 * MIN_BOND, "{bond}");
		assert!(Offers::<Test>::contains_key(newcomer));
		// Nor can a squatter lower its bond below what the fill asks once it is in.
		let mut t = terms();
		t.bond = MIN_BOND;
		assert_noop!(
			ComputeLease::update_offer(origin(newcomer), hardware(), SCORE, t),
			Error::<Test>::BondTooLow
		);
	});
}

#[test]
fn an_early_offer_updates_its_terms_without_topping_up_as_the_list_fills() {
	test(|| {
		// An honest provider registered at the minimum when the list was empty; the list has
		// filled past half since. Changing its price, keeping its bond, asks nothing more.
		register(1);
		for who in 2..=MAX_OFFERS as AccountId - 2 {
			register_at_minimum(who);
		}
		assert!(ComputeLease::min_offer_bond(MAX_OFFERS - 2) > MIN_BOND);
		let mut t = terms();
		t.price = PRICE * 2;
		assert_ok!(ComputeLease::update_offer(origin(1), hardware(), SCORE, t));
		assert_eq!(Offers::<Test>::get(1).unwrap().terms.price, PRICE * 2);
	});
}

#[test]
fn updating_moves_the_bond_and_keeps_slots_for_running_leases() {
	test(|| {
		register(WORKER);
		let mut t = terms();
		t.bond = 3 * MIN_BOND;
		t.price = PRICE + 1;
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, t.clone()));
		assert_eq!(committed(WORKER), 3 * MIN_BOND);
		t.bond = MIN_BOND;
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, t.clone()));
		assert_eq!(committed(WORKER), MIN_BOND, "released back to uncommitted stake");
		assert_ok!(ComputeLease::lease(origin(CONSUMER), WORKER, 2, 10, PRICE + 1));
		t.slots = 1;
		assert_noop!(
			ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, t),
			Error::<Test>::SlotsInUse
		);
		assert_noop!(
			ComputeLease::update_offer(origin(STRANGER), hardware(), SCORE, terms()),
			Error::<Test>::UnknownOffer
		);
		assert!(events().iter().any(|e| matches!(e, Event::OfferUpdated { worker: WORKER, .. })));
	});
}

#[test]
fn a_lower_claim_lowers_the_verified_score_and_a_higher_one_does_not_raise_it() {
	test(|| {
		register(WORKER);
		Offers::<Test>::mutate(WORKER, |o| o.as_mut().unwrap().verified_score = Some(30));
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), 20, terms()));
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().verified_score, Some(20));
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), 1_000, terms()));
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().verified_score, Some(20));
	});
}

#[test]
fn pausing_stops_new_leases_and_resuming_allows_them() {
	test(|| {
		register(WORKER);
		assert_noop!(ComputeLease::resume_offer(origin(WORKER)), Error::<Test>::NotPaused);
		assert_ok!(ComputeLease::pause_offer(origin(WORKER)));
		assert_noop!(ComputeLease::pause_offer(origin(WORKER)), Error::<Test>::NotActive);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, PRICE),
			Error::<Test>::NotActive
		);
		assert_eq!(escrow(CONSUMER), 0, "a refused lease holds nothing");
		assert_ok!(ComputeLease::resume_offer(origin(WORKER)));
		lease(1, 10);
		assert!(events().contains(&Event::OfferPaused { worker: WORKER }));
		assert!(events().contains(&Event::OfferResumed { worker: WORKER }));
		assert_noop!(ComputeLease::pause_offer(origin(STRANGER)), Error::<Test>::UnknownOffer);
	});
}

#[test]
fn withdrawing_waits_for_running_leases_then_releases_the_bond() {
	test(|| {
		register(WORKER);
		lease(1, 10);
		assert_ok!(ComputeLease::withdraw_offer(origin(WORKER)));
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().status, OfferStatus::Withdrawing);
		assert_noop!(ComputeLease::withdraw_offer(origin(WORKER)), Error::<Test>::Withdrawing);
		assert_noop!(
			ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, terms()),
			Error::<Test>::Withdrawing
		);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, PRICE),
			Error::<Test>::NotActive
		);
		assert_eq!(committed(WORKER), MIN_BOND, "the bond stands while a lease runs");
		for b in 2..=10 {
			run_to(b);
			assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		}
		run_to(11);
		assert!(Offers::<Test>::get(WORKER).is_none());
		assert!(Workers::<Test>::get().is_empty());
		assert_eq!(committed(WORKER), 0);
		assert!(events().contains(&Event::OfferWithdrawn { worker: WORKER, bond: MIN_BOND }));
	});
}

#[test]
fn an_idle_offer_withdraws_at_once() {
	test(|| {
		register(WORKER);
		assert_ok!(ComputeLease::withdraw_offer(origin(WORKER)));
		assert!(Offers::<Test>::get(WORKER).is_none());
		assert_eq!(committed(WORKER), 0);
		assert_noop!(ComputeLease::withdraw_offer(origin(WORKER)), Error::<Test>::UnknownOffer);
	});
}
