//! What an honest key does for each duty.
//!
//! - `Train`: build the global model (the task's seeded initial model, the one its owner
//!   published, or the last aggregate read from its block), train on the key's dataset, quantize and frame the update with the
//!   samples it was trained on (at most the task's `max_samples`), draw a salt, seal update,
//!   salt and commitment on disk, and submit `commit_update`.
//! - `Reveal`: submit `reveal_update` with the sealed update and salt.
//! - `Score`: read every revealed update from its block, score each against a reference update
//!   trained on the validation set ([`Validation::score`]; the reference is seeded by task and
//!   round, so that every honest aggregator trains the same one and their scores nearly
//!   coincide), seal scores, salt and commitment, and submit `commit_scores`.
//! - `RevealScores`: submit `reveal_scores` with the sealed scores and salt.
//! - `Aggregate`: read exactly the updates the chain accepted, aggregate them onto the global
//!   model with the task's rule (OpenCL when present), each weighted by the samples the chain
//!   recorded and clipped by the task's norm bound, measure the new model on the validation set,
//!   seal aggregate, metrics, salt and commitment, and submit `commit_aggregate`.
//! - `RevealAggregate`: submit `reveal_aggregate` with the sealed hash, metrics and salt, and
//!   the payload unless an earlier reveal carried it.
//!
//! No work starts that cannot land before its deadline ([`can_meet`]). Only integers decide what
//! the chain agrees on: the median of the scores fixes the accepted set, and the aggregate of
//! that set is bit-identical on every honest aggregator (DESIGN.md, decision 10).

use std::time::{Duration, Instant};

use ::codec::Encode;
use cohort_ml::{
	aggregate::Update,
	codec::{self, dequantize, quantize},
	dataset::Dataset,
	evaluate::{Aggregated, Validation},
	model::Architecture,
	train::{train, Trained, TrainingConfig},
	Device,
};
use cohort_primitives::{
	api::{AcceptedUpdate, Duty},
	judgement::judge,
	scaling::FeatureStats,
	task::InitialModel,
	DatasetId, PayloadKind, RoundIndex, Score, TaskId,
};
use rayon::prelude::*;
use sp_core::{crypto::Ss58Codec, H256};

use super::{data_check::DataCheck, fail, Behaviour, DutyError, Participant, Work, Worker, LOG};
use crate::{
	chain::{AccountId, Action, BlockNumber, Chain, Payload, Task},
	data::DataDir,
	journal::{Key, Kind},
	sealed::{Opening, Sealed},
};

/// Whether work expected to take `estimate`, started at best block `now`, can land by the end
/// of block `deadline`. Its extrinsic goes into block `now + 1` at the earliest (the worker acts
/// just after a block is imported), and one block later for every whole block time the work
/// takes.
pub fn can_meet(
	now: BlockNumber,
	deadline: BlockNumber,
	estimate: Duration,
	block_time: Duration,
) -> bool {
	let blocks = estimate.as_nanos().checked_div(block_time.as_nanos()).unwrap_or(0);
	let blocks = BlockNumber::try_from(blocks).unwrap_or(BlockNumber::MAX);
	now.checked_add(1).and_then(|n| n.checked_add(blocks)).is_some_and(|lands| lands <= deadline)
}

/// The seed of the reference updates an aggregator trains on the validation set to score a
/// round: BLAKE2-256 of the aggregator, the task, the round and the hashes of the round's
/// revealed updates. It is the aggregator's own, and it exists only once every update is
/// revealed: a trainer cannot know it when it commits (the other trainers' updates are hidden
/// behind their salts), so it cannot train an update against the very reference it will be
/// measured with. The last trainer to reveal chooses between two seeds at most (revealing or
/// not, at the price of the penalty for not revealing).
pub fn reference_seed(
	aggregator: &AccountId,
	task: TaskId,
	round: RoundIndex,
	updates: &[H256],
) -> u64 {
	use sp_runtime::traits::Hash;
	let digest = sp_runtime::traits::BlakeTwo256::hash(
		&(b"cohort/reference", aggregator, task, round, updates).encode(),
	);
	u64::from_le_bytes(digest.0[..8].try_into().expect("a 32-byte digest"))
}

/// The weight a trainer claims for its update: the samples it trained on, at most the task's
/// `max_samples` (the chain refuses more).
pub fn claimed_samples(trained: u64, max_samples: u32) -> u32 {
	u32::try_from(trained).unwrap_or(u32::MAX).min(max_samples)
}

impl Worker {
	pub(super) fn act(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		duty: Duty<AccountId, BlockNumber>,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		match (&p.behaviour, duty) {
			(Behaviour::CopyingTrainer, Duty::Train { task, round, commit_by, .. }) => {
				self.copy_commitment(chain, p, task, round, commit_by, now)
			},
			(Behaviour::CopyingTrainer, Duty::Reveal { task, round, commitment, reveal_by }) => {
				self.copy_update(chain, p, task, round, commitment, reveal_by, now)
			},
			(Behaviour::LazyAggregator, Duty::Score { task, round, commit_by, .. }) => {
				self.commit_nothing(chain, p, task, round, Kind::CommitScores, commit_by, now)
			},
			(Behaviour::LazyAggregator, Duty::RevealScores { task, round, reveal_by, .. }) => {
				self.copy_scores(chain, p, task, round, reveal_by, now)
			},
			(Behaviour::LazyAggregator, Duty::Aggregate { task, round, commit_by, .. }) => {
				self.commit_nothing(chain, p, task, round, Kind::CommitAggregate, commit_by, now)
			},
			(Behaviour::LazyAggregator, Duty::RevealAggregate { task, round, reveal_by, .. }) => {
				self.copy_aggregate(chain, p, task, round, reveal_by, now)
			},
			(_, Duty::Train { task, round, dataset, global_model, commit_by }) => {
				// Its failures are logged there, as the caller of `act` would log them.
				let duty = TrainDuty { task, round, dataset, global_model, commit_by };
				self.train_side_by_side(chain, vec![(p.clone(), duty)], now);
				Ok(())
			},
			(_, Duty::Reveal { task, round, commitment, reveal_by }) => {
				self.reveal(chain, p, task, round, Kind::Commit, commitment, reveal_by, now, &[])
			},
			(_, Duty::Score { task, round, global_model, updates, commit_by }) => {
				self.score(chain, p, task, round, global_model.as_ref(), &updates, commit_by, now)
			},
			(_, Duty::RevealScores { task, round, commitment, reveal_by }) => self.reveal(
				chain,
				p,
				task,
				round,
				Kind::CommitScores,
				commitment,
				reveal_by,
				now,
				&[],
			),
			(_, Duty::Aggregate { task, round, global_model, updates, commit_by }) => self
				.aggregate(chain, p, task, round, global_model.as_ref(), &updates, commit_by, now),
			(_, Duty::RevealAggregate { task, round, commitment, payload_known, reveal_by }) => {
				self.reveal(
					chain,
					p,
					task,
					round,
					Kind::CommitAggregate,
					commitment,
					reveal_by,
					now,
					&payload_known,
				)
			},
		}
	}

	/// Sends the sealed commitment `key` again if the chain has not taken it; `Ok(true)` if
	/// there is a sealed one (the work is done, perhaps before a restart).
	fn resend_sealed(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		key: Key,
		deadline: BlockNumber,
		now: BlockNumber,
	) -> Result<bool, DutyError> {
		let Some(sealed) = self.journal.sealed(&key).map_err(fail)? else { return Ok(false) };
		if self.journal.due(&key, now) && can_meet(now, deadline, Duration::ZERO, Duration::ZERO) {
			let (task, round, commitment) = (key.task, key.round, sealed.commitment);
			let action = match key.kind {
				Kind::Commit => Action::Commit { task, round, commitment },
				Kind::CommitScores => Action::CommitScores { task, round, commitment },
				_ => Action::CommitAggregate { task, round, commitment },
			};
			self.submit(chain, p, key, action, now)?;
		}
		Ok(true)
	}

	/// Refuses to start `work` that cannot land by `deadline`.
	fn check_deadline(
		&self,
		chain: &impl Chain,
		task: TaskId,
		work: Work,
		deadline: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let estimate = self.work_times.get(&(task, work)).copied().unwrap_or_default();
		let block_time = chain.block_time();
		if can_meet(now, deadline, estimate, block_time) {
			return Ok(());
		}
		Err(fail(format!(
			"not {} (would take ~{:.1} s): it cannot land by block {deadline} with blocks every \
			 {:.1} s",
			match work {
				Work::Training => "training",
				Work::Scoring => "scoring",
				Work::Aggregation => "aggregating",
			},
			estimate.as_secs_f32(),
			block_time.as_secs_f32(),
		)))
	}

	/// Notes how long `work` took in `task`'s `round`: `elapsed` as the estimate of its next
	/// run, `wall` (its share of the wall time: `elapsed` itself, unless several ran side by
	/// side) for the round's time log.
	fn measured(
		&mut self,
		task: TaskId,
		round: RoundIndex,
		work: Work,
		elapsed: Duration,
		wall: Duration,
	) {
		let clock = self.clock(task, round);
		match work {
			Work::Training => clock.training += wall,
			Work::Scoring => clock.scoring += wall,
			Work::Aggregation => clock.aggregation += wall,
		}
		self.work_times.insert((task, work), elapsed);
	}

	/// The training duties of several keys of this node, trained side by side on the machine's
	/// cores (each is a training run of its own, on its own data), then sealed and committed one
	/// after another, each exactly as it would be alone; the round's clock counts the wall time
	/// once. Failures are logged with the key, task and round, and stop no other key.
	pub(super) fn train_side_by_side(
		&mut self,
		chain: &impl Chain,
		duties: Vec<(Participant, TrainDuty)>,
		now: BlockNumber,
	) {
		let mut jobs = Vec::new();
		for (p, d) in duties {
			match self.prepare_training(chain, &p, &d, now) {
				Ok(Some(job)) => jobs.push(job),
				Ok(None) => {},
				Err(e) => {
					self.once.warn(format!("{}: task {} round {}: {e}", p.name, d.task, d.round))
				},
			}
		}
		let started = Instant::now();
		let (data, device) = (&self.data, &self.device);
		let results: Vec<(Result<Trained, DutyError>, Duration)> = jobs
			.par_iter()
			.map(|job| {
				let started = Instant::now();
				(run_training(data, device, job), started.elapsed())
			})
			.collect();
		let share = started.elapsed() / jobs.len().max(1) as u32;
		for (job, (trained, elapsed)) in jobs.into_iter().zip(results) {
			let (name, task, round) = (job.p.name.clone(), job.task, job.round);
			if let Err(e) = self.commit_training(chain, job, trained, elapsed, share) {
				self.once.warn(format!("{name}: task {task} round {round}: {e}"));
			}
		}
	}

	/// Everything a training duty reads from the chain and the data directory, unless the duty
	/// has nothing left to do (its commitment is sealed already, or was sent and awaits its
	/// block) or cannot meet its deadline.
	fn prepare_training(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		duty: &TrainDuty,
		now: BlockNumber,
	) -> Result<Option<TrainingJob>, DutyError> {
		let TrainDuty { task, round, dataset, commit_by, .. } = *duty;
		let global_model = duty.global_model.as_ref();
		let key = Self::key(p, task, round, Kind::Commit);
		if self.resend_sealed(chain, p, key, commit_by, now)? || !self.journal.due(&key, now) {
			return Ok(None);
		}
		self.check_deadline(chain, task, Work::Training, commit_by, now)?;
		self.round_started(task, round, now, chain.block_time());
		let info = self.task(chain, task)?;
		// Refused before any work when the task's DP costs more ε than it states.
		let config =
			TrainingConfig::from_params(&info.spec.training, rand::random()).map_err(fail)?;
		let arch = Architecture::of(&info.spec.model).map_err(fail)?;
		let global = self.global(chain, task, &info, global_model)?;
		// Refused before any work when the file is not the data the listing commits to (or
		// that cannot be told now).
		match self.check_data(chain, dataset) {
			DataCheck::Fits => {},
			DataCheck::Misfit(e) | DataCheck::Unknown(e) => return Err(fail(e)),
		}
		// Read now, so that the training itself only borrows it.
		let data = self.data.dataset(dataset).map_err(fail)?;
		let scaled = in_scaling(data, chain.feature_scaling(task).map_err(fail)?)?;
		Ok(Some(TrainingJob {
			p: p.clone(),
			task,
			round,
			dataset,
			commit_by,
			info,
			config,
			arch,
			global,
			scaled,
		}))
	}

	/// Quantizes, frames, seals and commits a trained update. `elapsed` is the training's own
	/// time (the estimate for the next one), `wall` its share of the round's wall time.
	fn commit_training(
		&mut self,
		chain: &impl Chain,
		job: TrainingJob,
		trained: Result<Trained, DutyError>,
		elapsed: Duration,
		wall: Duration,
	) -> Result<(), DutyError> {
		let TrainingJob { p, task, round, commit_by, info, .. } = job;
		let p = &p;
		let key = Self::key(p, task, round, Kind::Commit);
		let trained = trained?;
		let scale = info.spec.scale;
		let samples = claimed_samples(trained.samples, info.spec.max_samples);
		let values = quantize(&trained.update, scale).map_err(fail)?;
		let update = codec::encode(PayloadKind::Update, task, round, scale, samples, &values)
			.map_err(fail)?;
		if update.len() > info.spec.max_payload_bytes as usize {
			return Err(fail(format!(
				"an update is {} bytes, the task allows {}",
				update.len(),
				info.spec.max_payload_bytes
			)));
		}
		let sealed = Sealed::update(&p.account(), task, round, update, rand::random());
		self.measured(task, round, Work::Training, elapsed, wall);
		let losses = (
			trained.epoch_losses.first().copied().unwrap_or_default(),
			trained.epoch_losses.last().copied().unwrap_or_default(),
		);
		match &p.behaviour {
			Behaviour::Poisoner(attack) => log::info!(
				target: LOG,
				"😈 task {task} round {round}: {} trained on {} samples poisoned by {attack} in {:.1} s, loss {:.3} → {:.3}, and poisoned its update; committing it as {samples} samples",
				p.name,
				trained.samples,
				elapsed.as_secs_f32(),
				losses.0,
				losses.1,
			),
			_ => log::info!(
				target: LOG,
				"🧠 task {task} round {round}: {} trained on {} samples in {:.1} s, loss {:.3} → {:.3}; committing",
				p.name,
				samples,
				elapsed.as_secs_f32(),
				losses.0,
				losses.1,
			),
		}
		// Sealed before it is sent: whatever happens next, the commitment can be revealed.
		self.journal.seal(&key, &sealed).map_err(fail)?;
		self.send_if_in_time(chain, p, key, commit_by)
	}

	/// Submits the commitment just sealed under `key`, unless the chain moved past `deadline`
	/// while the work ran (the sealed work stays: a later duty may still want it).
	fn send_if_in_time(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		key: Key,
		deadline: BlockNumber,
	) -> Result<(), DutyError> {
		let now = chain.best_number();
		if !can_meet(now, deadline, Duration::ZERO, Duration::ZERO) {
			return Err(fail(format!(
				"the work ended after block {deadline}, its deadline: not submitted"
			)));
		}
		self.resend_sealed(chain, p, key, deadline, now).map(|_| ())
	}

	/// The values of a round's updates, read from their blocks. Each header must be an update
	/// of this task and round with the task's parameter count and scale (the chain checked it
	/// when the update was revealed; a mismatch means a wrong block or a wrong chain).
	fn read_updates<'a>(
		&self,
		chain: &impl Chain,
		task: TaskId,
		round: RoundIndex,
		info: &Task,
		updates: impl Iterator<Item = &'a Payload>,
	) -> Result<Vec<Vec<i32>>, DutyError> {
		updates
			.map(|at| {
				let bytes = chain.payload(at).map_err(fail)?;
				let (header, values) = codec::decode(&bytes).map_err(fail)?;
				if header.kind != PayloadKind::Update
					|| header.task != task
					|| header.round != round
					|| header.parameter_count != info.parameter_count
					|| header.scale != info.spec.scale
				{
					return Err(fail(format!(
						"the update in block {} has the header {header:?}",
						at.block
					)));
				}
				Ok(values)
			})
			.collect()
	}

	#[allow(clippy::too_many_arguments)]
	fn score(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		global_model: Option<&Payload>,
		updates: &[(AccountId, Payload)],
		commit_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::CommitScores);
		if self.resend_sealed(chain, p, key, commit_by, now)? || !self.journal.due(&key, now) {
			return Ok(());
		}
		self.check_deadline(chain, task, Work::Scoring, commit_by, now)?;
		self.round_started(task, round, now, chain.block_time());
		let started = Instant::now();
		let info = self.task(chain, task)?;
		let spec = &info.spec;
		let arch = Architecture::of(&spec.model).map_err(fail)?;
		let global = self.global(chain, task, &info, global_model)?;
		let values =
			self.read_updates(chain, task, round, &info, updates.iter().map(|(_, u)| u))?;
		let inputs: Vec<&[i32]> = values.iter().map(Vec::as_slice).collect();
		let hashes: Vec<H256> = updates.iter().map(|(_, u)| u.payload_hash).collect();
		let seed = reference_seed(&p.account(), task, round, &hashes);
		let reference = TrainingConfig::reference(&spec.training, seed);
		let change = self.last_change(chain, task, round, &info, &global);
		let history: Vec<&[i32]> = change.iter().map(Vec::as_slice).collect();
		let scaling = chain.feature_scaling(task).map_err(fail)?;
		let validation = self.data.validation(spec.validation_set).map_err(fail)?;
		let scaled = in_scaling(validation, scaling)?;
		let data = scaled.as_ref().unwrap_or(validation);
		let check = Validation { arch: &arch, scale: spec.scale, data, device: &self.device };
		let scores =
			check.score(&global, &inputs, &history, &reference, &spec.gate).map_err(fail)?;
		if scores.len() != updates.len() {
			return Err(fail(format!("{} scores for {} updates", scores.len(), updates.len())));
		}
		let elapsed = started.elapsed();
		self.measured(task, round, Work::Scoring, elapsed, elapsed);
		let below = judge(&scores, &spec.gate).iter().filter(|v| !v.accepted).count();
		log::info!(
			target: LOG,
			"🧠 task {task} round {round}: {} scored {} updates in {:.1} s: {}; {below} would not pass the gate; committing",
			p.name,
			updates.len(),
			elapsed.as_secs_f32(),
			self.scored(updates.iter().map(|(who, _)| who).zip(&scores)),
		);
		let scores = match p.behaviour {
			Behaviour::ColludingAggregator => vec![0; scores.len()],
			_ => scores,
		};
		let sealed = Sealed::scores(&p.account(), task, round, scores, rand::random());
		self.journal.seal(&key, &sealed).map_err(fail)?;
		self.send_if_in_time(chain, p, key, commit_by)
	}

	/// `name score, name score, …` for logs.
	fn scored<'a>(&self, scores: impl Iterator<Item = (&'a AccountId, &'a Score)>) -> String {
		scores
			.map(|(who, score)| format!("{} {score}", self.short_name(who)))
			.collect::<Vec<_>>()
			.join(", ")
	}

	/// A key's name, or the start of an account's address.
	fn short_name(&self, who: &AccountId) -> String {
		let bytes: &[u8; 32] = who.as_ref();
		match self.participants.iter().find(|p| p.public.0 == *bytes) {
			Some(p) => p.name.clone(),
			None => who.to_ss58check().chars().take(8).collect::<String>() + "…",
		}
	}

	#[allow(clippy::too_many_arguments)]
	fn aggregate(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		global_model: Option<&Payload>,
		updates: &[AcceptedUpdate<AccountId, BlockNumber>],
		commit_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::CommitAggregate);
		if self.resend_sealed(chain, p, key, commit_by, now)? || !self.journal.due(&key, now) {
			return Ok(());
		}
		self.check_deadline(chain, task, Work::Aggregation, commit_by, now)?;
		self.round_started(task, round, now, chain.block_time());
		let started = Instant::now();
		let info = self.task(chain, task)?;
		let spec = &info.spec;
		let arch = Architecture::of(&spec.model).map_err(fail)?;
		let global = self.global(chain, task, &info, global_model)?;
		let values =
			self.read_updates(chain, task, round, &info, updates.iter().map(|u| &u.update))?;
		// Weighted by the samples the chain recorded for each update: what every aggregator
		// reads alike, so the aggregate is the same bytes everywhere.
		let inputs: Vec<Update> = values
			.iter()
			.zip(updates)
			.map(|(v, u)| Update { values: v, weight: u.samples as u64 })
			.collect();
		let scaling = chain.feature_scaling(task).map_err(fail)?;
		let validation = self.data.validation(spec.validation_set).map_err(fail)?;
		let scaled = in_scaling(validation, scaling)?;
		let data = scaled.as_ref().unwrap_or(validation);
		let check = Validation { arch: &arch, scale: spec.scale, data, device: &self.device };
		let Aggregated { model, quality } = check
			.aggregate(&self.aggregator, &spec.aggregation, Some(&spec.gate), &global, &inputs)
			.map_err(fail)?;
		let metrics = quality.metrics();
		let payload = codec::encode(PayloadKind::Aggregate, task, round, spec.scale, 0, &model)
			.map_err(fail)?;
		let elapsed = started.elapsed();
		self.measured(task, round, Work::Aggregation, elapsed, elapsed);
		log::info!(
			target: LOG,
			"🧠 task {task} round {round}: {} aggregated the {} accepted updates ({} samples) in {:.1} s{}: validation loss {:.3}, accuracy {:.1}%; committing",
			p.name,
			inputs.len(),
			updates.iter().map(|u| u.samples as u64).sum::<u64>(),
			elapsed.as_secs_f32(),
			self.rejected(chain, task, round),
			quality.loss,
			quality.accuracy * 100.0,
		);
		let sealed = Sealed::aggregate(&p.account(), task, round, payload, metrics, rand::random());
		self.journal.seal(&key, &sealed).map_err(fail)?;
		self.send_if_in_time(chain, p, key, commit_by)
	}

	/// For logs: the revealed updates the scores kept out of the round's model, with their
	/// scores (`""` if none, or the round cannot be read).
	fn rejected(&self, chain: &impl Chain, task: TaskId, round: RoundIndex) -> String {
		let Ok(Some(view)) = chain.round(task, round) else { return String::new() };
		let revealed = view.trainers.iter().filter(|t| t.update.is_some()).count();
		let rejected: Vec<String> = view
			.trainers
			.iter()
			.filter(|t| t.update.is_some() && !t.accepted)
			.map(|t| match t.score {
				Some(score) => format!("{} scored {score}", self.short_name(&t.who)),
				None => self.short_name(&t.who),
			})
			.collect();
		match rejected.len() {
			0 => format!(" (all {revealed} revealed)"),
			n => format!(" ({n} of {revealed} revealed rejected: {})", rejected.join(", ")),
		}
	}

	/// Reveals what is sealed under the commitment of `kind` (`Commit`: an update;
	/// `CommitScores`: scores; `CommitAggregate`: an aggregate and its metrics, with its
	/// payload unless `payload_known` has its hash).
	#[allow(clippy::too_many_arguments)]
	fn reveal(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		kind: Kind,
		commitment: H256,
		reveal_by: BlockNumber,
		now: BlockNumber,
		payload_known: &[H256],
	) -> Result<(), DutyError> {
		let reveal = kind.reveal().expect("a commitment kind; qed");
		let key = Self::key(p, task, round, reveal);
		if !self.journal.due(&key, now) {
			return Ok(());
		}
		if !can_meet(now, reveal_by, Duration::ZERO, Duration::ZERO) {
			return Err(fail(format!("too late to reveal: the deadline was block {reveal_by}")));
		}
		let sealed = self
			.journal
			.sealed(&Self::key(p, task, round, kind))
			.map_err(fail)?
			.filter(|s| s.commitment == commitment)
			.ok_or_else(|| {
				fail(format!(
					"nothing sealed behind commitment {commitment:?}; it cannot be revealed"
				))
			})?;
		let salt = sealed.salt;
		// `sealed` opens for its key, whose kind fixes the opening's: the other arms are
		// unreachable, and refused rather than revealed if a file says otherwise.
		let action = match sealed.opening {
			Opening::Update(update) if kind == Kind::Commit => {
				log::info!(target: LOG, "🧠 task {task} round {round}: {} reveals its update", p.name);
				Action::Reveal { task, round, update, salt }
			},
			Opening::Scores(scores) if kind == Kind::CommitScores => {
				log::info!(
					target: LOG,
					"🧠 task {task} round {round}: {} reveals its {} scores",
					p.name,
					scores.len(),
				);
				Action::RevealScores { task, round, scores, salt }
			},
			Opening::Aggregate { payload, metrics } if kind == Kind::CommitAggregate => {
				let aggregate = codec::payload_hash(&payload);
				let carried = !payload_known.contains(&aggregate);
				log::info!(
					target: LOG,
					"🧠 task {task} round {round}: {} reveals its aggregate {aggregate:?}{}",
					p.name,
					if carried { " with its payload" } else { "" },
				);
				Action::RevealAggregate {
					task,
					round,
					aggregate,
					metrics,
					salt,
					payload: carried.then_some(payload),
				}
			},
			_ => return Err(fail(format!("the sealed {} is of another kind", kind.name()))),
		};
		self.submit(chain, p, key, action, now)
	}

	/// The global model a duty starts from, quantized.
	/// The last round's change of the global model (`global` minus the model that round
	/// started from), when the last round finalized and its start can be read: aggregators
	/// score a replay of it 0. `None` in round 0 or when it cannot be had (a missing history
	/// only loses that check).
	fn last_change(
		&mut self,
		chain: &impl Chain,
		task: TaskId,
		round: RoundIndex,
		info: &Task,
		global: &[i32],
	) -> Option<Vec<i32>> {
		let last = chain.round(task, round.checked_sub(1)?).ok()??;
		last.finalized?;
		let before = self.global(chain, task, info, last.global_model.as_ref()).ok()?;
		(before.len() == global.len())
			.then(|| global.iter().zip(&before).map(|(g, b)| g.wrapping_sub(*b)).collect())
	}

	fn global(
		&mut self,
		chain: &impl Chain,
		task: TaskId,
		info: &Task,
		at: Option<&Payload>,
	) -> Result<Vec<i32>, DutyError> {
		let cache = (task, at.map(|p| p.payload_hash));
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
				// The chain starts no round of such a task before its model is published.
				InitialModel::Hash(_) => {
					return Err(fail("the task's initial model has not been published"))
				},
			},
			Some(at) => {
				let bytes = chain.payload(at).map_err(fail)?;
				let (header, values) = codec::decode(&bytes).map_err(fail)?;
				// An aggregate of this task, or the initial model its spec names (which names no
				// task: one file may start many).
				let whose = match header.kind {
					PayloadKind::Aggregate => header.task == task,
					PayloadKind::Initial => {
						spec.initial_model == InitialModel::Hash(at.payload_hash)
							&& (header.task, header.round) == (0, 0)
					},
					PayloadKind::Update => false,
				};
				if !whose
					|| header.parameter_count != info.parameter_count
					|| header.scale != spec.scale
				{
					return Err(fail(format!("the global model's header is {header:?}")));
				}
				values
			},
		};
		self.globals.insert(cache, model.clone());
		Ok(model)
	}
}

/// A training duty's inputs ([`Worker::prepare_training`]).
pub(super) struct TrainingJob {
	p: Participant,
	task: TaskId,
	round: RoundIndex,
	dataset: DatasetId,
	commit_by: BlockNumber,
	info: Task,
	config: TrainingConfig,
	arch: Architecture,
	global: Vec<i32>,
	/// The dataset in the task's feature scaling (`None`: the task has none).
	scaled: Option<Dataset>,
}

/// The fields of a `Duty::Train`.
pub(super) struct TrainDuty {
	pub task: TaskId,
	pub round: RoundIndex,
	pub dataset: DatasetId,
	pub global_model: Option<Payload>,
	pub commit_by: BlockNumber,
}

/// `data` in a task's feature scaling (`None` without one): what every trainer trains on and
/// every aggregator scores and evaluates on, so that all see one feature space. A scaling
/// that does not fit the data is refused with the reason.
fn in_scaling(
	data: &Dataset,
	scaling: Option<Vec<FeatureStats>>,
) -> Result<Option<Dataset>, DutyError> {
	scaling
		.map(|s| data.scaled(&s))
		.transpose()
		.map_err(|e| fail(format!("the task's feature scaling: {e}")))
}

/// Trains `job`'s update on its dataset (read by [`Worker::prepare_training`]) in the task's
/// feature scaling, poisoned first where the key is a dev poisoner. Reads nothing mutable:
/// several run at once.
fn run_training(data: &DataDir, device: &Device, job: &TrainingJob) -> Result<Trained, DutyError> {
	let data = data.loaded(job.dataset).ok_or_else(|| fail("the dataset was not read"))?;
	let data = job.scaled.as_ref().unwrap_or(data);
	let poisoned = match &job.p.behaviour {
		Behaviour::Poisoner(attack) => Some(attack.poison_data(data)),
		_ => None,
	};
	let data = poisoned.as_ref().unwrap_or(data);
	let global = dequantize(&job.global, job.info.spec.scale);
	let mut trained = train(&job.arch, &global, data, &job.config, device).map_err(fail)?;
	if let Behaviour::Poisoner(attack) = &job.p.behaviour {
		attack.poison_update(&mut trained.update, rand::random());
	}
	Ok(trained)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn deadlines_count_the_next_block_and_the_work_time() {
		let block = Duration::from_secs(6);
		assert!(can_meet(10, 11, Duration::ZERO, block));
		assert!(!can_meet(10, 10, Duration::ZERO, block), "the next block is too late");
		assert!(can_meet(10, 11, Duration::from_secs(5), block));
		assert!(!can_meet(10, 11, Duration::from_secs(6), block));
		assert!(can_meet(10, 12, Duration::from_secs(11), block));
		assert!(!can_meet(10, 12, Duration::from_secs(18), block));
		assert!(can_meet(10, 11, Duration::from_secs(100), Duration::ZERO), "unknown block time");
		assert!(!can_meet(u32::MAX, u32::MAX, Duration::ZERO, block));
	}

	#[test]
	fn reference_seeds_are_each_aggregators_own_and_follow_the_reveals() {
		let (alice, bob) = (AccountId::from([1u8; 32]), AccountId::from([2u8; 32]));
		let updates = [H256::repeat_byte(7), H256::repeat_byte(8)];
		let seed = reference_seed(&alice, 0, 1, &updates);
		assert_eq!(seed, reference_seed(&alice, 0, 1, &updates));
		assert_ne!(seed, reference_seed(&bob, 0, 1, &updates), "each aggregator its own");
		assert_ne!(seed, reference_seed(&alice, 1, 0, &updates));
		assert_ne!(seed, reference_seed(&alice, 0, 2, &updates));
		// Unknown to a trainer before every update is revealed.
		assert_ne!(seed, reference_seed(&alice, 0, 1, &updates[..1]));
		assert_ne!(seed, reference_seed(&alice, 0, 1, &[updates[0], H256::repeat_byte(9)]));
		assert_eq!(claimed_samples(300, 2_000), 300);
		assert_eq!(claimed_samples(3_000, 2_000), 2_000);
		assert_eq!(claimed_samples(u64::MAX, u32::MAX), u32::MAX);
	}
}
