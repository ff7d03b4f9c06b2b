//! The worker: its keys, what it keeps between blocks, and what it does once per block.
//!
//! At each new best block it reads the outcome of the extrinsics it sent ([`Chain::outcomes`]),
//! prunes the journal of finished rounds now and then, joins tasks (dev only), serves each key's
//! compute duties ([`compute`]: offers, heartbeats, challenges, leases), then each key's
//! federated duties ([`duties`]; the dev cheaters' in [`cheat`]). Failures are logged once each,
//! with the key, the task and the round; the next block tries again.

mod cheat;
mod compute;
mod data_check;
mod duties;
mod rewards;

use std::{
	collections::{BTreeMap, HashMap},
	time::{Duration, Instant},
};

use cohort_ml::{model::Architecture, opencl::Aggregator, Device};
use cohort_primitives::{
	api::Duty, dataset::ContentCommitment, DatasetId, RoundIndex, TaskId, TaskStatus,
};
use sp_core::{crypto::Ss58Codec, sr25519, H256};

use crate::{
	cache::Recent,
	chain::{AccountId, Action, Balance, BlockNumber, Chain, Task, Terms},
	data::DataDir,
	journal::{Journal, Key, Kind, Settled},
	log_once::LogOnce,
};

pub use compute::{RESEND_BLOCKS as COMPUTE_RESEND_BLOCKS, SETTLE_AT_LEAST, SETTLE_EVERY};
use data_check::DataCheck;
pub use data_check::DATA_CHECK_EVERY;
use duties::TrainDuty;
pub use duties::{can_meet, claimed_samples, reference_seed};
pub use rewards::{ClaimAfter, REWARDS_EVERY};

const LOG: &str = "cohort-worker";

/// Global models kept in memory (each as large as an update): a few tasks' current models.
pub const GLOBALS_KEPT: usize = 4;
/// Blocks between two prunings of the journal (it is also pruned whenever it is full).
pub const PRUNE_EVERY: BlockNumber = 32;
/// How far back the outcomes of sent extrinsics are looked for after a restart or a long
/// training run.
pub const SCAN_BACK: BlockNumber = 64;
/// The extrinsics a round needs, one after the other, each in a block after the one before:
/// commit and reveal an update, commit and reveal scores, commit and reveal the aggregate. A
/// round can take no less than this many block times (its floor).
pub const INCLUSIONS: u32 = 6;
/// Task ids looked at past one the chain does not have (a pruned task leaves a gap).
const TASK_LOOKAHEAD: TaskId = 4;
/// A worker joining a task on its own bonds at least this many times the task's minimum for the
/// role: each penalty takes the task's `penalty` of the bond, and rounds draw only bonds at the
/// minimum or above, so a bond at the bare minimum would stop being drawn after one mistake.
const BOND_OVER_MINIMUM: u32 = 2;

/// Joining tasks on its own: only the simulated owners of `--dev` do this; a real participant
/// joins deliberately and the worker serves its duties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoJoin {
	Trainer { dataset: DatasetId, bond: Balance },
	Aggregator { bond: Balance },
}

/// How a key serves its duties. Only `--dev --ml-dev-cheaters` and `--ml-dev-poisoners` use
/// anything but [`Behaviour::Honest`]: to show the chain refusing cheats and poisoned updates.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
	/// Trains, aggregates and reveals what it committed.
	Honest,
	/// Never trains: commits a copy of another trainer's commitment, then reveals that
	/// trainer's update with a salt of its own. The chain must refuse the reveal.
	CopyingTrainer,
	/// Never scores nor aggregates: commits random commitments, then reveals the first other
	/// aggregator's scores and result. The chain must refuse the reveals.
	LazyAggregator,
	/// Scores as an honest aggregator, then commits to and reveals 0 for every update (what a
	/// colluder out to fail honest trainers sends); aggregates honestly. The committee must
	/// find its scores strayed, penalise it, and decide the round without them.
	ColludingAggregator,
	/// Trains on data poisoned by the attack (label flipping), poisons the update (scaled,
	/// noised), and commits and reveals it as an honest trainer would. The aggregators' scores
	/// must keep it out of the model.
	Poisoner(cohort_ml::attack::Attack),
}

/// A key of the worker's key type in the node's keystore.
#[derive(Debug, Clone)]
pub struct Participant {
	pub public: sr25519::Public,
	/// For logs.
	pub name: String,
	pub auto_join: Option<AutoJoin>,
	pub behaviour: Behaviour,
	/// Offers compute on these terms: the worker registers an offer for this key when the
	/// chain has none (the dev providers; see [`compute`]). Any key with an offer, registered
	/// so or not, serves its compute duties.
	pub provider: Option<Terms>,
}

impl Participant {
	/// An honest key that joins nothing on its own and offers no compute on its own.
	pub fn new(public: sr25519::Public, name: String) -> Self {
		Self { public, name, auto_join: None, behaviour: Behaviour::Honest, provider: None }
	}

	fn account(&self) -> AccountId {
		AccountId::from(self.public)
	}
}

/// Where a round's wall time went, on this worker.
#[derive(Debug, Default)]
struct RoundClock {
	started: Option<Instant>,
	/// The best block when the round's first duty was seen.
	started_at: BlockNumber,
	training: Duration,
	scoring: Duration,
	aggregation: Duration,
}

/// Work whose duration the worker measures, to know whether it can meet a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Work {
	Training,
	Scoring,
	Aggregation,
}

/// Why a duty was not served; logged once with the key, task and round.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct DutyError(String);

fn fail(e: impl std::fmt::Display) -> DutyError {
	DutyError(e.to_string())
}

/// The task and round a duty is about, for logs.
fn about(duty: &Duty<AccountId, BlockNumber>) -> (TaskId, RoundIndex) {
	match *duty {
		Duty::Train { task, round, .. }
		| Duty::Reveal { task, round, .. }
		| Duty::Score { task, round, .. }
		| Duty::RevealScores { task, round, .. }
		| Duty::Aggregate { task, round, .. }
		| Duty::RevealAggregate { task, round, .. } => (task, round),
	}
}

/// Where a task stands, for pruning.
#[derive(Clone, Copy)]
enum TaskState {
	/// Running or paused; rounds before this one are closed.
	Live { next_round: RoundIndex },
	/// Finished, cancelled, expired, or gone from the chain.
	Ended,
}

/// The worker: its keys, data, journal and caches.
pub struct Worker {
	participants: Vec<Participant>,
	data: DataDir,
	journal: Journal,
	aggregator: Aggregator,
	device: Device,
	/// Global models by task and payload hash (`None`: the task's initial model).
	globals: Recent<(TaskId, Option<H256>), Vec<i32>>,
	/// Auto-joining looks at tasks from this one on: every task before it is over.
	next_task: TaskId,
	clocks: HashMap<(TaskId, RoundIndex), RoundClock>,
	/// The last measured duration of each task's training and aggregation.
	work_times: HashMap<(TaskId, Work), Duration>,
	/// The last block whose extrinsics' outcomes were read.
	scanned: Option<BlockNumber>,
	/// Submissions not in the journal (the demo task) whose outcome is awaited, for logs.
	watched: HashMap<H256, String>,
	/// Offers, heartbeats, challenge answers and leases ([`compute`]).
	compute: compute::Compute,
	pruned_at: BlockNumber,
	/// When rewards are claimed ([`rewards`]), when they were last looked for, and the claims
	/// sent (by key, era and role) with when.
	claim_after: ClaimAfter,
	rewards_checked: BlockNumber,
	claims_sent: HashMap<rewards::ClaimKey, BlockNumber>,
	/// What each dataset's file commits to, by id and shards, once computed ([`data_check`]);
	/// when memberships were last checked; the leaves sent (by key and task) with when.
	data_commitments: HashMap<(DatasetId, Option<u32>), ContentCommitment>,
	data_checked: BlockNumber,
	leaving: HashMap<([u8; 32], TaskId), BlockNumber>,
	once: LogOnce,
}

impl Worker {
	/// A worker for `participants`, with its journal in the data directory.
	pub fn new(
		participants: Vec<Participant>,
		data: DataDir,
		aggregator: Aggregator,
	) -> Result<Self, String> {
		let journal = Journal::open(data.root()).map_err(|e| e.to_string())?;
		let compute = compute::Compute::open(data.root()).map_err(|e| e.to_string())?;
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
			globals: Recent::new(GLOBALS_KEPT),
			next_task: 0,
			clocks: HashMap::new(),
			work_times: HashMap::new(),
			scanned: None,
			watched: HashMap::new(),
			compute,
			pruned_at: 0,
			claim_after: ClaimAfter::default(),
			rewards_checked: 0,
			claims_sent: HashMap::new(),
			data_commitments: HashMap::new(),
			data_checked: 0,
			leaving: HashMap::new(),
			once: LogOnce::default(),
		})
	}

	/// Claims the keys' rewards when `after` says (by default once half the claim window has
	/// passed).
	pub fn with_claims(mut self, after: ClaimAfter) -> Self {
		self.claim_after = after;
		self
	}

	/// Keeps at most `capacity` journal entries (tests use small journals).
	pub fn with_journal_capacity(mut self, capacity: usize) -> Self {
		self.journal.set_capacity(capacity);
		self
	}

	/// The journal, for inspection.
	pub fn journal(&self) -> &Journal {
		&self.journal
	}

	/// Does everything due at the chain's best block. Errors are logged, never fatal: the next
	/// block tries again.
	pub fn on_block(&mut self, chain: &impl Chain) {
		let now = chain.best_number();
		self.read_outcomes(chain, now);
		if now >= self.pruned_at.saturating_add(PRUNE_EVERY) {
			self.prune(chain, now);
		}
		self.check_memberships(chain, now);
		self.auto_join(chain, now);
		self.serve_compute(chain, now);
		self.claim_rewards(chain, now);
		// Training duties first, the keys' trainings side by side; then the rest in order.
		let mut training = Vec::new();
		let mut others = Vec::new();
		for p in self.participants.clone() {
			let duties = match chain.duties(&p.account()) {
				Ok(d) => d,
				Err(e) => {
					self.once.warn(format!("{}: cannot read duties: {e}", p.name));
					continue;
				},
			};
			for duty in duties {
				match duty {
					Duty::Train { task, round, dataset, global_model, commit_by }
						if !matches!(p.behaviour, Behaviour::CopyingTrainer) =>
					{
						let duty = TrainDuty { task, round, dataset, global_model, commit_by };
						training.push((p.clone(), duty))
					},
					duty => others.push((p.clone(), duty)),
				}
			}
		}
		self.train_side_by_side(chain, training, now);
		for (p, duty) in others {
			let (task, round) = about(&duty);
			if let Err(e) = self.act(chain, &p, duty, now) {
				self.once.warn(format!("{}: task {task} round {round}: {e}", p.name));
			}
		}
	}

	fn key(p: &Participant, task: TaskId, round: RoundIndex, kind: Kind) -> Key {
		Key { task, round, who: p.public.0, kind }
	}

	/// Journals `key` as sent at `now`, submits `action`, and journals the extrinsic's hash,
	/// whose outcome [`Self::read_outcomes`] then looks for.
	fn submit(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		key: Key,
		action: Action,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		if self.journal.len() >= self.journal.capacity() {
			self.prune(chain, now);
		}
		self.journal.record(key, now).map_err(fail)?;
		let extrinsic = chain.submit(&p.public, action).map_err(fail)?;
		self.journal.sent(&key, extrinsic).map_err(fail)
	}

	fn name_of(&self, who: &[u8; 32]) -> String {
		self.participants
			.iter()
			.find(|p| p.public.0 == *who)
			.map(|p| p.name.clone())
			.unwrap_or_else(|| AccountId::new(*who).to_ss58check())
	}

	/// Reads what became of the extrinsics sent: the blocks since the last one read (at most
	/// [`SCAN_BACK`]). A refused one is logged once, with the runtime's error, and never sent
	/// again (journal.rs).
	fn read_outcomes(&mut self, chain: &impl Chain, now: BlockNumber) {
		if !self.journal.awaits_outcomes()
			&& self.watched.is_empty()
			&& !self.compute.awaits_outcomes()
		{
			self.scanned = Some(now);
			return;
		}
		let oldest = now.saturating_sub(SCAN_BACK).max(1);
		let from = self.scanned.map_or(oldest, |s| s.saturating_add(1).max(oldest));
		for block in from..=now {
			let outcomes = match chain.outcomes(block) {
				Ok(Some(outcomes)) => outcomes,
				Ok(None) => return,
				Err(e) => {
					self.once.warn(format!("cannot read the outcomes of extrinsics: {e}"));
					return;
				},
			};
			for outcome in outcomes {
				if let Some(what) = self.watched.remove(&outcome.extrinsic) {
					match outcome.error {
						None => log::info!(target: LOG, "🧠 {what}: in block {block}"),
						Some(e) => log::error!(
							target: LOG,
							"🧠 {what}: refused by the runtime in block {block}: {e}"
						),
					}
					continue;
				}
				if self.settle_compute(&outcome.extrinsic, block, &outcome.error) {
					continue;
				}
				match self.journal.settle(&outcome.extrinsic, block, outcome.error) {
					Ok(Some((key, settled))) => self.log_settled(&key, block, settled),
					Ok(None) => {},
					Err(e) => self.once.warn(format!("cannot journal an outcome: {e}")),
				}
			}
			self.scanned = Some(block);
		}
	}

	fn log_settled(&self, key: &Key, block: BlockNumber, settled: Settled) {
		let name = self.name_of(&key.who);
		let what = match key.kind {
			Kind::Join => format!("task {}", key.task),
			_ => format!("task {} round {}", key.task, key.round),
		};
		let call = key.kind.name();
		match settled {
			Settled::Included => {
				log::debug!(target: LOG, "{name}: {what}: {call} is in block {block}")
			},
			Settled::Refused(error) => log::error!(
				target: LOG,
				"🧠 {name}: {what}: {call} was refused by the runtime in block {block}: {error}; \
				 not sending it again",
			),
			Settled::Stale(error) => log::debug!(
				target: LOG,
				"{name}: {what}: another copy of {call} in block {block} ({error:?}); the first \
				 one counts",
			),
		}
	}

	/// Removes the journal's entries and sealed files, and the worker's notes, of rounds the
	/// chain has closed and tasks that ended. A task the chain cannot tell about is kept.
	fn prune(&mut self, chain: &impl Chain, now: BlockNumber) {
		self.pruned_at = now;
		let mut tasks: BTreeMap<TaskId, TaskState> = BTreeMap::new();
		let named = self
			.journal
			.tasks()
			.into_iter()
			.chain(self.clocks.keys().map(|(t, _)| *t))
			.chain(self.work_times.keys().map(|(t, _)| *t));
		for task in named {
			if tasks.contains_key(&task) {
				continue;
			}
			let state = match chain.task(task) {
				Ok(Some(info)) if info.status.is_live() => {
					TaskState::Live { next_round: info.next_round }
				},
				Ok(_) => TaskState::Ended,
				Err(e) => {
					self.once.warn(format!("task {task}: cannot read it to prune: {e}"));
					continue;
				},
			};
			tasks.insert(task, state);
		}
		let closed = |task: TaskId, round: RoundIndex| match tasks.get(&task) {
			Some(TaskState::Ended) => true,
			Some(TaskState::Live { next_round }) => round < *next_round,
			None => false,
		};
		let finished = |key: &Key| match key.kind {
			Kind::Join => matches!(tasks.get(&key.task), Some(TaskState::Ended)),
			_ => closed(key.task, key.round),
		};
		match self.journal.prune(finished) {
			Ok(0) => {},
			Ok(n) => log::debug!(target: LOG, "pruned {n} journal entries of finished rounds"),
			Err(e) => self.once.warn(format!("cannot prune the journal: {e}")),
		}
		// A round's clock is logged when the next one starts; keep the last closed one's.
		self.clocks.retain(|(task, round), _| !closed(*task, round.saturating_add(1)));
		self.work_times.retain(|(task, _), _| !matches!(tasks.get(task), Some(TaskState::Ended)));
	}

	fn task(&self, chain: &impl Chain, task: TaskId) -> Result<Task, DutyError> {
		chain.task(task).map_err(fail)?.ok_or_else(|| fail("the chain has no such task"))
	}

	fn clock(&mut self, task: TaskId, round: RoundIndex) -> &mut RoundClock {
		self.clocks.entry((task, round)).or_default()
	}

	/// Notes the first duty seen in a round (at best block `now`); a round's first duty closes
	/// the previous round's clock and logs where its time went, next to the round's floor: its
	/// [`INCLUSIONS`] at one block time each.
	fn round_started(
		&mut self,
		task: TaskId,
		round: RoundIndex,
		now: BlockNumber,
		block_time: Duration,
	) {
		if self.clock(task, round).started.is_some() {
			return;
		}
		let clock = self.clock(task, round);
		clock.started = Some(Instant::now());
		clock.started_at = now;
		let Some(previous) = round.checked_sub(1) else { return };
		if let Some(clock) = self.clocks.remove(&(task, previous)) {
			if let Some(started) = clock.started {
				let total = started.elapsed();
				let busy = clock.training + clock.scoring + clock.aggregation;
				let waiting = total.saturating_sub(busy);
				let floor = block_time * INCLUSIONS;
				log::info!(
					target: LOG,
					"⏱️ task {task} round {previous}: {:.1} s in all, {} blocks, {:.2}× its floor of {:.1} s ({INCLUSIONS} inclusions × {:.1} s blocks) = training {:.1} s + scoring {:.1} s + aggregation {:.1} s + waiting for blocks {:.1} s",
					total.as_secs_f32(),
					now.saturating_sub(clock.started_at),
					total.as_secs_f64() / floor.as_secs_f64().max(f64::MIN_POSITIVE),
					floor.as_secs_f32(),
					block_time.as_secs_f32(),
					clock.training.as_secs_f32(),
					clock.scoring.as_secs_f32(),
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
				match chain.submit(owner, Action::CreateTask { spec }) {
					Ok(extrinsic) => {
						self.watched.insert(extrinsic, "the demo task's create_task".into());
					},
					Err(e) => log::warn!(target: LOG, "cannot create the demo task: {e}"),
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
		// is retried (journal.rs), and ended tasks are passed for good. A task id the chain
		// does not have is either not created yet or pruned: look a few ids further.
		let mut task = self.next_task;
		let mut misses = 0;
		let mut all_over = true;
		while misses <= TASK_LOOKAHEAD {
			let info = match chain.task(task) {
				Ok(Some(info)) => info,
				Ok(None) => {
					misses += 1;
					task += 1;
					continue;
				},
				Err(e) => {
					self.once.warn(format!("task {task}: cannot read it to join: {e}"));
					return;
				},
			};
			misses = 0;
			match info.status {
				TaskStatus::Active => {
					all_over = false;
					for p in self.participants.clone() {
						if let Err(e) = self.join(chain, &p, task, &info, now) {
							self.once.warn(format!("{}: task {task}: not joining: {e}", p.name));
						}
					}
				},
				TaskStatus::Paused => all_over = false,
				TaskStatus::Finished
				| TaskStatus::Cancelled
				| TaskStatus::Expired
				| TaskStatus::Evicted => {
					if all_over {
						self.next_task = task + 1;
					}
				},
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
		if !self.journal.due(&key, now) {
			return Ok(());
		}
		let joined = chain.memberships(&p.account()).map_err(fail)?.iter().any(|m| m.task == task);
		if joined {
			return Ok(());
		}
		let arch = Architecture::of(&info.spec.model).map_err(fail)?;
		// Tasks this participant cannot serve are passed over quietly: they are someone else's.
		let (dataset, bond) = match plan {
			AutoJoin::Trainer { dataset, bond } => {
				match self.check_data(chain, *dataset) {
					DataCheck::Fits => {},
					DataCheck::Misfit(e) | DataCheck::Unknown(e) => {
						self.once.warn(format!("{}: not joining task {task}: {e}", p.name));
						return Ok(());
					},
				}
				let data = self.data.dataset(*dataset).map_err(fail)?;
				if data.feature_count != arch.inputs || data.class_count > arch.classes {
					log::debug!(target: LOG, "{}: task {task} does not fit its data", p.name);
					return Ok(());
				}
				// A task whose stated ε does not cover its noise would be refused at training:
				// do not bond into it.
				if let Some(Err(e)) =
					info.spec.training.dp.as_ref().map(cohort_ml::privacy::check_round)
				{
					self.once.warn(format!("{}: not joining task {task}: {e}", p.name));
					return Ok(());
				}
				(
					Some(*dataset),
					(*bond).max(info.min_trainer_bond.saturating_mul(BOND_OVER_MINIMUM.into())),
				)
			},
			AutoJoin::Aggregator { bond } => {
				if let Err(e) = self.data.validation(info.spec.validation_set) {
					log::debug!(target: LOG, "{}: not aggregating task {task}: {e}", p.name);
					return Ok(());
				}
				(
					None,
					(*bond).max(info.min_aggregator_bond.saturating_mul(BOND_OVER_MINIMUM.into())),
				)
			},
		};
		log::info!(
			target: LOG,
			"🧠 {} ({}) joins task {task} as {}",
			p.name,
			p.account().to_ss58check(),
			if dataset.is_some() { "a trainer" } else { "an aggregator" },
		);
		self.submit(chain, p, key, Action::Join { task, dataset, bond }, now)
	}
}
