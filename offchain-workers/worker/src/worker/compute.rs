//! What a key does as a compute provider (`ComputeLeaseApi::compute_duties`), each block,
//! before its federated duties (the compute windows are short):
//!
//! - **Registering.** A key configured as a provider ([`Participant::provider`]) whose account
//!   has no offer on chain registers one with its terms, the hardware the worker detects and the
//!   score its own benchmark measures ([`cohort_ml::challenge`]; both measured once per worker,
//!   when first needed, with the aggregator the worker uses). Once a block carries the offer
//!   (or the runtime refused it), it is not sent again while the worker runs: an offer withdrawn
//!   meanwhile stays withdrawn until a restart.
//! - **`Heartbeat`**: a heartbeat, at most once every [`RESEND_BLOCKS`] blocks while the chain
//!   asks for one.
//! - **`AnswerChallenge`** (the challenged worker's, or a verifier's: the same work): compute the
//!   challenge's answer (once per challenge, whichever keys answer it), draw a salt for this key,
//!   keep both on disk ([`crate::answers`]), then commit
//!   `challenge_commitment(key, id, answer, salt)`.
//! - **`RevealChallenge`**: reveal the kept answer and salt. If none is kept (the disk lost it),
//!   nothing can be revealed: that is logged once.
//! - **`Serve`**: while a lease runs, the worker acts for its consumer: it joins, as an
//!   aggregator with the task's least aggregator bond, every live task of the consumer that
//!   this key has not joined (through the journal, as joins are), if it holds the task's
//!   validation set (without it, it could not score, and would be slashed for it: that is
//!   logged once instead). And it asks to be paid: once [`SETTLE_EVERY`] of the lease's served
//!   blocks are unpaid and they are worth at least [`SETTLE_AT_LEAST`] (a settle costs a fee),
//!   it settles them (`settle`), unless the lease ends within that time anyway (its end pays
//!   the rest by itself). Like the other submissions below, a settle no
//!   block holds yet is sent again after [`RESEND_BLOCKS`]; one a block holds is not sent again
//!   while the worker remembers it (by then the lease shows those blocks paid).
//!
//! Offers, commits and reveals the chain has not taken are sent again after
//! [`RESEND_BLOCKS`]; once a block carries one, refused or not, it is not sent again, and a
//! refusal is logged with the runtime's error.

use std::{
	collections::{BTreeMap, HashMap},
	time::Instant,
};

use cohort_ml::{challenge, opencl::Aggregator};
use cohort_primitives::{
	compute::{ChallengeId, ComputeDuty, Hardware, LeaseId, CHALLENGE_UPDATES},
	TaskId,
};
use sp_core::{crypto::Ss58Codec, H256};

use super::{can_meet, fail, DutyError, Participant, Worker, LOG, TASK_LOOKAHEAD};
use crate::{
	answers::{Answer, Answers},
	chain::{AccountId, Action, Balance, BlockNumber, Chain, Task},
	dev::COH,
	journal::{JournalError, Kind},
};

/// Blocks after which an offer, commit or reveal the chain has not taken is sent again, and
/// between two heartbeats.
pub const RESEND_BLOCKS: BlockNumber = 3;
/// How long a lease's served blocks may go unpaid before its worker settles them.
pub const SETTLE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// The least a settle must pay for the worker to send it: a settle costs a fee (about 0.005 COH
/// on Cohort's runtimes), and a lease at a tiny price is paid at its end anyway.
pub const SETTLE_AT_LEAST: Balance = COH / 2;
/// Blocks after it was last sent that a heartbeat, commit or reveal is remembered.
const FORGET_AFTER: BlockNumber = 256;
/// Challenge answers kept in memory (each is computed once for every key that answers).
const ANSWERS_KEPT: usize = 8;

/// An amount in COH, without trailing zeros: `0.001 COH`, `10 COH`.
fn coh(amount: Balance) -> String {
	let decimals = format!("{:012}", amount % COH);
	let decimals = decimals.trim_end_matches('0');
	let point = if decimals.is_empty() { "" } else { "." };
	format!("{}{point}{decimals} COH", amount / COH)
}

/// A compute extrinsic of one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Submission {
	Offer,
	Heartbeat,
	Commit(ChallengeId),
	Reveal(ChallengeId),
	Settle(LeaseId),
}

impl Submission {
	/// For logs.
	fn name(self) -> String {
		match self {
			Submission::Offer => "register_offer".into(),
			Submission::Heartbeat => "heartbeat".into(),
			Submission::Commit(id) => format!("challenge {id}: commit_challenge"),
			Submission::Reveal(id) => format!("challenge {id}: reveal_challenge"),
			Submission::Settle(lease) => format!("lease {lease}: settle"),
		}
	}
}

/// What became of a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
	Pending,
	Included,
	Refused,
}

#[derive(Clone, Copy, Debug)]
struct Sent {
	/// The best block when it was last sent.
	at: BlockNumber,
	fate: Fate,
}

/// What the worker keeps for its compute duties.
pub(super) struct Compute {
	/// The hardware and benchmark score offers claim, measured once.
	measured: Option<(Hardware, u32)>,
	/// Each challenge's answer (or why there is none), computed once.
	answers: BTreeMap<ChallengeId, Result<H256, String>>,
	/// The answers and salts committed to, on disk until revealed.
	kept: Answers,
	sent: HashMap<([u8; 32], Submission), Sent>,
	by_extrinsic: HashMap<H256, ([u8; 32], Submission)>,
	/// Serving scans tasks from this one on: every task before it is over.
	next_task: TaskId,
}

impl Compute {
	/// The compute state, with the answers kept in the data directory `root`.
	pub(super) fn open(root: &std::path::Path) -> Result<Self, JournalError> {
		Ok(Self {
			measured: None,
			answers: BTreeMap::new(),
			kept: Answers::open(root)?,
			sent: HashMap::new(),
			by_extrinsic: HashMap::new(),
			next_task: 0,
		})
	}

	/// Whether some sent extrinsic's outcome is still unknown.
	pub(super) fn awaits_outcomes(&self) -> bool {
		!self.by_extrinsic.is_empty()
	}

	/// Whether to send `what` for `who` at `now` (see the module docs).
	fn due(&self, who: &[u8; 32], what: Submission, now: BlockNumber) -> bool {
		self.sent.get(&(*who, what)).is_none_or(|sent| match (what, sent.fate) {
			(Submission::Heartbeat, _) | (_, Fate::Pending) => {
				now >= sent.at.saturating_add(RESEND_BLOCKS)
			},
			_ => false,
		})
	}

	/// Forgets heartbeats, commits and reveals sent long ago, and the extrinsics of what it
	/// forgot (offers are remembered while the worker runs).
	fn forget(&mut self, now: BlockNumber) {
		self.sent.retain(|(_, what), sent| {
			*what == Submission::Offer || now < sent.at.saturating_add(FORGET_AFTER)
		});
		let sent = &self.sent;
		self.by_extrinsic.retain(|_, key| sent.contains_key(key));
	}

	/// The worker's hardware and benchmark score, measured the first time they are needed.
	fn measured(&mut self, aggregator: &Aggregator) -> (Hardware, u32) {
		self.measured
			.get_or_insert_with(|| {
				let started = Instant::now();
				let hardware = challenge::detect_hardware();
				let score = challenge::benchmark_score_with(aggregator);
				log::info!(
					target: LOG,
					"🧠 compute benchmark: {score} thousand values aggregated per second on {}; \
					 {} cores, {} MiB, {} GPU(s) (measured in {:.1} s)",
					aggregator.backend(),
					hardware.cores,
					hardware.memory_mib,
					hardware.gpus.len(),
					started.elapsed().as_secs_f32(),
				);
				(hardware, score)
			})
			.clone()
	}

	/// The answer to challenge `id`, computed the first time it is asked for.
	fn answer(
		&mut self,
		aggregator: &Aggregator,
		id: ChallengeId,
		seed: H256,
		size: u32,
	) -> Result<H256, DutyError> {
		if let Some(answer) = self.answers.get(&id) {
			return answer.clone().map_err(fail);
		}
		let started = Instant::now();
		let answer =
			challenge::answer_with(aggregator, &seed.0, size).map(H256).map_err(|e| e.to_string());
		if answer.is_ok() {
			log::info!(
				target: LOG,
				"🧠 challenge {id}: answered ({CHALLENGE_UPDATES} updates of {size} values) in \
				 {:.2} s",
				started.elapsed().as_secs_f32(),
			);
		}
		self.answers.insert(id, answer.clone());
		while self.answers.len() > ANSWERS_KEPT {
			self.answers.pop_first();
		}
		answer.map_err(fail)
	}
}

impl Worker {
	/// Registers the providers' offers and serves every key's compute duties (see the module
	/// docs). Errors are logged once each; the next block tries again.
	pub(super) fn serve_compute(&mut self, chain: &impl Chain, now: BlockNumber) {
		self.compute.forget(now);
		if let Err(e) = self.compute.kept.prune(now) {
			self.once.warn(format!("cannot prune the challenge answers: {e}"));
		}
		let mut serving = Vec::new();
		for p in self.participants.clone() {
			if let Err(e) = self.register_offer(chain, &p, now) {
				self.once.warn(format!("{}: not offering compute: {e}", p.name));
			}
			let duties = match chain.compute_duties(&p.account()) {
				Ok(d) => d,
				Err(e) => {
					self.once.warn(format!("{}: cannot read compute duties: {e}", p.name));
					continue;
				},
			};
			for duty in duties {
				let (what, result) = match duty {
					ComputeDuty::Heartbeat { due } => {
						("heartbeat".to_string(), self.heartbeat(chain, &p, due, now))
					},
					ComputeDuty::AnswerChallenge { id, seed, size, commit_by } => (
						format!("challenge {id}"),
						self.answer_challenge(chain, &p, id, seed, size, commit_by, now),
					),
					ComputeDuty::RevealChallenge { id, commitment, reveal_by } => (
						format!("challenge {id}"),
						self.reveal_challenge(chain, &p, id, commitment, reveal_by, now),
					),
					ComputeDuty::Serve { lease, consumer, until, paid_until } => {
						if let Err(e) = self.settle_lease(chain, &p, lease, until, paid_until, now)
						{
							self.once.warn(format!("{}: lease {lease}: not settling: {e}", p.name));
						}
						serving.push((p.clone(), lease, consumer));
						continue;
					},
				};
				if let Err(e) = result {
					self.once.warn(format!("{}: {what}: {e}", p.name));
				}
			}
		}
		if !serving.is_empty() {
			self.serve_consumers(chain, &serving, now);
		}
	}

	/// Records `what` as sent by `p` at `now`, then submits `action`.
	fn submit_compute(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		what: Submission,
		action: Action,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		self.compute.sent.insert((p.public.0, what), Sent { at: now, fate: Fate::Pending });
		let extrinsic = chain.submit(&p.public, action).map_err(fail)?;
		self.compute.by_extrinsic.insert(extrinsic, (p.public.0, what));
		Ok(())
	}

	/// Applies a block's outcome to a compute extrinsic; `false` if it is none of them.
	pub(super) fn settle_compute(
		&mut self,
		extrinsic: &H256,
		block: BlockNumber,
		error: &Option<String>,
	) -> bool {
		let Some((who, what)) = self.compute.by_extrinsic.remove(extrinsic) else { return false };
		let name = self.name_of(&who);
		let call = what.name();
		let Some(sent) = self.compute.sent.get_mut(&(who, what)) else { return true };
		if sent.fate != Fate::Pending {
			log::debug!(
				target: LOG,
				"{name}: another copy of {call} in block {block} ({error:?}); the first one counts",
			);
			return true;
		}
		match error {
			None => {
				sent.fate = Fate::Included;
				if what == Submission::Offer {
					log::info!(target: LOG, "🧠 {name}: its compute offer is on chain (block {block})");
				} else {
					log::debug!(target: LOG, "{name}: {call} is in block {block}");
				}
			},
			Some(error) => {
				sent.fate = Fate::Refused;
				let again =
					if what == Submission::Heartbeat { "" } else { "; not sending it again" };
				log::error!(
					target: LOG,
					"🧠 {name}: {call} was refused by the runtime in block {block}: {error}{again}",
				);
			},
		}
		// A settled reveal, or a refused commitment, needs its answer no more.
		let done = match (what, error) {
			(Submission::Reveal(id), _) | (Submission::Commit(id), Some(_)) => Some(id),
			_ => None,
		};
		if let Some(id) = done {
			if let Err(e) = self.compute.kept.remove(id, &who) {
				self.once.warn(format!("cannot forget a challenge answer: {e}"));
			}
		}
		true
	}

	/// Registers `p`'s offer if it is a provider and the chain has none (see the module docs).
	fn register_offer(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let Some(terms) = p.provider.clone() else { return Ok(()) };
		if !self.compute.due(&p.public.0, Submission::Offer, now) {
			return Ok(());
		}
		if chain.offer(&p.account()).map_err(fail)?.is_some() {
			// Registered before (a restart): nothing to send while the worker runs.
			let sent = Sent { at: now, fate: Fate::Included };
			self.compute.sent.insert((p.public.0, Submission::Offer), sent);
			return Ok(());
		}
		let (hardware, claimed_score) = self.compute.measured(&self.aggregator);
		log::info!(
			target: LOG,
			"🧠 {} ({}) offers compute: {} slot(s) at {} per slot per block, leases of {} to {} \
			 blocks, bonding {}; benchmark score {claimed_score}",
			p.name,
			p.account().to_ss58check(),
			terms.slots,
			coh(terms.price),
			terms.min_blocks,
			terms.max_blocks,
			coh(terms.bond),
		);
		let action = Action::RegisterOffer { hardware, claimed_score, terms };
		self.submit_compute(chain, p, Submission::Offer, action, now)
	}

	/// Asks to be paid for lease `lease` once [`SETTLE_EVERY`] of its blocks have gone unpaid,
	/// unless it ends within that time anyway (its end pays the rest by itself).
	fn settle_lease(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		lease: LeaseId,
		until: BlockNumber,
		paid_until: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let block_millis = chain.block_time().as_millis().max(1);
		let every = (SETTLE_EVERY.as_millis() / block_millis).max(1) as BlockNumber;
		if now.saturating_sub(paid_until) < every || until.saturating_sub(now) < every {
			return Ok(());
		}
		if !self.compute.due(&p.public.0, Submission::Settle(lease), now) {
			return Ok(());
		}
		// What settling now would pay at most (heartbeats late pay less): worth a fee or not.
		let Some(l) = chain.lease(lease).map_err(fail)? else { return Ok(()) };
		let owed = l
			.price
			.saturating_mul(Balance::from(l.slots))
			.saturating_mul(Balance::from(now.min(l.end).saturating_sub(l.paid_until)));
		if owed < SETTLE_AT_LEAST {
			return Ok(());
		}
		log::info!(
			target: LOG,
			"🧠 {}: settling lease {lease}: blocks {paid_until} to {now} served, {} unpaid",
			p.name,
			coh(owed),
		);
		self.submit_compute(chain, p, Submission::Settle(lease), Action::Settle { lease }, now)
	}

	fn heartbeat(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		due: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		if !self.compute.due(&p.public.0, Submission::Heartbeat, now) {
			return Ok(());
		}
		log::debug!(target: LOG, "{}: heartbeat (due by block {due})", p.name);
		self.submit_compute(chain, p, Submission::Heartbeat, Action::Heartbeat, now)
	}

	#[allow(clippy::too_many_arguments)]
	fn answer_challenge(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		id: ChallengeId,
		seed: H256,
		size: u32,
		commit_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let what = Submission::Commit(id);
		if !self.compute.due(&p.public.0, what, now) {
			return Ok(());
		}
		if !can_meet(now, commit_by, Default::default(), chain.block_time()) {
			return Err(fail(format!("too late to commit an answer (by block {commit_by})")));
		}
		// An answer kept before (a resend, or a restart) is committed again as it was.
		let kept = match self.compute.kept.get(id, &p.public.0) {
			Some(kept) => *kept,
			None => {
				let answer = self.compute.answer(&self.aggregator, id, seed, size)?;
				let kept = Answer { answer, salt: rand::random(), commit_by };
				self.compute.kept.insert(id, p.public.0, kept).map_err(fail)?;
				kept
			},
		};
		let commitment = kept.commitment(&p.account(), id);
		log::info!(target: LOG, "🧠 {}: challenge {id}: committing to its answer", p.name);
		self.submit_compute(chain, p, what, Action::CommitChallenge { id, commitment }, now)
	}

	fn reveal_challenge(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		id: ChallengeId,
		commitment: H256,
		reveal_by: BlockNumber,
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let what = Submission::Reveal(id);
		if !self.compute.due(&p.public.0, what, now) {
			return Ok(());
		}
		if !can_meet(now, reveal_by, Default::default(), chain.block_time()) {
			return Err(fail(format!("too late to reveal its answer (by block {reveal_by})")));
		}
		let Some(kept) = self.compute.kept.get(id, &p.public.0).copied() else {
			return Err(fail(
				"no answer is kept for its commitment (lost with the data directory?): it \
				 cannot be revealed",
			));
		};
		if kept.commitment(&p.account(), id) != commitment {
			return Err(fail(
				"the answer kept does not open the chain's commitment: not revealing",
			));
		}
		log::info!(target: LOG, "🧠 {}: challenge {id}: revealing its answer", p.name);
		let action = Action::RevealChallenge { id, answer: kept.answer, salt: kept.salt };
		self.submit_compute(chain, p, what, action, now)
	}

	/// Joins the live tasks of the consumers that keys serve (see the module docs).
	fn serve_consumers(
		&mut self,
		chain: &impl Chain,
		serving: &[(Participant, LeaseId, AccountId)],
		now: BlockNumber,
	) {
		let tasks = match self.live_tasks(chain) {
			Ok(tasks) => tasks,
			Err(e) => {
				self.once.warn(format!("cannot read tasks to serve leases: {e}"));
				return;
			},
		};
		for (p, lease, consumer) in serving {
			if let Err(e) = self.serve(chain, p, *lease, consumer, &tasks, now) {
				self.once.warn(format!("{}: lease {lease}: {e}", p.name));
			}
		}
	}

	/// Every live task from [`Compute::next_task`] on, which moves past tasks that are over.
	fn live_tasks(&mut self, chain: &impl Chain) -> Result<Vec<(TaskId, Task)>, DutyError> {
		let mut live = Vec::new();
		let mut task = self.compute.next_task;
		let mut misses = 0;
		let mut all_over = true;
		// A task id the chain does not have is either not created yet or pruned: look a few
		// ids further.
		while misses <= TASK_LOOKAHEAD {
			match chain.task(task).map_err(fail)? {
				None => misses += 1,
				Some(info) => {
					misses = 0;
					if info.status.is_live() {
						all_over = false;
						live.push((task, info));
					} else if all_over {
						self.compute.next_task = task + 1;
					}
				},
			}
			task += 1;
		}
		Ok(live)
	}

	fn serve(
		&mut self,
		chain: &impl Chain,
		p: &Participant,
		lease: LeaseId,
		consumer: &AccountId,
		tasks: &[(TaskId, Task)],
		now: BlockNumber,
	) -> Result<(), DutyError> {
		let theirs: Vec<_> = tasks.iter().filter(|(_, info)| info.owner == *consumer).collect();
		if theirs.is_empty() {
			return Ok(());
		}
		let joined: Vec<TaskId> =
			chain.memberships(&p.account()).map_err(fail)?.iter().map(|m| m.task).collect();
		for (task, info) in theirs {
			let key = Self::key(p, *task, 0, Kind::Join);
			if joined.contains(task) || !self.journal.due(&key, now) {
				continue;
			}
			if let Err(e) = self.data.validation(info.spec.validation_set) {
				self.once.warn(format!(
					"{}: lease {lease}: not aggregating task {task} of {}: {e}",
					p.name,
					consumer.to_ss58check(),
				));
				continue;
			}
			log::info!(
				target: LOG,
				"🧠 {} ({}) joins task {task} of {} as an aggregator (lease {lease})",
				p.name,
				p.account().to_ss58check(),
				consumer.to_ss58check(),
			);
			let bond = info.min_aggregator_bond;
			self.submit(chain, p, key, Action::Join { task: *task, dataset: None, bond }, now)?;
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_are_shown_in_coh() {
		assert_eq!(coh(COH / 1_000), "0.001 COH");
		assert_eq!(coh(10 * COH), "10 COH");
		assert_eq!(coh(COH + 1), "1.000000000001 COH");
		assert_eq!(coh(0), "0 COH");
	}
}
