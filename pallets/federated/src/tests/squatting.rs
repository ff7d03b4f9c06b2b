//! The active list cannot be squatted: a cap per owner, and eviction (with the deposit
//! forfeited) of tasks whose rounds keep failing.

use super::*;
use crate::LiveTasksOf;

/// A long task whose trainers never commit: every round fails at the end of its commit phase.
fn squatting_spec() -> TaskSpec<Balance, u64> {
	let mut s = spec();
	s.rounds = 10;
	s
}

fn create_as(owner: AccountId, spec: TaskSpec<Balance, u64>) -> TaskId {
	let id = crate::NextTaskId::<Test>::get();
	assert_ok!(Federated::create_task(origin(owner), spec));
	id
}

#[test]
fn one_owner_cannot_fill_the_active_list() {
	test(|| {
		for _ in 0..MAX_TASKS_PER_OWNER {
			create(spec());
		}
		assert_noop!(
			Federated::create_task(origin(OWNER), spec()),
			Error::<Test>::TooManyTasksOfOwner
		);
		// Another owner still gets the last place.
		create_as(2, spec());
		assert_eq!(LiveTasksOf::<Test>::get(OWNER), MAX_TASKS_PER_OWNER);
		// A task that ends gives its owner's place back.
		assert_ok!(Federated::cancel_task(origin(OWNER), 0));
		assert_eq!(LiveTasksOf::<Test>::get(OWNER), MAX_TASKS_PER_OWNER - 1);
	});
}

#[test]
fn squatted_tasks_are_evicted_with_their_deposits_and_an_honest_task_gets_in() {
	test(|| {
		// Two squatters fill the list (4 places) with long tasks whose trainers never commit.
		let squatted: Vec<TaskId> =
			[2, 2, 3, 3].into_iter().map(|owner| create_as(owner, squatting_spec())).collect();
		squatted.iter().for_each(|task| join_all(*task));
		assert_noop!(
			Federated::create_task(origin(OWNER), spec()),
			Error::<Test>::TooManyActiveTasks
		);
		let treasury = Balances::free_balance(TREASURY);
		let deposits = held_deposit(2) + held_deposit(3);
		assert_eq!(deposits, 4 * deposit(10));

		// Each round fails at the end of its 3-block commit phase; the third in a row evicts.
		run_to_block(2 + FAILED_ROUNDS_TO_EVICT as u64 * 4 + 2);
		for task in &squatted {
			let info = Tasks::<Test>::get(task).unwrap();
			assert_eq!(info.status, TaskStatus::Evicted);
			assert_eq!((info.budget, info.deposit), (0, 0));
			assert_eq!(info.next_round, FAILED_ROUNDS_TO_EVICT);
			assert!(events().contains(&Event::TaskEvicted {
				task: *task,
				refund: 10 * REWARD,
				forfeited: deposit(10),
			}));
		}
		assert_eq!((held_deposit(2), held_deposit(3)), (0, 0));
		// The treasury got the deposits (forfeited, not burnt) and the no-shows' slashes.
		let slashes: Balance = events()
			.iter()
			.filter_map(|e| match e {
				Event::Slashed { amount, .. } => Some(*amount),
				_ => None,
			})
			.sum();
		assert_eq!(Balances::free_balance(TREASURY), treasury + deposits + slashes);
		assert!(ActiveTasks::<Test>::get().is_empty());
		assert_eq!(LiveTasksOf::<Test>::iter().count(), 0);

		// The honest owner gets in; the squatters' budgets came back, their deposits did not.
		create(spec());
		assert_eq!(Balances::balance(&2), ENDOWMENT - 2 * deposit(10));
	});
}

#[test]
fn a_task_with_an_occasional_failed_round_is_not_evicted() {
	test(|| {
		let mut s = spec();
		s.rounds = 6;
		let task = create(s);
		run_to_block(2);
		join_all(task);
		Federated::on_idle(2, Weight::MAX);
		// Two rounds fail (nobody commits), one is finalized, two more fail: never three in a
		// row, so the task runs on and its owner keeps its deposit.
		let fail_round = |index: RoundIndex| {
			let ends = round(task, index).phase_ends;
			run_to_block(ends + 1);
			assert!(matches!(round(task, index).phase, Phase::Failed { .. }));
			Federated::on_idle(ends + 1, Weight::MAX);
		};
		fail_round(0);
		fail_round(1);
		assert_eq!(Tasks::<Test>::get(task).unwrap().failed_in_a_row, 2);
		to_aggregation(task, 2);
		decide_all(task, 2, &aggregate_of(task, 2, 1));
		assert!(matches!(round(task, 2).phase, Phase::Finalized { .. }));
		assert_eq!(Tasks::<Test>::get(task).unwrap().failed_in_a_row, 0);
		Federated::on_idle(System::block_number(), Weight::MAX);
		fail_round(3);
		fail_round(4);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.status, info.failed_in_a_row), (TaskStatus::Active, 2));
		assert_eq!(held_deposit(OWNER), deposit(6));
	});
}

#[test]
fn failed_last_rounds_finish_the_task_without_forfeiting() {
	test(|| {
		let mut s = spec();
		s.rounds = 3;
		let task = create(s);
		run_to_block(2);
		join_all(task);
		Federated::on_idle(2, Weight::MAX);
		run_to_block(40);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!(info.status, TaskStatus::Finished, "the third failure is its last round");
		assert_eq!(held_deposit(OWNER), deposit(3), "the deposit waits for pruning");
	});
}
