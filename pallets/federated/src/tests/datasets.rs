//! Datasets through the data market: who may join with one, the terms it joins on, royalties
//! and lineage when a round finalizes, the samples an update may claim, privacy budgets in
//! differentially private tasks, and leaving. The test data market (`mock::market`) keeps its
//! state in storage and records every call that changes it.

use super::*;
use cohort_primitives::{dataset::DatasetUse, task::DpParams};

/// The most royalty per accepted update in the royalty tests.
const MAX_ROYALTY: Balance = 50;
/// The ε one round of a private task costs a dataset drawn into it.
const EPSILON: u32 = 100_000;

fn royalty_spec() -> TaskSpec<Balance, u64> {
	let mut s = spec();
	s.datasets.max_royalty = MAX_ROYALTY;
	s
}

fn private_spec() -> TaskSpec<Balance, u64> {
	let mut s = spec();
	s.training.dp = Some(DpParams {
		clip_norm_micros: 1_000_000,
		noise_multiplier_micros: 1_100_000,
		epsilon_micros: EPSILON,
	});
	s
}

/// The round's trainers in round order (the order scores are given in).
fn order(task: TaskId, index: RoundIndex) -> Vec<AccountId> {
	round(task, index).trainers.iter().map(|t| t.who).collect()
}

/// Every aggregator scores each update `GOOD`, except `rejected`'s, which scores 0.
fn score_rejecting(task: TaskId, index: RoundIndex, rejected: &[AccountId]) {
	let s: Vec<u32> = order(task, index)
		.iter()
		.map(|who| if rejected.contains(who) { 0 } else { GOOD })
		.collect();
	score(task, index, &AGGREGATORS.map(|a| (a, &s[..])));
}

fn settlements() -> Vec<MarketCall> {
	market_calls().into_iter().filter(|c| matches!(c, MarketCall::Settle { .. })).collect()
}

fn privacy_spent() -> Vec<(u64, u32)> {
	market_calls()
		.into_iter()
		.filter_map(|c| match c {
			MarketCall::SpendPrivacy { dataset, epsilon } => Some((dataset, epsilon)),
			_ => None,
		})
		.collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
	v.sort();
	v
}

// ---- joining -------------------------------------------------------------------------------

/// A stranger tries to train on someone else's dataset (or one that does not exist, does not
/// fit, or asks more royalty than the task pays): the data market refuses with its own error
/// and nothing changes. The owner's authorised worker may join, on the owner's terms.
#[test]
fn a_stranger_cannot_join_with_someone_elses_dataset_and_nothing_changes() {
	test(|| {
		let task = create(spec());
		let stranger = 30;
		list(31, MockDataset { fits: false, ..MockDataset::owned_by(stranger) });
		list(32, MockDataset { royalty: 1, ..MockDataset::owned_by(stranger) });
		for (dataset, error) in [
			(TRAINERS[0], "NotOwnerOrDelegate"),
			(999, "UnknownDataset"),
			(31, "SchemaMismatch"),
			(32, "RoyaltyTooHigh"),
		] {
			assert_noop!(
				Federated::join(origin(stranger), task, JoinAs::Trainer { dataset }, TRAINER_BOND),
				DispatchError::Other(error)
			);
		}
		assert_eq!((Balances::balance(&stranger), held_bond(stranger)), (ENDOWMENT, 0));
		assert!(Participants::<Test>::get(task, stranger).is_none());
		assert_eq!(Tasks::<Test>::get(task).unwrap().trainers, 0);
		assert!(market_calls().is_empty());

		// The task's own dataset list is passed on: only listed datasets may join.
		let mut listed = spec();
		listed.datasets.allowlist = BoundedVec::truncate_from(vec![TRAINERS[1]]);
		let only = create(listed);
		assert_noop!(
			Federated::join(
				origin(TRAINERS[0]),
				only,
				JoinAs::Trainer { dataset: TRAINERS[0] },
				TRAINER_BOND
			),
			DispatchError::Other("NotAllowlisted")
		);
		assert_ok!(Federated::join(
			origin(TRAINERS[1]),
			only,
			JoinAs::Trainer { dataset: TRAINERS[1] },
			TRAINER_BOND
		));

		// A worker the owner authorised joins, and the royalty goes to the owner.
		edit(TRAINERS[0], |d| d.delegates.push(stranger));
		assert_ok!(Federated::join(
			origin(stranger),
			task,
			JoinAs::Trainer { dataset: TRAINERS[0] },
			TRAINER_BOND
		));
		let joined = Participants::<Test>::get(task, stranger).unwrap().dataset.unwrap();
		assert_eq!((joined.id, joined.terms.owner), (TRAINERS[0], TRAINERS[0]));
		// One dataset joins a task once.
		assert_noop!(
			Federated::join(
				origin(TRAINERS[0]),
				task,
				JoinAs::Trainer { dataset: TRAINERS[0] },
				TRAINER_BOND
			),
			DispatchError::Other("AlreadyInTask")
		);
	});
}

/// `joinable_tasks` (the `FederatedApi` a data owner's client asks which tasks its dataset can
/// join) answers what `join` would, task by task, and changes nothing: a stranger's answer for
/// someone else's dataset is the data market's refusal, the owner's is `Ok` where the task takes
/// its dataset and the refusal where it does not.
#[test]
fn joinable_tasks_answers_as_join_would_and_changes_nothing() {
	test(|| {
		let open = create(spec());
		let mut listed = spec();
		listed.datasets.allowlist = BoundedVec::truncate_from(vec![TRAINERS[1]]);
		let only = create(listed);
		let before = sp_io::storage::root(sp_runtime::StateVersion::V1);
		let owner = TRAINERS[0];
		assert_eq!(
			Federated::joinable_tasks(&owner, owner),
			vec![(open, Ok(())), (only, Err(DispatchError::Other("NotAllowlisted")))]
		);
		let stranger = 30;
		assert_eq!(
			Federated::joinable_tasks(&stranger, owner),
			vec![
				(open, Err(DispatchError::Other("NotOwnerOrDelegate"))),
				(only, Err(DispatchError::Other("NotOwnerOrDelegate")))
			]
		);
		assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), before, "nothing changed");
		assert!(market_calls().is_empty() && Participants::<Test>::get(open, owner).is_none());
		// Once joined, the answer is the join's refusal; an ended task is not listed.
		assert_ok!(Federated::join(
			origin(owner),
			open,
			JoinAs::Trainer { dataset: owner },
			TRAINER_BOND
		));
		assert_ok!(Federated::cancel_task(origin(OWNER), only));
		assert_eq!(
			Federated::joinable_tasks(&owner, owner),
			vec![(open, Err(Error::<Test>::AlreadyJoined.into()))]
		);
	});
}

// ---- budget and royalties --------------------------------------------------------------------

/// The budget holds every round's reward and the most royalties its accepted updates can earn:
/// even when every update of every round is accepted at the most royalty, every reward is paid
/// in full. A trainer's bond covers its royalty too.
#[test]
fn the_budget_covers_the_most_royalties_every_round() {
	test(|| {
		let task = create(royalty_spec());
		let budget = 2 * (REWARD + 3 * MAX_ROYALTY);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.budget, held_budget(OWNER)), (budget, budget));
		assert!(events().contains(&Event::TaskCreated {
			task,
			owner: OWNER,
			budget,
			deposit: deposit(2)
		}));
		// (700 / 2 trainers + 50 royalty) / 10%; aggregators earn no royalty.
		assert_eq!((info.min_trainer_bond, info.min_aggregator_bond), (4_000, 1_500));

		for who in TRAINERS {
			edit(who, |d| d.royalty = MAX_ROYALTY);
		}
		join_all(task);
		for index in 0..2 {
			run_to_block(2 + index as u64);
			to_aggregation(task, index);
			decide_all(task, index, &aggregate_of(task, index, 5));
			// 233 to each trainer (700 / 3), 100 to each aggregator: 999 in rewards.
			assert!(events().contains(&Event::RoundFinalized {
				task,
				round: index,
				aggregate: hash(&aggregate_of(task, index, 5)),
				agreeing: 3,
				metrics: METRICS,
				paid: 999,
				royalties: 3 * MAX_ROYALTY,
			}));
		}
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Finished);
		assert!(events().contains(&Event::TaskFinished { task, refund: budget - 2 * 1_149 }));
		assert_eq!(held_budget(OWNER), 0);
		for who in TRAINERS {
			assert_eq!(Balances::balance(&who), ENDOWMENT - TRAINER_BOND + 2 * (233 + MAX_ROYALTY));
		}
	});
}

/// Each accepted update pays its dataset's owner the royalty fixed when its trainer joined; a
/// rejected update earns its dataset nothing (but its score still counts for its reputation).
/// The lineage names exactly the accepted updates. No unit is created or lost.
#[test]
fn royalties_are_paid_per_accepted_update_and_rejected_updates_earn_none() {
	test(|| {
		let dataset_owner = 5;
		let [t1, t2, t3] = TRAINERS;
		edit(t1, |d| d.royalty = MAX_ROYALTY);
		// t2 trains, as an authorised worker, on a dataset owned by someone else.
		list(
			t2,
			MockDataset {
				delegates: vec![t2],
				royalty: 20,
				..MockDataset::owned_by(dataset_owner)
			},
		);
		edit(t3, |d| d.royalty = MAX_ROYALTY);
		let task = create(royalty_spec());
		join_all(task);
		// Raising the royalty after joining changes nothing for the task.
		edit(t1, |d| d.royalty = 1_000);
		let issuance = Balances::total_issuance();
		run_to_block(2);
		to_scoring(task, 0);
		score_rejecting(task, 0, &[t3]);
		assert_eq!(slashed(t3), vec![Offence::Rejected]);
		// Every score moves its dataset's reputation, the rejected one's too.
		let scored: Vec<_> = market_calls()
			.into_iter()
			.filter_map(|c| match c {
				MarketCall::RecordScore { dataset, score } => Some((dataset, score)),
				_ => None,
			})
			.collect();
		assert_eq!(sorted(scored), vec![(t1, GOOD), (t2, GOOD), (t3, 0)]);
		assert_eq!(dataset(t3).last_score, Some(0));

		decide_all(task, 0, &aggregate_of(task, 0, 5));
		assert!(events().contains(&Event::RoundFinalized {
			task,
			round: 0,
			aggregate: hash(&aggregate_of(task, 0, 5)),
			agreeing: 3,
			metrics: METRICS,
			paid: 1_000,
			royalties: MAX_ROYALTY + 20,
		}));
		let settled_calls = settlements();
		let [MarketCall::Settle { task: settled, round: 0, payer: OWNER, uses, paid, .. }] =
			&settled_calls[..]
		else {
			panic!("one settlement: {settled_calls:?}")
		};
		assert_eq!((*settled, *paid), (task, MAX_ROYALTY + 20));
		let line = |dataset, owner, royalty| DatasetUse {
			dataset,
			owner,
			trainer: dataset,
			score: GOOD,
			royalty,
		};
		let mut uses = uses.clone();
		uses.sort_by_key(|u| u.dataset);
		assert_eq!(
			uses,
			vec![line(t1, t1, MAX_ROYALTY), line(t2, dataset_owner, 20)],
			"exactly the accepted updates, at the terms they joined on"
		);

		// To the unit: rewards 350 + 350 to the accepted trainers (70% by equal scores), 100
		// to each aggregator, royalties to the owners, the rejected trainer's penalty to the
		// treasury; the owner's budget paid for all but the penalty.
		assert_eq!(Balances::balance(&t1), ENDOWMENT - TRAINER_BOND + 350 + MAX_ROYALTY);
		assert_eq!(Balances::balance(&t2), ENDOWMENT - TRAINER_BOND + 350);
		assert_eq!(Balances::balance(&dataset_owner), ENDOWMENT + 20);
		assert_eq!((Balances::balance(&t3), held_bond(t3)), (ENDOWMENT - TRAINER_BOND, 4_500));
		assert_eq!(Balances::balance(&TREASURY), ENDOWMENT + 500);
		let budget = 2 * (REWARD + 3 * MAX_ROYALTY) - 1_000 - (MAX_ROYALTY + 20);
		assert_eq!(
			(Tasks::<Test>::get(task).unwrap().budget, held_budget(OWNER)),
			(budget, budget)
		);
		assert_eq!(Balances::total_issuance(), issuance, "nothing is created or lost");
		// The summary keeps the rewards and the royalties apart, and the history shows both.
		let summary = Federated::round_summary(task, 0).unwrap();
		assert_eq!((summary.paid, summary.royalties), (1_000, MAX_ROYALTY + 20));
		assert_eq!(
			Federated::round_history(task)
				.into_iter()
				.map(|(i, s)| (i, s.paid, s.royalties))
				.collect::<Vec<_>>(),
			[(0, 1_000, MAX_ROYALTY + 20)]
		);
	});
}

/// A task owner who cancels once updates are public (it could aggregate them off chain) pays
/// each revealed update's royalty to its dataset's owner, exactly, as well as the trainers'
/// share; an update that was not revealed earns nothing. The cancelled round's lineage lists
/// exactly the revealed updates (unscored: 0), and its summary the royalties. No unit is
/// created or lost.
#[test]
fn cancelling_after_the_reveal_pays_each_revealed_updates_royalty() {
	test(|| {
		let dataset_owner = 5;
		let [t1, t2, t3] = TRAINERS;
		edit(t1, |d| d.royalty = MAX_ROYALTY);
		list(
			t2,
			MockDataset {
				delegates: vec![t2],
				royalty: 20,
				..MockDataset::owned_by(dataset_owner)
			},
		);
		edit(t3, |d| d.royalty = MAX_ROYALTY);
		let task = create(royalty_spec());
		join_all(task);
		run_to_block(2);
		TRAINERS.iter().for_each(|t| commit(task, 0, *t));
		reveal(task, 0, t1);
		reveal(task, 0, t2);
		let issuance = Balances::total_issuance();
		assert_ok!(Federated::cancel_task(origin(OWNER), task));

		let settled_calls = settlements();
		let [MarketCall::Settle { task: settled, round: 0, payer: OWNER, uses, paid, .. }] =
			&settled_calls[..]
		else {
			panic!("one settlement: {settled_calls:?}")
		};
		assert_eq!((*settled, *paid), (task, MAX_ROYALTY + 20));
		let mut uses = uses.clone();
		uses.sort_by_key(|u| u.dataset);
		let line = |dataset, owner, royalty| DatasetUse {
			dataset,
			owner,
			trainer: dataset,
			score: 0,
			royalty,
		};
		assert_eq!(
			uses,
			vec![line(t1, t1, MAX_ROYALTY), line(t2, dataset_owner, 20)],
			"exactly the revealed updates, at the terms they joined on"
		);

		// The royalties, exactly, and 70% of the round's reward in equal shares to the two.
		assert_eq!(Balances::balance(&t1), ENDOWMENT - TRAINER_BOND + 350 + MAX_ROYALTY);
		assert_eq!(Balances::balance(&t2), ENDOWMENT - TRAINER_BOND + 350);
		assert_eq!(Balances::balance(&dataset_owner), ENDOWMENT + 20);
		assert_eq!(
			(Balances::balance(&t3), held_bond(t3)),
			(ENDOWMENT - TRAINER_BOND, TRAINER_BOND),
			"not revealed: not paid, and cancelling penalises nobody"
		);
		let budget = 2 * (REWARD + 3 * MAX_ROYALTY);
		assert!(events()
			.contains(&Event::TaskCancelled { task, refund: budget - 700 - (MAX_ROYALTY + 20) }));
		assert_eq!((Tasks::<Test>::get(task).unwrap().budget, held_budget(OWNER)), (0, 0));
		assert_eq!(Balances::total_issuance(), issuance, "nothing is created or lost");
		let summary = Federated::round_summary(task, 0).unwrap();
		assert_eq!(
			(summary.outcome, summary.paid, summary.royalties),
			(Phase::Failed { reason: FailReason::Cancelled }, 700, MAX_ROYALTY + 20)
		);
		assert_eq!(
			Federated::round_history(task)
				.into_iter()
				.map(|(i, s)| (i, s.paid, s.royalties))
				.collect::<Vec<_>>(),
			[(0, 700, MAX_ROYALTY + 20)]
		);
	});
}

/// Once the scores are in, cancelling pays the accepted updates only, royalties included, at
/// their scores: exactly what the finalized round would have paid the data. A cancel before
/// any reveal settles nothing.
#[test]
fn cancelling_after_scoring_pays_royalties_of_accepted_updates_only() {
	test(|| {
		let [t1, t2, t3] = TRAINERS;
		for who in TRAINERS {
			edit(who, |d| d.royalty = MAX_ROYALTY);
		}
		let task = create(royalty_spec());
		join_all(task);
		run_to_block(2);
		to_scoring(task, 0);
		score_rejecting(task, 0, &[t3]);
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		let settled_calls = settlements();
		let [MarketCall::Settle { uses, paid, .. }] = &settled_calls[..] else {
			panic!("one settlement: {settled_calls:?}")
		};
		let mut lines: Vec<_> = uses.iter().map(|u| (u.dataset, u.score, u.royalty)).collect();
		lines.sort();
		assert_eq!(lines, vec![(t1, GOOD, MAX_ROYALTY), (t2, GOOD, MAX_ROYALTY)]);
		assert_eq!(*paid, 2 * MAX_ROYALTY);
		assert_eq!(Balances::balance(&t1), ENDOWMENT - TRAINER_BOND + 350 + MAX_ROYALTY);
		assert_eq!(Balances::balance(&t3), ENDOWMENT - TRAINER_BOND, "rejected: no royalty");
		let summary = Federated::round_summary(task, 0).unwrap();
		// The trainers' 700 and, the scores being on chain, the aggregators' 300.
		assert_eq!((summary.paid, summary.royalties), (1000, 2 * MAX_ROYALTY));

		// Nothing revealed, nothing to settle.
		let other = create(royalty_spec());
		join_all(other);
		run_to_block(3);
		TRAINERS.iter().for_each(|t| commit(other, 0, *t));
		assert_ok!(Federated::cancel_task(origin(OWNER), other));
		assert_eq!(settlements().len(), 1, "no settlement for the round without reveals");
		let summary = Federated::round_summary(other, 0).unwrap();
		assert_eq!((summary.paid, summary.royalties), (0, 0));
	});
}

/// What one round of a one-round task cost its owner and paid everyone else, each dataset
/// being owned by someone who does not train (so that a royalty is told apart from a reward).
#[derive(Debug, PartialEq)]
struct OneRound {
	owner_spent: Balance,
	/// What each dataset's owner earned, in the order of `DATA_OWNERS`.
	royalties: Vec<Balance>,
	/// What each trainer earned, in the order of `TRAINERS`.
	trainers: Vec<Balance>,
	aggregators: Balance,
}

/// The owners of the trainers' datasets, and their royalties.
const DATA_OWNERS: [(AccountId, Balance); 3] = [(5, MAX_ROYALTY), (6, 20), (7, 35)];

/// Runs round 0 of a one-round task whose every update is revealed and accepted: to the end,
/// or until the owner cancels it in `cancel_in` (`Score`: right after the reveal; `Aggregate`:
/// right after scoring).
fn one_round(cancel_in: Option<Phase>) -> OneRound {
	let mut outcome = None;
	test(|| {
		for (t, (owner, royalty)) in TRAINERS.into_iter().zip(DATA_OWNERS) {
			list(t, MockDataset { delegates: vec![t], royalty, ..MockDataset::owned_by(owner) });
		}
		let mut s = royalty_spec();
		s.rounds = 1;
		let task = create(s);
		join_all(task);
		run_to_block(2);
		let issuance = Balances::total_issuance();
		to_scoring(task, 0);
		if cancel_in != Some(Phase::Score) {
			score(task, 0, &AGGREGATORS.map(|a| (a, &[GOOD; 3][..])));
			if cancel_in != Some(Phase::Aggregate) {
				decide_all(task, 0, &aggregate_of(task, 0, 5));
			}
		}
		match cancel_in {
			Some(phase) => {
				assert_eq!(round(task, 0).phase, phase);
				assert_ok!(Federated::cancel_task(origin(OWNER), task));
			},
			None => assert!(matches!(round(task, 0).phase, Phase::Finalized { .. })),
		}
		assert!(Tasks::<Test>::get(task).unwrap().ended.is_some());
		assert_eq!(held_budget(OWNER), 0, "the rest of the budget is back");
		assert_eq!(Balances::total_issuance(), issuance, "nothing is created or lost");
		// Nobody was slashed: every total (free and held) moved by what was paid.
		let earned = |who: AccountId| Balances::total_balance(&who) - ENDOWMENT;
		outcome = Some(OneRound {
			owner_spent: ENDOWMENT - Balances::total_balance(&OWNER),
			royalties: DATA_OWNERS.map(|(owner, _)| earned(owner)).to_vec(),
			trainers: TRAINERS.map(earned).to_vec(),
			aggregators: AGGREGATORS.map(earned).iter().sum(),
		});
	});
	outcome.expect("the round ran")
}

/// A hostile owner who cancels once the updates are public, to aggregate them off chain,
/// saves nothing it owes the data or the trainers: every dataset's owner gets exactly the
/// royalty, and every trainer the reward, that finishing the round pays. (Before this rule,
/// cancelling after the reveal skipped every royalty.) All the owner keeps is the aggregators'
/// share of the reward: the verified aggregate it pays for is what it gave up.
#[test]
fn a_hostile_owner_cancelling_saves_nothing_once_the_work_is_on_chain() {
	let finished = one_round(None);
	// 105 in royalties, 233 to each trainer (700 / 3), 100 to each aggregator.
	assert_eq!(
		finished,
		OneRound {
			owner_spent: 105 + 999,
			royalties: DATA_OWNERS.map(|(_, royalty)| royalty).to_vec(),
			trainers: vec![233; 3],
			aggregators: 300,
		}
	);
	for cancel_in in [Phase::Score, Phase::Aggregate] {
		let cancelled = one_round(Some(cancel_in));
		assert_eq!(
			cancelled.royalties, finished.royalties,
			"{cancel_in:?}: every royalty, exactly"
		);
		assert_eq!(cancelled.trainers, finished.trainers, "{cancel_in:?}: every trainer's reward");
		if cancel_in == Phase::Score {
			// No scores on chain yet: the aggregators have shown no work.
			assert_eq!(cancelled.aggregators, 0);
			assert_eq!(cancelled.owner_spent + finished.aggregators, finished.owner_spent);
		} else {
			// The scores are on chain: the aggregators are paid their part.
			assert_eq!(cancelled.aggregators, finished.aggregators, "the aggregators' part");
			assert_eq!(cancelled.owner_spent, finished.owner_spent, "the owner saves nothing");
		}
	}
}

/// A faulty data market that reports more royalties than it paid cannot make the task's books
/// disagree with the funds held: the budget is debited by what actually left it.
#[test]
fn a_data_market_that_misreports_cannot_unbalance_the_books() {
	test(|| {
		edit(TRAINERS[0], |d| d.royalty = MAX_ROYALTY);
		misreport(7);
		let task = create(royalty_spec());
		join_all(task);
		run_to_block(2);
		to_aggregation(task, 0);
		decide_all(task, 0, &aggregate_of(task, 0, 5));
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::RoundFinalized { round: 0, royalties: MAX_ROYALTY, .. })));
		let budget = 2 * (REWARD + 3 * MAX_ROYALTY) - MAX_ROYALTY - 999;
		assert_eq!(
			(Tasks::<Test>::get(task).unwrap().budget, held_budget(OWNER)),
			(budget, budget)
		);
	});
}

/// A round that fails settles nothing: no royalties, no lineage.
#[test]
fn a_failed_round_pays_no_royalties() {
	test(|| {
		edit(TRAINERS[0], |d| d.royalty = MAX_ROYALTY);
		let task = create(royalty_spec());
		join_all(task);
		run_to_block(2);
		to_scoring(task, 0);
		score_rejecting(task, 0, &TRAINERS);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughAccepted });
		assert!(settlements().is_empty());
		assert_eq!(Balances::balance(&TRAINERS[0]), ENDOWMENT - TRAINER_BOND);
		assert_eq!(held_budget(OWNER), 2 * (REWARD + 3 * MAX_ROYALTY));
	});
}

// ---- samples -------------------------------------------------------------------------------

/// An update may claim no more samples than its dataset holds, even where the task allows
/// more: a trainer cannot weigh its update above its data. Aggregators get the bounded count.
#[test]
fn updates_cannot_claim_more_samples_than_their_dataset_holds() {
	test(|| {
		let t = TRAINERS[0];
		edit(t, |d| d.samples = 50);
		let task = started_task();
		assert_eq!(Participants::<Test>::get(task, t).unwrap().dataset.unwrap().terms.samples, 50);
		let over = payload_with(PayloadKind::Update, task, 0, 51, &[51; 6]);
		frame_support::storage::with_transaction(|| {
			assert_ok!(Federated::commit_update(origin(t), task, 0, commitment(task, 0, t, &over)));
			TRAINERS[1..].iter().for_each(|o| commit(task, 0, *o));
			assert_noop!(
				Federated::reveal_update(origin(t), task, 0, bounded(over.clone()), salt(t)),
				Error::<Test>::SamplesOutOfRange
			);
			sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
		})
		.unwrap();
		let most = payload_with(PayloadKind::Update, task, 0, 50, &[50; 6]);
		assert_ok!(Federated::commit_update(origin(t), task, 0, commitment(task, 0, t, &most)));
		TRAINERS[1..].iter().for_each(|o| commit(task, 0, *o));
		assert_ok!(Federated::reveal_update(origin(t), task, 0, bounded(most), salt(t)));
		TRAINERS[1..].iter().for_each(|o| reveal(task, 0, *o));
		score(task, 0, &AGGREGATORS.map(|a| (a, &[GOOD; 3][..])));
		let Duty::Aggregate { updates, .. } = Federated::duties(&AGGREGATORS[0]).pop().unwrap()
		else {
			panic!("an aggregation duty")
		};
		let samples: Vec<_> = sorted(updates.iter().map(|u| (u.who, u.samples)).collect());
		assert_eq!(samples, vec![(t, 50), (TRAINERS[1], 100), (TRAINERS[2], 100)]);
	});
}

// ---- privacy -------------------------------------------------------------------------------

/// In a private task, drawing a trainer debits its dataset's privacy budget by the round's ε
/// (whether or not its update is then accepted); a dataset that cannot pay is not drawn.
#[test]
fn a_private_task_draws_only_datasets_that_can_pay_and_debits_them() {
	test(|| {
		let [t1, t2, t3] = TRAINERS;
		edit(t1, |d| d.privacy_left = Some(2 * EPSILON + EPSILON / 2));
		edit(t2, |d| d.privacy_left = Some(EPSILON));
		// No privacy accounting: always drawn, never out of budget.
		let task = create(private_spec());
		join_all(task);
		assert!(market_calls().contains(&MarketCall::Join {
			who: t1,
			dataset: t1,
			task,
			epsilon: Some(EPSILON)
		}));
		run_to_block(2);
		assert_eq!(sorted(order(task, 0)), TRAINERS.to_vec());
		assert_eq!(sorted(privacy_spent()), vec![(t1, EPSILON), (t2, EPSILON), (t3, EPSILON)]);
		assert_eq!(dataset(t1).privacy_left, Some(EPSILON + EPSILON / 2));
		assert_eq!(dataset(t2).privacy_left, Some(0));
		assert_eq!(dataset(t3).privacy_left, None);

		// t2's update is rejected: its budget was spent all the same (its update is public).
		to_scoring(task, 0);
		score_rejecting(task, 0, &[t2]);
		decide_all(task, 0, &aggregate_of(task, 0, 5));
		run_to_block(3);
		assert_eq!(sorted(order(task, 1)), vec![t1, t3], "t2's dataset cannot pay");
		assert_eq!(privacy_spent().len(), 5);
		assert_eq!(dataset(t1).privacy_left, Some(EPSILON / 2));
		assert_eq!(dataset(t2).privacy_left, Some(0));
		// The undrawn trainer has no duty and no way in.
		assert!(Federated::duties(&t2).is_empty());
		assert_noop!(
			Federated::commit_update(origin(t2), task, 1, H256::zero()),
			Error::<Test>::NotSelectedTrainer
		);
	});
}

/// When fewer trainers than a round needs can pay its ε, no round starts and nothing is
/// debited; the task expires in time and returns its budget.
#[test]
fn a_private_task_without_enough_budget_left_starts_no_round_and_expires() {
	test(|| {
		for who in TRAINERS {
			edit(who, |d| d.privacy_left = Some(EPSILON));
		}
		let task = create(private_spec());
		run_to_block(2);
		join_all(task);
		run_to_block(3);
		assert_eq!(round(task, 0).started, 2);
		to_aggregation(task, 0);
		decide_all(task, 0, &aggregate_of(task, 0, 5));
		assert_eq!(privacy_spent().len(), 3);
		run_to_block(2 + TASK_EXPIRY);
		assert!(Rounds::<Test>::get(task, 1).is_none(), "nobody can pay for round 1");
		assert_eq!(privacy_spent().len(), 3, "nothing more is debited");
		let left = Tasks::<Test>::get(task).unwrap().budget;
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Active);
		run_to_block(3 + TASK_EXPIRY);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.status, info.budget), (TaskStatus::Expired, 0));
		assert!(events().contains(&Event::TaskExpired { task, refund: left }));
	});
}

/// A private task must state what a round costs.
#[test]
fn a_private_task_needs_a_positive_epsilon() {
	test(|| {
		let mut s = private_spec();
		s.training.dp.as_mut().unwrap().epsilon_micros = 0;
		assert_noop!(Federated::create_task(origin(OWNER), s), Error::<Test>::InvalidPrivacy);
		assert_ok!(Federated::create_task(origin(OWNER), private_spec()));
	});
}

// ---- leaving -------------------------------------------------------------------------------

/// Leaving takes a trainer's dataset out of the task in the data market; so does pruning, for
/// every trainer left. Aggregators have no dataset to take out.
#[test]
fn leaving_and_pruning_take_datasets_out_of_the_task() {
	test(|| {
		let task = create(spec());
		join_all(task);
		assert_ok!(Federated::join(
			origin(30),
			task,
			JoinAs::Trainer { dataset: 30 },
			TRAINER_BOND
		));
		assert!(in_task(task, 30));
		assert_ok!(Federated::leave(origin(30), task));
		assert!(!in_task(task, 30));
		assert_eq!(market_calls().last(), Some(&MarketCall::Leave { task, dataset: 30 }));
		// It may come back.
		assert_ok!(Federated::join(
			origin(30),
			task,
			JoinAs::Trainer { dataset: 30 },
			TRAINER_BOND
		));

		let calls = market_calls().len();
		assert_ok!(Federated::leave(origin(AGGREGATORS[0]), task));
		assert_eq!(market_calls().len(), calls, "an aggregator has no dataset");

		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		run_to_block(1 + TASK_RETENTION);
		assert_ok!(Federated::prune_task(origin(40), task));
		let left: Vec<_> = market_calls()[calls..]
			.iter()
			.filter_map(|c| match c {
				MarketCall::Leave { task: t, dataset } if *t == task => Some(*dataset),
				_ => None,
			})
			.collect();
		assert_eq!(sorted(left), vec![TRAINERS[0], TRAINERS[1], TRAINERS[2], 30]);
		assert!(TRAINERS.iter().all(|t| !in_task(task, *t)));
	});
}
