//! What the worker does for each duty, once per block.
//!
//! - `Train`: build the global model (the task's seeded initial model, or the last aggregate read
//!   from its block), train on the key's dataset, quantize and frame the update, draw a salt,
//!   journal both, and submit `commit_update`.
//! - `Reveal`: submit `reveal_update` with the journaled update and salt.
//! - `Aggregate`: read every accepted update from its block, aggregate onto the global model with
//!   the task's rule (OpenCL when present), score each update on the validation set, and submit
//!   `submit_aggregate` (with the payload unless an earlier submission carried it).
//!
//! Every update gets weight 1 in the weighted mean: the chain does not carry trainers' sample
//! counts (a trainer could inflate its own), so every aggregator uses the same equal weights.

use std::{
	collections::HashMap,
	time::{Duration, Instant},
};

use cohort_ml::{
	aggregate::Update,
	codec::{self, dequantize, quantize},
	evaluate::{Aggregated, Validation},
	model::Architecture,
	opencl::Aggregator,
	train::{train, TrainingConfig},
	Device,
};
use cohort_primitives::{
	api::Duty, task::InitialModel, DatasetId, PayloadHeader, PayloadKind, RoundIndex, TaskId,
	TaskStatus,
};
use sp_core::{crypto::Ss58Codec, sr25519, H256};

use crate::{
	chain::{AccountId, Action, Balance, BlockNumber, Chain, Payload, Task},
	data::DataDir,
	journal::{Committed, Entry, Journal, Key, Kind},
};

const LOG: &str = "cohort-worker";

/// Joining tasks on its own: only the simulated owners of `--dev` do this; a real participant
/// joins deliberately and the worker serves its duties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoJoin {
	Trainer { dataset: DatasetId, bond: Balance },
	Aggregator { bond: Balance },
}

/// A key of the worker's key type in the node's keystore.
#[derive(Debug, Clone)]
pub struct Participant {
	pub public: sr25519::Public,
	/// For logs.
	pub name: String,
	pub auto_join: Option<AutoJoin>,
}

impl Participant {
	fn account(&self) -> AccountId {
		AccountId::from(self.public)
	}
}

/// Where a round's wall time went, on this worker.
#[derive(Debug, Default)]
struct RoundClock {
	started: Option<Instant>,
	training: Duration,
	aggregation: Duration,
}

#[derive(Debug, thiserror::Error)]
enum DutyError {
	#[error("{0}")]
	Failed(String),
}

fn fail(e: impl std::fmt::Display) -> DutyError {
	DutyError::Failed(e.to_string())
}

/// The worker: its keys, data, journal and caches.
pub struct Worker {
	participants: Vec<Participant>,
	data: DataDir,
	journal: Journal,
	aggregator: Aggregator,
	device: Device,
	/// Global models by payload hash (the initial ones by task).
	globals: HashMap<(TaskId, Option<H256>), Vec<i32>>,
	/// Auto-joining looks at tasks from this one on: every task before it is over.
	next_task: TaskId,
	clocks: HashMap<(TaskId, RoundIndex), RoundClock>,
}

impl Worker {
	pub fn new(
		participants: Vec<Participant>,
		data: DataDir,
		aggregator: Aggregator,
	) -> Result<Self, String> {
		let journal = Journal::open(data.root()).map_err(|e| e.to_string())?;
		if participants.is_empty() {
			log::warn!(
				target: LOG,
				"🧠 ML worker has no keys: insert one with `cohort-node key insert --key-type cohw \
				 --scheme sr25519`, then restart"
			);
		}
		let device = cohort_ml::training_device();
		log::info!(
			target: LOG,
			"🧠 ML worker with {} key(s): {}; training on {device:?}; aggregating on {}",
			participants.len(),
			participants.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
			aggregator.backend(),
		);
		Ok(Self {
			participants,
			data,
			journal,
			aggregator,
			device,
			globals: HashMap::new(),
			next_task: 0,
			clocks: HashMap::new(),
		})
	}

	/// Does everything due at the chain's best block. Errors are logged, never fatal: the next
	/// block tries again.
	pub fn on_block(&mut self, chain: &impl Chain) {
		let now = chain.best_number();
		self.auto_join(chain, now);
		for p in self.participants.clone() {
			let duties = match chain.duties(&p.account()) {
				Ok(d) => d,
				Err(e) => {
					log::warn!(target: LOG, "{}: cannot read duties: {e}", p.name);
					continue;
				},
			};
			for duty in duties {
				if let Err(e) = self.act(chain, &p, duty, now) {
					log::warn!(target: LOG, "{}: {e}", p.name);
				}
			}
		}
	}

	fn key(p: &Participant, task: TaskId, round: RoundIndex, kind: Kind) -> Key {
		Key { round, task, who: p.public.0, kind }
	}

	fn submit(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		key: Key,
		entry: Entry,
		action: Action,
	) -> Result<(), DutyError> {
		self.journal.record(key, entry).map_err(fail)?;
		chain.submit(&p.public, action).map_err(fail)
	}

	fn act(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		duty: Duty<AccountId, BlockNumber>,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		match duty {
			Duty::Train { task, round, dataset, global_model, .. } => {
				let key = Self::key(p, task, round, Kind::Commit);
				let committed = self.journal.get(&key).and_then(|e| e.committed.clone());
				if let Some(c) = committed {
					// Trained before (perhaps before a restart): resend the same commitment.
					if self.journal.due(&key, now) {
						let entry = Entry { submitted_at: now, committed: Some(c.clone()) };
						let action = Action::Commit { task, round, commitment: c.commitment };
						self.submit(chain, p, key, entry, action)?;
					}
					return Ok(());
				}
				self.round_started(task, round);
				let started = Instant::now();
				let info = self.task(chain, task)?;
				let arch = Architecture::of(&info.spec.model).map_err(fail)?;
				let global = self.global(chain, task, &info, global_model.as_ref())?;
				let scale = info.spec.scale;
				let data = self.data.dataset(dataset).map_err(fail)?;
				let config = TrainingConfig::from_params(&info.spec.training, rand::random());
				let trained =
					train(&arch, &dequantize(&global, scale), data, &config, &self.device)
						.map_err(fail)?;
				let values = quantize(&trained.update, scale).map_err(fail)?;
				let update = codec::encode(PayloadKind::Update, task, round, scale, &values)
					.map_err(fail)?;
				if update.len() > info.spec.max_payload_bytes as usize {
					return Err(fail(format!(
						"task {task}: an update is {} bytes, the task allows {}",
						update.len(),
						info.spec.max_payload_bytes
					)));
				}
				let salt: [u8; 32] = rand::random();
				let commitment = codec::commitment(&update, &salt);
				let elapsed = started.elapsed();
				self.clock(task, round).training += elapsed;
				log::info!(
					target: LOG,
					"🧠 task {task} round {round}: {} trained on {} samples in {:.1} s, loss {:.3} → {:.3}; committing",
					p.name,
					trained.samples,
					elapsed.as_secs_f32(),
					trained.epoch_losses.first().copied().unwrap_or_default(),
					trained.epoch_losses.last().copied().unwrap_or_default(),
				);
				self.journal.save_update(&key, &update).map_err(fail)?;
				let entry =
					Entry { submitted_at: now, committed: Some(Committed { commitment, salt }) };
				self.submit(chain, p, key, entry, Action::Commit { task, round, commitment })
			},
			Duty::Reveal { task, round, commitment, .. } => {
				let key = Self::key(p, task, round, Kind::Reveal);
				if !self.journal.due(&key, now) {
					return Ok(());
				}
				let commit_key = Self::key(p, task, round, Kind::Commit);
				let salt = self
					.journal
					.get(&commit_key)
					.and_then(|e| e.committed.clone())
					.filter(|c| c.commitment == commitment)
					.map(|c| c.salt);
				let update = self.journal.update(&commit_key).map_err(fail)?;
				let (Some(salt), Some(update)) = (salt, update) else {
					return Err(fail(format!(
						"task {task} round {round}: no journaled update behind commitment \
						 {commitment:?}; it cannot be revealed"
					)));
				};
				log::info!(target: LOG, "🧠 task {task} round {round}: {} reveals its update", p.name);
				let action = Action::Reveal { task, round, update, salt };
				self.submit(chain, p, key, Entry { submitted_at: now, committed: None }, action)
			},
			Duty::Aggregate { task, round, global_model, updates, payload_known, .. } => {
				let key = Self::key(p, task, round, Kind::Aggregate);
				if !self.journal.due(&key, now) {
					return Ok(());
				}
				self.round_started(task, round);
				let started = Instant::now();
				let info = self.task(chain, task)?;
				let spec = &info.spec;
				let arch = Architecture::of(&spec.model).map_err(fail)?;
				let global = self.global(chain, task, &info, global_model.as_ref())?;
				let expected = PayloadHeader {
					kind: PayloadKind::Update,
					task,
					round,
					parameter_count: info.parameter_count,
					scale: spec.scale,
				};
				let mut values = Vec::with_capacity(updates.len());
				for (_, at) in &updates {
					let bytes = chain.payload(at).map_err(fail)?;
					values.push(codec::decode_expecting(&bytes, expected).map_err(fail)?);
				}
				let inputs: Vec<Update> =
					values.iter().map(|v| Update { values: v, weight: 1 }).collect();
				let validation = self.data.validation(spec.validation_set).map_err(fail)?;
				let check = Validation {
					arch: &arch,
					scale: spec.scale,
					data: validation,
					device: &self.device,
				};
				let Aggregated { model, scores, quality } = check
					.aggregate_and_score(&self.aggregator, &spec.aggregation, &global, &inputs)
					.map_err(fail)?;
				let payload =
					codec::encode(PayloadKind::Aggregate, task, round, spec.scale, &model)
						.map_err(fail)?;
				let hash = codec::payload_hash(&payload);
				let elapsed = started.elapsed();
				self.clock(task, round).aggregation += elapsed;
				log::info!(
					target: LOG,
					"🧠 task {task} round {round}: {} aggregated {} updates in {:.1} s: validation loss {:.3}, accuracy {:.1}%; scores {:?}",
					p.name,
					inputs.len(),
					elapsed.as_secs_f32(),
					quality.loss,
					quality.accuracy * 100.0,
					scores,
				);
				let payload = (!payload_known.contains(&hash)).then_some(payload);
				let action = Action::Aggregate { task, round, aggregate: hash, scores, payload };
				self.submit(chain, p, key, Entry { submitted_at: now, committed: None }, action)
			},
		}
	}

	fn task(&self, chain: &impl Chain, task: TaskId) -> Result<Task, DutyError> {
		chain.task(task).map_err(fail)?.ok_or_else(|| fail(format!("task {task} is unknown")))
	}

	/// The global model a duty starts from, quantized.
	fn global(
		&mut self,
		chain: &impl Chain,
		task: TaskId,
		info: &Task,
		at: Option<&Payload>,
	) -> Result<Vec<i32>, DutyError> {
		let cache = (task, at.map(|p| p.hash));
		if let Some(model) = self.globals.get(&cache) {
			return Ok(model.clone());
		}
		let spec = &info.spec;
		let model = match at {
			None => match spec.initial_model {
				InitialModel::Seed(seed) => {
					let arch = Architecture::of(&spec.model).map_err(fail)?;
					quantize(&arch.initial_parameters(seed), spec.scale).map_err(fail)?
				},
				InitialModel::Hash(_) => {
					return Err(fail(format!(
						"task {task} starts from a model given by hash; this worker only builds \
						 seeded initial models"
					)))
				},
			},
			Some(at) => {
				let bytes = chain.payload(at).map_err(fail)?;
				let (header, values) = codec::decode(&bytes).map_err(fail)?;
				if header.kind != PayloadKind::Aggregate
					|| header.task != task
					|| header.parameter_count != info.parameter_count
					|| header.scale != spec.scale
				{
					return Err(fail(format!(
						"task {task}: the global model's header is {header:?}"
					)));
				}
				values
			},
		};
		self.globals.insert(cache, model.clone());
		Ok(model)
	}

	fn clock(&mut self, task: TaskId, round: RoundIndex) -> &mut RoundClock {
		self.clocks.entry((task, round)).or_default()
	}

	/// Notes the first duty seen in a round; a round's first duty closes the previous round's
	/// clock and logs where its time went.
	fn round_started(&mut self, task: TaskId, round: RoundIndex) {
		if self.clock(task, round).started.is_some() {
			return;
		}
		self.clock(task, round).started = Some(Instant::now());
		let Some(previous) = round.checked_sub(1) else { return };
		if let Some(clock) = self.clocks.remove(&(task, previous)) {
			if let Some(started) = clock.started {
				let total = started.elapsed();
				let waiting = total.saturating_sub(clock.training + clock.aggregation);
				log::info!(
					target: LOG,
					"⏱️ task {task} round {previous}: {:.1} s in all = training {:.1} s + aggregation {:.1} s + waiting for blocks {:.1} s",
					total.as_secs_f32(),
					clock.training.as_secs_f32(),
					clock.aggregation.as_secs_f32(),
					waiting.as_secs_f32(),
				);
			}
		}
	}

	/// Creates `spec` as a task owned by `owner` unless the chain already has a task (the dev
	/// demo: `--ml-demo-task`).
	pub fn create_demo_task(
		&mut self,
		chain: &impl Chain,
		owner: &sr25519::Public,
		spec: cohort_primitives::TaskSpec<Balance, BlockNumber>,
	) {
		match chain.task(0) {
			Ok(None) => {
				log::info!(target: LOG, "🧠 creating the demo task: digits, {} rounds", spec.rounds);
				if let Err(e) = chain.submit(owner, Action::CreateTask { spec }) {
					log::warn!(target: LOG, "cannot create the demo task: {e}");
				}
			},
			Ok(Some(_)) => log::info!(target: LOG, "🧠 the chain has tasks: no demo task"),
			Err(e) => log::warn!(target: LOG, "cannot read tasks: {e}"),
		}
	}

	/// Simulated owners join every active task they can serve (dev only; see [`AutoJoin`]).
	fn auto_join(&mut self, chain: &impl Chain, now: BlockNumber) {
		if self.participants.iter().all(|p| p.auto_join.is_none()) {
			return;
		}
		// Every task from the first one still open, each block: a join the chain did not take
		// is retried (journal.rs), and finished tasks are passed for good.
		let mut task = self.next_task;
		loop {
			let info = match chain.task(task) {
				Ok(Some(info)) => info,
				Ok(None) => return,
				Err(e) => {
					log::warn!(target: LOG, "cannot read task {task}: {e}");
					return;
				},
			};
			match info.status {
				TaskStatus::Finished | TaskStatus::Cancelled if task == self.next_task => {
					self.next_task += 1;
				},
				TaskStatus::Active => {
					for p in self.participants.clone() {
						if let Err(e) = self.join(chain, &p, task, &info, now) {
							log::warn!(target: LOG, "{}: not joining task {task}: {e}", p.name);
						}
					}
				},
				_ => {},
			}
			task += 1;
		}
	}

	fn join(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		info: &Task,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let Some(plan) = &p.auto_join else { return Ok(()) };
		let key = Self::key(p, task, 0, Kind::Join);
		let joined = chain.memberships(&p.account()).map_err(fail)?.iter().any(|m| m.task == task);
		if joined || !self.journal.due(&key, now) {
			return Ok(());
		}
		let arch = Architecture::of(&info.spec.model).map_err(fail)?;
		// Tasks this participant cannot serve are passed over quietly: they are someone else's.
		let (dataset, bond) = match plan {
			AutoJoin::Trainer { dataset, bond } => {
				let data = self.data.dataset(*dataset).map_err(fail)?;
				if data.feature_count != arch.inputs || data.class_count > arch.classes {
					log::debug!(target: LOG, "{}: task {task} does not fit its data", p.name);
					return Ok(());
				}
				(Some(*dataset), *bond)
			},
			AutoJoin::Aggregator { bond } => {
				if let Err(e) = self.data.validation(info.spec.validation_set) {
					log::debug!(target: LOG, "{}: not aggregating task {task}: {e}", p.name);
					return Ok(());
				}
				(None, *bond)
			},
		};
		log::info!(
			target: LOG,
			"🧠 {} ({}) joins task {task} as {}",
			p.name,
			p.account().to_ss58check(),
			if dataset.is_some() { "a trainer" } else { "an aggregator" },
		);
		let entry = Entry { submitted_at: now, committed: None };
		self.submit(chain, p, key, entry, Action::Join { task, dataset, bond })
	}
}
