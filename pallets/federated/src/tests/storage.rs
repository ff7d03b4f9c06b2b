//! Storage that stays bounded and paid for: deposits, expiry, round summaries, pruning and
//! allowlists.

use super::*;
use crate::{Allowlists, RoundSummaries};

#[test]
fn a_task_that_never_starts_expires_and_returns_its_budget() {
	test(|| {
		let task = create(spec());
		// One trainer is not enough for a round.
		assert_ok!(Federated::join(
			origin(11),
			task,
			JoinAs::Trainer { dataset: 11 },
			TRAINER_BOND
		));
		run_to_block(1 + TASK_EXPIRY);
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Active, "not yet");
		run_to_block(2 + TASK_EXPIRY);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.status, info.budget, info.ended), (TaskStatus::Expired, 0, Some(52)));
		assert!(events().contains(&Event::TaskExpired { task, refund: 2 * REWARD }));
		assert!(ActiveTasks::<Test>::get().is_empty());
		assert_eq!(held_budget(OWNER), 0);
		assert_noop!(
			Federated::join(origin(12), task, JoinAs::Trainer { dataset: 12 }, TRAINER_BOND),
			Error::<Test>::TaskEnded
		);
		// The trainer leaves with its whole bond.
		assert_ok!(Federated::leave(origin(11), task));
		assert_eq!(Balances::balance(&11), ENDOWMENT);
	});
}

#[test]
fn a_task_paused_too_long_expires_and_a_running_one_does_not() {
	test(|| {
		let paused = create(spec());
		assert_ok!(Federated::pause_task(origin(OWNER), paused));
		let mut long = spec();
		long.rounds = 10;
		long.phases.commit = 20;
		let running = create(long);
		join_all(running);
		// The running task's rounds keep failing (nobody commits) but keep starting.
		run_to_block(2 + TASK_EXPIRY);
		assert_eq!(Tasks::<Test>::get(paused).unwrap().status, TaskStatus::Expired);
		let info = Tasks::<Test>::get(running).unwrap();
		assert!(info.status.is_live(), "rounds started, so it is alive");
		assert!(info.last_round_started > 1);
	});
}

#[test]
fn finished_rounds_keep_a_summary_and_only_the_last_ones_in_full() {
	test(|| {
		// As many rounds as fail in a row without evicting the task: the last one finishes it.
		let mut s = spec();
		s.rounds = FAILED_ROUNDS_TO_EVICT;
		let task = create(s);
		join_all(task);
		// The no-shows would wear the trainers' bonds below the minimum (rounds draw only
		// bonds at or above it): they bond twice as much.
		for t in TRAINERS {
			assert_ok!(Federated::bond_extra(origin(t), task, TRAINER_BOND));
		}
		// Nobody commits: every round fails after its commit phase (three blocks), and the next
		// starts in the block after; each round takes five blocks.
		let rounds = FAILED_ROUNDS_TO_EVICT;
		run_to_block(2 + 5 * rounds as u64);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.status, info.next_round), (TaskStatus::Finished, rounds));
		// RetainedRounds is 2: the last round and the one before it in full, every round
		// summarised.
		for index in 0..rounds {
			let summary = Federated::round_summary(task, index).expect("every round summarised");
			assert_eq!(summary.outcome, Phase::Failed { reason: FailReason::NotEnoughCommits });
			assert_eq!(
				Rounds::<Test>::contains_key(task, index),
				index + 2 >= rounds,
				"round {index}"
			);
		}
		assert_eq!(Rounds::<Test>::iter_prefix(task).count(), 2);
	});
}

#[test]
fn an_ended_task_is_pruned_by_anyone_after_its_retention() {
	test(|| {
		let task = started_task();
		assert_noop!(Federated::prune_task(origin(30), task), Error::<Test>::NotPrunable);
		assert_noop!(Federated::prune_task(origin(30), 9), Error::<Test>::UnknownTask);
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		assert_ok!(Federated::leave(origin(TRAINERS[0]), task));
		let ended = System::block_number();
		run_to_block(ended + TASK_RETENTION - 1);
		assert_noop!(Federated::prune_task(origin(30), task), Error::<Test>::NotPrunable);
		run_to_block(ended + TASK_RETENTION);
		assert_eq!(held_deposit(OWNER), deposit(2));
		assert_ok!(Federated::prune_task(origin(30), task));
		// The deposit and every remaining bond went back; nothing of the task is left.
		assert_eq!(held_deposit(OWNER), 0);
		assert_eq!(Balances::balance(&OWNER), ENDOWMENT);
		for who in TRAINERS.iter().chain(AGGREGATORS.iter()) {
			assert_eq!((held_bond(*who), Balances::balance(who)), (0, ENDOWMENT));
		}
		assert!(Tasks::<Test>::get(task).is_none());
		assert_eq!(Participants::<Test>::iter_prefix(task).count(), 0);
		assert_eq!(Rounds::<Test>::iter_prefix(task).count(), 0);
		assert_eq!(RoundSummaries::<Test>::iter_prefix(task).count(), 0);
		assert!(events().contains(&Event::TaskPruned {
			task,
			deposit: deposit(2),
			bonds_released: 5
		}));
		assert_noop!(Federated::prune_task(origin(30), task), Error::<Test>::UnknownTask);
	});
}

#[test]
fn the_allowlist_limits_joining_and_its_deposit_follows_its_length() {
	test(|| {
		let task = create(spec());
		let list = |v: Vec<AccountId>| -> crate::AllowlistOf<Test> { v.try_into().unwrap() };
		assert_noop!(
			Federated::set_allowlist(origin(2), task, list(vec![11])),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Federated::set_allowlist(origin(OWNER), 9, list(vec![11])),
			Error::<Test>::UnknownTask
		);
		// Duplicates count once.
		assert_ok!(Federated::set_allowlist(origin(OWNER), task, list(vec![21, 11, 11])));
		let with_two = Federated::task_deposit(2, 2, 0).unwrap();
		assert_eq!(with_two, deposit(2) + 2 * 8, "eight bytes per account here");
		assert_eq!(held_deposit(OWNER), with_two);
		assert_eq!(Allowlists::<Test>::get(task).unwrap().to_vec(), vec![11, 21]);
		assert!(events().contains(&Event::AllowlistSet { task, accounts: 2, deposit: with_two }));
		assert_noop!(
			Federated::join(origin(12), task, JoinAs::Trainer { dataset: 12 }, TRAINER_BOND),
			Error::<Test>::NotAllowlisted
		);
		assert_ok!(Federated::join(
			origin(11),
			task,
			JoinAs::Trainer { dataset: 11 },
			TRAINER_BOND
		));
		assert_ok!(Federated::join(origin(21), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		// Clearing the list opens the task and releases that part of the deposit.
		assert_ok!(Federated::set_allowlist(origin(OWNER), task, list(vec![])));
		assert_eq!(held_deposit(OWNER), deposit(2));
		assert!(Allowlists::<Test>::get(task).is_none());
		assert_ok!(Federated::join(
			origin(12),
			task,
			JoinAs::Trainer { dataset: 12 },
			TRAINER_BOND
		));
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		assert_noop!(
			Federated::set_allowlist(origin(OWNER), task, list(vec![11])),
			Error::<Test>::TaskEnded
		);
	});
}

#[test]
fn a_worker_leased_by_the_owner_joins_its_allowlisted_task_and_no_other() {
	test(|| {
		let task = create(spec());
		let list: crate::AllowlistOf<Test> = vec![11].try_into().unwrap();
		assert_ok!(Federated::set_allowlist(origin(OWNER), task, list));
		// Worker 22 serves someone else: the owner's allowlist still shuts it out.
		crate::mock::LEASES.with(|l| l.borrow_mut().push((22, 30)));
		assert_noop!(
			Federated::join(origin(22), task, JoinAs::Aggregator, AGGREGATOR_BOND),
			Error::<Test>::NotAllowlisted
		);
		// Leased by the task's owner, it acts for the owner.
		crate::mock::LEASES.with(|l| l.borrow_mut().push((21, OWNER)));
		assert_ok!(Federated::join(origin(21), task, JoinAs::Aggregator, AGGREGATOR_BOND));
	});
}

#[test]
fn try_state_checks_deposits_summaries_and_the_allowlist() {
	test(|| {
		let task = started_task();
		Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().deposit += 1);
		assert!(Federated::do_try_state(System::block_number()).is_err(), "deposit books");
		Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().deposit -= 1);
		Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().allowlist_len = 1);
		assert!(Federated::do_try_state(System::block_number()).is_err(), "allowlist length");
		Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().allowlist_len = 0);
		Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().next_round = 1);
		assert!(Federated::do_try_state(System::block_number()).is_err(), "missing summary");
		Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().next_round = 0);
	});
}
