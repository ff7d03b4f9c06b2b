//! Hostile callers. Each test plays one attack from issue 9 against the pallet and checks that
//! the attacker gains nothing: its call is refused with a typed error, it is penalised where it
//! held a role, and honest participants are paid as if it were not there.

use super::*;

/// Attack 1: a selected trainer copies another's commitment (from the pool or the event),
/// waits for the victim's reveal, and reveals the same bytes and salt.
#[test]
fn a_copied_update_commitment_opens_for_nobody_but_its_author() {
	test(|| {
		let task = started_task();
		let (victim, copier, other) = (TRAINERS[0], TRAINERS[1], TRAINERS[2]);
		commit(task, 0, victim);
		let copied = commitment(task, 0, victim, &update_of(task, 0, victim));
		assert_ok!(Federated::commit_update(origin(copier), task, 0, copied));
		commit(task, 0, other);
		reveal(task, 0, victim);
		// The victim's update and salt are public now; they do not open the copier's copy.
		let stolen = bounded(update_of(task, 0, victim));
		assert_noop!(
			Federated::reveal_update(origin(copier), task, 0, stolen.clone(), salt(victim)),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			Federated::reveal_update(origin(copier), task, 0, stolen, salt(copier)),
			Error::<Test>::CommitmentMismatch
		);
		reveal(task, 0, other);
		// The reveal phase runs out: the copier is penalised, its update never counts.
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Score);
		assert_eq!(slashed(copier), vec![Offence::NoReveal]);
		assert_eq!(round(task, 0).revealed_updates().count(), 2);
		score(task, 0, &AGGREGATORS.map(|a| (a, &[GOOD, GOOD][..])));
		let agg = aggregate_of(task, 0, 5);
		let s = METRICS;
		decide(task, 0, &AGGREGATORS.map(|a| (a, &agg[..], s)));
		let r = round(task, 0);
		let reward = |who| r.trainers.iter().find(|t| t.who == who).unwrap().reward;
		assert_eq!((reward(victim), reward(other), reward(copier)), (350, 350, 0));
		assert_eq!(Balances::balance(&copier), ENDOWMENT - TRAINER_BOND);
		assert_eq!(held_bond(copier), TRAINER_BOND - 500);
	});
}

/// Attack 1, with two accounts of one person: both commit to the same bytes (each with a
/// commitment of its own) to be paid twice for one piece of work.
#[test]
fn the_same_update_revealed_twice_in_a_round_is_refused() {
	test(|| {
		let task = started_task();
		let (first, twin) = (TRAINERS[0], TRAINERS[1]);
		let update = update_of(task, 0, first);
		commit(task, 0, first);
		assert_ok!(Federated::commit_update(
			origin(twin),
			task,
			0,
			commitment(task, 0, twin, &update)
		));
		commit(task, 0, TRAINERS[2]);
		reveal(task, 0, first);
		assert_noop!(
			Federated::reveal_update(origin(twin), task, 0, bounded(update), salt(twin)),
			Error::<Test>::DuplicateUpdate
		);
	});
}

/// Attack 1, re-headed: the twin claims one sample fewer, so its bytes (and hash) differ and
/// the chain's duplicate check lets it through. The aggregators find the two near-copies
/// (`cohort_ml::score::screen`) and score both 0: judged against the honest update's score,
/// both are rejected, penalised and unpaid; the honest trainer is paid the whole trainers' part.
#[test]
fn a_reheaded_copy_passes_the_hash_check_and_earns_nothing() {
	test(|| {
		let task = started_task();
		let order: Vec<AccountId> = round(task, 0).trainers.iter().map(|t| t.who).collect();
		let (first, twin, honest) = (order[0], order[1], order[2]);
		let values = [first as i32; PARAMS as usize];
		let original = payload_with(PayloadKind::Update, task, 0, 100, &values);
		let reheaded = payload_with(PayloadKind::Update, task, 0, 99, &values);
		assert_ne!(hash(&original), hash(&reheaded));
		for (who, bytes) in [(first, &original), (twin, &reheaded)] {
			assert_ok!(Federated::commit_update(
				origin(who),
				task,
				0,
				commitment(task, 0, who, bytes)
			));
		}
		commit(task, 0, honest);
		for (who, bytes) in [(first, original), (twin, reheaded)] {
			assert_ok!(Federated::reveal_update(origin(who), task, 0, bounded(bytes), salt(who)));
		}
		reveal(task, 0, honest);
		assert_eq!(round(task, 0).revealed_updates().count(), 3, "new bytes, new hash");
		score(task, 0, &AGGREGATORS.map(|a| (a, &[0, 0, GOOD][..])));
		let r = round(task, 0);
		assert_eq!(r.trainers.iter().map(|t| t.accepted).collect::<Vec<_>>(), [false, false, true]);
		assert_eq!(slashed(first), vec![Offence::Rejected]);
		assert_eq!(slashed(twin), vec![Offence::Rejected]);
		assert!(slashed(honest).is_empty());
		let agg = aggregate_of(task, 0, 5);
		decide_all(task, 0, &agg);
		let r = round(task, 0);
		let reward = |who| r.trainers.iter().find(|t| t.who == who).unwrap().reward;
		assert_eq!((reward(first), reward(twin), reward(honest)), (0, 0, 700));
	});
}

/// A commitment made for another round (or task) does not open in this one, so old or
/// prepared commitments cannot be replayed.
#[test]
fn a_commitment_opens_only_in_its_own_task_and_round() {
	test(|| {
		let task = started_task();
		let who = TRAINERS[0];
		let update = update_of(task, 0, who);
		let elsewhere = [
			update_commitment(&who, task, 1, &update, &salt(who)),
			update_commitment(&who, task + 1, 0, &update, &salt(who)),
		];
		for c in elsewhere {
			frame_support::storage::with_transaction(|| {
				assert_ok!(Federated::commit_update(origin(who), task, 0, c));
				TRAINERS[1..].iter().for_each(|t| commit(task, 0, *t));
				assert_eq!(
					Federated::reveal_update(
						origin(who),
						task,
						0,
						bounded(update.clone()),
						salt(who)
					),
					Err(Error::<Test>::CommitmentMismatch.into())
				);
				sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
			})
			.unwrap();
		}
	});
}

/// Attack 2: a lazy aggregator commits to nothing it computed, then copies the first revealed
/// result. Results are hidden until every commitment is in, and a copied result does not open
/// the lazy aggregator's commitment.
#[test]
fn a_lazy_aggregator_cannot_copy_a_result() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		let s = METRICS;
		let lazy = AGGREGATORS[2];
		commit_agg(task, 0, AGGREGATORS[0], &agg, s);
		commit_agg(task, 0, AGGREGATORS[1], &agg, s);
		// Nothing to copy yet: no result, no payload, no score is on chain or in a duty.
		let r = round(task, 0);
		assert!(r.aggregators.iter().all(|a| a.submission.is_none()) && r.aggregates.is_empty());
		assert!(matches!(&Federated::duties(&lazy)[..], [Duty::Aggregate { .. }]));
		assert_ok!(Federated::commit_aggregate(origin(lazy), task, 0, H256::repeat_byte(9)));
		reveal_agg(task, 0, AGGREGATORS[0], &agg, s);
		// Now the result is public; copying it does not open the lazy commitment.
		for salt_ in [salt(lazy), salt(AGGREGATORS[0])] {
			assert_noop!(
				Federated::reveal_aggregate(origin(lazy), task, 0, hash(&agg), s, salt_, None),
				Error::<Test>::CommitmentMismatch
			);
		}
		reveal_agg(task, 0, AGGREGATORS[1], &agg, s);
		run_to_block(6);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&agg) });
		assert_eq!(slashed(lazy), vec![Offence::NoAggregateReveal]);
		let reward = |who| r.aggregators.iter().find(|a| a.who == who).unwrap().reward;
		assert_eq!((reward(AGGREGATORS[0]), reward(AGGREGATORS[1]), reward(lazy)), (150, 150, 0));
	});
}

/// Attack 2, variant: the lazy aggregator copies an honest aggregator's commitment itself.
#[test]
fn a_copied_aggregate_commitment_opens_for_nobody_but_its_author() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		let s = METRICS;
		let (honest, lazy) = (AGGREGATORS[0], AGGREGATORS[2]);
		commit_agg(task, 0, honest, &agg, s);
		let copied = agg_commitment(task, 0, honest, &agg, s);
		assert_ok!(Federated::commit_aggregate(origin(lazy), task, 0, copied));
		commit_agg(task, 0, AGGREGATORS[1], &agg, s);
		reveal_agg(task, 0, honest, &agg, s);
		assert_noop!(
			Federated::reveal_aggregate(origin(lazy), task, 0, hash(&agg), s, salt(honest), None),
			Error::<Test>::CommitmentMismatch
		);
	});
}

/// Attack 2, on scores: a lazy aggregator copies an honest aggregator's score commitment, then
/// reveals the honest scores once public. The commitment names its author, so it opens for
/// nobody else; the copier is slashed and the honest scores decide.
#[test]
fn a_copied_score_commitment_opens_for_nobody_but_its_author() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		let (honest, lazy) = (AGGREGATORS[0], AGGREGATORS[2]);
		let s: &[u32] = &[GOOD; 3];
		commit_sc(task, 0, honest, s);
		let copied = score_commitment(&honest, task, 0, s, &salt(honest));
		assert_ok!(Federated::commit_scores(origin(lazy), task, 0, copied));
		commit_sc(task, 0, AGGREGATORS[1], s);
		reveal_sc(task, 0, honest, s);
		for salt_ in [salt(honest), salt(lazy)] {
			assert_noop!(
				Federated::reveal_scores(origin(lazy), task, 0, scores(s), salt_),
				Error::<Test>::CommitmentMismatch
			);
		}
		reveal_sc(task, 0, AGGREGATORS[1], s);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert_eq!(slashed(lazy), vec![Offence::NoScoresReveal]);
		assert_eq!(round(task, 0).accepted_updates().count(), 3);
	});
}

/// Attack 2: one malicious aggregator reveals a forged model first; with no copiers, the
/// honest majority decides and the forger is penalised.
#[test]
fn a_forged_first_result_does_not_win_without_copiers() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let honest = aggregate_of(task, 0, 5);
		let forged = aggregate_of(task, 0, 66);
		let s = METRICS;
		commit_agg(task, 0, AGGREGATORS[0], &forged, s);
		commit_agg(task, 0, AGGREGATORS[1], &honest, s);
		commit_agg(task, 0, AGGREGATORS[2], &honest, s);
		reveal_agg(task, 0, AGGREGATORS[0], &forged, s);
		reveal_agg(task, 0, AGGREGATORS[1], &honest, s);
		reveal_agg(task, 0, AGGREGATORS[2], &honest, s);
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: hash(&honest) });
		assert_eq!(slashed(AGGREGATORS[0]), vec![Offence::Disagreed]);
		assert!(slashed(AGGREGATORS[1]).is_empty() && slashed(AGGREGATORS[2]).is_empty());
	});
}

/// Attack 3: with two aggregators revealing scores, a colluder scoring its partner's poisoned
/// update 1_000_000 does not let it in: the lower median keeps the honest score and the update
/// stays out of the model. The committee is split evenly on it, so its trainer is not
/// penalised (a penalty needs the upper median too) and the colluder does not stray (its half
/// is the upper median); with a third honest aggregator both would
/// (`a_bought_aggregator_strays_is_penalised_and_earns_nothing`).
#[test]
fn one_colluding_aggregator_cannot_raise_a_score() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		// In trainer order: two honest updates, then the colluder's partner's poisoned one.
		let honest: &[u32] = &[600_000, 700_000, 100_000];
		let colluding: &[u32] = &[1_000_000, 1_000_000, 1_000_000];
		commit_sc(task, 0, AGGREGATORS[0], honest);
		commit_sc(task, 0, AGGREGATORS[1], colluding);
		run_to_block(6);
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoScores]);
		reveal_sc(task, 0, AGGREGATORS[0], honest);
		reveal_sc(task, 0, AGGREGATORS[1], colluding);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Aggregate);
		assert_eq!(
			r.trainers.iter().map(|t| t.score.unwrap()).collect::<Vec<_>>(),
			honest.to_vec(),
			"every score stays the honest one"
		);
		let poisoner = r.trainers[2].who;
		assert_eq!(r.trainers.iter().map(|t| t.accepted).collect::<Vec<_>>(), [true, true, false]);
		assert_eq!(slashed(poisoner), vec![]);
		assert_eq!(slashed(AGGREGATORS[1]), vec![]);
		// The aggregation duty names exactly the two accepted updates.
		let Duty::Aggregate { updates, .. } = Federated::duties(&AGGREGATORS[0]).pop().unwrap()
		else {
			panic!("an aggregation duty")
		};
		assert_eq!(
			updates.iter().map(|u| u.who).collect::<Vec<_>>(),
			vec![r.trainers[0].who, r.trainers[1].who]
		);
		let agg = aggregate_of(task, 0, 5);
		AGGREGATORS[..2].iter().for_each(|a| commit_agg(task, 0, *a, &agg, METRICS));
		run_to_block(10);
		AGGREGATORS[..2].iter().for_each(|a| reveal_agg(task, 0, *a, &agg, METRICS));
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&agg) });
		assert_eq!(r.trainers[2].reward, 0, "a rejected update earns nothing");
		assert!(r.trainers[..2].iter().all(|t| t.reward > 0));
	});
}

/// Committees (issue 30): one of three aggregators is bought. It reveals 0 for every honest
/// update, to have their trainers slashed, and 1_000_000 for its partner's poisoned one. The
/// committee's medians are the honest aggregators': the honest updates are accepted and
/// nobody honest is penalised; the bought aggregator's scores strayed far beyond the task's
/// `score_tolerance`, so it is penalised `StrayedScores` and paid nothing for the round, even
/// though it then revealed the agreed aggregate.
#[test]
fn a_bought_aggregator_strays_is_penalised_and_earns_nothing() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		let honest: &[u32] = &[800_000, 820_000, 100_000];
		let near: &[u32] = &[810_000, 790_000, 120_000];
		let bought: &[u32] = &[0, 0, 1_000_000];
		commit_sc(task, 0, AGGREGATORS[0], honest);
		commit_sc(task, 0, AGGREGATORS[1], bought);
		commit_sc(task, 0, AGGREGATORS[2], near);
		reveal_sc(task, 0, AGGREGATORS[0], honest);
		reveal_sc(task, 0, AGGREGATORS[1], bought);
		reveal_sc(task, 0, AGGREGATORS[2], near);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Aggregate);
		assert_eq!(r.trainers.iter().map(|t| t.accepted).collect::<Vec<_>>(), [true, true, false]);
		assert_eq!(slashed(r.trainers[0].who), vec![]);
		assert_eq!(slashed(r.trainers[1].who), vec![]);
		assert_eq!(slashed(r.trainers[2].who), vec![Offence::Rejected]);
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::StrayedScores]);
		assert_eq!(slashed(AGGREGATORS[0]), vec![]);
		assert_eq!(slashed(AGGREGATORS[2]), vec![]);
		let agg = aggregate_of(task, 0, 5);
		AGGREGATORS.iter().for_each(|a| commit_agg(task, 0, *a, &agg, METRICS));
		AGGREGATORS.iter().for_each(|a| reveal_agg(task, 0, *a, &agg, METRICS));
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&agg) });
		let reward = |who| r.aggregators.iter().find(|a| a.who == who).unwrap().reward;
		assert_eq!(reward(AGGREGATORS[1]), 0, "the bought aggregator earns nothing");
		// The aggregators' part (30 % of 1_000) goes to the two honest ones.
		assert_eq!((reward(AGGREGATORS[0]), reward(AGGREGATORS[2])), (150, 150));
	});
}

/// Committees (issue 30): with the committee split evenly — one honest aggregator, one that
/// scores every honest update 0 (the third never scores) — neither half is a majority. Today's
/// lower median alone took the 0s and slashed the honest trainers; now an update is penalised
/// only on its upper median and accepted only on its lower one: nothing is accepted, the round
/// fails, and nobody is penalised for what it sent or scored.
#[test]
fn an_even_split_cannot_slash_honest_trainers() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		let honest: &[u32] = &[800_000, 820_000, 810_000];
		let zeros: &[u32] = &[0, 0, 0];
		commit_sc(task, 0, AGGREGATORS[0], honest);
		commit_sc(task, 0, AGGREGATORS[1], zeros);
		run_to_block(6);
		reveal_sc(task, 0, AGGREGATORS[0], honest);
		reveal_sc(task, 0, AGGREGATORS[1], zeros);
		let r = round(task, 0);
		assert!(r.trainers.iter().all(|t| !t.accepted));
		assert!(r.trainers.iter().all(|t| slashed(t.who).is_empty()), "no trainer is penalised");
		assert_eq!(slashed(AGGREGATORS[0]), vec![]);
		assert_eq!(slashed(AGGREGATORS[1]), vec![]);
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoScores]);
		assert!(matches!(r.phase, Phase::Failed { .. }), "{:?}", r.phase);
	});
}

/// Attack 3: minimum-bond trainers fill a task; aggregators still join (each role has its own
/// cap) and rounds start.
#[test]
fn trainers_cannot_crowd_out_aggregators() {
	test(|| {
		let task = create(spec());
		let min = Tasks::<Test>::get(task).unwrap().min_trainer_bond;
		for who in 11..23 {
			assert_ok!(Federated::join(origin(who), task, JoinAs::Trainer { dataset: who }, min));
		}
		assert_noop!(
			Federated::join(origin(30), task, JoinAs::Trainer { dataset: 30 }, min),
			Error::<Test>::TooManyParticipants
		);
		for a in [31, 32, 33] {
			assert_ok!(Federated::join(origin(a), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		}
		run_to_block(2);
		assert_eq!(round(task, 0).phase, Phase::Commit);
		assert_eq!(round(task, 0).aggregators.len(), 3);
	});
}

/// Attack 3: an owner cancels during aggregation, after every update is public in block
/// bodies. The revealed work is paid first.
#[test]
fn cancelling_after_the_reveal_pays_the_revealed_updates() {
	test(|| {
		let task = started_task();
		TRAINERS.iter().for_each(|t| commit(task, 0, *t));
		reveal(task, 0, TRAINERS[0]);
		reveal(task, 0, TRAINERS[1]);
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		// 70% of the round's 1_000 in equal shares to the two revealed updates.
		let r = round(task, 0);
		let reward = |who| r.trainers.iter().find(|t| t.who == who).unwrap().reward;
		assert_eq!((reward(TRAINERS[0]), reward(TRAINERS[1]), reward(TRAINERS[2])), (350, 350, 0));
		assert!(events().contains(&Event::TaskCancelled { task, refund: 2 * REWARD - 700 }));
		assert_eq!(Balances::balance(&TRAINERS[0]), ENDOWMENT - TRAINER_BOND + 350);
		assert_eq!(
			Federated::round_summary(task, 0).map(|s| (s.outcome, s.paid)),
			Some((Phase::Failed { reason: FailReason::Cancelled }, 700))
		);
		assert!(slashed(TRAINERS[2]).is_empty(), "cancelling penalises nobody");
	});
}

/// Attack 3: a no-show's penalty costs at least what the round would have paid it, so skipping
/// work (or blocking a round) does not pay.
#[test]
fn a_no_show_loses_more_than_the_work_would_have_paid() {
	test(|| {
		let task = started_task();
		let info = Tasks::<Test>::get(task).unwrap();
		let penalty = info.spec.penalty;
		// The most one trainer can earn in a round is the trainers' part over min_trainers.
		let best_pay =
			(REWARD - info.spec.aggregator_share * REWARD) / info.spec.min_trainers as Balance;
		assert!(penalty * info.min_trainer_bond >= best_pay);
		let best_aggregator_pay =
			(info.spec.aggregator_share * REWARD) / info.spec.quorum as Balance;
		assert!(penalty * info.min_aggregator_bond >= best_aggregator_pay);
		// And the pallet enforces it at join.
		assert_noop!(
			Federated::join(
				origin(30),
				task,
				JoinAs::Trainer { dataset: 30 },
				info.min_trainer_bond - 1
			),
			Error::<Test>::BondTooLow
		);
	});
}

/// Committees (issue 30): penalties wear a bond down, and a participant whose bond fell below
/// the task's minimum would lose less by not showing up than the work pays. Rounds draw only
/// participants at or above the minimum; `bond_extra` brings one back. Nobody else can top up
/// for nothing or for someone else's place.
#[test]
fn a_bond_slashed_below_the_minimum_is_not_drawn_until_topped_up() {
	test(|| {
		let task = create(TaskSpec { rounds: 3, ..spec() });
		run_to_block(2);
		let minimum = Tasks::<Test>::get(task).unwrap().min_trainer_bond;
		let worn = TRAINERS[2];
		for t in TRAINERS {
			let bond = if t == worn { minimum } else { TRAINER_BOND };
			assert_ok!(Federated::join(origin(t), task, JoinAs::Trainer { dataset: t }, bond));
		}
		for a in AGGREGATORS {
			assert_ok!(Federated::join(origin(a), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		}
		Federated::on_idle(2, Weight::MAX);
		let drawn = |index| -> Vec<AccountId> {
			let mut who: Vec<_> = round(task, index).trainers.iter().map(|t| t.who).collect();
			who.sort();
			who
		};
		assert_eq!(drawn(0), TRAINERS.to_vec());
		// Nobody commits: every trainer loses 10 % of its bond; the worn one falls below. The
		// failed round is decided at block 6 and the next drawn at block 7.
		run_to_block(7);
		assert_eq!(slashed(worn), vec![Offence::NoCommit]);
		assert!(Participants::<Test>::get(task, worn).unwrap().bond < minimum);
		assert_eq!(drawn(1), TRAINERS[..2].to_vec(), "below the minimum: not drawn");

		// Hostile or careless top-ups change nothing.
		assert_noop!(Federated::bond_extra(origin(30), task, 1_000), Error::<Test>::NotParticipant);
		assert_noop!(Federated::bond_extra(origin(worn), task, 0), Error::<Test>::NothingToBond);
		assert_noop!(
			Federated::bond_extra(origin(worn), task + 1, 1_000),
			Error::<Test>::UnknownTask
		);

		let before = Participants::<Test>::get(task, worn).unwrap().bond;
		let extra = minimum - before;
		assert_ok!(Federated::bond_extra(origin(worn), task, extra));
		assert!(events().contains(&Event::BondIncreased { task, who: worn, extra, bond: minimum }));
		assert_eq!(held_bond(worn), minimum);
		run_to_block(12);
		assert_eq!(drawn(2), TRAINERS.to_vec(), "topped up: drawn again");

		// Once the task has ended, a top-up would only lock stake in a task that draws nobody.
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		let held = held_bond(worn);
		assert_noop!(Federated::bond_extra(origin(worn), task, 1_000), Error::<Test>::TaskEnded);
		assert_eq!(held_bond(worn), held);
	});
}

/// Attack 3: filling the active list with tasks that never start costs deposits and budgets,
/// and frees itself: such tasks expire and return their budgets.
#[test]
fn tasks_filling_the_active_list_cost_deposits_and_expire() {
	test(|| {
		// Two accounts of one party (one alone may hold only `MAX_TASKS_PER_OWNER` places).
		let mut cheap = spec();
		cheap.reward_per_round = 1;
		for owner in [OWNER, OWNER, 2, 2] {
			assert_ok!(Federated::create_task(origin(owner), cheap.clone()));
		}
		assert_noop!(
			Federated::create_task(origin(3), cheap.clone()),
			Error::<Test>::TooManyActiveTasks
		);
		assert_eq!(held_deposit(OWNER) + held_deposit(2), 4 * deposit(2));
		run_to_block(1 + TASK_EXPIRY + 1);
		assert!(ActiveTasks::<Test>::get().is_empty());
		assert_eq!(events().iter().filter(|e| matches!(e, Event::TaskExpired { .. })).count(), 4);
		assert_ok!(Federated::create_task(origin(3), spec()));
	});
}
