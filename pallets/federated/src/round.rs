//! The round state machine: starting rounds, closing phases (by everyone having acted, or by
//! the phase's end), deciding the quorum, paying and penalising.
//!
//! ```text
//! (selection) -> Commit -> Reveal -> Aggregate -> Finalized
//!                  |         |          |
//!                  +---------+----------+------> Failed
//! ```

use crate::{
	payout, selection, AggregatorSlotOf, BalanceOf, Config, Event, HoldReason, Offence, Pallet,
	Participants, RoundOf, Rounds, TaskOf, Tasks, TrainerSlotOf, WeightInfo,
};
use alloc::vec::Vec;
use codec::Encode;
use cohort_primitives::{
	round::{FailReason, Phase},
	traits::{RewardObserver, Role},
	RoundIndex, TaskId, TaskStatus,
};
use frame_support::{
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
		Get, Randomness,
	},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	DispatchError,
};

impl<T: Config> Pallet<T> {
	/// The per-block hook: for each active task, starts its next round if it can, or moves its
	/// round on if the current phase has ended.
	pub(crate) fn progress_tasks(now: BlockNumberFor<T>) -> Weight {
		let active = crate::ActiveTasks::<T>::get();
		let mut weight = T::WeightInfo::on_initialize_idle(active.len() as u32);
		for task in active {
			let Some(mut info) = Tasks::<T>::get(task) else { continue };
			match Self::open_round(task, &info) {
				Some(mut record) if now > record.phase_ends => {
					let index = info.next_round;
					let result = match record.phase {
						Phase::Commit => {
							Self::close_commit(task, index, &mut info, &mut record, now);
							Ok(())
						},
						Phase::Reveal => {
							Self::close_reveal(task, index, &mut info, &mut record, now);
							Ok(())
						},
						Phase::Aggregate => {
							Self::close_aggregate(task, index, &mut info, &mut record)
						},
						Phase::Finalized { .. } | Phase::Failed { .. } => Ok(()),
					};
					if let Err(e) = result {
						log::error!(target: "runtime::federated", "closing round {index} of task {task}: {e:?}");
					}
					Rounds::<T>::insert(task, index, record);
					Tasks::<T>::insert(task, info);
					weight.saturating_accrue(T::WeightInfo::close_phase(
						T::MaxTrainersPerRound::get(),
						T::MaxAggregatorsPerRound::get(),
					));
				},
				Some(_) => {},
				None if info.status == TaskStatus::Active
					&& info.trainers >= info.spec.min_trainers
					&& info.aggregators >= info.spec.aggregators =>
				{
					Self::start_round(task, &info, now);
					weight.saturating_accrue(T::WeightInfo::start_round(T::MaxParticipants::get()));
				},
				None => {},
			}
		}
		weight
	}

	/// Draws the round's trainers and aggregators, weighted by bond, and opens its commit phase.
	pub(crate) fn start_round(task: TaskId, info: &TaskOf<T>, now: BlockNumberFor<T>) {
		let index = info.next_round;
		let (seed, _) =
			T::Randomness::random(&(b"cohort/federated/selection", task, index).encode());
		let seed = seed.encode();

		let mut trainers = Vec::new();
		let mut aggregators = Vec::new();
		for (who, p) in Participants::<T>::iter_prefix(task) {
			let weight: u128 = p.bond.unique_saturated_into();
			match p.role {
				Role::Trainer => trainers.push(((who, p.dataset.unwrap_or_default()), weight)),
				Role::Aggregator => aggregators.push((who, weight)),
			}
		}
		let trainers: Vec<TrainerSlotOf<T>> = selection::weighted_sample(
			trainers,
			info.spec.max_trainers as usize,
			&(&seed, b"trainers").encode(),
		)
		.into_iter()
		.map(|(who, dataset)| TrainerSlotOf::<T> {
			who,
			dataset,
			commitment: None,
			update: None,
			score: None,
			reward: Zero::zero(),
		})
		.collect();
		let aggregators: Vec<AggregatorSlotOf<T>> = selection::weighted_sample(
			aggregators,
			info.spec.aggregators as usize,
			&(&seed, b"aggregators").encode(),
		)
		.into_iter()
		.map(|who| AggregatorSlotOf::<T> { who, submission: None, reward: Zero::zero() })
		.collect();

		let commit_by = now.saturating_add(info.spec.phases.commit);
		Self::deposit_event(Event::RoundStarted {
			task,
			round: index,
			trainers: trainers.iter().map(|t| t.who.clone()).collect(),
			aggregators: aggregators.iter().map(|a| a.who.clone()).collect(),
			commit_by,
		});
		// Both fit: at most `max_trainers <= MaxTrainersPerRound` and
		// `aggregators <= MaxAggregatorsPerRound` were drawn (checked at creation).
		let record = RoundOf::<T> {
			phase: Phase::Commit,
			started: now,
			phase_ends: commit_by,
			global_model: info.global_model.clone(),
			trainers: BoundedVec::truncate_from(trainers),
			aggregators: BoundedVec::truncate_from(aggregators),
			aggregates: BoundedVec::new(),
		};
		Rounds::<T>::insert(task, index, record);
	}

	/// Ends the commit phase: selected trainers who did not commit are penalised; the reveal
	/// phase opens if enough committed, else the round fails.
	pub(crate) fn close_commit(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) {
		for slot in record.trainers.iter().filter(|t| t.commitment.is_none()) {
			Self::slash(task, index, &slot.who, info.spec.penalty, Offence::NoCommit);
		}
		let committed = record.trainers.iter().filter(|t| t.commitment.is_some()).count() as u32;
		if committed < info.spec.min_trainers {
			return Self::fail(task, index, info, record, FailReason::NotEnoughCommits);
		}
		record.phase = Phase::Reveal;
		record.phase_ends = now.saturating_add(info.spec.phases.reveal);
		Self::deposit_event(Event::RevealOpened {
			task,
			round: index,
			reveal_by: record.phase_ends,
		});
	}

	/// Ends the reveal phase: trainers who committed but did not reveal are penalised;
	/// aggregation opens if enough updates were accepted for the task's rule, else the round
	/// fails.
	pub(crate) fn close_reveal(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) {
		for slot in record.trainers.iter().filter(|t| t.commitment.is_some() && t.update.is_none())
		{
			Self::slash(task, index, &slot.who, info.spec.penalty, Offence::NoReveal);
		}
		let updates = record.accepted_updates().count() as u32;
		if updates < info.spec.min_trainers || !info.spec.aggregation.works_with(updates) {
			return Self::fail(task, index, info, record, FailReason::NotEnoughReveals);
		}
		record.phase = Phase::Aggregate;
		record.phase_ends = now.saturating_add(info.spec.phases.aggregate);
		Self::deposit_event(Event::AggregationOpened {
			task,
			round: index,
			updates,
			submit_by: record.phase_ends,
		});
	}

	/// Ends the aggregate phase. If a quorum of aggregators agreed on one hash (whose payload
	/// is on chain), it becomes the global model, scores are the medians of the agreeing
	/// aggregators' scores, the reward is paid, and dissenters and no-shows are penalised.
	/// Otherwise the round fails and only no-shows are penalised.
	pub(crate) fn close_aggregate(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
	) -> Result<(), DispatchError> {
		let penalty = info.spec.penalty;
		for slot in record.aggregators.iter().filter(|a| a.submission.is_none()) {
			Self::slash(task, index, &slot.who, penalty, Offence::NoAggregate);
		}
		let Some(aggregate) = Self::quorum_hash(record, info.spec.quorum) else {
			Self::fail(task, index, info, record, FailReason::NoQuorum);
			return Ok(());
		};
		let agreeing: Vec<usize> = record
			.aggregators
			.iter()
			.enumerate()
			.filter(|(_, a)| a.submission.as_ref().is_some_and(|s| s.aggregate == aggregate))
			.map(|(i, _)| i)
			.collect();
		for slot in record
			.aggregators
			.iter()
			.filter(|a| a.submission.as_ref().is_some_and(|s| s.aggregate != aggregate))
		{
			Self::slash(task, index, &slot.who, penalty, Offence::Disagreed);
		}

		// Each accepted update's score: the median over the agreeing aggregators.
		let mut update_no = 0usize;
		for slot in record.trainers.iter_mut().filter(|t| t.update.is_some()) {
			let scores = agreeing
				.iter()
				.filter_map(|i| record.aggregators[*i].submission.as_ref())
				.map(|s| s.scores[update_no])
				.collect();
			slot.score = payout::median(scores);
			update_no += 1;
		}

		// The reward: the aggregators' share in equal parts, the rest by score.
		let reward: u128 = info.spec.reward_per_round.min(info.budget).unique_saturated_into();
		let aggregator_pool = info.spec.aggregator_share * reward;
		let trainer_pool = reward.saturating_sub(aggregator_pool);
		let scores: Vec<_> = record
			.trainers
			.iter()
			.filter(|t| t.update.is_some())
			.map(|t| t.score.unwrap_or_default())
			.collect();
		let trainer_shares = payout::proportional_shares(trainer_pool, &scores);
		let aggregator_share = aggregator_pool / agreeing.len().max(1) as u128;

		let mut paid = BalanceOf::<T>::zero();
		for (slot, share) in
			record.trainers.iter_mut().filter(|t| t.update.is_some()).zip(trainer_shares)
		{
			slot.reward = Self::pay(task, index, info, &slot.who, Role::Trainer, share);
			paid.saturating_accrue(slot.reward);
		}
		for i in agreeing.iter() {
			let slot = &mut record.aggregators[*i];
			slot.reward =
				Self::pay(task, index, info, &slot.who, Role::Aggregator, aggregator_share);
			paid.saturating_accrue(slot.reward);
		}

		record.phase = Phase::Finalized { aggregate };
		info.global_model = record.aggregate_payload(&aggregate).cloned();
		Self::deposit_event(Event::RoundFinalized {
			task,
			round: index,
			aggregate,
			agreeing: agreeing.len() as u32,
			paid,
		});
		Self::conclude_round(task, info)
	}

	/// The aggregate hash that at least `quorum` submissions agree on and whose payload is on
	/// chain. At most one hash can reach a quorum of more than half the aggregators.
	fn quorum_hash(record: &RoundOf<T>, quorum: u32) -> Option<H256> {
		let mut tally: Vec<(H256, u32)> = Vec::new();
		for submission in record.aggregators.iter().filter_map(|a| a.submission.as_ref()) {
			match tally.iter_mut().find(|(h, _)| *h == submission.aggregate) {
				Some((_, count)) => *count += 1,
				None => tally.push((submission.aggregate, 1)),
			}
		}
		tally
			.into_iter()
			.find(|(hash, count)| *count >= quorum && record.aggregate_payload(hash).is_some())
			.map(|(hash, _)| hash)
	}

	/// Pays `amount` out of the task's budget; returns what was paid (nothing if the transfer
	/// fails, e.g. an amount below the existential deposit to an account that no longer exists).
	fn pay(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		who: &T::AccountId,
		role: Role,
		amount: u128,
	) -> BalanceOf<T> {
		let amount = BalanceOf::<T>::unique_saturated_from(amount).min(info.budget);
		if amount.is_zero() {
			return amount;
		}
		let result = T::Currency::transfer_on_hold(
			&HoldReason::TaskBudget.into(),
			&info.owner,
			who,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		);
		match result {
			Ok(paid) => {
				info.budget = info.budget.saturating_sub(paid);
				Self::deposit_event(Event::Rewarded {
					task,
					round: index,
					who: who.clone(),
					role,
					amount: paid,
				});
				T::RewardObserver::on_reward(task, index, who, role, paid);
				paid
			},
			Err(e) => {
				log::warn!(target: "runtime::federated", "paying {who:?} for round {index} of task {task}: {e:?}");
				Zero::zero()
			},
		}
	}

	/// Fails the round: the previous global model stays, nobody is paid.
	fn fail(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		reason: FailReason,
	) {
		record.phase = Phase::Failed { reason };
		Self::deposit_event(Event::RoundFailed { task, round: index, reason });
		if let Err(e) = Self::conclude_round(task, info) {
			log::error!(target: "runtime::federated", "concluding round {index} of task {task}: {e:?}");
		}
	}

	/// Counts the round as run; after the last one the task finishes and the rest of the
	/// budget goes back to the owner.
	fn conclude_round(task: TaskId, info: &mut TaskOf<T>) -> Result<(), DispatchError> {
		info.next_round.saturating_inc();
		if info.next_round >= info.spec.rounds {
			let refund = Self::end_task(task, info, TaskStatus::Finished)?;
			Self::deposit_event(Event::TaskFinished { task, refund });
		}
		Ok(())
	}
}
