//! Benchmarks (v2) of every call and of the per-block hook's parts, each in its worst case.

use super::*;
use crate::Pallet as Federated;
use alloc::{vec, vec::Vec};
use cohort_primitives::{
	commitment::{aggregate_commitment, score_commitment, update_commitment},
	dataset::{DatasetRules, MAX_DATASET_ALLOWLIST},
	model::ModelSpec,
	payload::{PayloadHeader, PayloadKind, PAYLOAD_HEADER_LEN},
	round::{Phase, RoundMetrics, MAX_SCORE},
	scaling::{FeatureScaling, FeatureStats, MAX_SCALED_FEATURES},
	task::{
		AggregationRule, DpParams, InitialModel, Optimizer, PhaseLengths, ScoreGate, TrainingParams,
	},
	traits::DataMarket,
	DatasetId, RoundIndex, TaskId, TaskSpec,
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

/// The fewest parameters a benchmark model has (a 1-input, 2-class linear model).
const MIN_PARAMETERS: u32 = 4;

/// What every benchmark account starts with.
fn funds<T: Config>() -> BalanceOf<T> {
	BalanceOf::<T>::max_value() / 1_000_000u32.into()
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	T::Currency::set_balance(&who, funds::<T>());
	who
}

/// A trainer with a dataset listed on the data market that fits the task's model: the one it
/// trains another task of the same model on, if any (so that an owner's datasets stay few),
/// else a new one.
fn trainer_with_dataset<T: Config>(
	name: &'static str,
	index: u32,
	spec: &TaskSpecOf<T>,
) -> (T::AccountId, DatasetId) {
	let who = funded::<T>(name, index);
	let known = Participants::<T>::iter().find_map(|(task, account, p)| {
		let same_model = Tasks::<T>::get(task).is_some_and(|info| info.spec.model == spec.model);
		p.dataset.filter(|_| account == who && same_model).map(|d| d.id)
	});
	let dataset = known
		.unwrap_or_else(|| T::DataMarket::benchmark_dataset(&who, &spec.model, spec.max_samples));
	(who, dataset)
}

/// A task whose payloads carry `parameters` (even, at least [`MIN_PARAMETERS`]) parameters: a
/// `parameters / 2 - 1`-input linear model with two classes, trained with differential privacy
/// (so that every round spends privacy) and paying royalties, with `trainers` trainers and
/// `aggregators` aggregators per round.
fn spec<T: Config>(trainers: u32, aggregators: u32, parameters: u32) -> TaskSpecOf<T> {
	let phase = T::MinPhaseLength::get();
	TaskSpec {
		model: ModelSpec::Mlp { input: parameters / 2 - 1, hidden: BoundedVec::new(), classes: 2 },
		initial_model: InitialModel::Seed(1),
		training: TrainingParams {
			epochs: 1,
			batch_size: 1,
			optimizer: Optimizer::Adam,
			learning_rate_micros: 1_000,
			fedprox_mu_micros: Some(10_000),
			dp: Some(DpParams {
				clip_norm_micros: 1_000_000,
				noise_multiplier_micros: 1_000_000,
				epsilon_micros: 1,
			}),
		},
		scale: 1 << 16,
		aggregation: AggregationRule::WeightedMean,
		gate: ScoreGate {
			accept_within: 250_000,
			accept_spread_percent: 300,
			slash_beyond: 400_000,
			slash_spread_percent: 600,
			min_score: 350_000,
			clip_norm_percent: 300,
			max_weight_percent: 200,
			copy_distance_micros: 10_000,
			min_norm_percent: 5,
			score_tolerance: 300_000,
		},
		max_samples: 1_000,
		rounds: T::MaxRounds::get(),
		min_trainers: 1,
		max_trainers: trainers,
		aggregators,
		quorum: aggregators / 2 + 1,
		phases: PhaseLengths {
			commit: phase,
			reveal: T::MaxPhaseLength::get(),
			score: phase,
			score_reveal: phase,
			aggregate: phase,
			aggregate_reveal: T::MaxPhaseLength::get(),
		},
		max_payload_bytes: T::MaxPayloadBytes::get().min(T::BlockPayloadBytes::get()),
		reward_per_round: T::MinTrainerBond::get(),
		aggregator_share: Perbill::from_percent(30),
		penalty: Perbill::from_percent(10),
		validation_set: H256::repeat_byte(1),
		// Any royalty a benchmark dataset asks is within it.
		datasets: DatasetRules {
			max_royalty: funds::<T>() / 1_000_000u32.into(),
			min_reputation: 0,
			allowlist: BoundedVec::new(),
		},
	}
}

/// The largest even parameter count whose payload fits `bytes`.
fn parameters_in(bytes: u32) -> u32 {
	((bytes - PAYLOAD_HEADER_LEN as u32) / 4) & !1
}

fn payload(
	kind: PayloadKind,
	task: TaskId,
	round: RoundIndex,
	parameters: u32,
	fill: u8,
) -> Vec<u8> {
	// An update claims one sample; an aggregate none.
	let samples = (kind == PayloadKind::Update) as u32;
	let header =
		PayloadHeader { kind, task, round, parameter_count: parameters, scale: 1 << 16, samples };
	let mut bytes = header.to_bytes().to_vec();
	bytes.resize(PAYLOAD_HEADER_LEN + 4 * parameters as usize, fill);
	bytes
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
	// An owner per task: one owner may only have `MaxActiveTasksPerOwner` live tasks.
	let task = NextTaskId::<T>::get();
	let owner = funded::<T>("owner", task);
	Federated::<T>::create_task(
		RawOrigin::Signed(owner.clone()).into(),
		spec::<T>(
			trainers.clamp(1, T::MaxTrainersPerRound::get()),
			aggregators.clamp(1, T::MaxAggregatorsPerRound::get()),
			parameters,
		),
	)
	.expect("valid task");
	let info = Tasks::<T>::get(task).expect("just created");
	for i in 0..trainers {
		let (who, dataset) = trainer_with_dataset::<T>("trainer", i, &info.spec);
		Federated::<T>::join(
			RawOrigin::Signed(who).into(),
			task,
			JoinAs::Trainer { dataset },
			info.min_trainer_bond,
		)
		.expect("joins");
	}
	for i in 0..aggregators {
		let who = funded::<T>("aggregator", i);
		Federated::<T>::join(
			RawOrigin::Signed(who).into(),
			task,
			JoinAs::Aggregator,
			info.min_aggregator_bond,
		)
		.expect("joins");
	}
	(task, owner)
}

/// A task whose first round has started with every participant selected.
fn started<T: Config>(trainers: u32, aggregators: u32, parameters: u32) -> (TaskId, T::AccountId) {
	let (task, owner) = create_with::<T>(trainers, aggregators, parameters);
	let mut info = Tasks::<T>::get(task).unwrap();
	assert!(Federated::<T>::start_round(
		task,
		&mut info,
		frame_system::Pallet::<T>::block_number(),
		&[]
	));
	Tasks::<T>::insert(task, info);
	(task, owner)
}

fn selected_trainers<T: Config>(task: TaskId) -> Vec<T::AccountId> {
	Rounds::<T>::get(task, 0).unwrap().trainers.iter().map(|t| t.who.clone()).collect()
}

fn selected_aggregators<T: Config>(task: TaskId) -> Vec<T::AccountId> {
	Rounds::<T>::get(task, 0).unwrap().aggregators.iter().map(|a| a.who.clone()).collect()
}

/// A distinct update for each trainer (its first parameter is the trainer's number).
fn update_for(task: TaskId, parameters: u32, i: usize) -> Vec<u8> {
	let mut update = payload(PayloadKind::Update, task, 0, parameters, 1);
	update[PAYLOAD_HEADER_LEN..PAYLOAD_HEADER_LEN + 4].copy_from_slice(&(i as u32).to_le_bytes());
	update
}

/// Commits every selected trainer's update, then reveals all but the last `keep` of them.
fn commit_and_reveal<T: Config>(task: TaskId, parameters: u32, keep: usize) -> Vec<T::AccountId> {
	let trainers = selected_trainers::<T>(task);
	for (i, who) in trainers.iter().enumerate() {
		let update = update_for(task, parameters, i);
		Federated::<T>::commit_update(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			update_commitment(who, task, 0, &update, &[0u8; 32]),
		)
		.unwrap();
	}
	for (i, who) in trainers.iter().enumerate().take(trainers.len() - keep) {
		Federated::<T>::reveal_update(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			update_for(task, parameters, i).try_into().unwrap(),
			[0u8; 32],
		)
		.unwrap();
	}
	trainers
}

/// `count` scores: `first` for the first update, `rest` for every other.
fn scores<T: Config>(count: u32, first: u32, rest: u32) -> BoundedVec<u32, T::MaxTrainersPerRound> {
	let mut scores = vec![rest; count as usize];
	if let Some(s) = scores.first_mut() {
		*s = first;
	}
	BoundedVec::truncate_from(scores)
}

const METRICS: RoundMetrics = RoundMetrics { loss_micros: 500_000, accuracy_micros: 900_000 };

/// Every selected aggregator commits to scores of `first` for the first revealed update and
/// `rest` for every other; all but the last `keep` reveal them. Returns the aggregators.
fn score_all<T: Config>(task: TaskId, first: u32, rest: u32, keep: usize) -> Vec<T::AccountId> {
	let updates = Rounds::<T>::get(task, 0).unwrap().revealed_updates().count() as u32;
	let aggregators = selected_aggregators::<T>(task);
	for who in aggregators.iter() {
		Federated::<T>::commit_scores(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			score_commitment(who, task, 0, &scores::<T>(updates, first, rest), &[0u8; 32]),
		)
		.unwrap();
	}
	for who in aggregators.iter().take(aggregators.len() - keep) {
		Federated::<T>::reveal_scores(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			scores::<T>(updates, first, rest),
			[0u8; 32],
		)
		.unwrap();
	}
	aggregators
}

/// Moves the round to its aggregate phase: every trainer revealed, every update accepted.
fn to_aggregation<T: Config>(task: TaskId, parameters: u32) {
	commit_and_reveal::<T>(task, parameters, 0);
	score_all::<T>(task, 800_000, 800_000, 0);
	assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::Aggregate);
}

/// Moves the round to its aggregate reveal phase: every trainer revealed, every update
/// accepted, every selected aggregator committed to the agreed aggregate, except the last,
/// which committed to `last`'s own aggregate. Returns the aggregators.
fn to_aggregate_reveal<T: Config>(task: TaskId, parameters: u32, last: &[u8]) -> Vec<T::AccountId> {
	to_aggregation::<T>(task, parameters);
	let aggregators = selected_aggregators::<T>(task);
	let agreed = payload(PayloadKind::Aggregate, task, 0, parameters, 2);
	for (i, who) in aggregators.iter().enumerate() {
		let result = if i + 1 == aggregators.len() { hash(last) } else { hash(&agreed) };
		Federated::<T>::commit_aggregate(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			aggregate_commitment(who, task, 0, &result, &METRICS, &[0u8; 32]),
		)
		.unwrap();
	}
	aggregators
}

/// Every selected aggregator but the last reveals the agreed aggregate (the first carrying its
/// payload).
fn all_but_last_reveal<T: Config>(task: TaskId, aggregators: &[T::AccountId], parameters: u32) {
	let agreed = payload(PayloadKind::Aggregate, task, 0, parameters, 2);
	for (i, who) in aggregators.iter().take(aggregators.len() - 1).enumerate() {
		let carried = (i == 0).then(|| agreed.clone().try_into().unwrap());
		Federated::<T>::reveal_aggregate(
			RawOrigin::Signed(who.clone()).into(),
			task,
			0,
			hash(&agreed),
			METRICS,
			[0u8; 32],
			carried,
		)
		.unwrap();
	}
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
		let spec = spec::<T>(
			T::MaxTrainersPerRound::get(),
			T::MaxAggregatorsPerRound::get(),
			MIN_PARAMETERS,
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), spec);

		assert!(Tasks::<T>::contains_key(0));
	}

	#[benchmark]
	fn pause_task() {
		let (task, owner) = create_with::<T>(0, 0, MIN_PARAMETERS);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Paused);
	}

	#[benchmark]
	fn resume_task() {
		let (task, owner) = create_with::<T>(0, 0, MIN_PARAMETERS);
		Federated::<T>::pause_task(RawOrigin::Signed(owner.clone()).into(), task).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Active);
	}

	/// Cancelling once every update is revealed (scoring open), with `t` revealed updates to
	/// pay, each with a royalty to its dataset's owner settled through the data market.
	#[benchmark]
	fn cancel_task(t: Linear<1, { T::MaxTrainersPerRound::get() }>) {
		let (task, owner) = started::<T>(t, T::MaxAggregatorsPerRound::get(), MIN_PARAMETERS);
		commit_and_reveal::<T>(task, MIN_PARAMETERS, 0);
		fill_active::<T>(1);
		ActiveTasks::<T>::try_append(task).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Cancelled);
	}

	/// A trainer joining a task whose allowlist holds `n` accounts, the joiner last, and whose
	/// dataset list is full, the joiner's dataset last.
	#[benchmark]
	fn join(n: Linear<0, { T::MaxAllowlist::get() }>) {
		let owner = funded::<T>("owner", 0);
		let mut spec =
			spec::<T>(T::MaxTrainersPerRound::get(), T::MaxAggregatorsPerRound::get(), 4);
		let (who, dataset) = trainer_with_dataset::<T>("joiner", 0, &spec);
		let mut allowed: Vec<DatasetId> =
			(1..MAX_DATASET_ALLOWLIST as u64).map(|i| dataset.wrapping_add(i)).collect();
		allowed.push(dataset);
		spec.datasets.allowlist = BoundedVec::truncate_from(allowed);
		let task = NextTaskId::<T>::get();
		Federated::<T>::create_task(RawOrigin::Signed(owner.clone()).into(), spec)
			.expect("valid task");
		if n > 0 {
			let mut list: Vec<T::AccountId> = (1..n).map(|i| account("listed", i, SEED)).collect();
			list.push(who.clone());
			Federated::<T>::set_allowlist(
				RawOrigin::Signed(owner).into(),
				task,
				BoundedVec::truncate_from(list),
			)
			.unwrap();
		}
		let bond = Tasks::<T>::get(task).unwrap().min_trainer_bond;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, JoinAs::Trainer { dataset }, bond);

		assert!(Participants::<T>::contains_key(task, &who));
	}

	#[benchmark]
	fn leave() {
		// Worst case: a full round is open, so the selected lists are searched.
		let (task, _) = started::<T>(
			T::MaxTrainersPerRound::get(),
			T::MaxAggregatorsPerRound::get(),
			MIN_PARAMETERS,
		);
		let info = Tasks::<T>::get(task).unwrap();
		let (who, dataset) = trainer_with_dataset::<T>("joiner", 0, &info.spec);
		Federated::<T>::join(
			RawOrigin::Signed(who.clone()).into(),
			task,
			JoinAs::Trainer { dataset },
			info.min_trainer_bond,
		)
		.unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task);

		assert!(!Participants::<T>::contains_key(task, &who));
	}

	#[benchmark]
	fn bond_extra() {
		let (task, _) = started::<T>(1, 1, MIN_PARAMETERS);
		let info = Tasks::<T>::get(task).unwrap();
		let (who, dataset) = trainer_with_dataset::<T>("topper", 0, &info.spec);
		Federated::<T>::join(
			RawOrigin::Signed(who.clone()).into(),
			task,
			JoinAs::Trainer { dataset },
			info.min_trainer_bond,
		)
		.unwrap();
		let extra = info.min_trainer_bond;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, extra);

		let bond = Participants::<T>::get(task, &who).unwrap().bond;
		assert_eq!(bond, info.min_trainer_bond.saturating_add(extra));
	}

	/// The last of `t` trainers commits, which opens the reveal phase.
	#[benchmark]
	fn commit_update(t: Linear<1, { T::MaxTrainersPerRound::get() }>) {
		let (task, _) = started::<T>(t, 1, MIN_PARAMETERS);
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

	/// The last of `t` trainers reveals an update of `l` bytes (checked against the `t - 1`
	/// revealed before it), which opens scoring.
	#[benchmark]
	fn reveal_update(
		l: Linear<
			{ PAYLOAD_HEADER_LEN as u32 + 4 * MIN_PARAMETERS },
			{ T::MaxPayloadBytes::get().min(T::BlockPayloadBytes::get()) },
		>,
		t: Linear<1, { T::MaxTrainersPerRound::get() }>,
	) {
		let parameters = parameters_in(l);
		let (task, _) = started::<T>(t, 1, parameters);
		let trainers = commit_and_reveal::<T>(task, parameters, 1);
		let last = trainers.last().unwrap().clone();
		let update: BoundedVec<u8, T::MaxPayloadBytes> =
			update_for(task, parameters, trainers.len() - 1).try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), task, 0, update, [0u8; 32]);

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::Score);
	}

	/// The last of `a` aggregators commits to scores, which opens the score reveal phase.
	#[benchmark]
	fn commit_scores(a: Linear<1, { T::MaxAggregatorsPerRound::get() }>) {
		let (task, _) = started::<T>(1, a, MIN_PARAMETERS);
		commit_and_reveal::<T>(task, MIN_PARAMETERS, 0);
		let aggregators = selected_aggregators::<T>(task);
		let (last, others) = aggregators.split_last().unwrap();
		for who in others {
			Federated::<T>::commit_scores(
				RawOrigin::Signed(who.clone()).into(),
				task,
				0,
				H256::zero(),
			)
			.unwrap();
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), task, 0, H256::zero());

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::ScoreReveal);
	}

	/// The last of `a` aggregators reveals scores of `t` updates, which fixes the accepted set:
	/// the worst case judges every update, accepts the first and rejects every other far below
	/// it (a slash per trainer but one), and opens aggregation.
	#[benchmark]
	fn reveal_scores(
		t: Linear<1, { T::MaxTrainersPerRound::get() }>,
		a: Linear<1, { T::MaxAggregatorsPerRound::get() }>,
	) {
		let (task, _) = started::<T>(t, a, MIN_PARAMETERS);
		commit_and_reveal::<T>(task, MIN_PARAMETERS, 0);
		let aggregators = score_all::<T>(task, MAX_SCORE, 0, 1);
		let last = aggregators.last().unwrap().clone();
		let updates = selected_trainers::<T>(task).len() as u32;

		#[extrinsic_call]
		_(RawOrigin::Signed(last), task, 0, scores::<T>(updates, MAX_SCORE, 0), [0u8; 32]);

		let round = Rounds::<T>::get(task, 0).unwrap();
		assert_eq!(round.phase, Phase::Aggregate);
		assert_eq!(round.accepted_updates().count(), 1);
	}

	/// The last of `a` aggregators commits, which opens the aggregate reveal phase.
	#[benchmark]
	fn commit_aggregate(a: Linear<1, { T::MaxAggregatorsPerRound::get() }>) {
		let (task, _) = started::<T>(1, a, MIN_PARAMETERS);
		to_aggregation::<T>(task, MIN_PARAMETERS);
		let aggregators = selected_aggregators::<T>(task);
		let (last, others) = aggregators.split_last().unwrap();
		for who in others {
			Federated::<T>::commit_aggregate(
				RawOrigin::Signed(who.clone()).into(),
				task,
				0,
				H256::zero(),
			)
			.unwrap();
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), task, 0, H256::zero());

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::AggregateReveal);
	}

	/// The last of `a` aggregators reveals, carrying an aggregate of `l` bytes of its own, over
	/// `t` updates; this decides the round (paying everyone else, penalising it as a dissenter).
	#[benchmark]
	fn reveal_aggregate(
		t: Linear<1, { T::MaxTrainersPerRound::get() }>,
		a: Linear<1, { T::MaxAggregatorsPerRound::get() }>,
		l: Linear<
			{ PAYLOAD_HEADER_LEN as u32 + 4 * MIN_PARAMETERS },
			{ T::MaxPayloadBytes::get().min(T::BlockPayloadBytes::get()) },
		>,
	) {
		let parameters = parameters_in(l);
		// Two cannot have one dissent and still reach the quorum (the round would not decide: a
		// cheaper path that skews the sweep), so fewer than three are measured as three.
		let (task, _) = started::<T>(t, a.max(3), parameters);
		let own = payload(PayloadKind::Aggregate, task, 0, parameters, 3);
		let aggregators = to_aggregate_reveal::<T>(task, parameters, &own);
		all_but_last_reveal::<T>(task, &aggregators, parameters);
		let last = aggregators.last().unwrap().clone();
		let own_hash = hash(&own);
		let own: BoundedVec<u8, T::MaxPayloadBytes> = own.try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), task, 0, own_hash, METRICS, [0u8; 32], Some(own));

		assert!(Rounds::<T>::get(task, 0).unwrap().phase.is_closed());
	}

	/// Setting an allowlist of `n` accounts (the deposit grows).
	#[benchmark]
	fn set_allowlist(n: Linear<0, { T::MaxAllowlist::get() }>) {
		let (task, owner) = create_with::<T>(0, 0, MIN_PARAMETERS);
		let list: Vec<T::AccountId> = (0..n).map(|i| account("listed", i, SEED)).collect();
		let list = BoundedVec::truncate_from(list);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task, list);

		assert_eq!(Tasks::<T>::get(task).unwrap().allowlist_len, n);
	}

	/// Fixing a scaling of `f` features (the model takes `f` inputs; the deposit grows).
	#[benchmark]
	fn set_feature_scaling(f: Linear<1, MAX_SCALED_FEATURES>) {
		let (task, owner) = create_with::<T>(0, 0, MIN_PARAMETERS);
		// Only the model's input count matters here, not whether a model of `f` inputs fits a
		// test runtime's payload limit.
		Tasks::<T>::mutate(task, |info| {
			info.as_mut().expect("just created").spec.model =
				ModelSpec::Mlp { input: f, hidden: BoundedVec::new(), classes: 2 }
		});
		let scaling =
			FeatureScaling::truncate_from(vec![
				FeatureStats { mean: i64::MIN, deviation: u64::MAX };
				f as usize
			]);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task, scaling);

		assert_eq!(FeatureScalings::<T>::decode_len(task), Some(f as usize));
	}

	/// Publishing an initial model of `l` bytes (hashed whole, its header checked).
	#[benchmark]
	fn publish_initial_model(
		l: Linear<
			{ PAYLOAD_HEADER_LEN as u32 + 4 * MIN_PARAMETERS },
			{ T::MaxPayloadBytes::get().min(T::BlockPayloadBytes::get()) },
		>,
	) {
		let parameters = parameters_in(l);
		let (task, owner) = create_with::<T>(0, 0, parameters);
		let model = payload(PayloadKind::Initial, 0, 0, parameters, 3);
		Tasks::<T>::mutate(task, |info| {
			info.as_mut().expect("just created").spec.initial_model =
				InitialModel::Hash(hash(&model))
		});
		let model = BoundedVec::try_from(model).expect("within the payload limit");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task, model);

		assert!(Tasks::<T>::get(task).unwrap().global_model.is_some());
	}

	/// Pruning an ended task with `p` participants left and `r` round summaries.
	#[benchmark]
	fn prune_task(
		p: Linear<
			0,
			{ T::MaxTrainersPerTask::get().saturating_add(T::MaxAggregatorsPerTask::get()) },
		>,
		r: Linear<0, { T::MaxRounds::get() }>,
	) {
		let trainers = p.min(T::MaxTrainersPerTask::get());
		let (task, owner) = create_with::<T>(trainers, p - trainers, MIN_PARAMETERS);
		let summary = crate::RoundSummaryOf::<T> {
			outcome: Phase::Failed { reason: cohort_primitives::round::FailReason::NoQuorum },
			started: frame_system::Pallet::<T>::block_number(),
			updates: 0,
			accepted: 0,
			metrics: None,
			paid: 0u32.into(),
			royalties: 0u32.into(),
		};
		for index in 0..r {
			crate::RoundSummaries::<T>::insert(task, index, summary.clone());
		}
		Federated::<T>::cancel_task(RawOrigin::Signed(owner.clone()).into(), task).unwrap();
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::TaskRetention::get());
		frame_system::Pallet::<T>::set_block_number(later);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);

		assert!(!Tasks::<T>::contains_key(task));
	}

	/// The hook with `n` active tasks, each with a round under way that is not due.
	#[benchmark]
	fn on_initialize_idle(n: Linear<0, { T::MaxActiveTasks::get() }>) {
		for _ in 0..n {
			started::<T>(1, 1, MIN_PARAMETERS);
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
	fn start_round(
		p: Linear<
			2,
			{ T::MaxTrainersPerTask::get().saturating_add(T::MaxAggregatorsPerTask::get()) },
		>,
	) {
		let aggregators = T::MaxAggregatorsPerTask::get().min(p - 1);
		let (task, _) = create_with::<T>(p - aggregators, aggregators, MIN_PARAMETERS);
		let mut info = Tasks::<T>::get(task).unwrap();
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Federated::<T>::start_round(task, &mut info, now, &[]);
		}

		assert_eq!(Rounds::<T>::get(task, 0).unwrap().phase, Phase::Commit);
	}

	/// Deciding a round at the end of its aggregate reveal phase: `t` updates, `a` aggregators
	/// of whom all but one revealed the agreed result (paid) and one did not reveal
	/// (penalised).
	#[benchmark]
	fn close_phase(
		t: Linear<1, { T::MaxTrainersPerRound::get() }>,
		a: Linear<1, { T::MaxAggregatorsPerRound::get() }>,
	) {
		// Fewer than three cannot leave one out and still reach the quorum: the close would not
		// decide (a cheaper path that skews the sweep), so they are measured as three.
		let (task, _) = started::<T>(t, a.max(3), MIN_PARAMETERS);
		let agreed = payload(PayloadKind::Aggregate, task, 0, MIN_PARAMETERS, 2);
		let aggregators = to_aggregate_reveal::<T>(task, MIN_PARAMETERS, &agreed);
		all_but_last_reveal::<T>(task, &aggregators, MIN_PARAMETERS);
		let mut info = Tasks::<T>::get(task).unwrap();
		let mut record = Rounds::<T>::get(task, 0).unwrap();
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Federated::<T>::close_aggregate(task, 0, &mut info, &mut record, now).unwrap();
		}

		assert!(record.phase.is_closed());
	}

	/// The hook expiring one task in which no round ever started.
	#[benchmark]
	fn expire_task() {
		let (task, _) = create_with::<T>(0, 0, MIN_PARAMETERS);
		let now = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::TaskExpiry::get())
			.saturating_add(1u32.into());

		#[block]
		{
			Federated::<T>::on_initialize(now);
		}

		assert_eq!(Tasks::<T>::get(task).unwrap().status, cohort_primitives::TaskStatus::Expired);
	}

	impl_benchmark_test_suite!(Federated, crate::mock::new_test_ext(), crate::mock::Test);
}
