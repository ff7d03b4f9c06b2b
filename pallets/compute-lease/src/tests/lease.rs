use super::*;
use crate::{Error, Event, Expiries, LeaseEnd, Leases, LeasesOf, Offers};
use frame_support::assert_noop;

/// What the worker, the consumer and the treasury have together: leases move money between
/// them and create or destroy none.
fn money() -> Balance {
	total(WORKER) + total(CONSUMER) + total(TREASURY)
}

#[test]
fn a_lease_holds_its_whole_price_and_settles_per_block_to_the_unit() {
	test(|| {
		register(WORKER);
		let before = money();
		let issuance = Balances::total_issuance();
		let id = lease(2, 20);
		assert_eq!(escrow(CONSUMER), 2 * PRICE * 20);
		let l = Leases::<Test>::get(id).unwrap();
		assert_eq!((l.start, l.end, l.paid_until), (1, 21, 1));
		assert!(events().contains(&Event::LeaseStarted {
			lease: id,
			worker: WORKER,
			consumer: CONSUMER,
			slots: 2,
			price: PRICE,
			end: 21,
			escrow: 2 * PRICE * 20
		}));
		let worker_free = free(WORKER);
		run_to(8);
		// Anyone may settle; the worker is paid for blocks 1..8.
		assert_ok!(ComputeLease::settle(origin(STRANGER), id));
		assert_eq!(free(WORKER), worker_free + 2 * PRICE * 7);
		assert_eq!(escrow(CONSUMER), 2 * PRICE * 13);
		assert!(events().contains(&Event::Settled {
			lease: id,
			worker: WORKER,
			amount: 2 * PRICE * 7,
			paid_until: 8
		}));
		assert_noop!(ComputeLease::settle(origin(WORKER), id), Error::<Test>::NothingToSettle);
		assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		run_to(12);
		assert_ok!(ComputeLease::settle(origin(WORKER), id));
		assert_eq!(free(WORKER), worker_free + 2 * PRICE * 11);
		assert_eq!(money(), before, "nothing created or lost");
		assert_eq!(Balances::total_issuance(), issuance);
		assert_noop!(ComputeLease::settle(origin(WORKER), 99), Error::<Test>::UnknownLease);
	});
}

#[test]
fn a_lease_ends_by_itself_at_its_term_and_pays_every_block() {
	test(|| {
		register(WORKER);
		let before = money();
		let worker_free = free(WORKER);
		let consumer_free = free(CONSUMER);
		let id = lease(1, 10);
		assert_eq!(Expiries::<Test>::get(11).to_vec(), vec![id]);
		run_to(10);
		assert!(Leases::<Test>::get(id).is_some());
		run_to(11);
		assert!(Leases::<Test>::get(id).is_none());
		assert!(LeasesOf::<Test>::get(WORKER).is_empty());
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().leased_slots, 0);
		assert_eq!(free(WORKER), worker_free + PRICE * 10);
		assert_eq!(free(CONSUMER), consumer_free - PRICE * 10);
		assert_eq!(escrow(CONSUMER), 0);
		assert!(events().contains(&Event::LeaseEnded {
			lease: id,
			reason: LeaseEnd::Term,
			paid: PRICE * 10,
			refunded: 0
		}));
		assert_eq!(money(), before);
	});
}

#[test]
fn the_consumer_ends_early_and_gets_the_unserved_part_back() {
	test(|| {
		register(WORKER);
		let before = money();
		let worker_free = free(WORKER);
		let consumer_free = free(CONSUMER);
		let id = lease(2, 30);
		run_to(5);
		assert_ok!(ComputeLease::settle(origin(WORKER), id));
		run_to(7);
		// Nobody but the consumer may end it.
		assert_noop!(ComputeLease::end_lease(origin(WORKER), id), Error::<Test>::NotConsumer);
		assert_noop!(ComputeLease::end_lease(origin(STRANGER), id), Error::<Test>::NotConsumer);
		assert_ok!(ComputeLease::end_lease(origin(CONSUMER), id));
		// Blocks 1..7 served: 6 blocks × 2 slots; 24 blocks refunded.
		assert_eq!(free(WORKER), worker_free + 2 * PRICE * 6);
		assert_eq!(free(CONSUMER), consumer_free - 2 * PRICE * 6);
		assert_eq!(escrow(CONSUMER), 0);
		assert!(events().contains(&Event::LeaseEnded {
			lease: id,
			reason: LeaseEnd::Consumer,
			paid: 2 * PRICE * 2,
			refunded: 2 * PRICE * 24
		}));
		assert!(Expiries::<Test>::get(31).is_empty(), "an ended lease leaves its queue");
		assert_eq!(money(), before);
		assert_noop!(ComputeLease::end_lease(origin(CONSUMER), id), Error::<Test>::UnknownLease);
		run_to(32);
	});
}

#[test]
fn leases_respect_the_offer() {
	test(|| {
		register(WORKER);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), STRANGER, 1, 10, PRICE),
			Error::<Test>::UnknownOffer
		);
		// The worker raised its price after the consumer looked: not paid.
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, PRICE - 1),
			Error::<Test>::PriceAboveMax
		);
		// Leasing itself would farm emission with its own money.
		assert_noop!(
			ComputeLease::lease(origin(WORKER), WORKER, 1, 10, PRICE),
			Error::<Test>::SelfLease
		);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 3, 10, PRICE),
			Error::<Test>::NotEnoughSlots
		);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 0, 10, PRICE),
			Error::<Test>::NotEnoughSlots
		);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 4, PRICE),
			Error::<Test>::LeaseLengthOutOfRange
		);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 101, PRICE),
			Error::<Test>::LeaseLengthOutOfRange
		);
		// A consumer who cannot pay the whole price gets no lease.
		let mut t = terms();
		t.price = ENDOWMENT;
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, t));
		assert!(ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, ENDOWMENT).is_err());
		let mut t = terms();
		t.price = u64::MAX / 2;
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, t));
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 2, 10, u64::MAX),
			Error::<Test>::Overflow
		);
		assert_eq!(escrow(CONSUMER), 0);
	});
}

#[test]
fn leases_ending_in_one_block_are_bounded_and_overflow_to_the_next() {
	test(|| {
		register(WORKER);
		let mut t = terms();
		t.slots = 4;
		assert_ok!(ComputeLease::update_offer(origin(WORKER), hardware(), SCORE, t.clone()));
		// Two leases end at block 11, the next ones a block later each: the queue holds two.
		let ids: Vec<_> = (0..4).map(|_| lease(1, 10)).collect();
		assert_eq!(Expiries::<Test>::get(11).to_vec(), ids[..2].to_vec());
		assert_eq!(Expiries::<Test>::get(12).to_vec(), ids[2..].to_vec());
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, PRICE),
			Error::<Test>::NotEnoughSlots
		);
		run_to(11);
		assert_eq!(LeasesOf::<Test>::get(WORKER).len(), 2, "two ended at their term");
		run_to(12);
		assert!(LeasesOf::<Test>::get(WORKER).is_empty(), "the others a block later");
		// Paid to their term, not to the block they were processed in.
		let paid_in_full = events()
			.into_iter()
			.filter(
				|e| matches!(e, Event::LeaseEnded { reason: LeaseEnd::Term, paid, .. } if *paid == PRICE * 10),
			)
			.count();
		assert_eq!(paid_in_full, 4);
		run_to(20);
	});
}

#[test]
fn the_expiry_queue_is_bounded() {
	test(|| {
		for w in 1..=6 {
			register(w);
			let mut t = terms();
			t.slots = 4;
			assert_ok!(ComputeLease::update_offer(origin(w), hardware(), SCORE, t));
		}
		// 8 blocks × 2 leases fill the window from block 11.
		let mut n = 0;
		'fill: for w in 1..=6 {
			for _ in 0..4 {
				if n == 16 {
					break 'fill;
				}
				assert_ok!(ComputeLease::lease(origin(CONSUMER), w, 1, 10, PRICE));
				n += 1;
			}
		}
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), 5, 1, 10, PRICE),
			Error::<Test>::ExpiryQueueFull
		);
		assert_ok!(ComputeLease::lease(origin(CONSUMER), 5, 1, 20, PRICE));
	});
}
