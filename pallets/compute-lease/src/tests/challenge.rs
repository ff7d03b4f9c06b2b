use super::*;
use crate::{Challenges, Error, Event, Offers, Verdict};
use cohort_primitives::{
	compute::{challenge_commitment, challenge_size, ComputeDuty},
	dataset::next_reputation,
	traits::{ComputeAccess, Contributions},
};
use frame_support::assert_noop;
use sp_core::H256;
use sp_runtime::DispatchError;

const RIGHT: H256 = H256::repeat_byte(7);
const WRONG: H256 = H256::repeat_byte(9);

fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

fn commit(who: AccountId, id: u32, answer: H256) {
	assert_ok!(ComputeLease::commit_challenge(
		origin(who),
		id,
		challenge_commitment(&who, id, &answer, &salt(who))
	));
}

fn reveal(who: AccountId, id: u32, answer: H256) {
	assert_ok!(ComputeLease::reveal_challenge(origin(who), id, answer, salt(who)));
}

/// The worker commits to `answer`, and every verifier to the right one.
fn commit_all(id: u32, answer: H256) {
	commit(WORKER, id, answer);
	for v in VERIFIERS {
		commit(v, id, RIGHT);
	}
}

/// The worker reveals `answer`, and every verifier the right one.
fn reveal_all(id: u32, answer: H256) {
	reveal(WORKER, id, answer);
	for v in VERIFIERS {
		reveal(v, id, RIGHT);
	}
}

/// Registers everyone, sets the test schedule, and challenges the worker at block 1: commits
/// until block 4, reveals until 7, resolves at 8.
fn challenged() -> u32 {
	register_all();
	assert_ok!(ComputeLease::set_schedule(RuntimeOrigin::root(), Some(schedule())));
	assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), WORKER));
	0
}

fn resolution() -> Event<Test> {
	events()
		.into_iter()
		.rev()
		.find(|e| matches!(e, Event::ChallengeResolved { .. }))
		.expect("resolved")
}

#[test]
fn an_honest_worker_passes_and_its_answer_time_sets_its_verified_score() {
	test(|| {
		let id = challenged();
		let c = Challenges::<Test>::get(id).unwrap();
		assert_eq!(c.size, challenge_size(SCORE, BLOCK_MILLIS));
		assert_eq!((c.commit_by, c.reveal_by), (4, 7));
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::ChallengeIssued { challenge: 0, worker: WORKER, .. })));
		run_to(2);
		// Committed in the block after the challenge's: as fast as the chain can tell.
		commit_all(id, RIGHT);
		run_to(5);
		reveal_all(id, RIGHT);
		let bonds = committed(WORKER);
		run_to(8);
		assert_eq!(
			resolution(),
			Event::ChallengeResolved {
				challenge: id,
				worker: WORKER,
				verdict: Verdict::Passed,
				quorum: Some(RIGHT),
				verified_score: Some(SCORE),
				slashed: 0
			}
		);
		assert!(Challenges::<Test>::get(id).is_none());
		let offer = Offers::<Test>::get(WORKER).unwrap();
		assert_eq!((offer.verified_score, offer.challenge), (Some(SCORE), None));
		assert_eq!(committed(WORKER), bonds);
		assert_eq!(
			<Incentives as Contributions<_, _>>::reputation(&WORKER, Role::ComputeProvider),
			Some(next_reputation(None, 1_000_000))
		);
	});
}

#[test]
fn a_slow_answer_verifies_a_lower_score() {
	test(|| {
		let id = challenged();
		run_to(4);
		// Three blocks after the challenge's: two blocks of computing, half the claimed speed.
		commit_all(id, RIGHT);
		run_to(5);
		reveal_all(id, RIGHT);
		run_to(8);
		assert_eq!(Offers::<Test>::get(WORKER).unwrap().verified_score, Some(SCORE / 2));
	});
}

#[test]
fn a_wrong_answer_is_slashed_and_stops_new_leases_and_aggregation() {
	test(|| {
		let id = challenged();
		commit_all(id, WRONG);
		run_to(5);
		reveal_all(id, WRONG);
		let treasury = free(TREASURY);
		run_to(8);
		let slash = MIN_BOND / 5;
		assert_eq!(
			resolution(),
			Event::ChallengeResolved {
				challenge: id,
				worker: WORKER,
				verdict: Verdict::Wrong,
				quorum: Some(RIGHT),
				verified_score: Some(0),
				slashed: slash
			}
		);
		assert_eq!(free(TREASURY), treasury + slash);
		assert_eq!(committed(WORKER), MIN_BOND - slash);
		assert_noop!(
			ComputeLease::lease(origin(CONSUMER), WORKER, 1, 10, PRICE),
			Error::<Test>::FailedChallenge
		);
		assert!(!ComputeLease::may_aggregate(&WORKER));
		assert!(ComputeLease::may_aggregate(&VERIFIERS[0]));
		assert!(ComputeLease::may_aggregate(&STRANGER), "accounts without offers may aggregate");
		assert_eq!(
			<Incentives as Contributions<_, _>>::reputation(&WORKER, Role::ComputeProvider),
			Some(next_reputation(None, 0))
		);
	});
}

#[test]
fn a_late_answer_is_slashed_even_without_a_quorum() {
	test(|| {
		let id = challenged();
		run_to(5);
		assert_noop!(
			ComputeLease::commit_challenge(origin(WORKER), id, H256::zero()),
			Error::<Test>::CommitWindowOver
		);
		run_to(8);
		assert!(matches!(
			resolution(),
			Event::ChallengeResolved { verdict: Verdict::Late, slashed, .. } if slashed == MIN_BOND / 5
		));
	});
}

#[test]
fn a_committed_answer_never_revealed_is_late() {
	test(|| {
		let id = challenged();
		commit_all(id, RIGHT);
		run_to(5);
		for v in VERIFIERS {
			reveal(v, id, RIGHT);
		}
		run_to(8);
		assert!(matches!(resolution(), Event::ChallengeResolved { verdict: Verdict::Late, .. }));
	});
}

/// The verifiers the chain drew for challenge `id`.
fn drawn(id: u32) -> Vec<AccountId> {
	Challenges::<Test>::get(id).unwrap().verifiers.into_iter().map(|(v, _)| v).collect()
}

#[test]
fn verifiers_against_the_majority_or_silent_are_slashed() {
	test(|| {
		let id = challenged();
		commit(WORKER, id, RIGHT);
		let [honest, liar, silent] = VERIFIERS;
		commit(honest, id, RIGHT);
		commit(liar, id, WRONG);
		commit(silent, id, RIGHT);
		run_to(5);
		reveal(WORKER, id, RIGHT);
		reveal(honest, id, RIGHT);
		reveal(liar, id, WRONG);
		run_to(8);
		// Two revealed answers disagree: one each is no strict majority; nothing is decided
		// and the liar, who revealed, keeps its bond; the silent verifier pays all the same.
		assert!(matches!(resolution(), Event::ChallengeResolved { verdict: Verdict::Void, .. }));
		assert_eq!((committed(liar), committed(honest)), (MIN_BOND, MIN_BOND));
		assert_eq!(committed(silent), MIN_BOND - MIN_BOND / 5);

		// Next time all three reveal: two outvote the liar, who pays.
		assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), WORKER));
		let id = 1;
		commit(WORKER, id, RIGHT);
		commit(honest, id, RIGHT);
		commit(liar, id, WRONG);
		commit(silent, id, RIGHT);
		run_to(12);
		reveal(WORKER, id, RIGHT);
		reveal(honest, id, RIGHT);
		reveal(liar, id, WRONG);
		reveal(silent, id, RIGHT);
		run_to(15);
		assert!(matches!(resolution(), Event::ChallengeResolved { verdict: Verdict::Passed, .. }));
		assert_eq!(committed(liar), MIN_BOND - MIN_BOND / 5);
		assert_eq!(committed(honest), MIN_BOND);
		assert!(events().contains(&Event::VerifierSlashed {
			challenge: id,
			who: liar,
			slashed: MIN_BOND / 5
		}));
	});
}

#[test]
fn silent_drawn_verifiers_are_slashed_and_void_nothing_for_free() {
	test(|| {
		// Sybils drawn as every verifier stay silent, hoping to leave no quorum (a void
		// challenge) so that an inflated claim is never caught: each pays the challenge slash.
		let id = challenged();
		commit(WORKER, id, WRONG);
		run_to(5);
		reveal(WORKER, id, WRONG);
		let treasury = free(TREASURY);
		run_to(8);
		assert!(matches!(resolution(), Event::ChallengeResolved { verdict: Verdict::Void, .. }));
		for v in VERIFIERS {
			assert_eq!(committed(v), MIN_BOND - MIN_BOND / 5);
			assert!(events().contains(&Event::VerifierSlashed {
				challenge: id,
				who: v,
				slashed: MIN_BOND / 5
			}));
			assert_eq!(
				<Incentives as Contributions<_, _>>::reputation(&v, Role::ComputeProvider),
				Some(next_reputation(None, 0))
			);
		}
		assert_eq!(free(TREASURY), treasury + 3 * (MIN_BOND / 5));
	});
}

#[test]
fn only_the_drawn_verifiers_answer_and_the_draw_is_the_chains() {
	test(|| {
		register(WORKER);
		for w in 2..=8 {
			register(w);
		}
		assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), WORKER));
		let chosen = drawn(0);
		assert_eq!(chosen.len(), 3);
		assert!(!chosen.contains(&WORKER), "a worker does not verify itself");
		let event_verifiers = events().into_iter().find_map(|e| match e {
			Event::ChallengeIssued { verifiers, .. } => Some(verifiers),
			_ => None,
		});
		assert_eq!(event_verifiers, Some(chosen.clone()));
		// A worker the chain did not draw (a Sybil hoping to take a place first) is refused.
		let outsider = (2..=8).find(|w| !chosen.contains(w)).unwrap();
		assert_noop!(
			ComputeLease::commit_challenge(origin(outsider), 0, H256::zero()),
			Error::<Test>::NotDrawn
		);
		// Another challenge id draws again, from the same list.
		assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), 2));
		assert!(!drawn(1).contains(&2));
		// Over many challenge ids every other worker is drawn: none is left out for good, and
		// none is drawn far more often than the others (each offer weighs the same).
		let mut times = std::collections::BTreeMap::<AccountId, u32>::new();
		for id in 0..70 {
			for (v, _) in ComputeLease::draw_verifiers(&WORKER, id) {
				*times.entry(v).or_default() += 1;
			}
		}
		assert_eq!(times.len(), 7, "{times:?}");
		// 210 places over 7 workers: 30 each on average.
		assert!(times.values().all(|n| (15..=45).contains(n)), "{times:?}");
	});
}

#[test]
fn a_drawn_verifier_cannot_withdraw_before_the_challenge_is_decided() {
	test(|| {
		let id = challenged();
		let [quitter, ..] = VERIFIERS;
		// It bonded three times the minimum, commits, then withdraws to take its bond out of
		// reach before it fails to reveal.
		let mut t = terms();
		t.bond = 3 * MIN_BOND;
		assert_ok!(ComputeLease::update_offer(origin(quitter), hardware(), SCORE, t));
		commit(quitter, id, RIGHT);
		assert_ok!(ComputeLease::withdraw_offer(origin(quitter)));
		assert!(Offers::<Test>::get(quitter).is_some(), "it must reveal first");
		run_to(8);
		// Slashed on its real bond, then released.
		assert!(events().contains(&Event::VerifierSlashed {
			challenge: id,
			who: quitter,
			slashed: 3 * MIN_BOND / 5
		}));
		assert!(Offers::<Test>::get(quitter).is_none());
		assert_eq!(total(quitter), ENDOWMENT - 3 * MIN_BOND / 5);
	});
}

#[test]
fn a_failed_worker_stays_barred_from_aggregating_after_withdrawing() {
	test(|| {
		let id = challenged();
		commit_all(id, WRONG);
		run_to(5);
		reveal_all(id, WRONG);
		run_to(8);
		assert!(!ComputeLease::may_aggregate(&WORKER));
		// Withdrawing the offer does not lift the bar, nor does registering again.
		assert_ok!(ComputeLease::withdraw_offer(origin(WORKER)));
		assert!(Offers::<Test>::get(WORKER).is_none());
		assert!(!ComputeLease::may_aggregate(&WORKER));
		register(WORKER);
		assert!(!ComputeLease::may_aggregate(&WORKER));
		// Nor is it drawn to verify others while barred.
		assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), VERIFIERS[0]));
		assert!(!drawn(1).contains(&WORKER));
		// Passing a challenge lifts it.
		run_to(20);
		assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), WORKER));
		let id = crate::NextChallengeId::<Test>::get() - 1;
		run_to(21);
		commit(WORKER, id, RIGHT);
		for v in drawn(id) {
			commit(v, id, RIGHT);
		}
		run_to(24);
		reveal(WORKER, id, RIGHT);
		for v in drawn(id) {
			reveal(v, id, RIGHT);
		}
		run_to(28);
		assert!(ComputeLease::may_aggregate(&WORKER));
	});
}

#[test]
fn a_copied_commitment_opens_for_nobody_but_its_author() {
	test(|| {
		let id = challenged();
		let worker_commitment = challenge_commitment(&WORKER, id, &RIGHT, &salt(WORKER));
		commit(WORKER, id, RIGHT);
		// A lazy verifier copies the worker's commitment from the pool...
		assert_ok!(ComputeLease::commit_challenge(origin(VERIFIERS[0]), id, worker_commitment));
		assert_noop!(
			ComputeLease::commit_challenge(origin(VERIFIERS[0]), id, worker_commitment),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			ComputeLease::commit_challenge(origin(WORKER), id, worker_commitment),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			ComputeLease::reveal_challenge(origin(WORKER), id, RIGHT, salt(WORKER)),
			Error::<Test>::NotRevealWindow
		);
		run_to(5);
		// ...and cannot open it, even with the worker's revealed answer and salt.
		reveal(WORKER, id, RIGHT);
		assert_noop!(
			ComputeLease::reveal_challenge(origin(VERIFIERS[0]), id, RIGHT, salt(WORKER)),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			ComputeLease::reveal_challenge(origin(WORKER), id, RIGHT, salt(WORKER)),
			Error::<Test>::AlreadyRevealed
		);
		assert_noop!(
			ComputeLease::reveal_challenge(origin(VERIFIERS[1]), id, RIGHT, salt(VERIFIERS[1])),
			Error::<Test>::NotCommitted
		);
		assert_noop!(
			ComputeLease::commit_challenge(origin(STRANGER), 9, H256::zero()),
			Error::<Test>::UnknownChallenge
		);
		assert_noop!(
			ComputeLease::reveal_challenge(origin(WORKER), 9, RIGHT, salt(WORKER)),
			Error::<Test>::UnknownChallenge
		);
		run_to(8);
		assert_noop!(
			ComputeLease::reveal_challenge(origin(VERIFIERS[0]), id, RIGHT, salt(VERIFIERS[0])),
			Error::<Test>::UnknownChallenge
		);
	});
}

#[test]
fn only_drawn_workers_verify() {
	test(|| {
		let id = challenged();
		assert_noop!(
			ComputeLease::commit_challenge(origin(STRANGER), id, H256::zero()),
			Error::<Test>::NotDrawn
		);
	});
}

#[test]
fn challenges_on_demand_are_root_only_and_need_verifiers() {
	test(|| {
		register(WORKER);
		register(2);
		assert_noop!(ComputeLease::challenge(origin(CONSUMER), WORKER), DispatchError::BadOrigin);
		assert_noop!(
			ComputeLease::challenge(RuntimeOrigin::root(), WORKER),
			Error::<Test>::NotEnoughVerifiers
		);
		register(3);
		assert_noop!(
			ComputeLease::challenge(RuntimeOrigin::root(), STRANGER),
			Error::<Test>::UnknownOffer
		);
		assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), WORKER));
		assert_noop!(
			ComputeLease::challenge(RuntimeOrigin::root(), WORKER),
			Error::<Test>::ChallengeOpen
		);
		// At most four resolve in one block.
		for w in 4..=6 {
			register(w);
		}
		for w in [2, 3, 4] {
			assert_ok!(ComputeLease::challenge(RuntimeOrigin::root(), w));
		}
		assert_noop!(
			ComputeLease::challenge(RuntimeOrigin::root(), 5),
			Error::<Test>::TooManyChallenges
		);
	});
}

#[test]
fn the_schedule_challenges_a_worker_every_period() {
	test(|| {
		assert_noop!(
			ComputeLease::set_schedule(origin(WORKER), Some(schedule())),
			DispatchError::BadOrigin
		);
		let mut bad = schedule();
		bad.commit_blocks = 0;
		assert_noop!(
			ComputeLease::set_schedule(RuntimeOrigin::root(), Some(bad)),
			Error::<Test>::InvalidSchedule
		);
		assert_ok!(ComputeLease::set_schedule(RuntimeOrigin::root(), Some(schedule())));
		assert!(events().contains(&Event::ScheduleSet { schedule: Some(schedule()) }));
		// Too few workers to verify: no challenge.
		register(WORKER);
		run_to(20);
		assert!(Challenges::<Test>::iter().next().is_none());
		for v in VERIFIERS {
			register(v);
		}
		run_to(40);
		let issued = Challenges::<Test>::iter().count();
		assert_eq!(issued, 1);
		// Nobody answers: the challenged worker is late, and slashed.
		run_to(47);
		assert!(matches!(resolution(), Event::ChallengeResolved { verdict: Verdict::Late, .. }));
		assert_ok!(ComputeLease::set_schedule(RuntimeOrigin::root(), None));
		run_to(61);
		assert!(Challenges::<Test>::iter().next().is_none());
	});
}

#[test]
fn a_challenged_offer_withdraws_only_after_the_challenge() {
	test(|| {
		let id = challenged();
		assert_ok!(ComputeLease::withdraw_offer(origin(WORKER)));
		assert!(Offers::<Test>::get(WORKER).is_some(), "it must answer first");
		run_to(8);
		let _ = id;
		assert!(Offers::<Test>::get(WORKER).is_none());
		// It did not answer: slashed before its bond was released.
		assert_eq!(total(WORKER), ENDOWMENT - MIN_BOND / 5);
	});
}

#[test]
fn duties_tell_each_worker_what_to_do_now() {
	test(|| {
		let id = challenged();
		let answer = ComputeDuty::AnswerChallenge {
			id,
			seed: Challenges::<Test>::get(id).unwrap().seed,
			size: challenge_size(SCORE, BLOCK_MILLIS),
			commit_by: 4,
		};
		assert_eq!(ComputeLease::compute_duties(WORKER), vec![answer.clone()]);
		assert_eq!(ComputeLease::compute_duties(VERIFIERS[0]), vec![answer]);
		assert!(ComputeLease::compute_duties(STRANGER).is_empty());
		commit(WORKER, id, RIGHT);
		assert!(ComputeLease::compute_duties(WORKER).is_empty(), "committed: wait to reveal");
		run_to(5);
		let commitment = challenge_commitment(&WORKER, id, &RIGHT, &salt(WORKER));
		assert_eq!(
			ComputeLease::compute_duties(WORKER),
			vec![ComputeDuty::RevealChallenge { id, commitment, reveal_by: 7 }]
		);
		assert!(ComputeLease::compute_duties(VERIFIERS[0]).is_empty(), "too late to verify");
		reveal(WORKER, id, RIGHT);
		assert!(ComputeLease::compute_duties(WORKER).is_empty(), "revealed: nothing to do");
		run_to(8);
		let lease = lease(1, 20);
		assert_eq!(
			ComputeLease::compute_duties(WORKER),
			vec![ComputeDuty::Serve { lease, consumer: CONSUMER, until: 28, paid_until: 8 }]
		);
		assert!(ComputeLease::serves(&WORKER, &CONSUMER));
		assert!(!ComputeLease::serves(&WORKER, &STRANGER));
		assert!(!ComputeLease::serves(&VERIFIERS[0], &CONSUMER));
		run_to(13);
		assert_eq!(
			ComputeLease::compute_duties(WORKER)[0],
			ComputeDuty::Heartbeat { due: 18 },
			"half the interval since the lease began: time for a heartbeat"
		);
		assert_ok!(ComputeLease::heartbeat(origin(WORKER)));
		assert_eq!(ComputeLease::compute_duties(WORKER).len(), 1, "serving only");
		run_to(28);
		assert!(!ComputeLease::serves(&WORKER, &CONSUMER), "the lease is over");
	});
}
