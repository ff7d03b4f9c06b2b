//! Unit tests: every call's success and errors, full task lifecycles, timeouts, penalties and
//! quorum disagreement. Every test ends with the pallet's `try_state` invariants. The attacks
//! (copying, denial of service) have tests of their own in `attacks.rs`, storage life (deposit,
//! expiry, pruning, allowlists) in `storage.rs`.

use crate::{
	mock::*, ActiveTasks, Error, Event, JoinAs, JoinedDataset, Offence, Participants, Rounds, Tasks,
};
use cohort_primitives::{
	api::Duty,
	commitment::{aggregate_commitment, score_commitment, update_commitment},
	dataset::{DatasetRules, DatasetTerms},
	model::ModelSpec,
	payload::{PayloadHeader, PayloadKind},
	round::{FailReason, Phase, RoundMetrics},
	task::{AggregationRule, InitialModel, Optimizer, PhaseLengths, ScoreGate, TrainingParams},
	traits::Role,
	RoundIndex, TaskId, TaskSpec, TaskStatus,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
	weights::Weight,
	BoundedVec,
};
use sp_core::H256;
use sp_runtime::{DispatchError, Perbill, TokenError};

mod attacks;
mod datasets;
mod enlarge;
mod incentives;
mod independence;
mod initial_model;
mod scaling;
mod squatting;
mod storage;

const OWNER: AccountId = 1;
const TRAINERS: [AccountId; 3] = [11, 12, 13];
const AGGREGATORS: [AccountId; 3] = [21, 22, 23];
const TRAINER_BOND: Balance = 5_000;
const AGGREGATOR_BOND: Balance = 3_000;
const REWARD: Balance = 1_000;

/// Two rounds of a 2-input, 2-class logistic regression (6 parameters); every joined
/// participant is selected (3 trainers, 3 aggregators, quorum 2), so tests are deterministic.
fn spec() -> TaskSpec<Balance, u64> {
	TaskSpec {
		model: ModelSpec::Mlp { input: 2, hidden: BoundedVec::new(), classes: 2 },
		initial_model: InitialModel::Seed(42),
		training: TrainingParams {
			epochs: 1,
			batch_size: 8,
			optimizer: Optimizer::Sgd,
			learning_rate_micros: 100_000,
			fedprox_mu_micros: None,
			dp: None,
		},
		scale: 1 << 16,
		aggregation: AggregationRule::WeightedMean,
		gate: GATE,
		max_samples: MAX_SAMPLES,
		rounds: 2,
		min_trainers: 2,
		max_trainers: 3,
		aggregators: 3,
		quorum: 2,
		phases: PhaseLengths {
			commit: 3,
			reveal: 3,
			score: 3,
			score_reveal: 3,
			aggregate: 3,
			aggregate_reveal: 3,
		},
		max_payload_bytes: 1024,
		reward_per_round: REWARD,
		aggregator_share: Perbill::from_percent(30),
		penalty: Perbill::from_percent(10),
		validation_set: H256::repeat_byte(7),
		datasets: DatasetRules { max_royalty: 0, min_reputation: 0, allowlist: BoundedVec::new() },
	}
}

const PARAMS: u32 = 6;
/// Accept within 250_000 of the round's median score (from 350_000 at least), slash beyond
/// 400_000 below it, clip at three times the median norm, no weight above twice the median.
const GATE: ScoreGate = ScoreGate {
	accept_within: 250_000,
	accept_spread_percent: 0,
	slash_beyond: 400_000,
	slash_spread_percent: 0,
	min_score: 350_000,
	clip_norm_percent: 300,
	max_weight_percent: 200,
	copy_distance_micros: 10_000,
	min_norm_percent: 5,
	score_tolerance: 300_000,
};
const MAX_SAMPLES: u32 = 1_000;
/// A score every test aggregator gives an update it accepts.
const GOOD: u32 = 800_000;
/// What test aggregators report of a new model.
const METRICS: RoundMetrics = RoundMetrics { loss_micros: 700_000, accuracy_micros: 810_000 };

fn payload_with(
	kind: PayloadKind,
	task: TaskId,
	round: RoundIndex,
	samples: u32,
	values: &[i32],
) -> Vec<u8> {
	let header = PayloadHeader {
		kind,
		task,
		round,
		parameter_count: values.len() as u32,
		scale: 1 << 16,
		samples,
	};
	let mut bytes = header.to_bytes().to_vec();
	values.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
	bytes
}

/// A payload of `kind`: an update claims 100 samples, an aggregate none.
fn payload(kind: PayloadKind, task: TaskId, round: RoundIndex, values: &[i32]) -> Vec<u8> {
	let samples = if kind == PayloadKind::Update { 100 } else { 0 };
	payload_with(kind, task, round, samples, values)
}

fn update_of(task: TaskId, round: RoundIndex, who: AccountId) -> Vec<u8> {
	payload(PayloadKind::Update, task, round, &[who as i32; PARAMS as usize])
}

fn aggregate_of(task: TaskId, round: RoundIndex, seed: i32) -> Vec<u8> {
	payload(PayloadKind::Aggregate, task, round, &[seed; PARAMS as usize])
}

fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

fn commitment(task: TaskId, index: RoundIndex, who: AccountId, update: &[u8]) -> H256 {
	update_commitment(&who, task, index, update, &salt(who))
}

fn agg_commitment(
	task: TaskId,
	index: RoundIndex,
	who: AccountId,
	agg: &[u8],
	m: RoundMetrics,
) -> H256 {
	aggregate_commitment(&who, task, index, &hash(agg), &m, &salt(who))
}

fn hash(bytes: &[u8]) -> H256 {
	H256(sp_io::hashing::blake2_256(bytes))
}

fn bounded<S: frame_support::traits::Get<u32>>(v: Vec<u8>) -> BoundedVec<u8, S> {
	v.try_into().expect("within bound")
}

fn scores(v: &[u32]) -> BoundedVec<u32, frame_support::traits::ConstU32<8>> {
	v.to_vec().try_into().unwrap()
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Federated(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn origin(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn held_bond(who: AccountId) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Stake(crate::mock::stake::HoldReason::Stake),
		&who,
	)
}

fn held_budget(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Federated(crate::HoldReason::TaskBudget), &who)
}

fn held_deposit(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Federated(crate::HoldReason::TaskDeposit), &who)
}

/// The deposit of a task of `rounds` rounds without an allowlist.
fn deposit(rounds: RoundIndex) -> Balance {
	Federated::task_deposit(rounds, 0, 0).unwrap()
}

fn create(spec: TaskSpec<Balance, u64>) -> TaskId {
	let id = crate::NextTaskId::<Test>::get();
	assert_ok!(Federated::create_task(origin(OWNER), spec));
	id
}

fn join_all(task: TaskId) {
	for t in TRAINERS {
		assert_ok!(Federated::join(origin(t), task, JoinAs::Trainer { dataset: t }, TRAINER_BOND));
	}
	for a in AGGREGATORS {
		assert_ok!(Federated::join(origin(a), task, JoinAs::Aggregator, AGGREGATOR_BOND));
	}
}

/// A task with everyone joined in block 2 and its first round started at that block's end.
fn started_task() -> TaskId {
	let task = create(spec());
	run_to_block(2);
	join_all(task);
	Federated::on_idle(2, Weight::MAX);
	assert_eq!(round(task, 0).phase, Phase::Commit);
	task
}

fn round(task: TaskId, index: RoundIndex) -> crate::RoundOf<Test> {
	Rounds::<Test>::get(task, index).expect("round exists")
}

fn commit(task: TaskId, index: RoundIndex, who: AccountId) {
	let c = commitment(task, index, who, &update_of(task, index, who));
	assert_ok!(Federated::commit_update(origin(who), task, index, c));
}

fn reveal(task: TaskId, index: RoundIndex, who: AccountId) {
	assert_ok!(Federated::reveal_update(
		origin(who),
		task,
		index,
		bounded(update_of(task, index, who)),
		salt(who)
	));
}

/// An aggregator commits to scores `s`.
fn commit_sc(task: TaskId, index: RoundIndex, who: AccountId, s: &[u32]) {
	let c = score_commitment(&who, task, index, s, &salt(who));
	assert_ok!(Federated::commit_scores(origin(who), task, index, c));
}

/// An aggregator reveals scores `s`.
fn reveal_sc(task: TaskId, index: RoundIndex, who: AccountId, s: &[u32]) {
	assert_ok!(Federated::reveal_scores(origin(who), task, index, scores(s), salt(who)));
}

/// Each listed aggregator commits to its scores, then each reveals them.
fn score(task: TaskId, index: RoundIndex, results: &[(AccountId, &[u32])]) {
	results.iter().for_each(|(a, s)| commit_sc(task, index, *a, s));
	results.iter().for_each(|(a, s)| reveal_sc(task, index, *a, s));
}

/// An aggregator commits to `agg` with metrics `m`.
fn commit_agg(task: TaskId, index: RoundIndex, who: AccountId, agg: &[u8], m: RoundMetrics) {
	let c = agg_commitment(task, index, who, agg, m);
	assert_ok!(Federated::commit_aggregate(origin(who), task, index, c));
}

/// An aggregator reveals `agg` with `m`, carrying the payload if no one has yet.
fn reveal_agg(task: TaskId, index: RoundIndex, who: AccountId, agg: &[u8], m: RoundMetrics) {
	let known = round(task, index).aggregate_payload(&hash(agg)).is_some();
	let carried = (!known).then(|| bounded(agg.to_vec()));
	assert_ok!(Federated::reveal_aggregate(
		origin(who),
		task,
		index,
		hash(agg),
		m,
		salt(who),
		carried
	));
}

/// Each listed aggregator commits to its result, then each reveals it.
fn decide(task: TaskId, index: RoundIndex, results: &[(AccountId, &[u8], RoundMetrics)]) {
	results.iter().for_each(|(a, agg, m)| commit_agg(task, index, *a, agg, *m));
	results.iter().for_each(|(a, agg, m)| reveal_agg(task, index, *a, agg, *m));
}

/// Every aggregator commits to `agg` with the test metrics, then reveals it.
fn decide_all(task: TaskId, index: RoundIndex, agg: &[u8]) {
	decide(task, index, &AGGREGATORS.map(|a| (a, agg, METRICS)));
}

/// Commits and reveals all three trainers' updates: scoring is open.
fn to_scoring(task: TaskId, index: RoundIndex) {
	TRAINERS.iter().for_each(|t| commit(task, index, *t));
	assert_eq!(round(task, index).phase, Phase::Reveal);
	TRAINERS.iter().for_each(|t| reveal(task, index, *t));
	assert_eq!(round(task, index).phase, Phase::Score);
}

/// All three trainers' updates revealed, every aggregator scores each `GOOD`: aggregation
/// of all three is open.
fn to_aggregation(task: TaskId, index: RoundIndex) {
	to_scoring(task, index);
	score(task, index, &AGGREGATORS.map(|a| (a, &[GOOD; 3][..])));
	assert_eq!(round(task, index).phase, Phase::Aggregate);
	assert_eq!(round(task, index).accepted_updates().count(), 3);
}

fn slashed(who: AccountId) -> Vec<Offence> {
	events()
		.into_iter()
		.filter_map(|e| match e {
			Event::Slashed { who: w, offence, .. } if w == who => Some(offence),
			_ => None,
		})
		.collect()
}

// ---- create_task -------------------------------------------------------------------------

#[test]
fn create_task_holds_the_budget() {
	test(|| {
		let quote = Federated::quote_task(&spec()).unwrap();
		let task = create(spec());
		let info = Tasks::<Test>::get(task).unwrap();
		// What the quote said is what was held and asked.
		assert_eq!(
			(quote.budget, quote.deposit, quote.min_trainer_bond, quote.min_aggregator_bond),
			(info.budget, info.deposit, info.min_trainer_bond, info.min_aggregator_bond)
		);
		assert_eq!(quote.parameter_count, info.parameter_count);
		assert_eq!(
			quote.payload_bytes as u64,
			cohort_primitives::PayloadHeader::payload_len(PARAMS.into()).unwrap()
		);
		assert_eq!(info.owner, OWNER);
		assert_eq!(info.status, TaskStatus::Active);
		assert_eq!(info.budget, 2 * REWARD);
		assert_eq!(info.parameter_count, PARAMS);
		assert_eq!(held_budget(OWNER), 2 * REWARD);
		// The deposit covers the task, its full round records and its summaries.
		let stored = <crate::TaskOf<Test> as codec::MaxEncodedLen>::max_encoded_len()
			+ 2 * <crate::RoundOf<Test> as codec::MaxEncodedLen>::max_encoded_len()
			+ 2 * <crate::RoundSummaryOf<Test> as codec::MaxEncodedLen>::max_encoded_len();
		assert_eq!(deposit(2), DEPOSIT_BASE + stored as Balance);
		assert_eq!((info.deposit, held_deposit(OWNER)), (deposit(2), deposit(2)));
		assert!(deposit(10) > deposit(2), "the deposit grows with the rounds");
		assert_eq!(Balances::balance(&OWNER), ENDOWMENT - 2 * REWARD - deposit(2));
		// Bonds that make a no-show cost at least a round's pay: 700 / 2 trainers / 10%, and
		// 300 / quorum 2 / 10%.
		assert_eq!((info.min_trainer_bond, info.min_aggregator_bond), (3_500, 1_500));
		assert_eq!(ActiveTasks::<Test>::get().to_vec(), vec![task]);
		assert!(events().contains(&Event::TaskCreated {
			task,
			owner: OWNER,
			budget: 2 * REWARD,
			deposit: deposit(2)
		}));
		assert_eq!(create(spec()), task + 1, "ids count up");
	});
}

/// A change that spoils a spec, and the error it earns.
type SpecCase = (Box<dyn Fn(&mut TaskSpec<Balance, u64>)>, DispatchError);

#[test]
fn create_task_refuses_bad_specs() {
	test(|| {
		let cases: Vec<SpecCase> = vec![
			(
				Box::new(|s| {
					s.model = ModelSpec::Mlp { input: 0, hidden: BoundedVec::new(), classes: 2 }
				}),
				Error::<Test>::InvalidModel.into(),
			),
			(Box::new(|s| s.max_payload_bytes = 44), Error::<Test>::InvalidModel.into()),
			(Box::new(|s| s.max_payload_bytes = 5000), Error::<Test>::InvalidModel.into()),
			(Box::new(|s| s.scale = 0), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.training.epochs = 0), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.min_trainers = 0), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.min_trainers = 4), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.max_trainers = 9), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.aggregators = 0), Error::<Test>::InvalidSpec.into()),
			(
				Box::new(|s| {
					s.aggregators = 6;
					s.quorum = 6
				}),
				Error::<Test>::InvalidSpec.into(),
			),
			(Box::new(|s| s.reward_per_round = 0), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.quorum = 1), Error::<Test>::InvalidQuorum.into()),
			(Box::new(|s| s.quorum = 4), Error::<Test>::InvalidQuorum.into()),
			(
				Box::new(|s| s.aggregation = AggregationRule::TrimmedMean { trim: 1 }),
				Error::<Test>::InvalidAggregationRule.into(),
			),
			(
				Box::new(|s| s.aggregation = AggregationRule::MultiKrum { f: 0, m: 1 }),
				Error::<Test>::InvalidAggregationRule.into(),
			),
			(Box::new(|s| s.phases.commit = 0), Error::<Test>::InvalidPhaseLength.into()),
			(Box::new(|s| s.phases.aggregate = 101), Error::<Test>::InvalidPhaseLength.into()),
			(Box::new(|s| s.phases.aggregate_reveal = 0), Error::<Test>::InvalidPhaseLength.into()),
			(Box::new(|s| s.phases.score = 0), Error::<Test>::InvalidPhaseLength.into()),
			(Box::new(|s| s.phases.score_reveal = 101), Error::<Test>::InvalidPhaseLength.into()),
			(Box::new(|s| s.max_samples = 0), Error::<Test>::InvalidSpec.into()),
			(Box::new(|s| s.gate.slash_beyond = 200_000), Error::<Test>::InvalidGate.into()),
			(Box::new(|s| s.gate.slash_beyond = 1_000_001), Error::<Test>::InvalidGate.into()),
			(Box::new(|s| s.gate.min_score = 1_000_001), Error::<Test>::InvalidGate.into()),
			(Box::new(|s| s.gate.max_weight_percent = 0), Error::<Test>::InvalidGate.into()),
			(Box::new(|s| s.gate.max_weight_percent = 99), Error::<Test>::InvalidGate.into()),
			(
				Box::new(|s| s.gate.copy_distance_micros = 1_000_001),
				Error::<Test>::InvalidGate.into(),
			),
			(Box::new(|s| s.gate.min_norm_percent = 101), Error::<Test>::InvalidGate.into()),
			(Box::new(|s| s.gate.clip_norm_percent = 99), Error::<Test>::InvalidGate.into()),
			(Box::new(|s| s.penalty = Perbill::zero()), Error::<Test>::PenaltyTooLow.into()),
			(
				Box::new(|s| s.penalty = Perbill::from_parts(9_999_999)),
				Error::<Test>::PenaltyTooLow.into(),
			),
			// One update (3_229 bytes) is more than a block carries for a task (2_048).
			(
				Box::new(|s| {
					s.model = ModelSpec::Mlp { input: 400, hidden: BoundedVec::new(), classes: 2 };
					s.max_payload_bytes = 4096
				}),
				Error::<Test>::RevealWindowTooShort.into(),
			),
			// Three updates of 1_629 bytes need three blocks' worth of 2_048; two are too few.
			(
				Box::new(|s| {
					s.model = ModelSpec::Mlp { input: 200, hidden: BoundedVec::new(), classes: 2 };
					s.max_payload_bytes = 4096;
					s.phases.reveal = 2
				}),
				Error::<Test>::RevealWindowTooShort.into(),
			),
			(Box::new(|s| s.rounds = 0), Error::<Test>::InvalidRoundCount.into()),
			(Box::new(|s| s.rounds = 11), Error::<Test>::InvalidRoundCount.into()),
			(Box::new(|s| s.reward_per_round = u64::MAX), Error::<Test>::BudgetOverflow.into()),
			// Three trainers' royalties per round do not fit.
			(
				Box::new(|s| s.datasets.max_royalty = u64::MAX / 3 + 1),
				Error::<Test>::BudgetOverflow.into(),
			),
			(
				Box::new(|s| {
					s.training.dp = Some(cohort_primitives::task::DpParams {
						clip_norm_micros: 1_000_000,
						noise_multiplier_micros: 1_000_000,
						epsilon_micros: 0,
					})
				}),
				Error::<Test>::InvalidPrivacy.into(),
			),
			// The royalties make the budget more than the owner has.
			(
				Box::new(|s| s.datasets.max_royalty = ENDOWMENT / 6),
				TokenError::FundsUnavailable.into(),
			),
			(Box::new(|s| s.reward_per_round = ENDOWMENT), TokenError::FundsUnavailable.into()),
		];
		for (i, (break_it, error)) in cases.into_iter().enumerate() {
			let mut s = spec();
			break_it(&mut s);
			let before = sp_io::storage::root(sp_runtime::StateVersion::V1);
			// The quote a client shows first names the same error, unless the spec is fine
			// and only the owner's funds are short (a quote knows no caller).
			let quoted = Federated::quote_task(&s);
			if matches!(error, DispatchError::Token(_)) {
				assert!(quoted.is_ok(), "case {i}: {quoted:?}");
			} else {
				assert_eq!(quoted, Err(error), "case {i}: the quote");
			}
			assert_eq!(Federated::create_task(origin(OWNER), s), Err(error), "case {i}");
			assert_eq!(
				sp_io::storage::root(sp_runtime::StateVersion::V1),
				before,
				"case {i} changed state"
			);
		}
		// A rule that fits the trainers is fine, and so is a reveal phase long enough for the
		// large model above, and the smallest penalty.
		let mut s = spec();
		s.min_trainers = 3;
		s.aggregation = AggregationRule::TrimmedMean { trim: 1 };
		assert_ok!(Federated::create_task(origin(OWNER), s));
		let mut s = spec();
		s.model = ModelSpec::Mlp { input: 200, hidden: BoundedVec::new(), classes: 2 };
		s.max_payload_bytes = 4096;
		s.penalty = Perbill::from_percent(1);
		assert_ok!(Federated::create_task(origin(OWNER), s));
	});
}

#[test]
fn create_task_refuses_more_active_tasks_than_allowed() {
	test(|| {
		for owner in [OWNER, OWNER, 2, 2] {
			assert_ok!(Federated::create_task(origin(owner), spec()));
		}
		assert_noop!(Federated::create_task(origin(3), spec()), Error::<Test>::TooManyActiveTasks);
	});
}

// ---- pause, resume, cancel ------------------------------------------------------------------

#[test]
fn pause_stops_new_rounds_and_resume_restarts_them() {
	test(|| {
		let task = create(spec());
		join_all(task);
		assert_noop!(Federated::pause_task(origin(2), task), Error::<Test>::NotOwner);
		assert_noop!(Federated::pause_task(origin(OWNER), 9), Error::<Test>::UnknownTask);
		assert_noop!(Federated::resume_task(origin(OWNER), task), Error::<Test>::NotPaused);
		assert_ok!(Federated::pause_task(origin(OWNER), task));
		assert_noop!(Federated::pause_task(origin(OWNER), task), Error::<Test>::NotActive);
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Paused);
		run_to_block(5);
		assert!(Rounds::<Test>::get(task, 0).is_none(), "a paused task starts no round");

		assert_noop!(Federated::resume_task(origin(2), task), Error::<Test>::NotOwner);
		assert_ok!(Federated::resume_task(origin(OWNER), task));
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Commit);
		assert!(events().contains(&Event::TaskPaused { task }));
		assert!(events().contains(&Event::TaskResumed { task }));
	});
}

#[test]
fn a_round_under_way_finishes_while_paused() {
	test(|| {
		let task = started_task();
		assert_ok!(Federated::pause_task(origin(OWNER), task));
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		let s = METRICS;
		decide(task, 0, &AGGREGATORS.map(|a| (a, &agg[..], s)));
		assert!(matches!(round(task, 0).phase, Phase::Finalized { .. }));
		run_to_block(10);
		assert!(Rounds::<Test>::get(task, 1).is_none(), "no next round while paused");
	});
}

#[test]
fn cancel_fails_the_round_refunds_and_lets_participants_leave() {
	test(|| {
		let task = started_task();
		commit(task, 0, TRAINERS[0]);
		assert_noop!(Federated::cancel_task(origin(2), task), Error::<Test>::NotOwner);
		assert_noop!(Federated::cancel_task(origin(OWNER), 7), Error::<Test>::UnknownTask);
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::Cancelled });
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Cancelled);
		assert_eq!(held_budget(OWNER), 0);
		assert_eq!(held_deposit(OWNER), deposit(2), "the deposit stays until the task is pruned");
		assert_eq!(Balances::balance(&OWNER), ENDOWMENT - deposit(2));
		assert!(ActiveTasks::<Test>::get().is_empty());
		assert!(events().contains(&Event::TaskCancelled { task, refund: 2 * REWARD }));
		assert_noop!(Federated::cancel_task(origin(OWNER), task), Error::<Test>::TaskEnded);
		assert_noop!(Federated::pause_task(origin(OWNER), task), Error::<Test>::NotActive);
		assert!(slashed(TRAINERS[1]).is_empty(), "cancelling penalises nobody");

		// Everyone gets the whole bond back.
		for who in TRAINERS.iter().chain(AGGREGATORS.iter()) {
			assert_ok!(Federated::leave(origin(*who), task));
			assert_eq!(held_bond(*who), 0);
			assert_eq!(Balances::balance(who), ENDOWMENT);
		}
		assert_noop!(
			Federated::join(origin(30), task, JoinAs::Aggregator, AGGREGATOR_BOND),
			Error::<Test>::TaskEnded
		);
	});
}

// ---- join, leave ---------------------------------------------------------------------------

#[test]
fn join_holds_the_bond_and_counts_participants() {
	test(|| {
		let task = create(spec());
		assert_ok!(Federated::join(
			origin(11),
			task,
			JoinAs::Trainer { dataset: 11 },
			TRAINER_BOND
		));
		assert_ok!(Federated::join(origin(21), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		assert_eq!(held_bond(11), TRAINER_BOND);
		assert_eq!(held_bond(21), AGGREGATOR_BOND);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.trainers, info.aggregators), (1, 1));
		let p = Participants::<Test>::get(task, 11).unwrap();
		let terms = DatasetTerms { owner: 11, royalty: 0, samples: u32::MAX };
		assert_eq!(
			(p.role, p.dataset, p.bond),
			(Role::Trainer, Some(JoinedDataset { id: 11, terms }), TRAINER_BOND)
		);
		assert_eq!(Participants::<Test>::get(task, 21).unwrap().dataset, None);
		assert!(in_task(task, 11));
		assert_eq!(
			market_calls(),
			vec![MarketCall::Join { who: 11, dataset: 11, task, epsilon: None }]
		);
		assert!(events().contains(&Event::Joined {
			task,
			who: 11,
			role: Role::Trainer,
			bond: TRAINER_BOND
		}));
		let memberships = Federated::memberships(&11);
		assert_eq!(memberships.len(), 1);
		assert_eq!(
			(memberships[0].task, memberships[0].role, memberships[0].selected_in),
			(task, Role::Trainer, None)
		);
	});
}

#[test]
fn join_refuses_what_it_must() {
	test(|| {
		let task = create(spec());
		let trainer = |d| JoinAs::Trainer { dataset: d };
		assert_noop!(
			Federated::join(origin(11), 9, trainer(11), TRAINER_BOND),
			Error::<Test>::UnknownTask
		);
		assert_noop!(
			Federated::join(origin(11), task, trainer(11), 3_499),
			Error::<Test>::BondTooLow
		);
		assert_noop!(
			Federated::join(origin(21), task, JoinAs::Aggregator, 1_499),
			Error::<Test>::BondTooLow
		);
		// The data market's refusals come back as its own errors.
		assert_noop!(
			Federated::join(origin(11), task, trainer(12), TRAINER_BOND),
			DispatchError::Other("NotOwnerOrDelegate")
		);
		assert_noop!(
			Federated::join(origin(NO_COMPUTE), task, JoinAs::Aggregator, AGGREGATOR_BOND),
			Error::<Test>::ComputeNotAllowed
		);
		// The data market accepts, then the hold fails: the call's error reverts the market's
		// record of the dataset in the task too (assert_noop checks all of storage).
		assert_noop!(
			Federated::join(origin(11), task, trainer(11), ENDOWMENT + 1),
			TokenError::FundsUnavailable
		);
		assert!(!in_task(task, 11) && market_calls().is_empty());
		assert_ok!(Federated::join(origin(11), task, trainer(11), TRAINER_BOND));
		assert_noop!(
			Federated::join(origin(11), task, JoinAs::Aggregator, AGGREGATOR_BOND),
			Error::<Test>::AlreadyJoined
		);
		for who in 12..23 {
			assert_ok!(Federated::join(origin(who), task, trainer(who), TRAINER_BOND));
		}
		assert_noop!(
			Federated::join(origin(30), task, trainer(30), TRAINER_BOND),
			Error::<Test>::TooManyParticipants
		);
		// Aggregators have a cap of their own.
		for who in 31..37 {
			assert_ok!(Federated::join(origin(who), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		}
		assert_noop!(
			Federated::join(origin(37), task, JoinAs::Aggregator, AGGREGATOR_BOND),
			Error::<Test>::TooManyParticipants
		);
	});
}

#[test]
fn leave_releases_the_bond_unless_selected() {
	test(|| {
		let task = create(spec());
		assert_noop!(Federated::leave(origin(11), task), Error::<Test>::NotParticipant);
		assert_noop!(Federated::leave(origin(11), 9), Error::<Test>::UnknownTask);
		join_all(task);
		assert_ok!(Federated::join(
			origin(30),
			task,
			JoinAs::Trainer { dataset: 30 },
			TRAINER_BOND
		));
		assert_ok!(Federated::leave(origin(30), task));
		assert_eq!(held_bond(30), 0);
		assert!(events().contains(&Event::Left { task, who: 30, bond: TRAINER_BOND }));
		run_to_block(2);
		assert_noop!(
			Federated::leave(origin(TRAINERS[0]), task),
			Error::<Test>::SelectedInOpenRound
		);
		assert_noop!(
			Federated::leave(origin(AGGREGATORS[0]), task),
			Error::<Test>::SelectedInOpenRound
		);
	});
}

// ---- selection -------------------------------------------------------------------------------

#[test]
fn a_round_starts_once_enough_have_joined() {
	test(|| {
		let task = create(spec());
		assert_ok!(Federated::join(
			origin(11),
			task,
			JoinAs::Trainer { dataset: 11 },
			TRAINER_BOND
		));
		for a in AGGREGATORS {
			assert_ok!(Federated::join(origin(a), task, JoinAs::Aggregator, AGGREGATOR_BOND));
		}
		run_to_block(3);
		assert!(Rounds::<Test>::get(task, 0).is_none(), "one trainer is not enough");
		assert_ok!(Federated::join(
			origin(12),
			task,
			JoinAs::Trainer { dataset: 12 },
			TRAINER_BOND
		));
		run_to_block(4);
		// It started in the block of the join that completed it (at the block's end).
		let r = round(task, 0);
		assert_eq!((r.phase, r.started, r.phase_ends), (Phase::Commit, 3, 6));
		let mut trainers: Vec<_> = r.trainers.iter().map(|t| (t.who, t.dataset)).collect();
		trainers.sort();
		assert_eq!(trainers, vec![(11, 11), (12, 12)]);
		assert_eq!(r.aggregators.len(), 3);
		assert!(r.global_model.is_none(), "the first round starts from the initial model");
		assert_eq!(Federated::memberships(&11)[0].selected_in, Some(0));
	});
}

/// Decides round 0 of a started task in block 5, every update accepted.
fn decide_round_zero_in_block_five() -> TaskId {
	let task = started_task();
	to_aggregation(task, 0);
	run_to_block(5);
	decide_all(task, 0, &aggregate_of(task, 0, 1));
	assert!(matches!(round(task, 0).phase, Phase::Finalized { .. }));
	assert!(Rounds::<Test>::get(task, 1).is_none(), "nothing starts inside the extrinsic");
	task
}

/// The next round starts at the end of the block that decided the previous one (`on_idle`):
/// its trainers train as soon as they import that block, and a round takes as many blocks as
/// it has inclusions. The next block's `on_initialize` leaves it alone.
#[test]
fn the_next_round_starts_in_the_block_that_decides_the_previous_one() {
	use crate::weights::WeightInfo;
	test(|| {
		let task = decide_round_zero_in_block_five();
		let used = Federated::on_idle(5, Weight::MAX);
		let r = round(task, 1);
		assert_eq!((r.phase, r.started, r.phase_ends), (Phase::Commit, 5, 8));
		assert!(used.all_gte(<Test as crate::Config>::WeightInfo::start_round(0)));
		run_to_block(6);
		assert_eq!(round(task, 1).started, 5);
		assert_eq!(
			events().iter().filter(|e| matches!(e, Event::RoundStarted { round: 1, .. })).count(),
			1
		);
	});
}

/// Without the weight to start a round left in the block, `on_idle` starts nothing (and
/// charges nothing when it cannot even look); the next block's `on_initialize` starts it.
#[test]
fn without_weight_left_the_next_round_waits_for_the_next_block() {
	use crate::weights::WeightInfo;
	use frame_support::traits::Get;
	test(|| {
		let task = decide_round_zero_in_block_five();
		assert_eq!(Federated::on_idle(5, Weight::zero()), Weight::zero());
		let look = <Test as crate::Config>::WeightInfo::on_initialize_idle(1).saturating_add(
			<<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads(3),
		);
		assert_eq!(Federated::on_idle(5, look), look);
		assert!(Rounds::<Test>::get(task, 1).is_none());
		System::set_block_number(6);
		Federated::on_initialize(6);
		assert_eq!(round(task, 1).started, 6);
	});
}

/// A round started at a block's end draws its participants salted with what the block carried:
/// whoever closes the previous round knows the parent hash when it signs, but not the block's
/// other extrinsics, so it cannot read the next draw in advance and pick its block by it. The
/// same salt always draws the same.
#[test]
fn a_draw_at_the_end_of_a_block_depends_on_what_the_block_carried() {
	use codec::Encode;
	test(|| {
		let task = create(TaskSpec { max_trainers: 2, ..spec() });
		join_all(task);
		let drawn = |salt: &[u8]| {
			let mut info = Tasks::<Test>::get(task).unwrap();
			assert!(crate::Pallet::<Test>::start_round(task, &mut info, 1, salt));
			let mut drawn: Vec<AccountId> = round(task, 0).trainers.iter().map(|t| t.who).collect();
			drawn.sort();
			Rounds::<Test>::remove(task, 0);
			drawn
		};
		let draws: Vec<Vec<AccountId>> = (0u32..12).map(|n| drawn(&n.encode())).collect();
		let mut distinct = draws.clone();
		distinct.sort();
		distinct.dedup();
		assert!(distinct.len() > 1, "the salt changes the draw: {draws:?}");
		assert_eq!(drawn(&3u32.encode()), draws[3]);
	});
}

#[test]
fn selection_draws_no_more_than_the_task_allows() {
	test(|| {
		let mut s = spec();
		s.max_trainers = 2;
		s.aggregators = 1;
		s.quorum = 1;
		let task = create(s);
		join_all(task);
		run_to_block(2);
		let r = round(task, 0);
		assert_eq!(r.trainers.len(), 2);
		assert_eq!(r.aggregators.len(), 1);
		assert!(r.trainers.iter().all(|t| TRAINERS.contains(&t.who)));
		let unselected: Vec<_> =
			TRAINERS.iter().filter(|t| !r.trainers.iter().any(|s| s.who == **t)).collect();
		assert_eq!(unselected.len(), 1);
		// An unselected trainer may leave.
		assert_ok!(Federated::leave(origin(*unselected[0]), task));
	});
}

// ---- commit ------------------------------------------------------------------------------

#[test]
fn commit_records_and_opens_reveal_when_all_committed() {
	test(|| {
		let task = started_task();
		commit(task, 0, TRAINERS[0]);
		let c = commitment(task, 0, TRAINERS[0], &update_of(task, 0, TRAINERS[0]));
		assert_eq!(
			round(task, 0).trainers.iter().find(|t| t.who == TRAINERS[0]).unwrap().commitment,
			Some(c)
		);
		assert!(events().contains(&Event::UpdateCommitted {
			task,
			round: 0,
			who: TRAINERS[0],
			commitment: c
		}));
		assert_eq!(round(task, 0).phase, Phase::Commit);
		commit(task, 0, TRAINERS[1]);
		commit(task, 0, TRAINERS[2]);
		let r = round(task, 0);
		assert_eq!((r.phase, r.phase_ends), (Phase::Reveal, 2 + 3));
		assert!(events().contains(&Event::RevealOpened { task, round: 0, reveal_by: 5 }));
	});
}

#[test]
fn commit_refuses_what_it_must() {
	test(|| {
		let task = started_task();
		let c = H256::repeat_byte(1);
		assert_noop!(Federated::commit_update(origin(11), 9, 0, c), Error::<Test>::UnknownTask);
		assert_noop!(Federated::commit_update(origin(11), task, 1, c), Error::<Test>::WrongRound);
		assert_noop!(
			Federated::commit_update(origin(30), task, 0, c),
			Error::<Test>::NotSelectedTrainer
		);
		assert_noop!(
			Federated::commit_update(origin(AGGREGATORS[0]), task, 0, c),
			Error::<Test>::NotSelectedTrainer
		);
		assert_ok!(Federated::commit_update(origin(11), task, 0, c));
		assert_noop!(
			Federated::commit_update(origin(11), task, 0, c),
			Error::<Test>::AlreadyCommitted
		);
		commit(task, 0, 12);
		commit(task, 0, 13);
		assert_noop!(Federated::commit_update(origin(11), task, 0, c), Error::<Test>::WrongPhase);
	});
}

// ---- reveal --------------------------------------------------------------------------------

#[test]
fn reveal_keeps_hash_length_position_and_samples_and_opens_scoring() {
	test(|| {
		let task = started_task();
		TRAINERS.iter().for_each(|t| commit(task, 0, *t));
		run_to_block(3);
		reveal(task, 0, TRAINERS[0]);
		let update = update_of(task, 0, TRAINERS[0]);
		let at = round(task, 0)
			.trainers
			.iter()
			.find(|t| t.who == TRAINERS[0])
			.unwrap()
			.update
			.clone()
			.unwrap();
		assert_eq!((at.payload_hash, at.len, at.block), (hash(&update), update.len() as u32, 3));
		assert!(events().contains(&Event::UpdateRevealed {
			task,
			round: 0,
			who: TRAINERS[0],
			update: at
		}));
		reveal(task, 0, TRAINERS[1]);
		reveal(task, 0, TRAINERS[2]);
		let r = round(task, 0);
		assert_eq!((r.phase, r.phase_ends), (Phase::Score, 3 + 3));
		assert!(r.trainers.iter().all(|t| t.samples == 100 && t.score.is_none() && !t.accepted));
		assert!(events().contains(&Event::ScoringOpened {
			task,
			round: 0,
			updates: 3,
			commit_by: 6
		}));
	});
}

#[test]
fn reveal_refuses_what_it_must() {
	test(|| {
		let task = started_task();
		let who = TRAINERS[0];
		let good = update_of(task, 0, who);
		assert_noop!(
			Federated::reveal_update(origin(who), task, 0, bounded(good.clone()), salt(who)),
			Error::<Test>::WrongPhase
		);
		// Only two commit; the commit phase times out into reveal.
		commit(task, 0, who);
		commit(task, 0, TRAINERS[1]);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Reveal);
		assert_noop!(
			Federated::reveal_update(
				origin(TRAINERS[2]),
				task,
				0,
				bounded(update_of(task, 0, TRAINERS[2])),
				salt(TRAINERS[2])
			),
			Error::<Test>::NotCommitted
		);
		assert_noop!(
			Federated::reveal_update(origin(30), task, 0, bounded(good.clone()), salt(who)),
			Error::<Test>::NotSelectedTrainer
		);
		assert_noop!(
			Federated::reveal_update(origin(who), task, 0, bounded(good.clone()), [0; 32]),
			Error::<Test>::CommitmentMismatch
		);
		// Bad payloads behind a matching commitment: each is refused for what is wrong with it.
		let cases: Vec<(Vec<u8>, Error<Test>)> = vec![
			(vec![0u8; 1025], Error::<Test>::PayloadTooLarge),
			(good[..30].to_vec(), Error::<Test>::MalformedPayload),
			(
				payload(PayloadKind::Aggregate, task, 0, &[1; 6]),
				Error::<Test>::PayloadHeaderMismatch,
			),
			(
				payload(PayloadKind::Update, task + 1, 0, &[1; 6]),
				Error::<Test>::PayloadHeaderMismatch,
			),
			(payload(PayloadKind::Update, task, 1, &[1; 6]), Error::<Test>::PayloadHeaderMismatch),
			(payload(PayloadKind::Update, task, 0, &[1; 7]), Error::<Test>::PayloadHeaderMismatch),
		];
		for (bad, error) in cases {
			let t = TRAINERS[1];
			// Re-commit is impossible, so check against a fresh round state each time.
			frame_support::storage::with_transaction(|| {
				Rounds::<Test>::mutate(task, 0, |r| {
					r.as_mut()
						.unwrap()
						.trainers
						.iter_mut()
						.find(|s| s.who == t)
						.unwrap()
						.commitment = Some(commitment(task, 0, t, &bad));
				});
				let result =
					Federated::reveal_update(origin(t), task, 0, bounded(bad.clone()), salt(t));
				assert_eq!(result, Err(error.into()));
				sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
			})
			.unwrap();
		}
		reveal(task, 0, who);
		assert_noop!(
			Federated::reveal_update(origin(who), task, 0, bounded(good), salt(who)),
			Error::<Test>::AlreadyRevealed
		);
	});
}

// ---- commit_aggregate, reveal_aggregate ----------------------------------------------------

#[test]
fn commit_aggregate_records_and_opens_the_aggregate_reveal_when_all_committed() {
	test(|| {
		let task = started_task();
		let c = H256::repeat_byte(1);
		assert_noop!(
			Federated::commit_aggregate(origin(21), task, 0, c),
			Error::<Test>::WrongPhase
		);
		to_aggregation(task, 0);
		assert_noop!(Federated::commit_aggregate(origin(21), 9, 0, c), Error::<Test>::UnknownTask);
		assert_noop!(
			Federated::commit_aggregate(origin(21), task, 1, c),
			Error::<Test>::WrongRound
		);
		assert_noop!(
			Federated::commit_aggregate(origin(TRAINERS[0]), task, 0, c),
			Error::<Test>::NotSelectedAggregator
		);
		assert_ok!(Federated::commit_aggregate(origin(21), task, 0, c));
		assert!(events().contains(&Event::AggregateCommitted {
			task,
			round: 0,
			who: 21,
			commitment: c
		}));
		assert_noop!(
			Federated::commit_aggregate(origin(21), task, 0, c),
			Error::<Test>::AlreadyCommitted
		);
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert_ok!(Federated::commit_aggregate(origin(22), task, 0, c));
		assert_ok!(Federated::commit_aggregate(origin(23), task, 0, c));
		let r = round(task, 0);
		assert_eq!((r.phase, r.phase_ends), (Phase::AggregateReveal, 2 + 3));
		assert!(events().contains(&Event::AggregateRevealOpened { task, round: 0, reveal_by: 5 }));
		assert_noop!(
			Federated::commit_aggregate(origin(21), task, 0, c),
			Error::<Test>::WrongPhase
		);
	});
}

#[test]
fn reveal_aggregate_refuses_what_it_must() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		let h = hash(&agg);
		let a = AGGREGATORS[0];
		let ok = METRICS;
		assert_noop!(
			Federated::reveal_aggregate(
				origin(a),
				task,
				0,
				h,
				ok,
				salt(a),
				Some(bounded(agg.clone()))
			),
			Error::<Test>::WrongPhase
		);
		// Each aggregator commits to what it will reveal below, so that each reveal gets past
		// the commitment check to the error it is about; the third never commits.
		let as_update = payload(PayloadKind::Update, task, 0, &[5; 6]);
		let short = agg[..25].to_vec();
		commit_agg(task, 0, a, &agg, ok);
		assert_noop!(
			Federated::reveal_aggregate(origin(a), task, 0, h, ok, salt(a), None),
			Error::<Test>::WrongPhase,
		);
		commit_agg(task, 0, AGGREGATORS[1], &agg, ok);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::AggregateReveal);
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoAggregate]);
		assert_noop!(
			Federated::reveal_aggregate(
				origin(AGGREGATORS[2]),
				task,
				0,
				h,
				ok,
				salt(AGGREGATORS[2]),
				Some(bounded(agg.clone()))
			),
			Error::<Test>::NotCommitted
		);
		assert_noop!(
			Federated::reveal_aggregate(
				origin(TRAINERS[0]),
				task,
				0,
				h,
				ok,
				salt(a),
				Some(bounded(agg.clone()))
			),
			Error::<Test>::NotSelectedAggregator
		);
		// What does not match the commitment: other metrics, another hash, another salt.
		let other = RoundMetrics { accuracy_micros: 999_999, ..ok };
		for (hash_, s, salt_) in
			[(h, other, salt(a)), (H256::zero(), ok, salt(a)), (h, ok, [0; 32])]
		{
			assert_noop!(
				Federated::reveal_aggregate(
					origin(a),
					task,
					0,
					hash_,
					s,
					salt_,
					Some(bounded(agg.clone()))
				),
				Error::<Test>::CommitmentMismatch
			);
		}
		// Behind a matching commitment, each bad result is refused for what is wrong with it.
		let with_samples = payload_with(PayloadKind::Aggregate, task, 0, 1, &[5; 6]);
		let too_accurate = RoundMetrics { accuracy_micros: 1_000_001, ..ok };
		// The hash revealed, the metrics, the payload carried, and the error.
		type Case = (H256, RoundMetrics, Option<Vec<u8>>, Error<Test>);
		let cases: Vec<Case> = vec![
			(h, too_accurate, Some(agg.clone()), Error::<Test>::MetricsOutOfRange),
			(h, ok, None, Error::<Test>::AggregatePayloadMissing),
			(H256::zero(), ok, Some(agg.clone()), Error::<Test>::AggregateHashMismatch),
			(hash(&as_update), ok, Some(as_update.clone()), Error::<Test>::PayloadHeaderMismatch),
			(hash(&short), ok, Some(short.clone()), Error::<Test>::MalformedPayload),
			(hash(&with_samples), ok, Some(with_samples.clone()), Error::<Test>::SamplesOutOfRange),
		];
		for (hash_, m, carried, error) in cases {
			frame_support::storage::with_transaction(|| {
				Rounds::<Test>::mutate(task, 0, |r| {
					r.as_mut()
						.unwrap()
						.aggregators
						.iter_mut()
						.find(|x| x.who == a)
						.unwrap()
						.commitment = Some(aggregate_commitment(&a, task, 0, &hash_, &m, &salt(a)));
				});
				let result = Federated::reveal_aggregate(
					origin(a),
					task,
					0,
					hash_,
					m,
					salt(a),
					carried.map(bounded),
				);
				assert_eq!(result, Err(error.into()));
				sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
			})
			.unwrap();
		}
		reveal_agg(task, 0, a, &agg, ok);
		assert!(events().contains(&Event::AggregateRevealed {
			task,
			round: 0,
			who: a,
			aggregate: h,
			metrics: ok
		}));
		assert_eq!(round(task, 0).aggregates.len(), 1, "the payload is recorded once");
		assert_noop!(
			Federated::reveal_aggregate(origin(a), task, 0, h, ok, salt(a), None),
			Error::<Test>::AlreadyRevealed
		);
		// A second aggregator may refer to the known payload without carrying it; the round is
		// decided once every aggregator who committed has revealed.
		assert_ok!(Federated::reveal_aggregate(
			origin(AGGREGATORS[1]),
			task,
			0,
			h,
			ok,
			salt(AGGREGATORS[1]),
			None
		));
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: h });
	});
}

// ---- commit_scores, reveal_scores ---------------------------------------------------------

#[test]
fn commit_scores_records_and_opens_the_score_reveal_when_all_committed() {
	test(|| {
		let task = started_task();
		let c = H256::repeat_byte(1);
		assert_noop!(Federated::commit_scores(origin(21), task, 0, c), Error::<Test>::WrongPhase);
		to_scoring(task, 0);
		assert_noop!(Federated::commit_scores(origin(21), 9, 0, c), Error::<Test>::UnknownTask);
		assert_noop!(Federated::commit_scores(origin(21), task, 1, c), Error::<Test>::WrongRound);
		assert_noop!(
			Federated::commit_scores(origin(TRAINERS[0]), task, 0, c),
			Error::<Test>::NotSelectedAggregator
		);
		assert_ok!(Federated::commit_scores(origin(21), task, 0, c));
		assert!(events().contains(&Event::ScoresCommitted {
			task,
			round: 0,
			who: 21,
			commitment: c
		}));
		assert_noop!(
			Federated::commit_scores(origin(21), task, 0, c),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			Federated::commit_aggregate(origin(22), task, 0, c),
			Error::<Test>::WrongPhase,
		);
		assert_ok!(Federated::commit_scores(origin(22), task, 0, c));
		assert_eq!(round(task, 0).phase, Phase::Score);
		assert_ok!(Federated::commit_scores(origin(23), task, 0, c));
		let r = round(task, 0);
		assert_eq!((r.phase, r.phase_ends), (Phase::ScoreReveal, 2 + 3));
		assert!(events().contains(&Event::ScoreRevealOpened { task, round: 0, reveal_by: 5 }));
		assert_noop!(Federated::commit_scores(origin(21), task, 0, c), Error::<Test>::WrongPhase);
	});
}

#[test]
fn reveal_scores_refuses_what_it_must() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		let a = AGGREGATORS[0];
		let ok: &[u32] = &[GOOD; 3];
		assert_noop!(
			Federated::reveal_scores(origin(a), task, 0, scores(ok), salt(a)),
			Error::<Test>::WrongPhase
		);
		commit_sc(task, 0, a, ok);
		commit_sc(task, 0, AGGREGATORS[1], ok);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::ScoreReveal);
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoScores]);
		assert!(Federated::duties(&AGGREGATORS[2]).is_empty(), "too late to take part");
		assert_noop!(
			Federated::reveal_scores(origin(AGGREGATORS[2]), task, 0, scores(ok), salt(a)),
			Error::<Test>::NotCommitted
		);
		assert_noop!(
			Federated::reveal_scores(origin(TRAINERS[0]), task, 0, scores(ok), salt(a)),
			Error::<Test>::NotSelectedAggregator
		);
		// What does not match the commitment: other scores, another salt, another author's.
		for (s, salt_) in [(&[GOOD, GOOD, 1][..], salt(a)), (ok, [0; 32]), (ok, salt(22))] {
			assert_noop!(
				Federated::reveal_scores(origin(a), task, 0, scores(s), salt_),
				Error::<Test>::CommitmentMismatch
			);
		}
		// Behind a matching commitment: the wrong count, a score out of range.
		for (s, error) in [
			(vec![GOOD, GOOD], Error::<Test>::WrongScoreCount),
			(vec![GOOD, GOOD, GOOD, GOOD], Error::<Test>::WrongScoreCount),
			(vec![GOOD, GOOD, 1_000_001], Error::<Test>::ScoreOutOfRange),
		] {
			frame_support::storage::with_transaction(|| {
				Rounds::<Test>::mutate(task, 0, |r| {
					r.as_mut()
						.unwrap()
						.aggregators
						.iter_mut()
						.find(|x| x.who == a)
						.unwrap()
						.score_commitment = Some(score_commitment(&a, task, 0, &s, &salt(a)));
				});
				let result = Federated::reveal_scores(origin(a), task, 0, scores(&s), salt(a));
				assert_eq!(result, Err(error.into()));
				sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
			})
			.unwrap();
		}
		reveal_sc(task, 0, a, ok);
		assert!(events().contains(&Event::ScoresRevealed {
			task,
			round: 0,
			who: a,
			scores: ok.to_vec()
		}));
		assert_noop!(
			Federated::reveal_scores(origin(a), task, 0, scores(ok), salt(a)),
			Error::<Test>::AlreadyRevealed
		);
		// The last committed aggregator reveals: the accepted set is fixed at once.
		reveal_sc(task, 0, AGGREGATORS[1], ok);
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert!(events().contains(&Event::AggregationOpened {
			task,
			round: 0,
			updates: 3,
			commit_by: 9
		}));
	});
}

#[test]
fn score_commit_timeout_below_quorum_fails() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		commit_sc(task, 0, AGGREGATORS[0], &[GOOD; 3]);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughScores });
		assert!(slashed(AGGREGATORS[0]).is_empty());
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoScores]);
		assert!(TRAINERS.iter().all(|t| slashed(*t).is_empty()), "trainers did their part");
		assert_eq!(Tasks::<Test>::get(task).unwrap().budget, 2 * REWARD, "nobody is paid");
	});
}

#[test]
fn score_reveal_timeout_penalises_who_did_not_reveal_and_decides_on_the_rest() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		AGGREGATORS.iter().for_each(|a| commit_sc(task, 0, *a, &[GOOD; 3]));
		reveal_sc(task, 0, AGGREGATORS[0], &[GOOD; 3]);
		reveal_sc(task, 0, AGGREGATORS[1], &[GOOD; 3]);
		run_to_block(5);
		assert_eq!(round(task, 0).phase, Phase::ScoreReveal, "open until the end of block 5");
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Aggregate);
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoScoresReveal]);
		assert_eq!(round(task, 0).accepted_updates().count(), 3);
	});
}

#[test]
fn score_reveal_timeout_without_quorum_fails() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		AGGREGATORS.iter().for_each(|a| commit_sc(task, 0, *a, &[GOOD; 3]));
		reveal_sc(task, 0, AGGREGATORS[0], &[GOOD; 3]);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughScores });
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoScoresReveal]);
		assert!(TRAINERS.iter().all(|t| slashed(*t).is_empty()), "no scores, no verdict");
	});
}

#[test]
fn a_round_whose_updates_are_all_rejected_fails_and_pays_nobody() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		// Nothing reaches the gate's floor: nothing is accepted, and with no cohort to measure a
		// shortfall against, nobody is penalised.
		score(task, 0, &AGGREGATORS.map(|a| (a, &[100_000, 0, 300_000][..])));
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Failed { reason: FailReason::NotEnoughAccepted });
		assert!(r.trainers.iter().all(|t| slashed(t.who).is_empty()), "no cohort, no penalty");
		assert_eq!(Tasks::<Test>::get(task).unwrap().budget, 2 * REWARD);
		assert_eq!(Tasks::<Test>::get(task).unwrap().global_model, None);
		let summary = Federated::round_summary(task, 0).unwrap();
		assert_eq!((summary.updates, summary.accepted, summary.metrics), (3, 0, None));
	});
}

/// The gate judges a round against itself: where every honest update scores low (a converged
/// model, noise for differential privacy), they are all accepted and paid, and an update far
/// below them (a copy, scored 0 by the aggregators) is rejected and its trainer penalised.
#[test]
fn low_scores_of_a_whole_round_are_accepted_and_an_outlier_is_not() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		score(task, 0, &AGGREGATORS.map(|a| (a, &[505_000, 498_000, 0][..])));
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Aggregate);
		assert_eq!(r.trainers.iter().map(|t| t.accepted).collect::<Vec<_>>(), [true, true, false]);
		assert!(slashed(r.trainers[0].who).is_empty() && slashed(r.trainers[1].who).is_empty());
		assert_eq!(slashed(r.trainers[2].who), vec![Offence::Rejected]);
	});
}

#[test]
fn too_few_accepted_updates_for_the_rule_fail_the_round() {
	test(|| {
		let task = create(TaskSpec {
			aggregation: AggregationRule::TrimmedMean { trim: 1 },
			min_trainers: 3,
			..spec()
		});
		join_all(task);
		run_to_block(2);
		to_scoring(task, 0);
		score(task, 0, &AGGREGATORS.map(|a| (a, &[GOOD, GOOD, 0][..])));
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughAccepted });
	});
}

#[test]
fn updates_must_claim_samples_within_the_task_bound() {
	test(|| {
		let task = started_task();
		let t = TRAINERS[0];
		for samples in [0, MAX_SAMPLES + 1] {
			let update = payload_with(PayloadKind::Update, task, 0, samples, &[samples as i32; 6]);
			let c = update_commitment(&t, task, 0, &update, &salt(t));
			frame_support::storage::with_transaction(|| {
				assert_ok!(Federated::commit_update(origin(t), task, 0, c));
				TRAINERS[1..].iter().for_each(|o| commit(task, 0, *o));
				let result =
					Federated::reveal_update(origin(t), task, 0, bounded(update.clone()), salt(t));
				assert_eq!(result, Err(Error::<Test>::SamplesOutOfRange.into()));
				sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(()))
			})
			.unwrap();
		}
		let most = payload_with(PayloadKind::Update, task, 0, MAX_SAMPLES, &[7; 6]);
		assert_ok!(Federated::commit_update(origin(t), task, 0, commitment(task, 0, t, &most)));
		TRAINERS[1..].iter().for_each(|o| commit(task, 0, *o));
		assert_ok!(Federated::reveal_update(origin(t), task, 0, bounded(most), salt(t)));
		assert_eq!(
			round(task, 0).trainers.iter().find(|s| s.who == t).unwrap().samples,
			MAX_SAMPLES
		);
	});
}

#[test]
fn cancelling_after_scoring_pays_only_accepted_updates() {
	test(|| {
		let task = started_task();
		to_scoring(task, 0);
		score(task, 0, &AGGREGATORS.map(|a| (a, &[GOOD, GOOD, 0][..])));
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		let r = round(task, 0);
		// 700 to trainers, in equal shares to the two accepted updates.
		assert_eq!(r.trainers.iter().map(|t| t.reward).collect::<Vec<_>>(), [350, 350, 0]);
	});
}

// ---- whole lifecycle ---------------------------------------------------------------------

#[test]
fn a_task_runs_all_its_rounds_pays_by_score_and_finishes() {
	test(|| {
		let task = started_task();
		let (t1, t2, t3) = (TRAINERS[0], TRAINERS[1], TRAINERS[2]);

		// Round 0: duties lead the way.
		assert!(
			matches!(Federated::duties(&t1)[..], [Duty::Train { round: 0, dataset, global_model: None, commit_by: 5, .. }] if dataset == t1)
		);
		assert!(Federated::duties(&AGGREGATORS[0]).is_empty(), "nothing to score yet");
		TRAINERS.iter().for_each(|t| commit(task, 0, *t));
		assert!(matches!(Federated::duties(&t1)[..], [Duty::Reveal { round: 0, .. }]));
		TRAINERS.iter().for_each(|t| reveal(task, 0, *t));
		assert!(Federated::duties(&t1).is_empty());
		assert!(events().contains(&Event::ScoringOpened {
			task,
			round: 0,
			updates: 3,
			commit_by: 5
		}));
		let Duty::Score { updates, global_model: None, commit_by: 5, .. } =
			Federated::duties(&AGGREGATORS[0]).pop().unwrap()
		else {
			panic!("a scoring duty")
		};
		let order: Vec<_> = round(task, 0).trainers.iter().map(|t| t.who).collect();
		assert_eq!(updates.iter().map(|(w, _)| *w).collect::<Vec<_>>(), order);
		assert_eq!(updates[0].1.payload_hash, hash(&update_of(task, 0, order[0])));
		assert!(round(task, 0).trainers.iter().all(|t| t.samples == 100), "samples from headers");

		// Scores per update (in round order); the lower medians are 800_000, 600_000 and
		// 300_000: the third update is rejected and its trainer penalised.
		let per_aggregator: [[u32; 3]; 3] =
			[[800_000, 600_000, 300_000], [900_000, 600_000, 200_000], [700_000, 650_000, 500_000]];
		for (a, s) in AGGREGATORS.iter().zip(&per_aggregator) {
			commit_sc(task, 0, *a, s);
		}
		assert!(matches!(
			Federated::duties(&AGGREGATORS[0])[..],
			[Duty::RevealScores { round: 0, reveal_by: 5, .. }]
		));
		for (a, s) in AGGREGATORS.iter().zip(&per_aggregator) {
			reveal_sc(task, 0, *a, s);
		}
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Aggregate);
		let medians: Vec<_> = r.trainers.iter().map(|t| t.score.unwrap()).collect();
		assert_eq!(medians, vec![800_000, 600_000, 300_000]);
		assert_eq!(r.trainers.iter().map(|t| t.accepted).collect::<Vec<_>>(), [true, true, false]);
		assert_eq!(slashed(order[2]), vec![Offence::Rejected]);
		assert!(slashed(order[0]).is_empty() && slashed(order[1]).is_empty());
		assert!(events().contains(&Event::UpdateScored {
			task,
			round: 0,
			who: order[2],
			score: 300_000,
			accepted: false
		}));
		let Duty::Aggregate { updates, commit_by: 5, .. } =
			Federated::duties(&AGGREGATORS[0]).pop().unwrap()
		else {
			panic!("an aggregation duty")
		};
		assert_eq!(
			updates.iter().map(|u| (u.who, u.samples)).collect::<Vec<_>>(),
			vec![(order[0], 100), (order[1], 100)],
			"exactly the accepted updates, with their samples"
		);

		// Every aggregator agrees on the aggregate; metrics are the lower medians.
		let agg = aggregate_of(task, 0, 5);
		let reports = [
			RoundMetrics { loss_micros: 500_000, accuracy_micros: 800_000 },
			RoundMetrics { loss_micros: 400_000, accuracy_micros: 900_000 },
			RoundMetrics { loss_micros: 600_000, accuracy_micros: 700_000 },
		];
		for (a, m) in AGGREGATORS.iter().zip(reports) {
			commit_agg(task, 0, *a, &agg, m);
		}
		let Duty::RevealAggregate { commitment, payload_known, reveal_by: 5, .. } =
			Federated::duties(&AGGREGATORS[0]).pop().unwrap()
		else {
			panic!("an aggregate reveal duty")
		};
		assert_eq!(commitment, agg_commitment(task, 0, AGGREGATORS[0], &agg, reports[0]));
		assert!(payload_known.is_empty());
		reveal_agg(task, 0, AGGREGATORS[0], &agg, reports[0]);
		assert!(
			matches!(&Federated::duties(&AGGREGATORS[1])[..], [Duty::RevealAggregate { payload_known, .. }] if *payload_known == vec![hash(&agg)])
		);
		for (a, m) in AGGREGATORS.iter().zip(reports).skip(1) {
			reveal_agg(task, 0, *a, &agg, m);
		}
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&agg) });
		let metrics = RoundMetrics { loss_micros: 500_000, accuracy_micros: 800_000 };
		// 70% of 1_000 to accepted trainers by score (800:600), 30% to the three aggregators.
		let rewards: Vec<_> = r.trainers.iter().map(|t| t.reward).collect();
		assert_eq!(rewards, vec![400, 300, 0]);
		assert!(r.aggregators.iter().all(|a| a.reward == 100));
		assert_eq!(Balances::balance(&order[0]), ENDOWMENT - TRAINER_BOND + 400);
		assert_eq!(Balances::balance(&AGGREGATORS[2]), ENDOWMENT - AGGREGATOR_BOND + 100);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!(info.budget, 2 * REWARD - 1_000);
		assert_eq!(info.global_model.as_ref().map(|g| g.payload_hash), Some(hash(&agg)));
		assert_eq!(info.next_round, 1);
		assert!(events().contains(&Event::RoundFinalized {
			task,
			round: 0,
			aggregate: hash(&agg),
			agreeing: 3,
			metrics,
			paid: 1_000,
			royalties: 0,
		}));
		let summary = Federated::round_summary(task, 0).unwrap();
		assert_eq!(
			(summary.outcome, summary.started, summary.updates, summary.accepted, summary.paid),
			(Phase::Finalized { aggregate: hash(&agg) }, 2, 3, 2, 1_000)
		);
		assert_eq!(summary.metrics, Some(metrics));
		assert!(slashed(AGGREGATORS[2]).is_empty(), "agreeing aggregators are not penalised");

		// Round 1 starts from round 0's aggregate; every update is accepted with one score, so
		// the trainers share equally.
		run_to_block(3);
		assert_eq!(round(task, 1).global_model.as_ref().map(|g| g.payload_hash), Some(hash(&agg)));
		assert!(
			matches!(&Federated::duties(&t2)[..], [Duty::Train { round: 1, global_model: Some(g), .. }] if g.payload_hash == hash(&agg))
		);
		to_aggregation(task, 1);
		let agg1 = aggregate_of(task, 1, 6);
		decide_all(task, 1, &agg1);
		let r = round(task, 1);
		assert!(r.trainers.iter().all(|t| t.reward == 233), "700 / 3, rounded down");
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!(info.status, TaskStatus::Finished);
		assert_eq!(info.budget, 0);
		assert_eq!(held_budget(OWNER), 0);
		assert_eq!(Balances::balance(&OWNER), ENDOWMENT - 1_000 - 999 - deposit(2));
		assert!(events().contains(&Event::TaskFinished { task, refund: 1 }));
		assert!(ActiveTasks::<Test>::get().is_empty());
		// The history: both rounds, oldest first, with their metrics.
		let history = Federated::round_history(task);
		assert_eq!(
			history.iter().map(|(i, s)| (*i, s.accepted)).collect::<Vec<_>>(),
			[(0, 2), (1, 3)]
		);
		assert_eq!(history[1].1.metrics, Some(METRICS));
		run_to_block(10);
		assert!(Rounds::<Test>::get(task, 2).is_none(), "a finished task runs no more rounds");
		assert!(Federated::duties(&t3).is_empty());
		for who in TRAINERS.iter().chain(AGGREGATORS.iter()) {
			assert_ok!(Federated::leave(origin(*who), task));
		}
	});
}

// ---- timeouts and penalties ----------------------------------------------------------------

#[test]
fn commit_timeout_with_too_few_commits_fails_and_penalises_no_shows() {
	test(|| {
		let task = started_task();
		commit(task, 0, TRAINERS[0]);
		run_to_block(5);
		assert_eq!(round(task, 0).phase, Phase::Commit, "open until the end of block 5");
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughCommits });
		for t in &TRAINERS[1..] {
			assert_eq!(slashed(*t), vec![Offence::NoCommit]);
			assert_eq!(held_bond(*t), TRAINER_BOND - 500);
			assert_eq!(Participants::<Test>::get(task, t).unwrap().bond, TRAINER_BOND - 500);
		}
		assert!(slashed(TRAINERS[0]).is_empty());
		assert_eq!(
			Balances::balance(&TREASURY),
			ENDOWMENT + 1_000,
			"slashed bonds go to the treasury"
		);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!((info.next_round, info.budget, info.global_model), (1, 2 * REWARD, None));
		run_to_block(7);
		assert_eq!(round(task, 1).phase, Phase::Commit, "the next round starts");
		assert!(round(task, 1).global_model.is_none(), "a failed round keeps the previous model");
	});
}

#[test]
fn commit_timeout_with_enough_commits_moves_to_reveal() {
	test(|| {
		let task = started_task();
		commit(task, 0, TRAINERS[0]);
		commit(task, 0, TRAINERS[1]);
		run_to_block(6);
		let r = round(task, 0);
		assert_eq!((r.phase, r.phase_ends), (Phase::Reveal, 9));
		assert_eq!(slashed(TRAINERS[2]), vec![Offence::NoCommit]);
	});
}

#[test]
fn reveal_timeout_penalises_who_committed_and_did_not_reveal() {
	test(|| {
		let task = started_task();
		TRAINERS.iter().for_each(|t| commit(task, 0, *t));
		reveal(task, 0, TRAINERS[0]);
		reveal(task, 0, TRAINERS[1]);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Score);
		assert_eq!(slashed(TRAINERS[2]), vec![Offence::NoReveal]);
		assert_eq!(round(task, 0).revealed_updates().count(), 2);
	});
}

#[test]
fn reveal_timeout_with_too_few_updates_fails() {
	test(|| {
		let task = started_task();
		TRAINERS.iter().for_each(|t| commit(task, 0, *t));
		reveal(task, 0, TRAINERS[0]);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NotEnoughReveals });
		assert_eq!(slashed(TRAINERS[1]), vec![Offence::NoReveal]);
		assert_eq!(slashed(TRAINERS[2]), vec![Offence::NoReveal]);
		assert_eq!(Tasks::<Test>::get(task).unwrap().budget, 2 * REWARD, "nobody is paid");
	});
}

#[test]
fn aggregate_commit_timeout_penalises_who_did_not_commit() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		commit_agg(task, 0, AGGREGATORS[0], &agg, METRICS);
		commit_agg(task, 0, AGGREGATORS[1], &agg, METRICS);
		run_to_block(5);
		assert_eq!(round(task, 0).phase, Phase::Aggregate, "open until the end of block 5");
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::AggregateReveal);
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoAggregate]);
		assert_eq!(held_bond(AGGREGATORS[2]), AGGREGATOR_BOND - AGGREGATOR_BOND / 10);
		assert!(Federated::duties(&AGGREGATORS[2]).is_empty(), "too late to take part");
		// The two who committed reveal: decided at once, only they are paid.
		reveal_agg(task, 0, AGGREGATORS[0], &agg, METRICS);
		reveal_agg(task, 0, AGGREGATORS[1], &agg, METRICS);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&agg) });
		assert_eq!(r.aggregators.iter().filter(|a| a.reward > 0).count(), 2);
	});
}

#[test]
fn aggregate_commit_timeout_below_quorum_fails_at_once() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		commit_agg(task, 0, AGGREGATORS[0], &aggregate_of(task, 0, 5), METRICS);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NoQuorum });
		assert!(slashed(AGGREGATORS[0]).is_empty());
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoAggregate]);
	});
}

#[test]
fn aggregate_reveal_timeout_decides_on_who_revealed_and_penalises_the_rest() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		AGGREGATORS.iter().for_each(|a| commit_agg(task, 0, *a, &agg, METRICS));
		reveal_agg(task, 0, AGGREGATORS[0], &agg, METRICS);
		reveal_agg(task, 0, AGGREGATORS[1], &agg, METRICS);
		run_to_block(5);
		assert_eq!(round(task, 0).phase, Phase::AggregateReveal);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Finalized { aggregate: hash(&agg) });
		assert_eq!(slashed(AGGREGATORS[2]), vec![Offence::NoAggregateReveal]);
		let r = round(task, 0);
		assert_eq!(r.aggregators.iter().filter(|a| a.reward > 0).count(), 2);
	});
}

#[test]
fn aggregate_reveal_timeout_without_quorum_fails() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 5);
		AGGREGATORS.iter().for_each(|a| commit_agg(task, 0, *a, &agg, METRICS));
		reveal_agg(task, 0, AGGREGATORS[0], &agg, METRICS);
		run_to_block(6);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NoQuorum });
		assert!(slashed(AGGREGATORS[0]).is_empty(), "without a quorum no revealer is wrong");
		assert_eq!(slashed(AGGREGATORS[1]), vec![Offence::NoAggregateReveal]);
		assert_eq!(Tasks::<Test>::get(task).unwrap().global_model, None);
	});
}

// ---- quorum disagreement -----------------------------------------------------------------

#[test]
fn a_dissenting_aggregator_is_penalised_and_the_quorum_wins() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let honest = aggregate_of(task, 0, 5);
		let forged = aggregate_of(task, 0, 9);
		let boast = RoundMetrics { loss_micros: 0, accuracy_micros: 1_000_000 };
		let m1 = RoundMetrics { loss_micros: 300_000, accuracy_micros: 900_000 };
		let m2 = RoundMetrics { loss_micros: 200_000, accuracy_micros: 910_000 };
		decide(
			task,
			0,
			&[
				(AGGREGATORS[0], &forged[..], boast),
				(AGGREGATORS[1], &honest[..], m1),
				(AGGREGATORS[2], &honest[..], m2),
			],
		);
		let r = round(task, 0);
		assert_eq!(r.phase, Phase::Finalized { aggregate: hash(&honest) });
		assert_eq!(slashed(AGGREGATORS[0]), vec![Offence::Disagreed]);
		assert_eq!(
			r.aggregators[0].reward + r.aggregators[1].reward + r.aggregators[2].reward,
			2 * 150
		);
		assert_eq!(r.aggregators.iter().find(|a| a.who == AGGREGATORS[0]).unwrap().reward, 0);
		// The dissenter's metrics do not count: lower medians of the agreeing two.
		let summary = Federated::round_summary(task, 0).unwrap();
		assert_eq!(
			summary.metrics,
			Some(RoundMetrics { loss_micros: 200_000, accuracy_micros: 900_000 })
		);
		assert_eq!(r.aggregates.len(), 2, "both payloads are on chain");
	});
}

#[test]
fn total_disagreement_fails_the_round_without_penalties() {
	test(|| {
		let task = started_task();
		to_aggregation(task, 0);
		let results: Vec<_> = (0..3).map(|i| aggregate_of(task, 0, i)).collect();
		decide(
			task,
			0,
			&AGGREGATORS
				.iter()
				.zip(&results)
				.map(|(a, r)| (*a, &r[..], METRICS))
				.collect::<Vec<_>>(),
		);
		assert_eq!(round(task, 0).phase, Phase::Failed { reason: FailReason::NoQuorum });
		assert!(AGGREGATORS.iter().all(|a| slashed(*a).is_empty()));
		assert_eq!(Tasks::<Test>::get(task).unwrap().next_round, 1);
	});
}

#[test]
fn try_state_catches_books_that_do_not_balance() {
	test(|| {
		let task = started_task();
		Participants::<Test>::mutate(task, TRAINERS[0], |p| p.as_mut().unwrap().bond += 1);
		assert!(Federated::do_try_state(System::block_number()).is_err());
		Participants::<Test>::mutate(task, TRAINERS[0], |p| p.as_mut().unwrap().bond -= 1);
		Rounds::<Test>::mutate(task, 0, |r| r.as_mut().unwrap().phase_ends = 1);
		assert!(
			Federated::do_try_state(System::block_number()).is_err(),
			"a round past its deadline"
		);
		Rounds::<Test>::mutate(task, 0, |r| r.as_mut().unwrap().phase_ends = 5);
	});
}

#[test]
fn all_storage_is_bounded() {
	use frame_support::traits::StorageInfoTrait;
	for info in crate::Pallet::<Test>::storage_info() {
		assert!(
			info.max_size.is_some(),
			"{} is bounded",
			String::from_utf8_lossy(&info.storage_name)
		);
	}
}
