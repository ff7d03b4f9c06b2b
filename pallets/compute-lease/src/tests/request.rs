use super::*;
use crate::{Error, Event, Leases, Offers, RequestCount, Requests};
use cohort_primitives::compute::{Backends, Requirements};
use frame_support::assert_noop;

fn requirements() -> Requirements<Balance, u64> {
	Requirements {
		backends: Backends(Backends::CPU),
		min_memory_mib: 8_192,
		min_score: 0,
		max_price: PRICE + 3,
		slots: 2,
		blocks: 10,
	}
}

#[test]
fn a_request_holds_its_most_and_a_matching_worker_fills_it_at_its_own_price() {
	test(|| {
		register(WORKER);
		let consumer_free = free(CONSUMER);
		assert_ok!(ComputeLease::post_request(origin(CONSUMER), requirements()));
		assert_eq!(escrow(CONSUMER), 2 * (PRICE + 3) * 10);
		assert!(events().contains(&Event::RequestPosted {
			request: 0,
			consumer: CONSUMER,
			escrow: 2 * (PRICE + 3) * 10
		}));
		assert_ok!(ComputeLease::fill_request(origin(WORKER), 0));
		// The lease's price is held; the rest of the most it would pay went back.
		assert_eq!(escrow(CONSUMER), 2 * PRICE * 10);
		assert_eq!(free(CONSUMER), consumer_free - 2 * PRICE * 10);
		let l = Leases::<Test>::get(0).unwrap();
		assert_eq!((l.worker, l.consumer, l.slots, l.price), (WORKER, CONSUMER, 2, PRICE));
		assert!(Requests::<Test>::get(0).is_none());
		assert_eq!(RequestCount::<Test>::get(CONSUMER), 0);
		assert!(events().contains(&Event::RequestFilled { request: 0, lease: 0, worker: WORKER }));
		assert_noop!(ComputeLease::fill_request(origin(WORKER), 0), Error::<Test>::UnknownRequest);
	});
}

#[test]
fn a_worker_that_does_not_meet_the_requirements_cannot_fill_a_request() {
	test(|| {
		register(WORKER);
		let post = |r: Requirements<Balance, u64>| {
			let id = crate::NextRequestId::<Test>::get();
			assert_ok!(ComputeLease::post_request(origin(CONSUMER), r));
			id
		};
		let mut r = requirements();
		r.backends = Backends(Backends::WGPU);
		let wgpu = post(r);
		let mut r = requirements();
		r.min_memory_mib = 32_768;
		let memory = post(r);
		for id in [wgpu, memory] {
			assert_noop!(
				ComputeLease::fill_request(origin(WORKER), id),
				Error::<Test>::RequirementsNotMet
			);
		}
		assert_ok!(ComputeLease::cancel_request(origin(CONSUMER), wgpu));
		assert_ok!(ComputeLease::cancel_request(origin(CONSUMER), memory));
		// A claimed score is not a verified one.
		let mut r = requirements();
		r.min_score = 1;
		let score = post(r);
		assert_noop!(
			ComputeLease::fill_request(origin(WORKER), score),
			Error::<Test>::RequirementsNotMet
		);
		Offers::<Test>::mutate(WORKER, |o| o.as_mut().unwrap().verified_score = Some(1));
		assert_ok!(ComputeLease::fill_request(origin(WORKER), score));
		let mut r = requirements();
		r.max_price = PRICE - 1;
		let cheap = post(r);
		assert_noop!(ComputeLease::fill_request(origin(2), cheap), Error::<Test>::UnknownOffer);
		assert_noop!(
			ComputeLease::fill_request(origin(WORKER), cheap),
			Error::<Test>::RequirementsNotMet
		);
		// The offer's own limits hold too: no free slots left.
		let mut r = requirements();
		r.max_price = PRICE;
		let full = post(r);
		assert_noop!(
			ComputeLease::fill_request(origin(WORKER), full),
			Error::<Test>::NotEnoughSlots
		);
	});
}

#[test]
fn requests_are_bounded_per_consumer_and_only_their_poster_cancels_them() {
	test(|| {
		let consumer_free = free(CONSUMER);
		assert_noop!(
			ComputeLease::post_request(
				origin(CONSUMER),
				Requirements { slots: 0, ..requirements() }
			),
			Error::<Test>::InvalidRequest
		);
		assert_noop!(
			ComputeLease::post_request(
				origin(CONSUMER),
				Requirements { blocks: 0, ..requirements() }
			),
			Error::<Test>::InvalidRequest
		);
		assert_noop!(
			ComputeLease::post_request(
				origin(CONSUMER),
				Requirements { backends: Backends(8), ..requirements() }
			),
			Error::<Test>::InvalidRequest
		);
		assert_noop!(
			ComputeLease::post_request(
				origin(CONSUMER),
				Requirements { max_price: u64::MAX, ..requirements() }
			),
			Error::<Test>::Overflow
		);
		assert_ok!(ComputeLease::post_request(origin(CONSUMER), requirements()));
		assert_ok!(ComputeLease::post_request(origin(CONSUMER), requirements()));
		assert_noop!(
			ComputeLease::post_request(origin(CONSUMER), requirements()),
			Error::<Test>::TooManyRequests
		);
		assert_noop!(
			ComputeLease::cancel_request(origin(STRANGER), 0),
			Error::<Test>::NotRequester
		);
		assert_noop!(
			ComputeLease::cancel_request(origin(CONSUMER), 7),
			Error::<Test>::UnknownRequest
		);
		assert_ok!(ComputeLease::cancel_request(origin(CONSUMER), 0));
		assert_ok!(ComputeLease::cancel_request(origin(CONSUMER), 1));
		assert_eq!(free(CONSUMER), consumer_free);
		assert_eq!(escrow(CONSUMER), 0);
		assert!(events().contains(&Event::RequestCancelled { request: 1 }));
	});
}

#[test]
fn a_worker_cannot_fill_its_own_request() {
	test(|| {
		register(WORKER);
		let worker_free = free(WORKER);
		assert_ok!(ComputeLease::post_request(origin(WORKER), requirements()));
		// It would pay itself from its own escrow and earn emission points for it.
		assert_noop!(ComputeLease::fill_request(origin(WORKER), 0), Error::<Test>::SelfLease);
		assert_ok!(ComputeLease::cancel_request(origin(WORKER), 0));
		assert_eq!(free(WORKER), worker_free);
	});
}
