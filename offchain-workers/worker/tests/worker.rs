//! The worker against a fake chain: the whole duty cycle for two trainers and an aggregator,
//! a restart between commit and reveal, and no repeated submissions.

use std::{cell::RefCell, collections::HashMap};

use cohort_ml::{codec, dataset::Dataset, Device};
use cohort_primitives::{
	api::{Duty, Membership},
	task::{DpParams, Optimizer, PhaseLengths, TrainingParams},
	AggregationRule, ModelSpec, PayloadKind, PayloadRef, TaskInfo, TaskSpec, TaskStatus,
};
use cohort_worker::{
	chain::{AccountId, BlockNumber, Payload, Task, WorkerDuty},
	data::DataDir,
	Action, AutoJoin, Chain, ChainError, Participant, Worker,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::Perbill;

#[derive(Default)]
struct FakeChain {
	now: BlockNumber,
	duties: HashMap<AccountId, Vec<WorkerDuty>>,
	task: Option<Task>,
	payloads: HashMap<H256, Vec<u8>>,
	submitted: RefCell<Vec<(sr25519::Public, Action)>>,
}

impl Chain for FakeChain {
	fn best_number(&self) -> BlockNumber {
		self.now
	}
	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError> {
		Ok(self.duties.get(who).cloned().unwrap_or_default())
	}
	fn memberships(&self, _: &AccountId) -> Result<Vec<Membership>, ChainError> {
		Ok(vec![])
	}
	fn task(&self, task: u32) -> Result<Option<Task>, ChainError> {
		Ok(if task == 0 { self.task.clone() } else { None })
	}
	fn payload(&self, at: &Payload) -> Result<Vec<u8>, ChainError> {
		self.payloads.get(&at.hash).cloned().ok_or(ChainError("no such payload".into()))
	}
	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<(), ChainError> {
		self.submitted.borrow_mut().push((*signer, action));
		Ok(())
	}
}

fn key(uri: &str) -> sr25519::Public {
	sr25519::Pair::from_string(uri, None).unwrap().public()
}

fn task(validation: H256) -> Task {
	let spec = TaskSpec {
		model: ModelSpec::Mlp { input: 64, hidden: vec![16].try_into().unwrap(), classes: 10 },
		initial_model: cohort_primitives::task::InitialModel::Seed(9),
		training: TrainingParams {
			epochs: 2,
			batch_size: 16,
			optimizer: Optimizer::Sgd,
			learning_rate_micros: 100_000,
			fedprox_mu_micros: Some(10_000),
			dp: Some(DpParams { clip_norm_micros: 50_000_000, noise_multiplier_micros: 1_000 }),
		},
		scale: 1 << 16,
		aggregation: AggregationRule::WeightedMean,
		rounds: 3,
		min_trainers: 2,
		max_trainers: 2,
		aggregators: 1,
		quorum: 1,
		phases: PhaseLengths { commit: 5, reveal: 5, aggregate: 5 },
		max_payload_bytes: 1 << 20,
		reward_per_round: 100,
		aggregator_share: Perbill::from_percent(10),
		penalty: Perbill::from_percent(10),
		validation_set: validation,
	};
	TaskInfo {
		owner: AccountId::new([0; 32]),
		parameter_count: spec.model.parameter_count().unwrap() as u32,
		spec,
		status: TaskStatus::Active,
		budget: 300,
		next_round: 0,
		global_model: None,
		trainers: 2,
		aggregators: 1,
		created: 1,
	}
}

fn participants() -> Vec<Participant> {
	["//Charlie", "//Dave", "//Alice//stash"]
		.iter()
		.map(|uri| Participant { public: key(uri), name: uri.to_string(), auto_join: None })
		.collect()
}

fn submitted(chain: &FakeChain) -> Vec<(sr25519::Public, Action)> {
	chain.submitted.borrow_mut().drain(..).collect()
}

#[test]
fn train_commit_restart_reveal_aggregate() {
	let dir = tempfile::tempdir().unwrap();
	let mut data = DataDir::open(dir.path()).unwrap();
	let validation = cohort_worker::dev::prepare(&mut data).unwrap();
	let (charlie, dave, aggregator) = (key("//Charlie"), key("//Dave"), key("//Alice//stash"));
	let mut chain = FakeChain { now: 10, task: Some(task(validation)), ..Default::default() };
	for (who, dataset) in [(charlie, 1), (dave, 2)] {
		chain.duties.insert(
			who.into(),
			vec![Duty::Train { task: 0, round: 0, dataset, global_model: None, commit_by: 15 }],
		);
	}

	// Training: one commitment each; the next block does not repeat them.
	let mut worker = Worker::new(
		participants(),
		DataDir::open(dir.path()).unwrap(),
		cohort_ml::opencl::Aggregator::cpu(),
	)
	.unwrap();
	worker.on_block(&chain);
	let commits = submitted(&chain);
	assert_eq!(commits.len(), 2);
	let commitment = |who| match commits.iter().find(|(s, _)| *s == who).unwrap().1 {
		Action::Commit { task: 0, round: 0, commitment } => commitment,
		ref other => panic!("{other:?}"),
	};
	chain.now = 11;
	worker.on_block(&chain);
	assert!(submitted(&chain).is_empty());
	drop(worker);

	// After a restart, the reveal duty finds the journaled update behind each commitment.
	for who in [charlie, dave] {
		chain.duties.insert(
			who.into(),
			vec![Duty::Reveal { task: 0, round: 0, commitment: commitment(who), reveal_by: 20 }],
		);
	}
	let mut worker = Worker::new(
		participants(),
		DataDir::open(dir.path()).unwrap(),
		cohort_ml::opencl::Aggregator::cpu(),
	)
	.unwrap();
	worker.on_block(&chain);
	let mut refs = Vec::new();
	for (who, action) in submitted(&chain) {
		let Action::Reveal { task: 0, round: 0, update, salt } = action else { panic!() };
		assert_eq!(codec::commitment(&update, &salt), commitment(who));
		let hash = codec::payload_hash(&update);
		chain.payloads.insert(hash, update.clone());
		refs.push((
			AccountId::from(who),
			PayloadRef { hash, len: update.len() as u32, block: 12, extrinsic_index: 1 },
		));
	}
	assert_eq!(refs.len(), 2);

	// Aggregation: the aggregate is the global model plus the mean update, with a score each.
	chain.duties.clear();
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::Aggregate {
			task: 0,
			round: 0,
			global_model: None,
			updates: refs.clone(),
			payload_known: vec![],
			submit_by: 30,
		}],
	);
	worker.on_block(&chain);
	let actions = submitted(&chain);
	let [(who, Action::Aggregate { task: 0, round: 0, aggregate, scores, payload: Some(payload) })] =
		&actions[..]
	else {
		panic!("{actions:?}")
	};
	assert_eq!(*who, aggregator);
	assert_eq!(scores.len(), 2);
	assert_eq!(codec::payload_hash(payload), *aggregate);
	let (header, model) = codec::decode(payload).unwrap();
	assert_eq!(header.kind, PayloadKind::Aggregate);
	let arch =
		cohort_ml::model::Architecture::of(&chain.task.as_ref().unwrap().spec.model).unwrap();
	let start = codec::quantize(&arch.initial_parameters(9), 1 << 16).unwrap();
	let updates: Vec<Vec<i32>> =
		refs.iter().map(|(_, r)| codec::decode(&chain.payloads[&r.hash]).unwrap().1).collect();
	let mean = cohort_ml::aggregate::aggregate(
		&AggregationRule::WeightedMean,
		&updates
			.iter()
			.map(|u| cohort_ml::aggregate::Update { values: u, weight: 1 })
			.collect::<Vec<_>>(),
	)
	.unwrap();
	assert_eq!(model, cohort_ml::aggregate::apply(&start, &mean).unwrap());

	// Once an earlier aggregator carried this payload, a second one sends only the hash.
	chain.duties.insert(
		key("//Alice//stash").into(),
		vec![Duty::Aggregate {
			task: 0,
			round: 0,
			global_model: None,
			updates: refs,
			payload_known: vec![*aggregate],
			submit_by: 30,
		}],
	);
	chain.now += cohort_worker::journal::RETRY_BLOCKS;
	worker.on_block(&chain);
	let again = submitted(&chain);
	assert!(matches!(&again[..], [(_, Action::Aggregate { payload: None, .. })]), "{again:?}");
	// The global model evaluates the same as the worker logged it; sanity of the data set.
	let set = Dataset::from_bytes(
		&std::fs::read(dir.path().join("validation").join(format!("{validation:?}.cohd"))).unwrap(),
	)
	.unwrap();
	assert_eq!(set.hash(), validation);
	let _ = Device::flex();
}

#[test]
fn simulated_owners_join_tasks_their_data_fits() {
	let dir = tempfile::tempdir().unwrap();
	let mut data = DataDir::open(dir.path()).unwrap();
	let validation = cohort_worker::dev::prepare(&mut data).unwrap();
	let participants: Vec<Participant> = cohort_worker::dev::participants()
		.into_iter()
		.map(|(uri, auto_join)| Participant {
			public: key(uri),
			name: uri.into(),
			auto_join: Some(auto_join),
		})
		.collect();
	let chain = FakeChain { now: 3, task: Some(task(validation)), ..Default::default() };
	let mut worker = Worker::new(participants, data, cohort_ml::opencl::Aggregator::cpu()).unwrap();
	worker.on_block(&chain);
	let joins = submitted(&chain);
	let trainers = joins
		.iter()
		.filter(|(_, a)| matches!(a, Action::Join { task: 0, dataset: Some(_), .. }))
		.count();
	let aggregators = joins
		.iter()
		.filter(|(_, a)| matches!(a, Action::Join { task: 0, dataset: None, .. }))
		.count();
	assert_eq!((trainers, aggregators), (cohort_worker::dev::OWNERS, 3));
	let _ = AutoJoin::Aggregator { bond: 1 };
}
