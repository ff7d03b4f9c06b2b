//! What an honest key does for each duty.
//!
//! - `Train`: build the global model (the task's seeded initial model, or the last aggregate
//!   read from its block), train on the key's dataset, quantize and frame the update, draw a
//!   salt, seal update, salt and commitment on disk, and submit `commit_update`.
//! - `Reveal`: submit `reveal_update` with the sealed update and salt.
//! - `Aggregate`: read every accepted update from its block, aggregate onto the global model
//!   with the task's rule (OpenCL when present), score each update on the validation set, seal
//!   aggregate, scores, salt and commitment, and submit `commit_aggregate`.
//! - `RevealAggregate`: submit `reveal_aggregate` with the sealed hash, scores and salt, and the
//!   payload unless an earlier reveal carried it.
//!
//! No work starts that cannot land before its deadline ([`can_meet`]). Every update gets weight
//! 1 in the weighted mean: the chain does not carry trainers' sample counts (a trainer could
//! inflate its own), so every aggregator uses the same equal weights.

use std::time::{Duration, Instant};

use cohort_ml::{
	aggregate::Update,
	codec::{self, dequantize, quantize},
	evaluate::{Aggregated, Validation},
	model::Architecture,
	train::{train, TrainingConfig},
};
use cohort_primitives::{
	api::Duty, task::InitialModel, DatasetId, PayloadHeader, PayloadKind, RoundIndex, TaskId,
};
use sp_core::H256;

use super::{fail, Behaviour, DutyError, Participant, Work, Worker, LOG};
use crate::{
	chain::{AccountId, Action, BlockNumber, Chain, Payload, Task},
	journal::Kind,
	sealed::Sealed,
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

impl Worker {
	pub(super) fn act(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		duty: Duty<AccountId, BlockNumber>,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		match (p.behaviour, duty) {
			(Behaviour::CopyingTrainer, Duty::Train { task, round, commit_by, .. }) => {
				self.copy_commitment(chain, p, task, round, commit_by, now)
			},
			(Behaviour::CopyingTrainer, Duty::Reveal { task, round, commitment, reveal_by }) => {
				self.copy_update(chain, p, task, round, commitment, reveal_by, now)
			},
			(Behaviour::LazyAggregator, Duty::Aggregate { task, round, commit_by, .. }) => {
				self.commit_nothing(chain, p, task, round, commit_by, now)
			},
			(Behaviour::LazyAggregator, Duty::RevealAggregate { task, round, reveal_by, .. }) => {
				self.copy_aggregate(chain, p, task, round, reveal_by, now)
			},
			(_, Duty::Train { task, round, dataset, global_model, commit_by }) => {
				self.train(chain, p, task, round, dataset, global_model.as_ref(), commit_by, now)
			},
			(_, Duty::Reveal { task, round, commitment, reveal_by }) => {
				self.reveal(chain, p, task, round, Kind::Commit, commitment, reveal_by, now, &[])
			},
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
		key: crate::journal::Key,
		deadline: BlockNumber,
		now: BlockNumber,
	) -> Result<bool, DutyError> {
		let Some(sealed) = self.journal.sealed(&key).map_err(fail)? else { return Ok(false) };
		if self.journal.due(&key, now) && can_meet(now, deadline, Duration::ZERO, Duration::ZERO) {
			let (task, round, commitment) = (key.task, key.round, sealed.commitment);
			let action = match key.kind {
				Kind::Commit => Action::Commit { task, round, commitment },
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
				Work::Aggregation => "aggregating",
			},
			estimate.as_secs_f32(),
			block_time.as_secs_f32(),
		)))
	}

	#[allow(clippy::too_many_arguments)]
	fn train(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		dataset: DatasetId,
		global_model: Option<&Payload>,
		commit_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::Commit);
		if self.resend_sealed(chain, p, key, commit_by, now)? || !self.journal.due(&key, now) {
			return Ok(());
		}
		self.check_deadline(chain, task, Work::Training, commit_by, now)?;
		self.round_started(task, round);
		let started = Instant::now();
		let info = self.task(chain, task)?;
		let arch = Architecture::of(&info.spec.model).map_err(fail)?;
		let global = self.global(chain, task, &info, global_model)?;
		let scale = info.spec.scale;
		let data = self.data.dataset(dataset).map_err(fail)?;
		let config = TrainingConfig::from_params(&info.spec.training, rand::random());
		let trained =
			train(&arch, &dequantize(&global, scale), data, &config, &self.device).map_err(fail)?;
		let values = quantize(&trained.update, scale).map_err(fail)?;
		let update =
			codec::encode(PayloadKind::Update, task, round, scale, &values).map_err(fail)?;
		if update.len() > info.spec.max_payload_bytes as usize {
			return Err(fail(format!(
				"an update is {} bytes, the task allows {}",
				update.len(),
				info.spec.max_payload_bytes
			)));
		}
		let sealed = Sealed::update(&p.account(), task, round, update, rand::random());
		let elapsed = started.elapsed();
		self.clock(task, round).training += elapsed;
		self.work_times.insert((task, Work::Training), elapsed);
		log::info!(
			target: LOG,
			"🧠 task {task} round {round}: {} trained on {} samples in {:.1} s, loss {:.3} → {:.3}; committing",
			p.name,
			trained.samples,
			elapsed.as_secs_f32(),
			trained.epoch_losses.first().copied().unwrap_or_default(),
			trained.epoch_losses.last().copied().unwrap_or_default(),
		);
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
		key: crate::journal::Key,
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

	#[allow(clippy::too_many_arguments)]
	fn aggregate(
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
		let key = Self::key(p, task, round, Kind::CommitAggregate);
		if self.resend_sealed(chain, p, key, commit_by, now)? || !self.journal.due(&key, now) {
			return Ok(());
		}
		self.check_deadline(chain, task, Work::Aggregation, commit_by, now)?;
		self.round_started(task, round);
		let started = Instant::now();
		let info = self.task(chain, task)?;
		let spec = &info.spec;
		let arch = Architecture::of(&spec.model).map_err(fail)?;
		let global = self.global(chain, task, &info, global_model)?;
		let expected = PayloadHeader {
			kind: PayloadKind::Update,
			task,
			round,
			parameter_count: info.parameter_count,
			scale: spec.scale,
		};
		let mut values = Vec::with_capacity(updates.len());
		for (_, at) in updates {
			let bytes = chain.payload(at).map_err(fail)?;
			values.push(codec::decode_expecting(&bytes, expected).map_err(fail)?);
		}
		let inputs: Vec<Update> = values.iter().map(|v| Update { values: v, weight: 1 }).collect();
		let validation = self.data.validation(spec.validation_set).map_err(fail)?;
		let check =
			Validation { arch: &arch, scale: spec.scale, data: validation, device: &self.device };
		let Aggregated { model, scores, quality } = check
			.aggregate_and_score(&self.aggregator, &spec.aggregation, &global, &inputs)
			.map_err(fail)?;
		let payload =
			codec::encode(PayloadKind::Aggregate, task, round, spec.scale, &model).map_err(fail)?;
		let elapsed = started.elapsed();
		self.clock(task, round).aggregation += elapsed;
		self.work_times.insert((task, Work::Aggregation), elapsed);
		log::info!(
			target: LOG,
			"🧠 task {task} round {round}: {} aggregated {} updates in {:.1} s: validation loss {:.3}, accuracy {:.1}%; scores {:?}; committing",
			p.name,
			inputs.len(),
			elapsed.as_secs_f32(),
			quality.loss,
			quality.accuracy * 100.0,
			scores,
		);
		let sealed = Sealed::aggregate(&p.account(), task, round, payload, scores, rand::random());
		self.journal.seal(&key, &sealed).map_err(fail)?;
		self.send_if_in_time(chain, p, key, commit_by)
	}

	/// Reveals what is sealed under the commitment of `kind` (`Commit`: an update;
	/// `CommitAggregate`: an aggregate, with its payload unless `payload_known` has its hash).
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
		let action = match kind {
			Kind::Commit => {
				log::info!(target: LOG, "🧠 task {task} round {round}: {} reveals its update", p.name);
				Action::Reveal { task, round, update: sealed.payload, salt: sealed.salt }
			},
			_ => {
				let aggregate = sealed.payload_hash();
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
					scores: sealed.scores,
					salt: sealed.salt,
					payload: carried.then_some(sealed.payload),
				}
			},
		};
		self.submit(chain, p, key, action, now)
	}

	/// The global model a duty starts from, quantized.
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
				InitialModel::Hash(_) => {
					return Err(fail(
						"the task starts from a model given by hash; this worker only builds \
						 seeded initial models",
					))
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
					return Err(fail(format!("the global model's header is {header:?}")));
				}
				values
			},
		};
		self.globals.insert(cache, model.clone());
		Ok(model)
	}
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
}
