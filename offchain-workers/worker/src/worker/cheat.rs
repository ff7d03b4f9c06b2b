//! The dev cheaters (`--ml-dev-cheaters`): what a dishonest trainer and a lazy aggregator would
//! do if the chain let them. They exist to show, on a dev chain, that it does not: their reveals
//! are refused (`CommitmentMismatch`, `DuplicateUpdate`), which the worker logs from the blocks'
//! outcomes, and they are slashed as no-shows. (The dev poisoners are honest in form: they
//! train, commit and reveal; duties.rs poisons what they train.)

use std::time::Duration;

use cohort_primitives::{RoundIndex, TaskId};
use sp_core::H256;

use super::{can_meet, fail, DutyError, Participant, Worker, LOG};
use crate::{
	chain::{Action, BlockNumber, Chain, RoundView},
	journal::Kind,
};

impl Worker {
	fn round_view(
		&self,
		chain: &impl Chain,
		task: TaskId,
		round: RoundIndex,
	) -> Result<RoundView, DutyError> {
		chain.round(task, round).map_err(fail)?.ok_or_else(|| fail("the chain has no such round"))
	}

	/// A copying trainer's commit: another selected trainer's commitment, once one is on chain.
	pub(super) fn copy_commitment(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		commit_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::Commit);
		if !self.journal.due(&key, now) || !can_meet(now, commit_by, Duration::ZERO, Duration::ZERO)
		{
			return Ok(());
		}
		let me = p.account();
		let view = self.round_view(chain, task, round)?;
		let Some((victim, commitment)) = view
			.trainers
			.iter()
			.filter(|t| t.who != me)
			.find_map(|t| t.commitment.map(|c| (t.who.clone(), c)))
		else {
			log::debug!(target: LOG, "{}: task {task} round {round}: nothing to copy yet", p.name);
			return Ok(());
		};
		log::info!(
			target: LOG,
			"😈 task {task} round {round}: {} commits a copy of {victim}'s commitment",
			p.name,
		);
		self.submit(chain, p, key, Action::Commit { task, round, commitment }, now)
	}

	/// A copying trainer's reveal: the update of the trainer whose commitment it copied, once
	/// revealed, with a salt of its own.
	#[allow(clippy::too_many_arguments)]
	pub(super) fn copy_update(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		commitment: H256,
		reveal_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::Reveal);
		if !self.journal.due(&key, now) || !can_meet(now, reveal_by, Duration::ZERO, Duration::ZERO)
		{
			return Ok(());
		}
		let me = p.account();
		let view = self.round_view(chain, task, round)?;
		let Some((victim, at)) = view
			.trainers
			.iter()
			.filter(|t| t.who != me && t.commitment == Some(commitment))
			.find_map(|t| t.update.clone().map(|u| (t.who.clone(), u)))
		else {
			log::debug!(target: LOG, "{}: task {task} round {round}: waiting for the victim", p.name);
			return Ok(());
		};
		let update = chain.payload(&at).map_err(fail)?;
		log::info!(
			target: LOG,
			"😈 task {task} round {round}: {} reveals {victim}'s update as its own",
			p.name,
		);
		let action = Action::Reveal { task, round, update, salt: rand::random() };
		self.submit(chain, p, key, action, now)
	}

	/// A lazy aggregator's commit (`kind`: scores or a result): a random commitment, nothing
	/// computed.
	#[allow(clippy::too_many_arguments)]
	pub(super) fn commit_nothing(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		kind: Kind,
		commit_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, kind);
		if !self.journal.due(&key, now) || !can_meet(now, commit_by, Duration::ZERO, Duration::ZERO)
		{
			return Ok(());
		}
		log::info!(
			target: LOG,
			"😈 task {task} round {round}: {} commits to {} it never computed",
			p.name,
			if kind == Kind::CommitScores { "scores" } else { "a result" },
		);
		let commitment = H256(rand::random());
		let action = match kind {
			Kind::CommitScores => Action::CommitScores { task, round, commitment },
			_ => Action::CommitAggregate { task, round, commitment },
		};
		self.submit(chain, p, key, action, now)
	}

	/// A lazy aggregator's score reveal: the first other aggregator's revealed scores.
	pub(super) fn copy_scores(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		reveal_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::RevealScores);
		if !self.journal.due(&key, now) || !can_meet(now, reveal_by, Duration::ZERO, Duration::ZERO)
		{
			return Ok(());
		}
		let me = p.account();
		let view = self.round_view(chain, task, round)?;
		let Some((victim, scores)) = view
			.aggregators
			.iter()
			.filter(|a| a.who != me)
			.find_map(|a| a.scores.clone().map(|s| (a.who.clone(), s)))
		else {
			log::debug!(target: LOG, "{}: task {task} round {round}: nothing to copy yet", p.name);
			return Ok(());
		};
		log::info!(
			target: LOG,
			"😈 task {task} round {round}: {} reveals {victim}'s scores as its own",
			p.name,
		);
		let action = Action::RevealScores { task, round, scores, salt: rand::random() };
		self.submit(chain, p, key, action, now)
	}

	/// A lazy aggregator's result reveal: the first other aggregator's revealed hash and
	/// metrics.
	pub(super) fn copy_aggregate(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		task: TaskId,
		round: RoundIndex,
		reveal_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let key = Self::key(p, task, round, Kind::RevealAggregate);
		if !self.journal.due(&key, now) || !can_meet(now, reveal_by, Duration::ZERO, Duration::ZERO)
		{
			return Ok(());
		}
		let me = p.account();
		let view = self.round_view(chain, task, round)?;
		let Some((victim, (aggregate, metrics))) = view
			.aggregators
			.iter()
			.filter(|a| a.who != me)
			.find_map(|a| a.revealed.map(|r| (a.who.clone(), r)))
		else {
			log::debug!(target: LOG, "{}: task {task} round {round}: nothing to copy yet", p.name);
			return Ok(());
		};
		log::info!(
			target: LOG,
			"😈 task {task} round {round}: {} reveals {victim}'s aggregate {aggregate:?} as its own",
			p.name,
		);
		// The copied hash's payload is on chain already: an earlier reveal carried it.
		let action = Action::RevealAggregate {
			task,
			round,
			aggregate,
			metrics,
			salt: rand::random(),
			payload: None,
		};
		self.submit(chain, p, key, action, now)
	}
}
