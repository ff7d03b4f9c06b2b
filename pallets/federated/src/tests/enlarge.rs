//! A committee that does not agree on the aggregate, or has too few members committing to
//! scores, is enlarged once from the task's other aggregators (`enlarge.rs`): the hash of the
//! enlarged committee's majority decides, the losing side is slashed, and a minority that
//! forges or withholds its work no longer stalls the round for free.

use super::*;

/// Joins aggregators `spares` to `task` after its round drew its committee: the pool an
/// enlargement draws from.
fn join_spares(task: TaskId, spares: &[AccountId]) {
	for a in spares {
		assert_ok!(Federated::join(origin(*a), task, JoinAs::Aggregator, AGGREGATOR_BOND));
	}
}

fn enlarged(task: TaskId) -> Vec<Vec<AccountId>> {
	events()
		.into_iter()
		.filter_map(|e| match e {
			Event::CommitteeEnlarged { task: t, added, .. } if t == task => Some(added),
			_ => None,
		})
		.collect()
}

fn reward(task: TaskId, who: AccountId) -> Balance {
	round(task, 0).aggregators.iter().find(|a| a.who == who).map_or(0, |a| a.reward)
}

/// Four aggregators, a quorum of three; two reveal the honest aggregate and two a forged one.
/// Before: the round failed and nobody paid for it. Now one more aggregator is drawn from
/// those who joined, it computes the honest aggregate, three of five agree, the round is
/// decided and the two forgers are slashed.
#[test]
fn a_two_two_split_on_the_aggregate_is_decided_by_an_enlarged_committee() {
	test(|| {
		let committee = [21, 22, 23, 24];
		let task = create(TaskSpec { aggregators: 4, quorum: 3, ..spec() });
		run_to_block(2);
		for t in TRAINERS {
			assert_ok!(Federated::join(
				origin(t),
				task,
				JoinAs::Trainer { dataset: t },
				TRAINER_BOND
			));
		}
		join_spares(task, &committee);
		Federated::on_idle(2, Weight::MAX);
		join_spares(task, &[25, 26]);
		to_scoring(task, 0);
		score(task, 0, &committee.map(|a| (a, &[GOOD; 3][..])));
		assert_eq!(round(task, 0).phase, Phase::Aggregate);

		let honest = aggregate_of(task, 0, 5);
		let forged = aggregate_of(task, 0, 9);
		decide(
			task,
			0,
			&[
				(21, &honest[..], METRICS),
				(22, &honest[..], METRICS),
				(23, &forged[..], METRICS),
				(24, &forged[..], METRICS),
			],
		);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Aggregate, "enlarged, not failed");
		let added = enlarged(task);
		assert_eq!(added.len(), 1);
		assert_eq!(added[0].len(), 1, "room for one more under MaxAggregatorsPerRound = 5");
		let newcomer = added[0][0];
		assert!([25, 26].contains(&newcomer));
		assert!(committee.iter().all(|a| slashed(*a).is_empty()), "nothing decided yet");
		// Only the newcomer aggregates again.
		assert!(committee.iter().all(|a| Federated::duties(a).is_empty()));
		assert!(matches!(Federated::duties(&newcomer)[..], [Duty::Aggregate { .. }]));
		assert_noop!(
			Federated::commit_aggregate(origin(23), task, 0, H256::repeat_byte(1)),
			Error::<Test>::NotAnAddedAggregator
		);

		decide(task, 0, &[(newcomer, &honest[..], METRICS)]);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&honest) });
		assert_eq!(slashed(23), vec![Offence::Disagreed]);
		assert_eq!(slashed(24), vec![Offence::Disagreed]);
		for a in [21, 22, newcomer] {
			assert!(slashed(a).is_empty());
			assert!(reward(task, a) > 0, "{a} agreed and is paid");
		}
		assert_eq!(reward(task, 23) + reward(task, 24), 0);
		let global = Tasks::<Test>::get(task).unwrap().global_model.map(|p| p.payload_hash);
		assert_eq!(global, Some(hash(&honest)));
	});
}

/// Two of three aggregators commit and withhold their reveal so that no quorum is reached.
/// Before: the round failed. Now they are slashed once, the two spare aggregators are drawn,
/// agree with the one honest member, and the round is decided; the withholders take no second
/// turn and are not slashed again.
#[test]
fn a_minority_withholding_the_aggregate_pays_once_and_the_round_is_decided() {
	test(|| {
		let task = started_task();
		join_spares(task, &[24, 25]);
		to_aggregation(task, 0);
		let honest = aggregate_of(task, 0, 5);
		AGGREGATORS.iter().for_each(|a| commit_agg(task, 0, *a, &honest, METRICS));
		reveal_agg(task, 0, AGGREGATORS[0], &honest, METRICS);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoAggregateReveal]);
		let mut added = enlarged(task).concat();
		added.sort();
		assert_eq!(added, vec![24, 25]);
		assert!(Federated::duties(&AGGREGATORS[1]).is_empty(), "no second turn");
		assert_noop!(
			Federated::reveal_aggregate(
				origin(AGGREGATORS[1]),
				task,
				0,
				hash(&honest),
				METRICS,
				salt(AGGREGATORS[1]),
				None
			),
			Error::<Test>::WrongPhase
		);

		decide(task, 0, &[(24, &honest[..], METRICS), (25, &honest[..], METRICS)]);
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: hash(&honest) });
		for silent in [AGGREGATORS[1], AGGREGATORS[2]] {
			assert_eq!(slashed(silent), vec![Offence::NoAggregateReveal], "slashed once");
			assert_eq!(reward(task, silent), 0);
		}
		for paid in [AGGREGATORS[0], 24, 25] {
			assert!(reward(task, paid) > 0);
		}
	});
}

/// Aggregators who never commit to stall the round are slashed, and the enlarged committee
/// decides; an added member that does not commit either is slashed too.
#[test]
fn a_minority_that_never_commits_is_outvoted_by_the_added_members() {
	test(|| {
		let task = started_task();
		join_spares(task, &[24, 25]);
		to_aggregation(task, 0);
		let honest = aggregate_of(task, 0, 5);
		commit_agg(task, 0, AGGREGATORS[0], &honest, METRICS);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Aggregate, "enlarged at the commit's close");
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoAggregate]);
		assert_eq!(enlarged(task).concat().len(), 2);
		// One added member commits; the other never does. The first member still reveals.
		commit_agg(task, 0, 24, &honest, METRICS);
		run_to_block(10);
		assert_eq!(round(task, 0).phase, Phase::AggregateReveal);
		assert_eq!(slashed(25), vec![Offence::NoAggregate]);
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoAggregate], "not slashed again");
		reveal_agg(task, 0, AGGREGATORS[0], &honest, METRICS);
		reveal_agg(task, 0, 24, &honest, METRICS);
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: hash(&honest) });
	});
}

/// An enlarged committee that still has no majority fails the round; it is not enlarged a
/// second time, and nobody who revealed is slashed (no side is shown wrong).
#[test]
fn a_committee_is_enlarged_once() {
	test(|| {
		let task = started_task();
		join_spares(task, &[24, 25, 26]);
		to_aggregation(task, 0);
		let results: Vec<_> = (0..5).map(|i| aggregate_of(task, 0, i)).collect();
		decide(
			task,
			0,
			&AGGREGATORS
				.iter()
				.zip(&results)
				.map(|(a, r)| (*a, &r[..], METRICS))
				.collect::<Vec<_>>(),
		);
		let added = enlarged(task).concat();
		assert_eq!(added.len(), 2);
		// The added two split too: two of five for result 0 reach the quorum of two, but not
		// a majority.
		decide(
			task,
			0,
			&[(added[0], &results[0][..], METRICS), (added[1], &results[3][..], METRICS)],
		);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NoQuorum });
		assert_eq!(enlarged(task).len(), 1, "once per round");
		assert!(AGGREGATORS.iter().chain(&added).all(|a| slashed(*a).is_empty()));
	});
}

/// An honest committee that agrees is never enlarged, though others joined.
#[test]
fn an_agreeing_committee_is_not_enlarged() {
	test(|| {
		let task = started_task();
		join_spares(task, &[24, 25]);
		to_aggregation(task, 0);
		decide_all(task, 0, &aggregate_of(task, 0, 5));
		assert!(matches!(round(task, 0).phase, Phase::Finalized { .. }));
		assert!(enlarged(task).is_empty());
		assert_eq!(round(task, 0).aggregators.len(), 3);
	});
}

/// Two of three aggregators never commit to scores, so that fewer than a quorum score. Before:
/// the round failed (`NotEnoughScores`). Now they are slashed `NoScores` once, the two spare
/// aggregators are drawn to score, the round goes on with the medians of three members, and
/// the whole enlarged committee aggregates.
#[test]
fn a_minority_that_never_commits_scores_is_outvoted_by_the_added_members() {
	test(|| {
		let task = started_task();
		join_spares(task, &[24, 25]);
		to_scoring(task, 0);
		commit_sc(task, 0, AGGREGATORS[0], &[GOOD; 3]);
		run_to_block(6);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Score, "enlarged to score, not failed");
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoScores]);
		let mut added = enlarged(task).concat();
		added.sort();
		assert_eq!(added, vec![24, 25]);
		// Only the added members score now; the no-shows take no second turn.
		assert!(Federated::duties(&AGGREGATORS[1]).is_empty());
		assert!(matches!(Federated::duties(&24)[..], [Duty::Score { .. }]));
		assert_noop!(
			Federated::commit_scores(origin(AGGREGATORS[1]), task, 0, H256::repeat_byte(1)),
			Error::<Test>::NotAnAddedAggregator
		);
		commit_sc(task, 0, 24, &[GOOD; 3]);
		commit_sc(task, 0, 25, &[GOOD; 3]);
		assert_eq!(round(task, 0).phase, Phase::ScoreReveal, "every added member committed");
		for a in [AGGREGATORS[0], 24, 25] {
			reveal_sc(task, 0, a, &[GOOD; 3]);
		}
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert_eq!(round(task, 0).accepted_updates().count(), 3);
		// The enlarged committee aggregates as one: every member has the duty.
		for a in [AGGREGATORS[0], AGGREGATORS[1], 24, 25] {
			assert!(matches!(Federated::duties(&a)[..], [Duty::Aggregate { .. }]), "{a}");
		}
		let agg = aggregate_of(task, 0, 5);
		decide(
			task,
			0,
			&[AGGREGATORS[0], AGGREGATORS[1], AGGREGATORS[2], 24, 25]
				.map(|a| (a, &agg[..], METRICS)),
		);
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: hash(&agg) });
		for silent in [AGGREGATORS[1], AGGREGATORS[2]] {
			assert_eq!(slashed(silent), vec![Offence::NoScores], "slashed once");
		}
		for a in [AGGREGATORS[0], 24, 25] {
			assert!(slashed(a).is_empty());
			assert!(reward(task, a) > 0);
		}
	});
}

/// Too few reveal their scores: the revealed scores are public, so added members could copy
/// them; the committee is not enlarged and the round fails as before, the withholders slashed.
#[test]
fn too_few_score_reveals_fail_the_round_without_enlarging() {
	test(|| {
		let task = started_task();
		join_spares(task, &[24, 25]);
		to_scoring(task, 0);
		AGGREGATORS.iter().for_each(|a| commit_sc(task, 0, *a, &[GOOD; 3]));
		reveal_sc(task, 0, AGGREGATORS[0], &[GOOD; 3]);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughScores });
		assert!(enlarged(task).is_empty());
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoScoresReveal]);
	});
}
