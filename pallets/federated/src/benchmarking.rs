//! Benchmarks (v2) of every call and of the per-block hook's parts, each in its worst case.

use super::*;
use crate::Pallet as Federated;
use alloc::{vec, vec::Vec};
use cohort_primitives::{
	model::ModelSpec,
	payload::{PayloadHeader, PayloadKind, PAYLOAD_HEADER_LEN},
	round::Phase,
	task::{AggregationRule, InitialModel, Optimizer, PhaseLengths, TrainingParams},
	RoundIndex, TaskId, TaskSpec,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get, Hooks},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::{traits::Bounded, Perbill, Saturating};

const SEED: u32 = 0;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	let amount = T::MinAggregatorBond::get()
		.saturating_add(T::MinTrainerBond::get())
		.saturating_mul(1_000u32.into())
		.max(BalanceOf::<T>::max_value() / 1_000_000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

/// A task whose payloads carry `parameters` parameters (a `parameters - 1`-input linear model
/// with one output), with `trainers` trainers and `aggregators` aggregators per round.
fn spec<T: Config>(trainers: u32, aggregators: u32, parameters: u32) -> TaskSpecOf<T> {
	let phase = T::MinPhaseLength::get();
	TaskSpec {
		model: ModelSpec::Mlp { input: parameters - 1, hidden: BoundedVec::new(), classes: 1 },
		initial_model: InitialModel::Seed(1),
		training: TrainingParams {
			epochs: 1,
			batch_size: 1,
			optimizer: Optimizer::Adam,
			learning_rate_micros: 1_000,
			fedprox_mu_micros: Some(10_000),
			dp: None,
		},
		scale: 1 << 16,
		aggregation: AggregationRule::WeightedMean,
		rounds: T::MaxRounds::get(),
		min_trainers: 1,
		max_trainers: trainers,
		aggregators,
		quorum: aggregators / 2 + 1,
		phases: PhaseLengths { commit: phase, reveal: phase, aggregate: phase },
		max_payload_bytes: T::MaxPayloadBytes::get(),
		reward_per_round: T::MinTrainerBond::get(),
		aggregator_share: Perbill::from_percent(30),
		penalty: Perbill::from_percent(10),
		validation_set: H256::repeat_byte(1),
	}
}

/// The largest parameter count whose payload fits `bytes`.
fn parameters_in(bytes: u32) -> u32 {
	(bytes - PAYLOAD_HEADER_LEN as u32) / 4
}

fn payload(
	kind: PayloadKind,
	task: TaskId,
	round: RoundIndex,
	parameters: u32,
	fill: u8,
) -> Vec<u8> {
	let header = PayloadHeader { kind, task, round, parameter_count: parameters, scale: 1 << 16 };
	let mut bytes = header.to_bytes().to_vec();
	bytes.resize(PAYLOAD_HEADER_LEN + 4 * parameters as usize, fill);
	bytes
}

fn commitment(update: &[u8]) -> H256 {
	H256(sp_io::hashing::blake2_256(&[update, &[0u8; 32][..]].concat()))
}

fn hash(bytes: &[u8]) -> H256 {
	H256(sp_io::hashing::blake2_256(bytes))
}

/// Creates a task and joins `trainers` trainers and `aggregators` aggregators.
fn create_with<T: Config>(
	trainers: u32,
	aggregators: u32,
	parameters: u32,
) -> (TaskId, T::AccountId) {
	let owner = funded::<T>("owner", 0);
	let task = NextTaskId::<T>::get();
	Federated::<T>::create_task(
		RawOrigin::Signed(owner.clone()).into(),
		spec::<T>(
			trainers.clamp(1, T::MaxTrainersPerRound::get()),
			aggregators.clamp(1, T::MaxAggregatorsPerRound::get()),
			parameters,
		),
	)
	.expect("valid task");
	for i in 0..trainers {
		let who = funded::<T>("trainer", i);
		Federated::<T>::join(
			RawOrigin::Signed(who).into(),
			task,
			JoinAs::Trainer { dataset: i as u64 },
			T::MinTrainerBond::get(),
		)
		.expect("joins");
	}
	for i in 0..aggregators {
		let who = funded::<T>("aggregator", i);
		Federated::<T>::join(
			RawOrigin::Signed(who).into(),
			task,
			JoinAs::Aggregator,
			T::MinAggregatorBond::get(),
		)
		.expect("joins");
	}
	(task, owner)
}

/// A task whose first round has started with every participant selected.
fn started<T: Config>(trainers: u32, aggregators: u32, parameters: u32) -> (TaskId, T::AccountId) {
	let (task, owner) = create_with::<T>(trainers, aggregators, parameters);
	let info = Tasks::<T>::get(task).unwrap();
	Federated::<T>::start_round(task, &info, frame_system::Pallet::<T>::block_number());
	(task, owner)
}

fn selected_trainers<T: Config>(task: TaskId) -> Vec<T::AccountId> {
	Rounds::<T>::get(task, 0).unwrap().trainers.iter().map(|t| t.who.clone()).collect()
}

fn selected_aggregators<T: Config>(task: TaskId) -> Vec<T::AccountId> {
	Rounds::<T>::get(task, 0).unwrap().aggregators.iter().map(|a| a.who.clone()).collect()
}

/// Commits and reveals every selected trainer's update: aggregation is open.
fn to_aggregation<T: Config>(task: TaskId, parameters: u32) {
	let trainers = selected_trainers::<T>(task);
	let update = payload(PayloadKind::Update, task, 0, parameters, 1);
	for who in &trainers {
		Federated::<T>::commit_update(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			commitment(&update),
		)
		.unwrap();
	}
	for who in &trainers {
		Federated::<T>::reveal_update(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			update.clone().try_into().unwrap(),
			[0u8; 32],
		)
		.unwrap();
	}
}

fn scores<T: Config>(count: u32) -> BoundedVec<u32, T::MaxTrainersPerRound> {
	BoundedVec::truncate_from(vec![500_000; count as usize])
}

/// Every selected aggregator but the last submits the same aggregate (the first carrying its
/// payload) with a score for each of the `updates` updates; returns the last one.
fn all_but_last_agree<T: Config>(task: TaskId, updates: u32, parameters: u32) -> T::AccountId {
	let mut aggregators = selected_aggregators::<T>(task);
	let last = aggregators.pop().expect("at least one aggregator");
	let agreed = payload(PayloadKind::Aggregate, task, 0, parameters, 2);
	for (i, who) in aggregators.into_iter().enumerate() {
		let carried = (i == 0).then(|| agreed.clone().try_into().unwrap());
		Federated::<T>::submit_aggregate(
			RawOrigin::Signed(who).into(),
			task,
			0,
			hash(&agreed),
			scores::<T>(updates),
			carried,
		)
		.unwrap();
	}
	last
}

/// Fills the active-task list with ids of tasks that do not exist (for list-length costs).
fn fill_active<T: Config>(leave_room: u32) {
	let filler: Vec<TaskId> =
		(1_000_000..1_000_000 + T::MaxActiveTasks::get().saturating_sub(leave_room)).collect();
	ActiveTasks::<T>::put(BoundedVec::truncate_from(filler));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_task() {
		fill_active::<T>(1);
		let owner = funded::<T>("owner", 0);
		let spec = spec::<T>(T::MaxTrainersPerRound::get(), T::MaxAggregatorsPerRound::get(), 2);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), spec);

		assert!(Tasks::<T>::contains_key(0));
	}

	#[benchmark]
	fn pause_task() {
		let (task, owner) = create_with::<T>(0, 0, 2);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Paused);
	}

	#[benchmark]
	fn resume_task() {
		let (task, owner) = create_with::<T>(0, 0, 2);
		Federated::<T>::pause_task(RawOrigin::Signed(owner.clone()).into(), task).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Active);
	}

	#[benchmark]
	fn cancel_task() {
		let (task, owner) =
			started::<T>(T::MaxTrainersPerRound::get(), T::MaxAggregatorsPerRound::get(), 2);
		fill_active::<T>(1);
		ActiveTasks::<T>::try_append(task).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Cancelled);
	}

	#[benchmark]
	fn join() {
		let (task, _) = create_with::<T>(0, 0, 2);
		let who = funded::<T>("joiner", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, JoinAs::Aggregator, T::MinAggregatorBond::get());

		assert!(Participants::<T>::contains_key(task, &who));
	}

	#[benchmark]
	fn leave() {
		// Worst case: a full round is open, so the selected lists are searched.
		let (task, _) =
			started::<T>(T::MaxTrainersPerRound::get(), T::MaxAggregatorsPerRound::get(), 2);
		let who = funded::<T>("joiner", 0);
		Federated::<T>::join(
			RawOrigin::Signed(who.clone()).into(),
			task,
			JoinAs::Trainer { dataset: 0 },
			T::MinTrainerBond::get(),
		)
		.unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task);

		assert!(!Participants::<T>::contains_key(task, &who));
	}

	/// The last of `t` trainers commits, which opens the reveal phase.
	#[benchmark]
	fn commit_update(t: Linear<1, { T::MaxTrainersPerRound::get() }>) {
		let (task, _) = started::<T>(t, 1, 2);
		let trainers = selected_trainers::<T>(task);
		let (last, others) = trainers.split_last().unwrap();
		for who in others {
			Federated::<T>::commit_update(
				RawOrigin::Signed(who.clone()).into(),
				task,
				0,
				H256::zero(),
			)
			.unwrap();
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), task, 0, H256::zero());

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::Reveal);
	}

	/// The last of the round's trainers reveals an update of `l` bytes, which opens aggregation.
	#[benchmark]
	fn reveal_update(l: Linear<{ PAYLOAD_HEADER_LEN as u32 + 8 }, { T::MaxPayloadBytes::get() }>) {
		let parameters = parameters_in(l);
		let (task, _) = started::<T>(T::MaxTrainersPerRound::get(), 1, parameters);
		let update = payload(PayloadKind::Update, task, 0, parameters, 1);
		let trainers = selected_trainers::<T>(task);
		for who in &trainers {
			Federated::<T>::commit_update(
				RawOrigin::Signed(who.clone()).into(),
				task,
				0,
				commitment(&update),
			)
			.unwrap();
		}
		let (last, others) = trainers.split_last().unwrap();
		for who in others {
			Federated::<T>::reveal_update(
				RawOrigin::Signed(who.clone()).into(),
				task,
				0,
				update.clone().try_into().unwrap(),
				[0u8; 32],
			)
			.unwrap();
		}
		let update: BoundedVec<u8, T::MaxPayloadBytes> = update.try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), task, 0, update, [0u8; 32]);

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::Aggregate);
	}

	/// The last of `a` aggregators submits, carrying an aggregate of `l` bytes, over `t`
	/// updates; this decides the round (paying, and penalising the last one if it dissents).
	#[benchmark]
	fn submit_aggregate(
		t: Linear<1, { T::MaxTrainersPerRound::get() }>,
		a: Linear<1, { T::MaxAggregatorsPerRound::get() }>,
		l: Linear<{ PAYLOAD_HEADER_LEN as u32 + 8 }, { T::MaxPayloadBytes::get() }>,
	) {
		let parameters = parameters_in(l);
		let (task, _) = started::<T>(t, a, parameters);
		to_aggregation::<T>(task, parameters);
		let last = all_but_last_agree::<T>(task, t, parameters);
		let own = payload(PayloadKind::Aggregate, task, 0, parameters, 3);
		let own_hash = hash(&own);
		let own: BoundedVec<u8, T::MaxPayloadBytes> = own.try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), task, 0, own_hash, scores::<T>(t), Some(own));

		assert!(Rounds::<T>::get(task, 0).unwrap().phase.is_closed());
	}

	/// The hook with `n` active tasks, each with a round under way that is not due.
	#[benchmark]
	fn on_initialize_idle(n: Linear<0, { T::MaxActiveTasks::get() }>) {
		for _ in 0..n {
			started::<T>(1, 1, 2);
		}
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Federated::<T>::on_initialize(now);
		}

		assert_eq!(ActiveTasks::<T>::get().len() as u32, n);
	}

	/// Selecting a round among `p` participants.
	#[benchmark]
	fn start_round(p: Linear<2, { T::MaxParticipants::get() }>) {
		let aggregators = T::MaxAggregatorsPerRound::get().min(p - 1);
		let (task, _) = create_with::<T>(p - aggregators, aggregators, 2);
		let info = Tasks::<T>::get(task).unwrap();
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Federated::<T>::start_round(task, &info, now);
		}

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::Commit);
	}

	/// Deciding a round at the end of its aggregate phase: `t` updates, `a` aggregators of whom
	/// all but one agreed (paid) and one did not submit (penalised).
	#[benchmark]
	fn close_phase(
		t: Linear<1, { T::MaxTrainersPerRound::get() }>,
		a: Linear<1, { T::MaxAggregatorsPerRound::get() }>,
	) {
		let (task, _) = started::<T>(t, a, 2);
		to_aggregation::<T>(task, 2);
		// The last aggregator does not submit: the phase times out.
		all_but_last_agree::<T>(task, t, 2);
		let mut info = Tasks::<T>::get(task).unwrap();
		let mut record = Rounds::<T>::get(task, 0).unwrap();

		#[block]
		{
			Federated::<T>::close_aggregate(task, 0, &mut info, &mut record).unwrap();
		}

		assert!(record.phase.is_closed());
	}

	impl_benchmark_test_suite!(Federated, crate::mock::new_test_ext(), crate::mock::Test);
}
