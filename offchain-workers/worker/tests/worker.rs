//! The worker against a fake chain: the whole duty cycle of a round (trainers commit and reveal
//! updates, aggregators commit and reveal scores, then results), restarts, a full journal, a
//! torn journal, deadlines too close, extrinsics the runtime refuses, failures logged once, the
//! dev cheaters and the dev poisoners.

use std::{
	cell::{Cell, RefCell},
	collections::HashMap,
	path::Path,
	sync::Mutex,
	time::Duration,
};

use cohort_ml::codec;
use cohort_primitives::{
	api::{AcceptedUpdate, Duty, Membership, PendingReward, Rewards},
	commitment::{aggregate_commitment, score_commitment, update_commitment},
	compute::{
		challenge_commitment, Backends, ComputeDuty, Hardware, Lease, LeaseId, Offer, OfferStatus,
	},
	dataset::ContentCommitment,
	scaling::FeatureStats,
	task::{DpParams, Optimizer, PhaseLengths, TrainingParams},
	traits::Role,
	AggregationRule, DatasetId, DatasetInfo, ModelSpec, PayloadKind, PayloadRef, RoundIndex,
	RoundMetrics, ScoreGate, TaskId, TaskInfo, TaskSpec, TaskStatus,
};
use cohort_worker::{
	chain::{
		AccountId, AggregatorView, Balance, BlockNumber, ComputeLease, ComputeOffer,
		ComputeWorkerDuty, DatasetView, Payload, Task, TrainerView, WorkerDuty,
	},
	data::DataDir,
	journal::{Journal, Key, Kind, Status, RETRY_BLOCKS},
	worker::{
		COMPUTE_RESEND_BLOCKS, DATA_CHECK_EVERY, REWARDS_EVERY, SETTLE_AT_LEAST, SETTLE_EVERY,
	},
	Action, AutoJoin, Behaviour, Chain, ChainError, Outcome, Participant, RoundView, Worker,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::Perbill;

struct FakeChain {
	now: BlockNumber,
	block_time: Duration,
	duties: HashMap<AccountId, Vec<WorkerDuty>>,
	compute_duties: HashMap<AccountId, Vec<ComputeWorkerDuty>>,
	offers: HashMap<AccountId, ComputeOffer>,
	leases: HashMap<LeaseId, ComputeLease>,
	memberships: HashMap<AccountId, Vec<Membership>>,
	tasks: HashMap<TaskId, Task>,
	scalings: HashMap<TaskId, Vec<FeatureStats>>,
	rounds: HashMap<(TaskId, RoundIndex), RoundView>,
	payloads: HashMap<H256, Vec<u8>>,
	rewards: HashMap<AccountId, Rewards<u128>>,
	/// The data market's datasets: the dev ones, listed with what their files commit to.
	datasets: HashMap<DatasetId, DatasetView>,
	/// Whether reading a dataset fails (a node that does not answer).
	datasets_unreadable: bool,
	/// What was submitted since the test last looked, with the extrinsic hash handed out.
	submitted: RefCell<Vec<(sr25519::Public, Action, H256)>>,
	/// Each block's outcomes, as the test decides them.
	blocks: HashMap<BlockNumber, Vec<Outcome>>,
	sent: Cell<u64>,
}

impl FakeChain {
	fn new(now: BlockNumber, task: Task) -> Self {
		Self {
			now,
			block_time: Duration::from_secs(6),
			duties: HashMap::new(),
			compute_duties: HashMap::new(),
			offers: HashMap::new(),
			leases: HashMap::new(),
			memberships: HashMap::new(),
			tasks: [(0, task)].into(),
			scalings: HashMap::new(),
			rounds: HashMap::new(),
			payloads: HashMap::new(),
			rewards: HashMap::new(),
			datasets: cohort_worker::dev::datasets()
				.into_iter()
				.map(|(id, data)| (id, listed(ContentCommitment::File(data.hash()))))
				.collect(),
			datasets_unreadable: false,
			submitted: RefCell::new(Vec::new()),
			blocks: HashMap::new(),
			sent: Cell::new(0),
		}
	}

	fn take(&self) -> Vec<(sr25519::Public, Action, H256)> {
		self.submitted.borrow_mut().drain(..).collect()
	}

	/// Moves to the next block, which carries `outcomes`.
	fn next_block(&mut self, outcomes: Vec<Outcome>) {
		self.now += 1;
		self.blocks.insert(self.now, outcomes);
	}
}

impl Chain for FakeChain {
	fn best_number(&self) -> BlockNumber {
		self.now
	}
	fn block_time(&self) -> Duration {
		self.block_time
	}
	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError> {
		Ok(self.duties.get(who).cloned().unwrap_or_default())
	}
	fn compute_duties(&self, who: &AccountId) -> Result<Vec<ComputeWorkerDuty>, ChainError> {
		Ok(self.compute_duties.get(who).cloned().unwrap_or_default())
	}
	fn offer(&self, who: &AccountId) -> Result<Option<ComputeOffer>, ChainError> {
		Ok(self.offers.get(who).cloned())
	}
	fn lease(&self, lease: LeaseId) -> Result<Option<ComputeLease>, ChainError> {
		Ok(self.leases.get(&lease).cloned())
	}
	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError> {
		Ok(self.memberships.get(who).cloned().unwrap_or_default())
	}
	fn task(&self, task: TaskId) -> Result<Option<Task>, ChainError> {
		Ok(self.tasks.get(&task).cloned())
	}
	fn feature_scaling(&self, task: TaskId) -> Result<Option<Vec<FeatureStats>>, ChainError> {
		Ok(self.scalings.get(&task).cloned())
	}
	fn dataset(&self, id: DatasetId) -> Result<Option<DatasetView>, ChainError> {
		if self.datasets_unreadable {
			return Err(ChainError("the node did not answer".into()));
		}
		Ok(self.datasets.get(&id).cloned())
	}
	fn pending_rewards(&self, who: &AccountId) -> Result<Rewards<u128>, ChainError> {
		Ok(self.rewards.get(who).cloned().unwrap_or(Rewards { current_era: 0, pending: vec![] }))
	}
	fn round(&self, task: TaskId, round: RoundIndex) -> Result<Option<RoundView>, ChainError> {
		Ok(self.rounds.get(&(task, round)).cloned())
	}
	fn payload(&self, at: &Payload) -> Result<Vec<u8>, ChainError> {
		self.payloads.get(&at.payload_hash).cloned().ok_or(ChainError("no such payload".into()))
	}
	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<H256, ChainError> {
		self.sent.set(self.sent.get() + 1);
		let hash = H256::from_low_u64_be(self.sent.get());
		self.submitted.borrow_mut().push((*signer, action, hash));
		Ok(hash)
	}
	fn outcomes(&self, number: BlockNumber) -> Result<Option<Vec<Outcome>>, ChainError> {
		Ok((number <= self.now).then(|| self.blocks.get(&number).cloned().unwrap_or_default()))
	}
}

/// Log lines, captured for every test of this binary (tests tell theirs apart by key names).
static LINES: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
	fn enabled(&self, _: &log::Metadata) -> bool {
		true
	}
	fn log(&self, record: &log::Record) {
		LINES.lock().unwrap().push((record.level(), record.args().to_string()));
	}
	fn flush(&self) {}
}

fn capture_logs() {
	static ONCE: std::sync::Once = std::sync::Once::new();
	ONCE.call_once(|| {
		log::set_logger(&Capture).unwrap();
		log::set_max_level(log::LevelFilter::Debug);
	});
}

/// Lines at `level` that contain every one of `parts`.
fn logged(level: log::Level, parts: &[&str]) -> Vec<String> {
	LINES
		.lock()
		.unwrap()
		.iter()
		.filter(|(l, line)| *l == level && parts.iter().all(|p| line.contains(p)))
		.map(|(_, line)| line.clone())
		.collect()
}

/// A listed dataset of the digits' shape whose listing commits to `content`.
fn listed(content: ContentCommitment) -> DatasetView {
	use cohort_primitives::dataset::{
		DatasetListing, DatasetSchema, DatasetStatus, Licence, Modality,
	};
	DatasetInfo {
		owner: AccountId::new([0; 32]),
		listing: DatasetListing {
			name: Default::default(),
			description: Default::default(),
			schema: DatasetSchema {
				features: 64,
				classes: 10,
				samples: 1,
				modality: Modality::Tabular,
			},
			content,
			licence: Licence::FederatedOnly,
			royalty: 0,
			privacy_budget: None,
		},
		status: DatasetStatus::Listed,
		deposit: 0,
		delegates: 0,
		stated_features: 0,
		tasks: 1,
		privacy_spent: 0,
		reputation: None,
		rounds: 0,
		royalties: 0,
		listed: 1,
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
			// Noise of deviation σC = 0.05 per coordinate, as before the privacy check; the clip
			// (3.125) is above the norms of these updates (2.0 to 2.6), so it never bites. One
			// round costs ε ≈ 3917.76 at δ = 10⁻⁵ (`cohort_ml::privacy::round_epsilon_micros`):
			// no real privacy, but what this much noise costs.
			dp: Some(DpParams {
				clip_norm_micros: 3_125_000,
				noise_multiplier_micros: 16_000,
				epsilon_micros: 3_917_762_926,
			}),
		},
		scale: 1 << 16,
		aggregation: AggregationRule::WeightedMean,
		// A weight cap that never bites (ten times the median): the tests check that the
		// samples weigh.
		gate: ScoreGate { max_weight_percent: 1_000, ..cohort_ml::simulate::RECOMMENDED_GATE },
		max_samples: 2_000,
		rounds: 3,
		min_trainers: 2,
		max_trainers: 2,
		aggregators: 1,
		quorum: 1,
		phases: PhaseLengths {
			commit: 5,
			reveal: 5,
			score: 5,
			score_reveal: 5,
			aggregate: 5,
			aggregate_reveal: 5,
		},
		max_payload_bytes: 1 << 20,
		reward_per_round: 100,
		aggregator_share: Perbill::from_percent(10),
		penalty: Perbill::from_percent(10),
		validation_set: validation,
		datasets: cohort_primitives::dataset::DatasetRules {
			max_royalty: 0,
			min_reputation: 0,
			allowlist: Default::default(),
		},
	};
	TaskInfo {
		owner: AccountId::new([0; 32]),
		parameter_count: spec.model.parameter_count().unwrap() as u32,
		spec,
		status: TaskStatus::Active,
		budget: 300,
		deposit: 10,
		min_trainer_bond: 1,
		min_aggregator_bond: 1,
		next_round: 0,
		global_model: None,
		trainers: 2,
		aggregators: 1,
		created: 1,
		last_round_started: 1,
		failed_in_a_row: 0,
		ended: None,
		allowlist_len: 0,
		scaled_features: 0,
	}
}

/// Honest keys, their names prefixed by the test's name so its log lines are its own.
/// The worker's participants for dev keys, joining as the dev chain has them join.
fn dev_participants(
	keys: impl IntoIterator<Item = cohort_worker::dev::DevKey>,
) -> Vec<Participant> {
	keys.into_iter()
		.map(|k| Participant {
			public: key(k.uri),
			name: k.uri.into(),
			auto_join: Some(k.auto_join),
			behaviour: k.behaviour,
			provider: None,
		})
		.collect()
}

fn participants(test: &str, uris: &[&str]) -> Vec<Participant> {
	uris.iter().map(|uri| Participant::new(key(uri), format!("{test} {uri}"))).collect()
}

fn worker(dir: &Path, participants: Vec<Participant>) -> Worker {
	let data = DataDir::open(dir).unwrap();
	Worker::new(participants, data, cohort_ml::opencl::Aggregator::cpu()).unwrap()
}

/// A data directory with the dev owners' data and a chain with one task on it.
fn setup(now: BlockNumber) -> (tempfile::TempDir, FakeChain) {
	let dir = tempfile::tempdir().unwrap();
	let mut data = DataDir::open(dir.path()).unwrap();
	let validation = cohort_worker::dev::prepare(&mut data, 2).unwrap();
	(dir, FakeChain::new(now, task(validation)))
}

fn train(task: TaskId, round: RoundIndex, dataset: u64, commit_by: BlockNumber) -> WorkerDuty {
	Duty::Train { task, round, dataset, global_model: None, commit_by }
}

/// Runs the worker for one block, then checks that it committed to an update for round 0 of
/// task 0 and sent nothing else: the duty was served.
fn commits_round_0(w: &mut Worker, chain: &FakeChain) {
	w.on_block(chain);
	let actions = chain.take();
	assert!(
		matches!(actions[..], [(_, Action::Commit { task: 0, round: 0, .. }, _)]),
		"{actions:?}"
	);
}

/// Runs the worker for three blocks, then checks that it warned once with `parts` and sent
/// nothing: a duty refused before any work.
fn refused_before_work(w: &mut Worker, chain: &mut FakeChain, parts: &[&str]) {
	for _ in 0..3 {
		w.on_block(&*chain);
		chain.now += 1;
	}
	let lines = logged(log::Level::Warn, parts);
	assert_eq!(lines.len(), 1, "{lines:?}");
	assert!(chain.take().is_empty(), "nothing committed");
}

fn commitment_of(actions: &[(sr25519::Public, Action, H256)], who: sr25519::Public) -> H256 {
	match actions.iter().find(|(s, ..)| *s == who).map(|(_, a, _)| a) {
		Some(Action::Commit { commitment, .. }) => *commitment,
		other => panic!("{other:?}"),
	}
}

fn payload_ref(bytes: &[u8], block: BlockNumber) -> Payload {
	PayloadRef {
		payload_hash: codec::payload_hash(bytes),
		len: bytes.len() as u32,
		block,
		extrinsic_index: 1,
	}
}

/// What the worker's aggregators check scores and results against: the dev validation set.
fn check<'a>(
	chain: &FakeChain,
	arch: &'a cohort_ml::model::Architecture,
	data: &'a cohort_ml::dataset::Dataset,
	device: &'a cohort_ml::Device,
) -> cohort_ml::evaluate::Validation<'a> {
	cohort_ml::evaluate::Validation { arch, scale: chain.tasks[&0].spec.scale, data, device }
}

/// The task's seeded initial model, quantized.
fn initial_model(chain: &FakeChain) -> Vec<i32> {
	let arch = cohort_ml::model::Architecture::of(&chain.tasks[&0].spec.model).unwrap();
	codec::quantize(&arch.initial_parameters(9), 1 << 16).unwrap()
}

/// Trainers reveal the updates behind `commits` (after a restart of the worker `keys` make);
/// the chain records them. Returns where each is, and the samples its header claims.
fn reveal_updates(
	dir: &Path,
	chain: &mut FakeChain,
	keys: Vec<Participant>,
	commits: &[(sr25519::Public, Action, H256)],
	round: RoundIndex,
) -> Vec<(AccountId, Payload, u32)> {
	for (who, ..) in commits {
		let commitment = commitment_of(commits, *who);
		chain.duties.insert(
			(*who).into(),
			vec![Duty::Reveal { task: 0, round, commitment, reveal_by: chain.now + 10 }],
		);
	}
	let mut w = worker(dir, keys);
	w.on_block(chain);
	let mut refs = Vec::new();
	for (who, action, _) in chain.take() {
		let Action::Reveal { task: 0, round: r, update, salt } = action else {
			panic!("{action:?}")
		};
		assert_eq!(r, round);
		let author = AccountId::from(who);
		assert_eq!(
			update_commitment(&author, 0, round, &update, &salt),
			commitment_of(commits, who)
		);
		let someone_else = AccountId::new([9; 32]);
		assert_ne!(
			update_commitment(&someone_else, 0, round, &update, &salt),
			commitment_of(commits, who)
		);
		let (header, _) = codec::decode(&update).unwrap();
		assert_eq!((header.kind, header.task, header.round), (PayloadKind::Update, 0, round));
		chain.payloads.insert(codec::payload_hash(&update), update.clone());
		refs.push((author, payload_ref(&update, chain.now + 1), header.samples));
	}
	chain.duties.clear();
	refs
}

#[test]
fn a_round_end_to_end_with_a_restart_between_each_commit_and_its_reveal() {
	let (dir, mut chain) = setup(10);
	let (charlie, dave, aggregator) = (key("//Charlie"), key("//Dave"), key("//Alice//stash"));
	let keys = || participants("cycle", &["//Charlie", "//Dave", "//Alice//stash"]);
	chain.duties.insert(charlie.into(), vec![train(0, 0, 1, 15)]);
	chain.duties.insert(dave.into(), vec![train(0, 0, 2, 15)]);

	// Training: one commitment each, bound to its author; the next block does not repeat them.
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let commits = chain.take();
	assert_eq!(commits.len(), 2);
	chain.now = 11;
	w.on_block(&chain);
	assert!(chain.take().is_empty());
	drop(w);

	// After a restart, each reveal finds the sealed update behind its commitment; each header
	// claims the samples of the owner's shard (below the task's max_samples).
	let refs = reveal_updates(dir.path(), &mut chain, keys(), &commits, 0);
	assert_eq!(refs.len(), 2);
	let mut data = DataDir::open(dir.path()).unwrap();
	for (who, _, samples) in &refs {
		let dataset = if *who == AccountId::from(charlie) { 1 } else { 2 };
		assert_eq!(*samples as usize, data.dataset(dataset).unwrap().len());
	}
	let values: Vec<Vec<i32>> = refs
		.iter()
		.map(|(_, r, _)| codec::decode(&chain.payloads[&r.payload_hash]).unwrap().1)
		.collect();
	let updates: Vec<(AccountId, Payload)> =
		refs.iter().map(|(who, at, _)| (who.clone(), at.clone())).collect();

	// Scoring: the aggregator commits to its scores, nothing more, and only once.
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::Score { task: 0, round: 0, global_model: None, updates, commit_by: 25 }],
	);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let actions = chain.take();
	let [(who, Action::CommitScores { task: 0, round: 0, commitment }, _)] = &actions[..] else {
		panic!("{actions:?}")
	};
	assert_eq!(*who, aggregator);
	let commitment = *commitment;
	chain.now = 12;
	w.on_block(&chain);
	assert!(chain.take().is_empty(), "committed once");
	drop(w);

	// After a restart, it reveals the scores it committed to: one per update, in the chain's
	// order, exactly what the reference seeded by the aggregator, the round and the revealed
	// updates gives.
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::RevealScores { task: 0, round: 0, commitment, reveal_by: 30 }],
	);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::RevealScores { task: 0, round: 0, scores, salt }, _)] = &actions[..] else {
		panic!("{actions:?}")
	};
	let author = AccountId::from(aggregator);
	assert_eq!(score_commitment(&author, 0, 0, scores, salt), commitment);
	let spec = chain.tasks[&0].spec.clone();
	let arch = cohort_ml::model::Architecture::of(&spec.model).unwrap();
	let validation = cohort_worker::dev::validation_set();
	let device = cohort_ml::training_device();
	let hashes: Vec<H256> = refs.iter().map(|(_, r, _)| r.payload_hash).collect();
	let reference = cohort_ml::train::TrainingConfig::reference(
		&spec.training,
		cohort_worker::worker::reference_seed(&author, 0, 0, &hashes),
	);
	let inputs: Vec<&[i32]> = values.iter().map(Vec::as_slice).collect();
	let start = initial_model(&chain);
	let expected = check(&chain, &arch, &validation, &device).score(
		&start,
		&inputs,
		&[],
		&reference,
		&spec.gate,
	);
	assert_eq!(*scores, expected.unwrap());
	// Honest label-skewed owners point roughly the reference's way: never so far below each
	// other that one is slashed.
	let verdicts = cohort_primitives::judgement::judge(scores, &spec.gate);
	assert!(verdicts.iter().all(|v| !v.slashed), "honest owners: {scores:?}");
	chain.duties.clear();

	// Aggregation of exactly the accepted set, weighted by the samples the chain recorded (here
	// not the headers' claims: the chain's word counts).
	let accepted = |i: usize, samples| AcceptedUpdate {
		who: refs[i].0.clone(),
		update: refs[i].1.clone(),
		samples,
	};
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::Aggregate {
			task: 0,
			round: 0,
			global_model: None,
			updates: vec![accepted(0, 1), accepted(1, 3)],
			commit_by: 35,
		}],
	);
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::CommitAggregate { task: 0, round: 0, commitment }, _)] = &actions[..] else {
		panic!("{actions:?}")
	};
	let commitment = *commitment;
	chain.now = 13;
	w.on_block(&chain);
	assert!(chain.take().is_empty(), "committed once");
	drop(w);

	// After a restart, it reveals what it committed: hash, metrics, salt and the payload.
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::RevealAggregate {
			task: 0,
			round: 0,
			commitment,
			payload_known: vec![],
			reveal_by: 40,
		}],
	);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::RevealAggregate { aggregate, metrics, salt, payload: Some(payload), .. }, _)] =
		&actions[..]
	else {
		panic!("{actions:?}")
	};
	assert_eq!(aggregate_commitment(&author, 0, 0, aggregate, metrics, salt), commitment);
	assert_eq!(codec::payload_hash(payload), *aggregate);
	let (header, model) = codec::decode(payload).unwrap();
	assert_eq!((header.kind, header.samples), (PayloadKind::Aggregate, 0));
	let weighted = |w0, w1| {
		let inputs = [
			cohort_ml::aggregate::Update { values: &values[0], weight: w0 },
			cohort_ml::aggregate::Update { values: &values[1], weight: w1 },
		];
		check(&chain, &arch, &validation, &device)
			.aggregate(
				&cohort_ml::opencl::Aggregator::cpu(),
				&spec.aggregation,
				Some(&spec.gate),
				&start,
				&inputs,
			)
			.unwrap()
	};
	let expected = weighted(1, 3);
	assert_eq!(model, expected.model);
	assert_ne!(model, weighted(1, 1).model, "the weights count");
	assert_eq!(*metrics, expected.quality.metrics());
	assert!(metrics.accuracy_micros > 0 && *metrics != RoundMetrics::default());

	// Not taken for RETRY_BLOCKS, and an earlier reveal carried this payload: only the hash.
	let aggregate = *aggregate;
	if let Some(Duty::RevealAggregate { payload_known, .. }) =
		chain.duties.get_mut(&author).and_then(|d| d.first_mut())
	{
		*payload_known = vec![aggregate];
	}
	chain.now += RETRY_BLOCKS;
	w.on_block(&chain);
	let again = chain.take();
	assert!(
		matches!(&again[..], [(_, Action::RevealAggregate { payload: None, .. }, _)]),
		"{again:?}"
	);
}

#[test]
fn a_poisoner_trains_commits_and_reveals_like_an_owner_and_is_left_out_of_the_model() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	// Below every shard: each update claims exactly this.
	chain.tasks.get_mut(&0).unwrap().spec.max_samples = 100;
	let (owner, poisoner, aggregator) = (key("//Charlie"), key("//1"), key("//Alice//stash"));
	let keys = || {
		let mut keys = participants("poison", &["//Charlie", "//Alice//stash"]);
		keys.push(Participant {
			behaviour: Behaviour::Poisoner("scale:-10".parse().unwrap()),
			..Participant::new(poisoner, "poison //1".into())
		});
		keys
	};
	let poisoned_data = cohort_worker::dev::poisoner_dataset(0);
	chain.duties.insert(owner.into(), vec![train(0, 0, 1, 15)]);
	chain.duties.insert(poisoner.into(), vec![train(0, 0, poisoned_data, 15)]);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let commits = chain.take();
	assert_eq!(commits.len(), 2, "the poisoner commits like anyone");
	assert_eq!(logged(log::Level::Info, &["poison //1", "poisoned by scale:-10"]).len(), 1);
	drop(w);

	let refs = reveal_updates(dir.path(), &mut chain, keys(), &commits, 0);
	assert_eq!(refs.len(), 2, "and reveals like anyone");
	assert!(refs.iter().all(|(.., samples)| *samples == 100), "claims bounded by max_samples");
	let poisoner_at = refs.iter().position(|(who, ..)| *who == AccountId::from(poisoner)).unwrap();

	let updates: Vec<(AccountId, Payload)> =
		refs.iter().map(|(who, at, _)| (who.clone(), at.clone())).collect();
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::Score { task: 0, round: 0, global_model: None, updates, commit_by: 25 }],
	);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::CommitScores { commitment, .. }, _)] = &actions[..] else {
		panic!("{actions:?}")
	};
	chain.duties.insert(
		aggregator.into(),
		vec![Duty::RevealScores { task: 0, round: 0, commitment: *commitment, reveal_by: 30 }],
	);
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::RevealScores { scores, .. }, _)] = &actions[..] else { panic!("{actions:?}") };
	// Reversed, the update lands near neutral (some single class's reference points a little its
	// way): far below the honest one, left out of the model. Two updates have no spread, so the
	// band is the gate's 50_000 floor.
	let verdicts = cohort_primitives::judgement::judge(scores, &chain.tasks[&0].spec.gate);
	let honest = verdicts[1 - poisoner_at];
	assert!(!verdicts[poisoner_at].accepted, "the poisoned update is left out: {scores:?}");
	assert!(scores[poisoner_at] < 700_000 && scores[1 - poisoner_at] > 800_000, "{scores:?}");
	assert!(honest.accepted && !honest.slashed, "the honest one enters the model: {scores:?}");
	let line = logged(log::Level::Info, &["poison //Alice//stash scored 2 updates"]);
	assert!(line.len() == 1 && line[0].contains("1 would not pass the gate"), "{line:?}");
}

#[test]
fn an_extrinsic_the_runtime_refuses_is_logged_once_and_not_sent_again() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let (charlie, dave) = (key("//Charlie"), key("//Dave"));
	chain.duties.insert(charlie.into(), vec![train(0, 0, 1, 100)]);
	chain.duties.insert(dave.into(), vec![train(0, 0, 2, 100)]);
	let mut w = worker(dir.path(), participants("refused", &["//Charlie", "//Dave"]));
	w.on_block(&chain);
	let sent = chain.take();
	let hash = |who| sent.iter().find(|(s, ..)| *s == who).unwrap().2;

	// Charlie's commit is refused in the next block; Dave's is not taken at all.
	let error = "Federated::CommitmentMismatch".to_string();
	chain.next_block(vec![
		Outcome { extrinsic: H256::repeat_byte(0xee), error: None },
		Outcome { extrinsic: hash(charlie), error: Some(error.clone()) },
	]);
	for _ in 0..2 * RETRY_BLOCKS {
		w.on_block(&chain);
		chain.next_block(vec![]);
	}
	let resent = chain.take();
	assert!(resent.iter().all(|(s, ..)| *s == dave), "{resent:?}");
	assert_eq!(resent.len(), 2, "Dave's commit, not taken, is resent every RETRY_BLOCKS");
	let lines = logged(log::Level::Error, &["refused //Charlie", "task 0 round 0", &error]);
	assert_eq!(lines.len(), 1, "{lines:?}");
	assert!(lines[0].contains("commit_update"));
	let entry = w.journal().get(&Key { task: 0, round: 0, who: charlie.0, kind: Kind::Commit });
	assert!(matches!(entry.unwrap().status, Status::Refused { block: 11, .. }));

	// Dave's last copy lands: it is not sent again either, and success is no error line.
	let last = resent.last().unwrap().2;
	chain.next_block(vec![Outcome { extrinsic: last, error: None }]);
	for _ in 0..2 * RETRY_BLOCKS {
		w.on_block(&chain);
		chain.next_block(vec![]);
	}
	assert!(chain.take().is_empty());
	assert!(logged(log::Level::Error, &["refused //Dave"]).is_empty());

	// After a restart, the journal still knows: nothing is sent, nothing logged again.
	drop(w);
	let mut w = worker(dir.path(), participants("refused", &["//Charlie", "//Dave"]));
	w.on_block(&chain);
	assert!(chain.take().is_empty());
	assert_eq!(logged(log::Level::Error, &["refused //Charlie"]).len(), 1);
}

#[test]
fn failures_carry_task_and_round_and_are_logged_once() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	chain.duties.insert(key("//Charlie").into(), vec![train(0, 4, 99, 100)]);
	let mut w = worker(dir.path(), participants("once", &["//Charlie"]));
	for _ in 0..5 {
		w.on_block(&chain);
		chain.now += 1;
	}
	let lines = logged(log::Level::Warn, &["once //Charlie: task 0 round 4", "dataset 99"]);
	assert_eq!(lines.len(), 1, "{lines:?}");
	assert!(chain.take().is_empty());
}

/// The owners of one node train side by side: each commits once, under its own key, and one
/// whose data is missing stops no other (its failure is logged with its task and round).
#[test]
fn owners_of_one_node_train_side_by_side_and_one_failure_stops_no_other() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	chain.duties.insert(key("//Charlie").into(), vec![train(0, 0, 1, 15)]);
	chain.duties.insert(key("//Dave").into(), vec![train(0, 0, 99, 15)]);
	chain.duties.insert(key("//Eve").into(), vec![train(0, 0, 2, 15)]);
	let keys = participants("side", &["//Charlie", "//Dave", "//Eve"]);
	let mut w = worker(dir.path(), keys);
	w.on_block(&chain);
	let actions = chain.take();
	let committed: Vec<sr25519::Public> = actions
		.iter()
		.map(|(who, action, _)| {
			assert!(matches!(action, Action::Commit { task: 0, round: 0, .. }), "{action:?}");
			*who
		})
		.collect();
	assert_eq!(committed, [key("//Charlie"), key("//Eve")]);
	assert_ne!(commitment_of(&actions, key("//Charlie")), commitment_of(&actions, key("//Eve")));
	let lines = logged(log::Level::Warn, &["side //Dave: task 0 round 0", "dataset 99"]);
	assert_eq!(lines.len(), 1, "{lines:?}");
	chain.now = 11;
	w.on_block(&chain);
	assert!(chain.take().is_empty(), "committed once");
}

#[test]
fn a_task_whose_stated_epsilon_does_not_cover_its_noise_is_not_trained_for() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let training = &mut chain.tasks.get_mut(&0).unwrap().spec.training;
	let dp = training.dp.as_mut().unwrap();
	dp.epsilon_micros -= 1;
	chain.duties.insert(key("//Charlie").into(), vec![train(0, 0, 1, 100)]);
	let mut w = worker(dir.path(), participants("dp", &["//Charlie"]));
	refused_before_work(&mut w, &mut chain, &["dp //Charlie: task 0 round 0", "refusing to train"]);
	assert!(w.journal().is_empty(), "nothing trained, nothing sealed");
}

/// A task's feature scaling is read from the chain and applied to the trainer's data: one that
/// fits the data trains and commits; one that does not (a task owner's mistake) is refused
/// with the reason, before any work.
#[test]
fn a_trainer_trains_in_the_tasks_feature_scaling_and_refuses_one_that_does_not_fit() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let features = 64;
	let fits = vec![FeatureStats { mean: 500_000, deviation: 250_000 }; features];
	chain.scalings.insert(0, fits);
	chain.duties.insert(key("//Charlie").into(), vec![train(0, 0, 1, 100)]);
	let mut w = worker(dir.path(), participants("scaled", &["//Charlie"]));
	commits_round_0(&mut w, &chain);

	let (dir, mut chain) = setup(10);
	chain.scalings.insert(0, vec![FeatureStats { mean: 0, deviation: 1 }; features - 1]);
	chain.duties.insert(key("//Charlie").into(), vec![train(0, 0, 1, 100)]);
	let mut w = worker(dir.path(), participants("misfit", &["//Charlie"]));
	let warning =
		["misfit //Charlie: task 0 round 0", "feature scaling", "63 entries", "64 features"];
	refused_before_work(&mut w, &mut chain, &warning);
}

/// A task that starts from a published model (`InitialModel::Hash`): its trainers train from
/// the payload the chain points at when it is the model the spec names; a payload that is not
/// (another model, or a model of another size) is refused with the reason, before any work.
#[test]
fn a_trainer_starts_from_the_published_initial_model_and_only_from_the_one_the_spec_names() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let model = initial_model(&chain);
	let published = codec::encode(PayloadKind::Initial, 0, 0, 1 << 16, 0, &model).unwrap();
	let at = payload_ref(&published, 3);
	let spec = &mut chain.tasks.get_mut(&0).unwrap().spec;
	spec.initial_model = cohort_primitives::task::InitialModel::Hash(at.payload_hash);
	chain.payloads.insert(at.payload_hash, published);
	let duty = |at: &Payload| Duty::Train {
		task: 0,
		round: 0,
		dataset: 1,
		global_model: Some(at.clone()),
		commit_by: 100,
	};
	chain.duties.insert(key("//Charlie").into(), vec![duty(&at)]);
	let mut w = worker(dir.path(), participants("imported", &["//Charlie"]));
	commits_round_0(&mut w, &chain);

	let (dir, mut chain) = setup(10);
	let other = codec::encode(PayloadKind::Initial, 0, 0, 1 << 16, 0, &model[1..]).unwrap();
	let named = codec::payload_hash(&other);
	let other_at = payload_ref(&other, 3);
	chain.tasks.get_mut(&0).unwrap().spec.initial_model =
		cohort_primitives::task::InitialModel::Hash(named);
	chain.payloads.insert(other_at.payload_hash, other);
	chain.duties.insert(key("//Charlie").into(), vec![duty(&other_at)]);
	let mut w = worker(dir.path(), participants("unfit", &["//Charlie"]));
	refused_before_work(&mut w, &mut chain, &["unfit //Charlie: task 0 round 0", "global model"]);
}

/// Each key's rewards are claimed by the key itself, once: by default when half of their claim
/// window has passed (a person who claims sooner is not raced), or as soon as their era is old
/// enough when told so; a claim no block carried is sent again.
#[test]
fn rewards_are_claimed_once_when_half_their_window_has_passed_or_when_told() {
	capture_logs();
	let (dir, mut chain) = setup(100);
	let charlie = key("//Charlie");
	let reward = |era, role| PendingReward {
		era,
		role,
		points: 10,
		role_points: 40,
		amount: 2_500_000_000_000,
		claimable_until: era + 84,
	};
	chain.rewards.insert(
		charlie.into(),
		Rewards {
			current_era: 45,
			pending: vec![
				reward(2, Role::Trainer),
				reward(2, Role::DataOwner),
				reward(3, Role::Trainer),
			],
		},
	);
	let claims = |actions: Vec<(sr25519::Public, Action, H256)>| -> Vec<(u32, Role)> {
		actions
			.into_iter()
			.filter_map(|(signer, action, _)| match action {
				Action::Claim { who, era, role } => {
					assert_eq!((signer, who), (charlie, charlie.into()), "the key claims its own");
					Some((era, role))
				},
				_ => None,
			})
			.collect()
	};
	let mut w = worker(dir.path(), participants("claims", &["//Charlie"]));
	w.on_block(&chain);
	// Era 2 closed 42 eras ago (half of 84): due; era 3 is not yet.
	assert_eq!(claims(chain.take()), [(2, Role::Trainer), (2, Role::DataOwner)]);
	for _ in 1..REWARDS_EVERY {
		chain.now += 1;
		w.on_block(&chain);
	}
	assert_eq!(claims(chain.take()), [], "not every block");
	// No block carried them within RETRY_BLOCKS: they go again at the next look.
	const { assert!(RETRY_BLOCKS <= REWARDS_EVERY) };
	chain.now += 1;
	w.on_block(&chain);
	assert_eq!(claims(chain.take()), [(2, Role::Trainer), (2, Role::DataOwner)]);
	// Carried (gone from the list); era 3 is due an era later.
	chain.rewards.get_mut(&charlie.into()).unwrap().current_era = 46;
	chain.rewards.get_mut(&charlie.into()).unwrap().pending.drain(..2);
	chain.now += REWARDS_EVERY;
	w.on_block(&chain);
	assert_eq!(claims(chain.take()), [(3, Role::Trainer)]);

	// Told to claim as soon as an era closes: era 44's reward goes at era 45.
	let (dir, mut chain) = setup(100);
	let recent = Rewards { current_era: 45, pending: vec![reward(44, Role::Aggregator)] };
	chain.rewards.insert(charlie.into(), recent);
	let mut w = worker(dir.path(), participants("eager", &["//Charlie"]))
		.with_claims(cohort_worker::ClaimAfter::Eras(0));
	w.on_block(&chain);
	assert_eq!(claims(chain.take()), [(44, Role::Aggregator)]);
}

/// A key whose task would draw it to train on data it does not hold — the file missing, or not
/// what the listing commits to — leaves the task before a round draws it (no no-show slash);
/// one already selected cannot, and is reported; drawn, it refuses to train on other data than
/// listed and says why; a key with the listed data stays, and so does one whose node cannot say
/// what the listing is.
#[test]
fn a_trainer_without_its_listed_data_leaves_before_a_round_draws_it() {
	capture_logs();
	let (dir, mut chain) = setup(100);
	let member =
		|task, selected_in| Membership { task, role: Role::Trainer, dataset: Some(1), selected_in };
	let leaves = |chain: &FakeChain| -> Vec<TaskId> {
		chain
			.take()
			.into_iter()
			.filter_map(|(_, action, _)| match action {
				Action::Leave { task } => Some(task),
				_ => None,
			})
			.collect()
	};
	chain.memberships.insert(key("//Charlie").into(), vec![member(0, None), member(1, Some(2))]);

	// The listed file: it stays in both.
	let mut w = worker(dir.path(), participants("listed", &["//Charlie"]));
	w.on_block(&chain);
	assert_eq!(leaves(&chain), Vec::<TaskId>::new());

	// A node that does not answer about the listing: nothing is known, nobody leaves.
	chain.datasets_unreadable = true;
	let mut w = worker(dir.path(), participants("unknown", &["//Charlie"]));
	w.on_block(&chain);
	assert_eq!(leaves(&chain), Vec::<TaskId>::new());
	assert_eq!(logged(log::Level::Warn, &["unknown //Charlie: task 0", "did not answer"]).len(), 1);
	chain.datasets_unreadable = false;

	// Another file than the listing commits to.
	chain.datasets.insert(1, listed(ContentCommitment::File(H256::repeat_byte(9))));
	let mut w = worker(dir.path(), participants("changed", &["//Charlie"]));
	w.on_block(&chain);
	assert_eq!(leaves(&chain), [0], "it leaves the task it is not selected in");
	let lines =
		logged(log::Level::Error, &["changed //Charlie: leaving task 0", "not the listed data"]);
	assert_eq!(lines.len(), 1, "{lines:?}");
	let selected = logged(log::Level::Warn, &["changed //Charlie: task 1 round 2", "cannot train"]);
	assert_eq!(selected.len(), 1, "{selected:?}");
	for _ in 0..DATA_CHECK_EVERY {
		chain.now += 1;
		w.on_block(&chain);
	}
	assert_eq!(leaves(&chain), [0], "sent again only once no block carried it");

	// Drawn all the same (selected before its owner changed the file): it refuses to train on
	// it, says why, and commits nothing.
	chain.memberships.clear();
	chain.duties.insert(key("//Charlie").into(), vec![train(0, 0, 1, 200)]);
	let mut w = worker(dir.path(), participants("drawn", &["//Charlie"]));
	refused_before_work(
		&mut w,
		&mut chain,
		&["drawn //Charlie: task 0 round 0", "not the listed data"],
	);
	chain.duties.clear();

	// No file at all (a fresh data directory without dataset 1).
	chain.memberships.insert(key("//Charlie").into(), vec![member(0, None)]);
	let empty = tempfile::tempdir().unwrap();
	chain.datasets.insert(1, chain.datasets[&2].clone());
	let mut w = worker(empty.path(), participants("missing", &["//Charlie"]));
	w.on_block(&chain);
	assert_eq!(leaves(&chain), [0]);
	assert_eq!(
		logged(log::Level::Error, &["missing //Charlie: leaving task 0", "no file for dataset 1"])
			.len(),
		1
	);
}

#[test]
fn no_work_starts_that_cannot_meet_its_deadline() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let charlie = key("//Charlie");
	let mut w = worker(dir.path(), participants("deadline", &["//Charlie"]));

	// Best block 10, commit by 10: the commitment could land in block 11 at the earliest.
	chain.duties.insert(charlie.into(), vec![train(0, 0, 1, 10)]);
	w.on_block(&chain);
	w.on_block(&chain);
	assert!(chain.take().is_empty());
	assert_eq!(
		logged(log::Level::Warn, &["deadline //Charlie: task 0 round 0", "block 10"]).len(),
		1
	);
	assert!(w.journal().is_empty(), "nothing trained, nothing sealed");

	// With a deadline it can meet, it trains; now the worker knows how long training takes.
	chain.duties.insert(charlie.into(), vec![train(0, 0, 1, 11)]);
	w.on_block(&chain);
	assert_eq!(chain.take().len(), 1);

	// Blocks far shorter than that training: round 1's next-block deadline is too close.
	chain.block_time = Duration::from_nanos(1);
	chain.duties.insert(charlie.into(), vec![train(0, 1, 1, 11)]);
	w.on_block(&chain);
	assert!(chain.take().is_empty());
	assert_eq!(
		logged(log::Level::Warn, &["deadline //Charlie: task 0 round 1", "not training"]).len(),
		1
	);
	chain.duties.insert(charlie.into(), vec![train(0, 1, 1, BlockNumber::MAX)]);
	w.on_block(&chain);
	assert_eq!(chain.take().len(), 1, "a deadline far enough");

	// A reveal at the deadline block cannot land either.
	chain.duties.insert(
		charlie.into(),
		vec![Duty::Reveal { task: 0, round: 9, commitment: H256::zero(), reveal_by: 10 }],
	);
	w.on_block(&chain);
	assert!(chain.take().is_empty());
	assert_eq!(
		logged(log::Level::Warn, &["deadline //Charlie: task 0 round 9", "too late"]).len(),
		1
	);
}

#[test]
fn a_torn_journal_does_not_stop_the_worker_and_sealed_updates_are_still_revealed() {
	let (dir, mut chain) = setup(10);
	let charlie = key("//Charlie");
	chain.duties.insert(charlie.into(), vec![train(0, 0, 1, 15)]);
	let mut w = worker(dir.path(), participants("torn", &["//Charlie"]));
	w.on_block(&chain);
	let commitment = commitment_of(&chain.take(), charlie);
	drop(w);

	let journal = dir.path().join("journal.scale");
	let bytes = std::fs::read(&journal).unwrap();
	std::fs::write(&journal, &bytes[..bytes.len() - 3]).unwrap();

	chain.duties.insert(
		charlie.into(),
		vec![Duty::Reveal { task: 0, round: 0, commitment, reveal_by: 20 }],
	);
	let mut w = worker(dir.path(), participants("torn", &["//Charlie"]));
	assert!(dir.path().join("journal.scale.corrupt-0").exists(), "kept for inspection");
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::Reveal { update, salt, .. }, _)] = &actions[..] else { panic!("{actions:?}") };
	assert_eq!(update_commitment(&AccountId::from(charlie), 0, 0, update, salt), commitment);
}

#[test]
fn a_full_journal_drops_finished_then_old_work_but_never_what_a_reveal_needs() {
	let (dir, mut chain) = setup(20);
	let (charlie, dave) = (key("//Charlie"), key("//Dave"));
	let other = |i: u8, kind| Key { task: 0, round: 6, who: [i; 32], kind };
	// A full journal: work for a task the chain no longer has, a commitment still to be
	// revealed (the oldest entry), and others' reveals in the round under way.
	let gone = Key { task: 7, round: 0, who: [0; 32], kind: Kind::Reveal };
	{
		let mut journal = Journal::open(dir.path()).unwrap();
		journal.record(gone, 1).unwrap();
		journal.record(other(0xaa, Kind::Commit), 2).unwrap();
		for i in 0..10 {
			journal.record(other(i, Kind::Reveal), 10 + i as BlockNumber).unwrap();
		}
	}
	chain.tasks.get_mut(&0).unwrap().next_round = 6;
	chain.duties.insert(charlie.into(), vec![train(0, 6, 1, 60)]);
	chain.duties.insert(dave.into(), vec![train(0, 6, 2, 60)]);
	let mut w = worker(dir.path(), participants("full", &["//Charlie", "//Dave"]))
		.with_journal_capacity(12);
	assert_eq!(w.journal().len(), 12);
	// Block 20: too early for the periodic pruning; a full journal prunes before it records.
	w.on_block(&chain);
	let commits = chain.take();
	assert_eq!(commits.len(), 2);
	let journal = w.journal();
	assert_eq!(journal.len(), 12);
	assert!(journal.get(&gone).is_none(), "finished work goes first");
	assert!(journal.get(&other(0, Kind::Reveal)).is_none(), "then the oldest reveal");
	assert!(journal.get(&other(1, Kind::Reveal)).is_some());
	assert!(journal.get(&other(0xaa, Kind::Commit)).is_some(), "oldest, but still needed");
	for who in [charlie, dave] {
		assert!(journal.get(&Key { task: 0, round: 6, who: who.0, kind: Kind::Commit }).is_some());
	}

	// Charlie's reveal still finds its update.
	let commitment = commitment_of(&commits, charlie);
	chain.duties.clear();
	chain.duties.insert(
		charlie.into(),
		vec![Duty::Reveal { task: 0, round: 6, commitment, reveal_by: 60 }],
	);
	w.on_block(&chain);
	let actions = chain.take();
	assert!(matches!(&actions[..], [(_, Action::Reveal { round: 6, .. }, _)]), "{actions:?}");

	// Round 6 closes: at the next periodic pruning, its entries and sealed files go.
	chain.tasks.get_mut(&0).unwrap().next_round = 7;
	chain.duties.clear();
	chain.now = 20 + cohort_worker::worker::PRUNE_EVERY;
	w.on_block(&chain);
	assert!(w.journal().is_empty());
	assert_eq!(std::fs::read_dir(dir.path().join("sealed")).unwrap().count(), 0);
}

#[test]
fn the_copying_trainer_and_the_lazy_aggregator_copy_what_the_round_shows() {
	let (dir, mut chain) = setup(10);
	let (copier, lazy, victim) = (key("//Dave//stash"), key("//Eve//stash"), key("//Charlie"));
	let keys = vec![
		Participant {
			behaviour: Behaviour::CopyingTrainer,
			..Participant::new(copier, "copier".into())
		},
		Participant {
			behaviour: Behaviour::LazyAggregator,
			..Participant::new(lazy, "lazy".into())
		},
	];
	let mut w = worker(dir.path(), keys);
	chain.duties.insert(copier.into(), vec![train(0, 0, 1, 15)]);
	let mut round = RoundView {
		trainers: vec![
			TrainerView {
				who: copier.into(),
				commitment: None,
				update: None,
				score: None,
				accepted: false,
			},
			TrainerView {
				who: victim.into(),
				commitment: None,
				update: None,
				score: None,
				accepted: false,
			},
		],
		aggregators: vec![],
		..RoundView::default()
	};
	chain.rounds.insert((0, 0), round.clone());
	w.on_block(&chain);
	assert!(chain.take().is_empty(), "nothing to copy yet");

	// The victim commits: the copier commits the same commitment, without training.
	let stolen = H256::repeat_byte(5);
	round.trainers[1].commitment = Some(stolen);
	chain.rounds.insert((0, 0), round.clone());
	w.on_block(&chain);
	let actions = chain.take();
	assert!(
		matches!(&actions[..], [(s, Action::Commit { commitment, .. }, _)] if *s == copier && *commitment == stolen),
		"{actions:?}"
	);

	// The victim reveals: the copier reveals the victim's bytes with its own salt.
	let update = vec![1, 2, 3];
	chain.payloads.insert(codec::payload_hash(&update), update.clone());
	round.trainers[1].update = Some(payload_ref(&update, 12));
	chain.rounds.insert((0, 0), round.clone());
	chain.duties.insert(
		copier.into(),
		vec![Duty::Reveal { task: 0, round: 0, commitment: stolen, reveal_by: 20 }],
	);
	w.on_block(&chain);
	let actions = chain.take();
	assert!(
		matches!(&actions[..], [(_, Action::Reveal { update: u, .. }, _)] if *u == update),
		"{actions:?}"
	);

	// The lazy aggregator commits at once to scores it never computed...
	chain.duties.clear();
	let score =
		|updates| Duty::Score { task: 0, round: 0, global_model: None, updates, commit_by: 25 };
	chain.duties.insert(lazy.into(), vec![score(vec![])]);
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::CommitScores { commitment: scores_commitment, .. }, _)] = &actions[..] else {
		panic!("{actions:?}")
	};
	// ...and reveals the first other aggregator's scores once there are some.
	chain.duties.insert(
		lazy.into(),
		vec![Duty::RevealScores {
			task: 0,
			round: 0,
			commitment: *scores_commitment,
			reveal_by: 30,
		}],
	);
	let view = |who: sr25519::Public| AggregatorView {
		who: who.into(),
		score_commitment: None,
		scores: None,
		commitment: None,
		revealed: None,
	};
	round.aggregators = vec![
		AggregatorView { score_commitment: Some(*scores_commitment), ..view(lazy) },
		view(key("//Alice//stash")),
	];
	chain.rounds.insert((0, 0), round.clone());
	w.on_block(&chain);
	assert!(chain.take().is_empty(), "nothing to copy yet");
	round.aggregators[1].scores = Some(vec![7, 9]);
	chain.rounds.insert((0, 0), round.clone());
	w.on_block(&chain);
	let actions = chain.take();
	assert!(
		matches!(
			&actions[..],
			[(_, Action::RevealScores { scores, .. }, _)] if *scores == vec![7, 9]
		),
		"{actions:?}"
	);

	// Then it commits to a result it never computed...
	chain.duties.insert(
		lazy.into(),
		vec![Duty::Aggregate {
			task: 0,
			round: 0,
			global_model: None,
			updates: vec![],
			commit_by: 35,
		}],
	);
	w.on_block(&chain);
	let actions = chain.take();
	let [(_, Action::CommitAggregate { commitment, .. }, _)] = &actions[..] else {
		panic!("{actions:?}")
	};
	// ...and reveals the first other aggregator's result once there is one.
	chain.duties.insert(
		lazy.into(),
		vec![Duty::RevealAggregate {
			task: 0,
			round: 0,
			commitment: *commitment,
			payload_known: vec![],
			reveal_by: 40,
		}],
	);
	round.aggregators[0].commitment = Some(*commitment);
	chain.rounds.insert((0, 0), round.clone());
	w.on_block(&chain);
	assert!(chain.take().is_empty(), "nothing to copy yet");
	let metrics = RoundMetrics { loss_micros: 1_500_000, accuracy_micros: 700_000 };
	round.aggregators[1].revealed = Some((H256::repeat_byte(8), metrics));
	chain.rounds.insert((0, 0), round);
	w.on_block(&chain);
	let actions = chain.take();
	assert!(
		matches!(
			&actions[..],
			[(_, Action::RevealAggregate { aggregate, metrics: m, payload: None, .. }, _)]
				if *aggregate == H256::repeat_byte(8) && *m == metrics
		),
		"{actions:?}"
	);
}

#[test]
fn simulated_owners_cheaters_and_poisoners_join_tasks_their_data_fits() {
	let (dir, chain) = setup(3);
	let attacks: Vec<cohort_ml::attack::Attack> =
		["scale:-10", "noise:0.5"].iter().map(|a| a.parse().unwrap()).collect();
	let keys = cohort_worker::dev::participants()
		.into_iter()
		.chain(cohort_worker::dev::cheaters())
		.chain(cohort_worker::dev::poisoners(&attacks).unwrap());
	let mut w = worker(dir.path(), dev_participants(keys));
	w.on_block(&chain);
	let joins = chain.take();
	let trainers = joins
		.iter()
		.filter(|(_, a, _)| matches!(a, Action::Join { task: 0, dataset: Some(_), .. }))
		.count();
	let aggregators = joins
		.iter()
		.filter(|(_, a, _)| matches!(a, Action::Join { task: 0, dataset: None, .. }))
		.count();
	// Three honest aggregators, the lazy one and the colluder.
	assert_eq!((trainers, aggregators), (cohort_worker::dev::OWNERS + 1 + 2, 3 + 2));
	let poisoner = key(cohort_worker::dev::POISONER_URIS[1]);
	assert!(joins
		.iter()
		.any(|(who, a, _)| *who == poisoner && matches!(a, Action::Join { dataset: Some(6), .. })));
	let bonds = joins.iter().all(
		|(_, a, _)| matches!(a, Action::Join { bond, .. } if *bond == cohort_worker::dev::DEV_BOND),
	);
	assert!(bonds);
	let _ = AutoJoin::Aggregator { bond: 1 };
}

/// A simulated owner does not bond into a differentially private task whose stated ε does not
/// cover its noise (it would refuse to train and be slashed); aggregators still join.
#[test]
fn owners_do_not_join_a_task_whose_epsilon_they_would_refuse() {
	capture_logs();
	let (dir, mut chain) = setup(3);
	let dp = chain.tasks.get_mut(&0).unwrap().spec.training.dp.as_mut().unwrap();
	dp.epsilon_micros -= 1;
	let mut w = worker(dir.path(), dev_participants(cohort_worker::dev::participants()));
	w.on_block(&chain);
	let joins = chain.take();
	assert!(
		joins.iter().all(|(_, a, _)| matches!(a, Action::Join { dataset: None, .. })),
		"only aggregators join: {joins:?}"
	);
	assert_eq!(joins.len(), 3);
	assert_eq!(logged(log::Level::Warn, &["//Charlie: not joining task 0", "ε"]).len(), 1);
}

/// A key that offers compute on the dev terms.
fn provider(test: &str, uri: &str) -> Participant {
	Participant {
		provider: Some(cohort_worker::dev::provider_terms()),
		..Participant::new(key(uri), format!("{test} {uri}"))
	}
}

/// An offer as the chain keeps it.
fn offer() -> ComputeOffer {
	Offer {
		hardware: Hardware {
			cores: 1,
			memory_mib: 1024,
			gpus: Default::default(),
			backends: Backends(Backends::CPU),
		},
		claimed_score: 1,
		verified_score: None,
		terms: cohort_worker::dev::provider_terms(),
		leased_slots: 0,
		status: OfferStatus::Active,
		last_heartbeat: 0,
		challenge: None,
		verifying: 0,
	}
}

/// Moves `blocks` blocks on (without outcomes), the worker acting at each.
fn run_blocks(w: &mut Worker, chain: &mut FakeChain, blocks: BlockNumber) {
	for _ in 0..blocks {
		chain.next_block(vec![]);
		w.on_block(chain);
	}
}

#[test]
fn a_provider_registers_an_offer_when_it_has_none_and_only_then() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let (ferdie, alice, bob) = (key("//Ferdie//stash"), key("//Alice//stash"), key("//Bob//stash"));
	chain.offers.insert(alice.into(), offer());
	let keys = vec![
		provider("offer", "//Ferdie//stash"),
		provider("offer", "//Alice//stash"),
		Participant::new(bob, "offer //Bob//stash".into()),
	];
	let mut w = worker(dir.path(), keys);
	w.on_block(&chain);
	let sent = chain.take();
	let [(who, Action::RegisterOffer { hardware, claimed_score, terms }, _)] = &sent[..] else {
		panic!("{sent:?}")
	};
	assert_eq!(*who, ferdie, "Alice has an offer already; Bob is no provider");
	assert_eq!(*terms, cohort_worker::dev::provider_terms());
	assert_eq!(*hardware, cohort_ml::challenge::detect_hardware());
	assert!(*claimed_score > 0);

	// Not taken: not sent again before COMPUTE_RESEND_BLOCKS, then once, with the same
	// benchmark (measured once).
	run_blocks(&mut w, &mut chain, COMPUTE_RESEND_BLOCKS - 1);
	assert!(chain.take().is_empty(), "not every block");
	run_blocks(&mut w, &mut chain, 1);
	let again = chain.take();
	let [(who, Action::RegisterOffer { claimed_score: score, .. }, extrinsic)] = &again[..] else {
		panic!("{again:?}")
	};
	assert_eq!((*who, score), (ferdie, claimed_score));

	// A block carries it: it is not sent again, even once the offer is gone (withdrawn).
	chain.next_block(vec![Outcome { extrinsic: *extrinsic, error: None }]);
	chain.offers.insert(ferdie.into(), offer());
	w.on_block(&chain);
	chain.offers.clear();
	run_blocks(&mut w, &mut chain, 2 * COMPUTE_RESEND_BLOCKS);
	assert!(chain.take().is_empty());
	assert_eq!(logged(log::Level::Info, &["offer //Ferdie//stash", "offers compute"]).len(), 2);
	assert_eq!(logged(log::Level::Info, &["offer //Ferdie//stash", "offer is on chain"]).len(), 1);

	// One the runtime refuses is logged with its error and not sent again either.
	let mut w = worker(dir.path(), vec![provider("refused offer", "//Bob//stash")]);
	w.on_block(&chain);
	let sent = chain.take();
	assert_eq!(sent.len(), 1);
	let error = "ComputeLease::BondTooLow".to_string();
	chain.next_block(vec![Outcome { extrinsic: sent[0].2, error: Some(error.clone()) }]);
	w.on_block(&chain);
	run_blocks(&mut w, &mut chain, 2 * COMPUTE_RESEND_BLOCKS);
	assert!(chain.take().is_empty());
	let lines =
		logged(log::Level::Error, &["refused offer //Bob//stash", "register_offer", &error]);
	assert_eq!(lines.len(), 1, "{lines:?}");
}

#[test]
fn a_heartbeat_goes_once_while_it_is_due_not_every_block() {
	let (dir, mut chain) = setup(10);
	let alice = key("//Alice//stash");
	chain.compute_duties.insert(alice.into(), vec![ComputeDuty::Heartbeat { due: 30 }]);
	let mut w = worker(dir.path(), participants("heartbeat", &["//Alice//stash"]));
	w.on_block(&chain);
	let sent = chain.take();
	assert!(matches!(&sent[..], [(who, Action::Heartbeat, _)] if *who == alice), "{sent:?}");
	w.on_block(&chain);
	run_blocks(&mut w, &mut chain, COMPUTE_RESEND_BLOCKS - 1);
	assert!(chain.take().is_empty(), "not every block");

	// Still due COMPUTE_RESEND_BLOCKS later (not taken): once more.
	run_blocks(&mut w, &mut chain, 1);
	assert!(matches!(&chain.take()[..], [(_, Action::Heartbeat, _)]));

	// Taken: the chain asks for none until half its interval has passed again.
	chain.compute_duties.clear();
	run_blocks(&mut w, &mut chain, 2 * COMPUTE_RESEND_BLOCKS);
	assert!(chain.take().is_empty());
}

#[test]
fn challenge_answers_are_committed_then_revealed_after_a_restart() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let (ferdie, alice, bob) = (key("//Ferdie//stash"), key("//Alice//stash"), key("//Bob//stash"));
	let keys = || participants("challenge", &["//Ferdie//stash", "//Alice//stash", "//Bob//stash"]);
	let (seed, size) = (H256::repeat_byte(5), 1_000);
	// Ferdie is challenged; Alice verifies (the same work); Bob has nothing to do.
	let duty = ComputeDuty::AnswerChallenge { id: 3, seed, size, commit_by: 14 };
	chain.compute_duties.insert(ferdie.into(), vec![duty.clone()]);
	chain.compute_duties.insert(alice.into(), vec![duty]);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	let commits = chain.take();
	assert_eq!(commits.len(), 2, "{commits:?}");
	let commitment_of = |who| match commits.iter().find(|(s, ..)| *s == who) {
		Some((_, Action::CommitChallenge { id: 3, commitment }, _)) => *commitment,
		other => panic!("{other:?}"),
	};
	assert_ne!(commitment_of(ferdie), commitment_of(alice), "each key's own, salted");
	run_blocks(&mut w, &mut chain, COMPUTE_RESEND_BLOCKS - 1);
	assert!(chain.take().is_empty(), "committed once");
	drop(w);

	// After a restart, in the reveal window, each reveals the challenge's answer with the salt
	// that opens its commitment. Bob, who committed nothing, has nothing to reveal (the chain
	// would not ask him: a lost answer looks the same), and says so once.
	chain.now = 15;
	for who in [ferdie, alice] {
		let reveal =
			ComputeDuty::RevealChallenge { id: 3, commitment: commitment_of(who), reveal_by: 18 };
		chain.compute_duties.insert(who.into(), vec![reveal]);
	}
	let lost = ComputeDuty::RevealChallenge { id: 3, commitment: H256::zero(), reveal_by: 18 };
	chain.compute_duties.insert(bob.into(), vec![lost]);
	let mut w = worker(dir.path(), keys());
	w.on_block(&chain);
	w.on_block(&chain);
	let reveals = chain.take();
	assert_eq!(reveals.len(), 2, "{reveals:?}");
	let expected = H256(cohort_ml::challenge::answer(&seed.0, size).unwrap());
	for (who, action, _) in &reveals {
		let Action::RevealChallenge { id: 3, answer, salt } = action else { panic!("{action:?}") };
		assert_eq!(*answer, expected);
		let author = AccountId::from(*who);
		assert_eq!(challenge_commitment(&author, 3, answer, salt), commitment_of(*who));
	}
	let lines = logged(log::Level::Warn, &["challenge //Bob//stash: challenge 3", "no answer"]);
	assert_eq!(lines.len(), 1, "{lines:?}");

	// Once a block carries the reveals, the answers are forgotten.
	let outcomes = reveals.iter().map(|(.., h)| Outcome { extrinsic: *h, error: None }).collect();
	chain.next_block(outcomes);
	chain.compute_duties.clear();
	w.on_block(&chain);
	assert!(cohort_worker::answers::Answers::open(dir.path()).unwrap().is_empty());

	// A commitment at its deadline block could not land: not sent.
	let late = ComputeDuty::AnswerChallenge { id: 4, seed, size, commit_by: chain.now };
	chain.compute_duties.insert(ferdie.into(), vec![late]);
	w.on_block(&chain);
	assert!(chain.take().is_empty());
	assert_eq!(
		logged(log::Level::Warn, &["challenge //Ferdie//stash: challenge 4", "late"]).len(),
		1
	);
}

#[test]
fn a_leased_worker_joins_its_consumers_live_tasks_as_an_aggregator() {
	capture_logs();
	let (dir, mut chain) = setup(10);
	let leased = key("//Ferdie//stash");
	let consumer = AccountId::from(key("//Dave"));
	let base = chain.tasks[&0].clone();
	let task = |owner: &AccountId, status| Task {
		owner: owner.clone(),
		status,
		min_aggregator_bond: 7,
		..base.clone()
	};
	let mut unknown_validation = task(&consumer, TaskStatus::Active);
	unknown_validation.spec.validation_set = H256::repeat_byte(9);
	chain.tasks = [
		(0, task(&consumer, TaskStatus::Finished)),
		(1, task(&consumer, TaskStatus::Active)),
		(2, task(&AccountId::new([3; 32]), TaskStatus::Active)),
		(3, task(&consumer, TaskStatus::Paused)),
		(4, task(&consumer, TaskStatus::Active)),
		(5, unknown_validation),
	]
	.into();
	let joined = Membership { task: 4, role: Role::Aggregator, dataset: None, selected_in: None };
	chain.memberships.insert(leased.into(), vec![joined]);
	let serve =
		ComputeDuty::Serve { lease: 0, consumer: consumer.clone(), until: 100, paid_until: 10 };
	chain.compute_duties.insert(leased.into(), vec![serve]);
	let mut w = worker(dir.path(), participants("serve", &["//Ferdie//stash"]));
	w.on_block(&chain);
	let joins: Vec<_> = chain.take().into_iter().map(|(who, action, _)| (who, action)).collect();
	let join = |task| (leased, Action::Join { task, dataset: None, bond: 7 });
	// The consumer's live tasks it has not joined; not the ended one, not someone else's, not
	// one whose validation set it lacks.
	assert_eq!(joins, vec![join(1), join(3)]);
	let lines =
		logged(log::Level::Warn, &["serve //Ferdie//stash: lease 0", "not aggregating task 5"]);
	assert_eq!(lines.len(), 1, "{lines:?}");
	run_blocks(&mut w, &mut chain, 2);
	assert!(chain.take().is_empty(), "joined once");

	// Once the lease is over, a new task of the consumer is not joined.
	chain.compute_duties.clear();
	chain.tasks.insert(6, task(&consumer, TaskStatus::Active));
	run_blocks(&mut w, &mut chain, 2);
	assert!(chain.take().is_empty());
}

#[test]
fn a_leased_worker_settles_an_hour_of_unpaid_blocks_once_and_leaves_a_lease_about_to_end_to_its_end(
) {
	let (dir, mut chain) = setup(10);
	chain.now = 5_000;
	let leased = key("//Ferdie//stash");
	let consumer = AccountId::from(key("//Dave"));
	// An hour of the chain's 6-s blocks.
	let hour = (SETTLE_EVERY.as_secs() / chain.block_time.as_secs()) as BlockNumber;
	// A price at which an hour of one slot is worth a settle's while, twice over.
	let worth = 2 * SETTLE_AT_LEAST / Balance::from(hour);
	// Blocks served unpaid, and blocks before the lease ends, as of the chain's block.
	let serve = |chain: &mut FakeChain, unpaid: BlockNumber, left: BlockNumber, price: Balance| {
		let (paid_until, until) = (chain.now - unpaid, chain.now + left);
		let duty = ComputeDuty::Serve { lease: 3, consumer: consumer.clone(), until, paid_until };
		chain.compute_duties.insert(leased.into(), vec![duty]);
		let lease = Lease {
			worker: leased.into(),
			consumer: consumer.clone(),
			slots: 1,
			price,
			start: paid_until,
			end: until,
			paid_until,
		};
		chain.leases.insert(3, lease);
	};
	let settles = |chain: &FakeChain| {
		chain
			.take()
			.into_iter()
			.filter(|(who, action, _)| *who == leased && *action == Action::Settle { lease: 3 })
			.count()
	};
	let mut w = worker(dir.path(), participants("settle", &["//Ferdie//stash"]));

	// Less than an hour unpaid: not yet.
	serve(&mut chain, hour - 1, 10 * hour, worth);
	w.on_block(&chain);
	assert_eq!(settles(&chain), 0);
	// An hour unpaid: settled, once (and again only if the chain has not taken it).
	serve(&mut chain, hour - 1, 10 * hour, worth);
	run_blocks(&mut w, &mut chain, 1);
	assert_eq!(settles(&chain), 1);
	run_blocks(&mut w, &mut chain, COMPUTE_RESEND_BLOCKS - 1);
	assert_eq!(settles(&chain), 0, "not every block");
	// Paid: nothing more to settle for an hour.
	serve(&mut chain, 0, 10 * hour, worth);
	run_blocks(&mut w, &mut chain, 2 * COMPUTE_RESEND_BLOCKS);
	assert_eq!(settles(&chain), 0);

	// A lease unpaid for two hours that ends within the hour is left to its end, which pays it.
	let mut w = worker(dir.path(), participants("settle", &["//Ferdie//stash"]));
	serve(&mut chain, 2 * hour, hour - 1, worth);
	run_blocks(&mut w, &mut chain, 2);
	assert_eq!(settles(&chain), 0);

	// Nor a lease so cheap that two hours of it pay less than a settle is worth: its end pays.
	serve(&mut chain, 2 * hour, 10 * hour, SETTLE_AT_LEAST / Balance::from(4 * hour));
	run_blocks(&mut w, &mut chain, 2);
	assert_eq!(settles(&chain), 0);
}
