//! What the federated pallet tells the stake keeper (the incentives pallet in the runtime):
//! bonds are committed stake, released on leaving and slashed there; every reward paid counts
//! as the receiver's contribution, every judgement moves its reputation.

use super::*;
use crate::mock::stake::{Committed, Contributed, Judged};
use cohort_primitives::round::MAX_SCORE;

fn contributed(who: AccountId, role: Role) -> Balance {
	Contributed::<Test>::get((who, role))
}

fn judged(who: AccountId, role: Role) -> Vec<u32> {
	Judged::<Test>::get((who, role)).into_inner()
}

#[test]
fn bonds_are_committed_stake_released_on_leaving() {
	test(|| {
		let task = create(spec());
		assert_ok!(Federated::join(
			origin(11),
			task,
			JoinAs::Trainer { dataset: 11 },
			TRAINER_BOND
		));
		assert_ok!(Federated::join(origin(21), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		assert_eq!(Committed::<Test>::get((11, Role::Trainer)), TRAINER_BOND);
		assert_eq!(Committed::<Test>::get((21, Role::Aggregator)), AGGREGATOR_BOND);
		// Stake in one role backs nothing in the other.
		assert_eq!(Committed::<Test>::get((11, Role::Aggregator)), 0);
		assert_ok!(Federated::leave(origin(11), task));
		assert_eq!(Committed::<Test>::get((11, Role::Trainer)), 0);
	});
}

#[test]
fn a_participant_without_the_funds_for_its_bond_cannot_join() {
	test(|| {
		let task = create(spec());
		// The stake keeper refuses: nothing is recorded, the task has no one.
		assert_noop!(
			Federated::join(origin(21), task, JoinAs::Aggregator, ENDOWMENT + 1),
			TokenError::FundsUnavailable
		);
		assert_eq!(Tasks::<Test>::get(task).unwrap().aggregators, 0);
	});
}

#[test]
fn rewards_count_as_contributions_and_judgements_move_reputation() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		// The third aggregator does not reveal: it is slashed and judged as no work.
		AGGREGATORS.iter().for_each(|a| commit_agg(task, 0, *a, &agg, METRICS));
		reveal_agg(task, 0, AGGREGATORS[0], &agg, METRICS);
		reveal_agg(task, 0, AGGREGATORS[1], &agg, METRICS);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: hash(&agg) });
		let r = round(task, 0);
		for slot in &r.trainers {
			assert!(slot.reward > 0);
			assert_eq!(
				contributed(slot.who, Role::Trainer),
				slot.reward,
				"a trainer's points are its reward"
			);
			assert_eq!(judged(slot.who, Role::Trainer), vec![GOOD], "its score is its judgement");
		}
		let lazy = AGGREGATORS[2];
		for slot in r.aggregators.iter().filter(|a| a.who != lazy) {
			assert!(slot.reward > 0);
			assert_eq!(contributed(slot.who, Role::Aggregator), slot.reward);
			assert_eq!(judged(slot.who, Role::Aggregator), vec![MAX_SCORE]);
		}
		assert_eq!(slashed(lazy), vec![Offence::NoAggregateReveal]);
		assert_eq!(contributed(lazy, Role::Aggregator), 0, "a no-show earns no points");
		assert_eq!(judged(lazy, Role::Aggregator), vec![0], "and is judged as no work");
		// Its slash came out of its committed stake.
		let p = Participants::<Test>::get(task, lazy).unwrap();
		assert_eq!(Committed::<Test>::get((lazy, Role::Aggregator)), p.bond);
		assert!(p.bond < AGGREGATOR_BOND);
	});
}

#[test]
fn a_rejected_update_is_judged_by_its_score_alone() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		// Every aggregator scores the first update far below the slashing threshold.
		let s = [0, GOOD, GOOD];
		score(task, 0, &AGGREGATORS.map(|a| (a, &s[..])));
		let first = round(task, 0).trainers.iter().find(|t| t.score == Some(0)).unwrap().who;
		assert_eq!(slashed(first), vec![Offence::Rejected]);
		assert_eq!(judged(first, Role::Trainer), vec![0]);
	});
}

/// Committees (issue 30): a task whose owner picks who joins (an allowlist) is private. It runs
/// and pays as any task, but what it pays counts for no emission (trainers, aggregators, the
/// royalties of its datasets) and its scores and penalties move no reputation: an owner with its
/// own committee can neither farm emission nor score a stranger's dataset down.
#[test]
fn a_private_task_pays_but_earns_no_emission_and_moves_no_reputation() {
	test(|| {
		let task = create(spec());
		run_to_block(2);
		let everyone: crate::AllowlistOf<Test> =
			TRAINERS.iter().chain(&AGGREGATORS).copied().collect::<Vec<_>>().try_into().unwrap();
		assert_ok!(Federated::set_allowlist(origin(OWNER), task, everyone));
		assert!(!Tasks::<Test>::get(task).unwrap().is_public());
		join_all(task);
		Federated::on_idle(2, Weight::MAX);
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		AGGREGATORS.iter().for_each(|a| commit_agg(task, 0, *a, &agg, METRICS));
		reveal_agg(task, 0, AGGREGATORS[0], &agg, METRICS);
		reveal_agg(task, 0, AGGREGATORS[1], &agg, METRICS);
		run_to_block(6);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&agg) });
		assert!(r.trainers.iter().all(|t| t.reward > 0), "private work is paid");
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoAggregateReveal]);
		for who in TRAINERS {
			assert_eq!((contributed(who, Role::Trainer), judged(who, Role::Trainer)), (0, vec![]));
		}
		for who in AGGREGATORS {
			assert_eq!(
				(contributed(who, Role::Aggregator), judged(who, Role::Aggregator)),
				(0, vec![]),
				"no points, no judgement, not even for the slashed no-show"
			);
		}
		let calls = market_calls();
		assert!(!calls.iter().any(|c| matches!(c, MarketCall::RecordScore { .. })));
		assert!(calls
			.iter()
			.any(|c| matches!(c, MarketCall::Settle { earns_emission: false, .. })));
	});
}

/// A committee smaller than `PUBLIC_COMMITTEE` is one party's judgement: such a task is private
/// too, whatever its allowlist.
#[test]
fn a_task_is_public_only_with_a_committee_of_three_and_no_allowlist() {
	test(|| {
		let public = create(spec());
		assert!(Tasks::<Test>::get(public).unwrap().is_public());
		let pair = create(TaskSpec { aggregators: 2, quorum: 2, ..spec() });
		assert!(!Tasks::<Test>::get(pair).unwrap().is_public());
		// A public task's rewards count: the rewards test above.
	});
}
