//! Emission only for work done for someone else (`cohort_primitives::independence`): the task
//! owner paying itself, a delegate on the owner's own dataset or a worker the owner leases is
//! paid as anyone, but earns no emission points; a committee that is not three independent
//! aggregators makes the round private (no points, no reputation).

use super::*;
use crate::mock::{
	stake::{Contributed, Judged},
	LEASES,
};

fn contributed(who: AccountId, role: Role) -> Balance {
	Contributed::<Test>::get((who, role))
}

fn lease(worker: AccountId, consumer: AccountId) {
	LEASES.with(|l| l.borrow_mut().push((worker, consumer)));
}

/// Runs round 0 of `task` to the end: every update accepted, every aggregator agrees.
fn finish_round_zero(task: TaskId) -> crate::RoundOf<Test> {
	to_aggregation(task, 0);
	decide_all(task, 0, &aggregate_of(task, 0, 5));
	let r = round(task, 0);
	assert!(matches!(r.phase, Phase::Finalized { .. }));
	r
}

/// The owner lists a dataset and has a second account train it as its delegate: the second
/// account is paid for its update, but its pay earns no points (before: the full reward).
/// Strangers training their own datasets in the same round earn theirs.
#[test]
fn a_delegate_training_the_owners_own_dataset_earns_no_emission() {
	test(|| {
		edit(11, |d| {
			d.owner = OWNER;
			d.delegates = vec![11];
		});
		let task = started_task();
		let r = finish_round_zero(task);
		assert!(r.public, "three independent aggregators");
		let delegate = r.trainers.iter().find(|t| t.who == 11).unwrap();
		assert!(delegate.reward > 0, "the work is paid");
		assert_eq!(contributed(11, Role::Trainer), 0, "but earns no points");
		for stranger in [12, 13] {
			let slot = r.trainers.iter().find(|t| t.who == stranger).unwrap();
			assert_eq!(contributed(stranger, Role::Trainer), slot.reward);
		}
		for a in AGGREGATORS {
			assert!(contributed(a, Role::Aggregator) > 0);
		}
	});
}

/// The owner leases one of the three aggregators: only two of the committee are independent,
/// so the round is judged partly by the owner's own compute. It runs and pays, but nobody earns
/// points and no dataset's reputation moves (before: a public round like any other).
#[test]
fn a_committee_with_a_worker_the_owner_leases_is_not_public() {
	test(|| {
		let task = create(spec());
		run_to_block(2);
		join_all(task);
		lease(AGGREGATORS[0], OWNER);
		Federated::on_idle(2, Weight::MAX);
		assert!(Tasks::<Test>::get(task).unwrap().is_public(), "the task itself is public");
		let r = finish_round_zero(task);
		assert!(!r.public);
		assert!(r.trainers.iter().all(|t| t.reward > 0));
		assert!(r.aggregators.iter().all(|a| a.reward > 0));
		for who in TRAINERS {
			assert_eq!(contributed(who, Role::Trainer), 0);
			assert!(Judged::<Test>::get((who, Role::Trainer)).is_empty());
		}
		for who in AGGREGATORS {
			assert_eq!(contributed(who, Role::Aggregator), 0);
		}
		let calls = market_calls();
		assert!(!calls.iter().any(|c| matches!(c, MarketCall::RecordScore { .. })));
		assert!(calls
			.iter()
			.any(|c| matches!(c, MarketCall::Settle { earns_emission: false, .. })));
	});
}

/// Honest: an aggregator that serves *another* consumer under a lease is independent of this
/// task's owner, and the round stays public.
#[test]
fn a_lease_to_someone_else_is_no_tie() {
	test(|| {
		let task = create(spec());
		run_to_block(2);
		join_all(task);
		lease(AGGREGATORS[0], 30);
		Federated::on_idle(2, Weight::MAX);
		let r = finish_round_zero(task);
		assert!(r.public);
		for slot in &r.aggregators {
			assert_eq!(contributed(slot.who, Role::Aggregator), slot.reward);
		}
	});
}
