use super::*;
use crate::{Error, Event, LeaseEnd, Leases, Offers};
use cohort_primitives::compute::ComputeDuty;
use frame_support::assert_noop;

#[test]
fn a_missed_heartbeat_ends_the_lease_refunds_the_unserved_part_and_slashes() {
	test(|| {
		register(WORKER);
		let worker_free = free(WORKER);
		let consumer_free = free(CONSUMER);
		let treasury = free(TREASURY);
		let id = lease(1, 50);
		run_to(5);
		assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		assert!(events().contains(&Event::Heartbeat { worker: WORKER }));
		run_to(15);
		// On time until block 15 (the heartbeat at 5 covers ten blocks): nothing to report.
		assert_noop!(
			ComputeLease::report_missed_heartbeat(origin(CONSUMER), WORKER),
			Error::<Test>::NotInDefault
		);
		run_to(16);
		// Settling now pays only up to the last heartbeat.
		assert_ok!(ComputeLease::settle(origin(WORKER), id));
		assert_eq!(free(WORKER), worker_free + PRICE * 4);
		assert_ok!(ComputeLease::report_missed_heartbeat(origin(CONSUMER), WORKER));
		assert!(Leases::<Test>::get(id).is_none());
		// Served 1..5: 4 blocks; the consumer gets the other 46 back.
		assert_eq!(free(CONSUMER), consumer_free - PRICE * 4 + MIN_BOND / 10 / 10);
		assert_eq!(escrow(CONSUMER), 0);
		assert!(events().contains(&Event::LeaseEnded {
			lease: id,
			reason: LeaseEnd::MissedHeartbeat,
			paid: 0,
			refunded: PRICE * 46
		}));
		// 10 % of the bond is slashed: a tenth of it to the reporter, the rest to the treasury.
		assert!(events().contains(&Event::HeartbeatMissed {
			worker: WORKER,
			leases: 1,
			slashed: MIN_BOND / 10
		}));
		assert_eq!(free(TREASURY), treasury + MIN_BOND / 10 - MIN_BOND / 100);
		assert_eq!(committed(WORKER), MIN_BOND - MIN_BOND / 10);
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().terms.bond, MIN_BOND - MIN_BOND / 10);
		// Reported once; a second report finds nothing.
		assert_noop!(
			ComputeLease::report_missed_heartbeat(origin(STRANGER), WORKER),
			Error::<Test>::NotInDefault
		);
		assert_noop!(
			ComputeLease::report_missed_heartbeat(origin(STRANGER), CONSUMER),
			Error::<Test>::UnknownOffer
		);
	});
}

#[test]
fn a_worker_reporting_itself_gets_no_reporter_share() {
	test(|| {
		register(WORKER);
		lease(1, 50);
		run_to(13);
		let worker_before = total(WORKER);
		let treasury = free(TREASURY);
		assert_ok!(ComputeLease::report_missed_heartbeat(origin(WORKER), WORKER));
		assert_eq!(free(TREASURY), treasury + MIN_BOND / 10, "the whole slash to the treasury");
		// It lost the slash and earned blocks 1..1 (nothing): it served none.
		assert_eq!(total(WORKER), worker_before - MIN_BOND / 10);
	});
}

#[test]
fn a_late_heartbeat_cannot_collect_pay_for_the_gap() {
	test(|| {
		register(WORKER);
		let worker_free = free(WORKER);
		let id = lease(1, 50);
		run_to(4);
		assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		// Offline from block 4 to 30, then it comes back and heartbeats before anyone reports.
		run_to(30);
		assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		// The heartbeat first ended the lease in default: paid 1..4, slashed.
		assert!(Leases::<Test>::get(id).is_none());
		assert_eq!(free(WORKER), worker_free + PRICE * 3);
		assert_eq!(committed(WORKER), MIN_BOND - MIN_BOND / 10);
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().last_heartbeat, 30);
	});
}

#[test]
fn a_lease_that_reaches_its_term_in_default_pays_only_what_was_served() {
	test(|| {
		register(WORKER);
		let worker_free = free(WORKER);
		let consumer_free = free(CONSUMER);
		let id = lease(1, 30);
		run_to(8);
		assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		run_to(31);
		assert!(Leases::<Test>::get(id).is_none());
		assert_eq!(free(WORKER), worker_free + PRICE * 7);
		assert_eq!(free(CONSUMER), consumer_free - PRICE * 7);
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::LeaseEnded { reason: LeaseEnd::MissedHeartbeat, .. })));
		assert_eq!(committed(WORKER), MIN_BOND - MIN_BOND / 10);
	});
}

#[test]
fn only_a_worker_sends_heartbeats() {
	test(|| {
		assert_noop!(ComputeLease::heartbeat(origin(STRANGER)), Error::<Test>::UnknownOffer);
	});
}

#[test]
fn a_slashed_bond_below_the_minimum_takes_no_new_leases_until_topped_up() {
	test(|| {
		register(WORKER);
		lease(1, 50);
		run_to(13);
		assert_ok!(ComputeLease::report_missed_heartbeat(origin(CONSUMER), WORKER));
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, PRICE),
			Error::<Test>::BondTooLow
		);
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, terms()));
		assert_eq!(committed(WORKER), MIN_BOND);
		lease(1, 10);
	});
}

#[test]
fn the_heartbeat_duty_follows_the_lease_that_defaults_first() {
	test(|| {
		register(WORKER);
		lease(1, 50);
		run_to(4);
		lease(1, 50);
		let heartbeat_due = || {
			ComputeLease::compute_duties(WORKER)
				.iter()
				.any(|d| matches!(d, ComputeDuty::Heartbeat { .. }))
		};
		assert!(!heartbeat_due());
		// Half the interval after the first lease began, a heartbeat is due for it (it defaults
		// after block 11): the lease begun later does not push the deadline back.
		run_to(1 + INTERVAL / 2);
		assert!(ComputeLease::compute_duties(WORKER)
			.contains(&ComputeDuty::Heartbeat { due: 1 + INTERVAL }));
	});
}
