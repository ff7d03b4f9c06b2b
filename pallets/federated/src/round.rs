//! The round state machine: starting rounds, closing phases (by everyone having acted, or by
//! the phase's end), deciding the quorum, paying and penalising.
//!
//! ```text
//! (selection) -> Commit -> Reveal -> Score -> ScoreReveal -> Aggregate -> AggregateReveal
//!                  |         |        |          |             |              |
//!                  +---------+--------+----------+-------------+--------------+--> Failed
//!                                                                             +--> Finalized
//! ```
//!
//! Without a quorum of score commitments or on the aggregate, the committee is enlarged once and
//! the round goes back to `Score` or `Aggregate` for the added members (`enlarge.rs`).

use crate::{
	AggregatorSlotOf, BalanceOf, Config, Event, HoldReason, Offence, Pallet, Participants, RoundOf,
	Rounds, TaskOf, Tasks, TrainerSlotOf, WeightInfo,
};
use alloc::vec::Vec;
use codec::Encode;
use cohort_primitives::{
	committee,
	dataset::DatasetUse,
	independence::is_independent,
	payout,
	round::{FailReason, Phase, MAX_SCORE},
	task::{InitialModel, PUBLIC_COMMITTEE},
	traits::{ComputeAccess, Contributions, DataMarket, Role},
	RoundIndex, TaskId, TaskStatus,
};
use frame_support::{
	traits::{
		fungible::{InspectHold, MutateHold},
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
	/// The per-block hook: for each active task, starts its next round if it can, moves its
	/// round on if the current phase has ended, or expires it if no round has started for
	/// [`Config::TaskExpiry`] blocks.
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
						Phase::Score => {
							Self::close_score_commit(task, index, &mut info, &mut record, now);
							Ok(())
						},
						Phase::ScoreReveal => {
							Self::close_score_reveal(task, index, &mut info, &mut record, now);
							Ok(())
						},
						Phase::Aggregate => {
							Self::close_aggregate_commit(task, index, &mut info, &mut record, now);
							Ok(())
						},
						Phase::AggregateReveal => {
							Self::close_aggregate(task, index, &mut info, &mut record, now)
						},
						Phase::Finalized { .. } | Phase::Failed { .. } => Ok(()),
					};
					if let Err(e) = result {
						log::error!(target: "runtime::federated", "closing round {index} of task {task}: {e:?}");
					}
					let evicted = info.status == TaskStatus::Evicted;
					Rounds::<T>::insert(task, index, record);
					Tasks::<T>::insert(task, info);
					// The heaviest closing: deciding the round (payouts), or fixing the
					// accepted set (a slash per rejected trainer), as `reveal_scores` does.
					let (t, a) = (T::MaxTrainersPerRound::get(), T::MaxAggregatorsPerRound::get());
					weight.saturating_accrue(
						T::WeightInfo::close_phase(t, a)
							.max(T::WeightInfo::reveal_scores(t, a))
							.saturating_add(Self::independence_weight())
							.saturating_add(Self::enlarge_weight()),
					);
					if evicted {
						weight.saturating_accrue(Self::eviction_weight());
					}
				},
				Some(_) => {},
				None => {
					if Self::ready_for_round(&info) {
						weight.saturating_accrue(Self::start_round_weight());
						if Self::start_round(task, &mut info, now, &[]) {
							Tasks::<T>::insert(task, info);
							continue;
						}
					}
					// Not ready, or too few trainers whose datasets can pay the round's ε.
					if now > info.last_round_started.saturating_add(T::TaskExpiry::get()) {
						match Self::end_task(task, &mut info, TaskStatus::Expired) {
							Ok(refund) => Self::deposit_event(Event::TaskExpired { task, refund }),
							Err(e) => {
								log::error!(target: "runtime::federated", "expiring task {task}: {e:?}")
							},
						}
						Tasks::<T>::insert(task, info);
						weight.saturating_accrue(T::WeightInfo::expire_task());
					}
				},
			}
		}
		weight
	}

	/// After the block's extrinsics (`on_idle`, with the weight the block has left): starts the
	/// next round of every task that has none open and can start one, in the block where its
	/// previous round was decided (or its last missing participant joined), so that its trainers
	/// start training as soon as they import this block rather than one block later. What does
	/// not fit in `remaining` waits for the next block's `on_initialize`, as before.
	pub(crate) fn start_rounds_early(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
		let active = crate::ActiveTasks::<T>::get();
		// Reading the tasks, and the three counters of the block below.
		let mut used = T::WeightInfo::on_initialize_idle(active.len() as u32)
			.saturating_add(T::DbWeight::get().reads(3));
		if !remaining.all_gte(used) {
			return Weight::zero();
		}
		// What this block carried, which whoever closed a round in it could not know when it
		// signed its extrinsic (see `start_round`'s `salt`).
		let contents = (
			frame_system::Pallet::<T>::extrinsic_count(),
			frame_system::Pallet::<T>::block_size(),
			frame_system::Pallet::<T>::block_weight().total(),
		)
			.encode();
		for task in active {
			let Some(mut info) = Tasks::<T>::get(task) else { continue };
			if Self::open_round(task, &info).is_some() || !Self::ready_for_round(&info) {
				continue;
			}
			let with_start = used.saturating_add(Self::start_round_weight());
			if !remaining.all_gte(with_start) {
				break;
			}
			used = with_start;
			if Self::start_round(task, &mut info, now, &contents) {
				Tasks::<T>::insert(task, info);
			}
		}
		used
	}

	/// Whether a task without an open round may start one: it is active, has its minimum
	/// trainers and its aggregators, and a model to start from (its seed, or the initial model
	/// its owner published).
	fn ready_for_round(info: &TaskOf<T>) -> bool {
		info.status == TaskStatus::Active
			&& info.trainers >= info.spec.min_trainers
			&& info.aggregators >= info.spec.aggregators
			&& (info.global_model.is_some()
				|| matches!(info.spec.initial_model, InitialModel::Seed(_)))
	}

	/// The most [`Self::start_round`] can weigh: every participant a task may have, and the
	/// lease reads that tell which drawn aggregators are independent of the owner.
	fn start_round_weight() -> Weight {
		T::WeightInfo::start_round(
			T::MaxTrainersPerTask::get().saturating_add(T::MaxAggregatorsPerTask::get()),
		)
		.saturating_add(
			T::DbWeight::get().reads(
				T::ComputeAccess::serves_reads()
					.saturating_mul(T::MaxAggregatorsPerRound::get() as u64),
			),
		)
	}

	/// What evicting a task weighs ([`Self::evict`]): ending it as an expiry does, and
	/// forfeiting its deposit (the owner's hold and the treasury's balance). Any call that can
	/// fail a round may evict its task.
	pub(crate) fn eviction_weight() -> Weight {
		T::WeightInfo::expire_task().saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}

	/// The reads that deciding who of a round's paid participants earns emission may make
	/// besides the benchmarked ones (the benchmarks run without leases): one
	/// [`ComputeAccess::serves`] per paid trainer and aggregator, and each paid trainer's
	/// participation.
	pub(crate) fn independence_weight() -> Weight {
		let (t, a) =
			(T::MaxTrainersPerRound::get() as u64, T::MaxAggregatorsPerRound::get() as u64);
		T::DbWeight::get().reads(
			T::ComputeAccess::serves_reads().saturating_mul(t.saturating_add(a)).saturating_add(t),
		)
	}

	/// Draws the round's trainers and aggregators, weighted by bond, among those whose bond is
	/// still at least the task's minimum for their role, and opens its commit phase; says
	/// whether it did.
	///
	/// The draw's seed is the runtime's randomness for the task and round, and `salt` when it
	/// is not empty. A round started at the end of a block (`on_idle`) is salted with what the
	/// block carried (its extrinsic count, size and weight): the parent hash alone is known
	/// before the block, so whoever closes a round could otherwise read the next draw before
	/// choosing the block to close it in ([docs/federated.md](../../../docs/federated.md),
	/// "Randomness and its limits").
	///
	/// In a task with differential privacy, only trainers whose dataset can still pay the
	/// round's ε are candidates, and each drawn trainer's dataset is debited at once: being
	/// drawn means its data is about to be trained on and the update published, whether or not
	/// the update is then accepted (stricter than debiting accepted updates only, which would
	/// let rejected or unrevealed updates leak for free). If fewer than `min_trainers` can pay,
	/// no round starts and nothing is debited (the task waits, and expires if that lasts).
	pub(crate) fn start_round(
		task: TaskId,
		info: &mut TaskOf<T>,
		now: BlockNumberFor<T>,
		salt: &[u8],
	) -> bool {
		let index = info.next_round;
		let epsilon = info.spec.training.dp.map(|dp| dp.epsilon_micros);
		let mut trainers = Vec::new();
		let mut aggregators = Vec::new();
		for (who, p) in Participants::<T>::iter_prefix(task) {
			// Penalties wear bonds down: below the role's minimum, a no-show would lose less
			// than the work pays, so such a participant is not drawn until it tops up
			// (`bond_extra`).
			let minimum = match p.role {
				Role::Aggregator => info.min_aggregator_bond,
				_ => info.min_trainer_bond,
			};
			if p.bond < minimum {
				continue;
			}
			let weight: u128 =
				cohort_primitives::draw::draw_weight(p.bond, minimum).unique_saturated_into();
			match (p.role, p.dataset) {
				(Role::Trainer, Some(dataset)) => {
					if epsilon.is_none_or(|e| T::DataMarket::can_spend_privacy(dataset.id, e)) {
						trainers.push(((who, dataset.id), weight));
					}
				},
				(Role::Aggregator, _) => aggregators.push((who, weight)),
				_ => {
					frame_support::defensive!(
						"participants are trainers with a dataset or aggregators"
					);
				},
			}
		}
		if (trainers.len() as u32) < info.spec.min_trainers {
			return false;
		}

		let subject = match salt {
			[] => (b"cohort/federated/selection", task, index).encode(),
			salt => (b"cohort/federated/selection", task, index, salt).encode(),
		};
		let (seed, _) = T::Randomness::random(&subject);
		let seed = seed.encode();
		let trainers: Vec<TrainerSlotOf<T>> = cohort_primitives::draw::weighted_sample(
			trainers,
			info.spec.max_trainers as usize,
			&(&seed, b"trainers").encode(),
		)
		.into_iter()
		// Two trainers may share a dataset (a data market that allows it): the second one
		// drawn is dropped if the first used up the budget.
		.filter(|(_, dataset)| epsilon.is_none_or(|e| T::DataMarket::spend_privacy(*dataset, e)))
		.map(|(who, dataset)| TrainerSlotOf::<T> {
			who,
			dataset,
			commitment: None,
			update: None,
			samples: 0,
			score: None,
			accepted: false,
			reward: Zero::zero(),
		})
		.collect();
		let aggregators: Vec<AggregatorSlotOf<T>> = cohort_primitives::draw::weighted_sample(
			aggregators,
			info.spec.aggregators as usize,
			&(&seed, b"aggregators").encode(),
		)
		.into_iter()
		.map(|who| AggregatorSlotOf::<T> {
			who,
			score_commitment: None,
			scores: None,
			commitment: None,
			submission: None,
			reward: Zero::zero(),
		})
		.collect();

		// Emission and reputation follow rounds judged by parties other than the owner.
		let independent = aggregators
			.iter()
			.filter(|a| is_independent(&info.owner, &a.who, None, T::ComputeAccess::serves))
			.count() as u32;
		let public = info.is_public() && independent >= PUBLIC_COMMITTEE;

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
			public,
		};
		Rounds::<T>::insert(task, index, record);
		info.last_round_started = now;
		true
	}

	/// Whether a round's work counts for emission and moves reputation: its task is public
	/// ([`TaskInfo::is_public`](cohort_primitives::TaskInfo::is_public)) and the round drew at
	/// least [`PUBLIC_COMMITTEE`] aggregators independent of the owner (not the owner, not a
	/// worker it leases), fixed at the draw ([`RoundInfo::public`](cohort_primitives::RoundInfo)).
	/// A task judged by one or two parties, or by the owner's own compute, is judged by them
	/// alone.
	pub(crate) fn is_public_round(info: &TaskOf<T>, record: &RoundOf<T>) -> bool {
		info.is_public() && record.public
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
		let public = Self::is_public_round(info, record);
		for slot in record.trainers.iter().filter(|t| t.commitment.is_none()) {
			Self::slash(task, index, info, public, &slot.who, Offence::NoCommit);
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

	/// Ends the reveal phase: trainers who committed but did not reveal are penalised; scoring
	/// opens if enough updates were revealed, else the round fails.
	pub(crate) fn close_reveal(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) {
		let public = Self::is_public_round(info, record);
		for slot in record.trainers.iter().filter(|t| t.commitment.is_some() && t.update.is_none())
		{
			Self::slash(task, index, info, public, &slot.who, Offence::NoReveal);
		}
		let updates = record.revealed_updates().count() as u32;
		if updates < info.spec.min_trainers {
			return Self::fail(task, index, info, record, FailReason::NotEnoughReveals);
		}
		record.phase = Phase::Score;
		record.phase_ends = now.saturating_add(info.spec.phases.score);
		Self::deposit_event(Event::ScoringOpened {
			task,
			round: index,
			updates,
			commit_by: record.phase_ends,
		});
	}

	/// Ends the score (commit) phase: selected aggregators who did not commit to scores are
	/// penalised; the score reveal phase opens if enough committed to reach the quorum, else
	/// the committee is enlarged (once, if others joined the task) or the round fails.
	pub(crate) fn close_score_commit(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) {
		let public = Self::is_public_round(info, record);
		let first = Self::first_acting(info, record);
		for slot in record.aggregators.iter().skip(first).filter(|a| a.score_commitment.is_none()) {
			Self::slash(task, index, info, public, &slot.who, Offence::NoScores);
		}
		let committed = record.aggregators.iter().filter(|a| a.score_commitment.is_some()).count();
		if (committed as u32) < info.spec.quorum {
			if Self::enlarge_committee(task, index, info, record, now, Phase::Score) {
				return;
			}
			return Self::fail(task, index, info, record, FailReason::NotEnoughScores);
		}
		record.phase = Phase::ScoreReveal;
		record.phase_ends = now.saturating_add(info.spec.phases.score_reveal);
		Self::deposit_event(Event::ScoreRevealOpened {
			task,
			round: index,
			reveal_by: record.phase_ends,
		});
	}

	/// Ends the score reveal phase. Aggregators who committed to scores but did not reveal
	/// them are penalised. If at least a quorum revealed, each revealed update's score is the
	/// lower median of the revealed scores (so fewer than half of the aggregators, colluding,
	/// can move no score past an honest one), and the gate judges each against the round's
	/// median score and spread (`cohort_primitives::judgement::judge`): updates within the
	/// gate's acceptance band below it are accepted, trainers beyond its penalty band (pointing
	/// nowhere or away) are penalised. Aggregation
	/// opens if the rule can run on the accepted updates; otherwise the round fails.
	pub(crate) fn close_score_reveal(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) {
		let public = Self::is_public_round(info, record);
		for slot in
			record.aggregators.iter().filter(|a| a.score_commitment.is_some() && a.scores.is_none())
		{
			Self::slash(task, index, info, public, &slot.who, Offence::NoScoresReveal);
		}
		let revealed = record.aggregators.iter().filter(|a| a.scores.is_some()).count() as u32;
		if revealed < info.spec.quorum {
			return Self::fail(task, index, info, record, FailReason::NotEnoughScores);
		}
		// Every revealed score list has one score per update (checked on reveal), and at least
		// a quorum (> 0) revealed: every update has its medians.
		let committee::Decision { scores, verdicts, strayed } = record.decide(&info.spec.gate);
		for (slot, _) in record
			.aggregators
			.iter()
			.filter(|a| a.scores.is_some())
			.zip(strayed)
			.filter(|(_, strayed)| *strayed)
		{
			Self::slash(task, index, info, public, &slot.who, Offence::StrayedScores);
		}
		let mut accepted = 0u32;
		for ((slot, score), verdict) in
			record.trainers.iter_mut().filter(|t| t.update.is_some()).zip(scores).zip(verdicts)
		{
			slot.score = Some(score);
			slot.accepted = verdict.accepted;
			if public {
				T::DataMarket::record_score(slot.dataset, score);
				T::Contributions::note_quality(&slot.who, Role::Trainer, score);
			}
			accepted += slot.accepted as u32;
			if verdict.slashed {
				Self::slash(task, index, info, public, &slot.who, Offence::Rejected);
			}
			Self::deposit_event(Event::UpdateScored {
				task,
				round: index,
				who: slot.who.clone(),
				score,
				accepted: slot.accepted,
			});
		}
		if accepted == 0 || !info.spec.aggregation.works_with(accepted) {
			return Self::fail(task, index, info, record, FailReason::NotEnoughAccepted);
		}
		record.phase = Phase::Aggregate;
		record.phase_ends = now.saturating_add(info.spec.phases.aggregate);
		Self::deposit_event(Event::AggregationOpened {
			task,
			round: index,
			updates: accepted,
			commit_by: record.phase_ends,
		});
	}

	/// Ends the aggregate (commit) phase: selected aggregators who did not commit are
	/// penalised; the aggregate reveal phase opens if enough committed to reach the quorum,
	/// else the committee is enlarged (once, if others joined the task) or the round fails.
	pub(crate) fn close_aggregate_commit(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) {
		let public = Self::is_public_round(info, record);
		let first = Self::first_acting(info, record);
		for slot in record.aggregators.iter().skip(first).filter(|a| a.commitment.is_none()) {
			Self::slash(task, index, info, public, &slot.who, Offence::NoAggregate);
		}
		let committed = record.aggregators.iter().filter(|a| a.commitment.is_some()).count();
		if (committed as u32) < info.spec.quorum {
			if Self::enlarge_committee(task, index, info, record, now, Phase::Aggregate) {
				return;
			}
			return Self::fail(task, index, info, record, FailReason::NoQuorum);
		}
		record.phase = Phase::AggregateReveal;
		record.phase_ends = now.saturating_add(info.spec.phases.aggregate_reveal);
		Self::deposit_event(Event::AggregateRevealOpened {
			task,
			round: index,
			reveal_by: record.phase_ends,
		});
	}

	/// Ends the aggregate reveal phase. If a quorum of aggregators agreed on one hash (whose
	/// payload is on chain), it becomes the global model, the round's metrics are the lower
	/// medians of the agreeing aggregators' metrics, the reward is paid (trainers of accepted
	/// updates in proportion to their scores), and dissenters and aggregators who committed but
	/// did not reveal are penalised. Otherwise those who did not reveal are penalised, and the
	/// committee is enlarged (once, if others joined the task) or the round fails.
	pub(crate) fn close_aggregate(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
	) -> Result<(), DispatchError> {
		let public = Self::is_public_round(info, record);
		let silent: Vec<usize> = record
			.aggregators
			.iter()
			.enumerate()
			.filter(|(_, a)| a.commitment.is_some() && a.submission.is_none())
			.map(|(i, _)| i)
			.collect();
		for i in &silent {
			let who = record.aggregators[*i].who.clone();
			Self::slash(task, index, info, public, &who, Offence::NoAggregateReveal);
		}
		let Some(aggregate) = Self::quorum_hash(record, info.spec.quorum) else {
			if Self::enlarge_committee(task, index, info, record, now, Phase::Aggregate) {
				// The silent members answered for it; they take no second turn.
				for i in silent {
					record.aggregators[i].commitment = None;
				}
				return Ok(());
			}
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
		// Aggregators whose scores strayed from the committee's (penalised when the scores
		// were decided) are not paid, whatever hash they revealed.
		let strayed: Vec<usize> = record
			.aggregators
			.iter()
			.enumerate()
			.filter(|(_, a)| a.scores.is_some())
			.zip(record.decide(&info.spec.gate).strayed)
			.filter(|(_, strayed)| *strayed)
			.map(|((i, _), _)| i)
			.collect();
		let paid_aggregators: Vec<usize> =
			agreeing.iter().copied().filter(|i| !strayed.contains(i)).collect();
		for slot in record
			.aggregators
			.iter()
			.filter(|a| a.submission.as_ref().is_some_and(|s| s.aggregate != aggregate))
		{
			Self::slash(task, index, info, public, &slot.who, Offence::Disagreed);
		}

		let reports: Vec<_> = agreeing
			.iter()
			.filter_map(|i| record.aggregators[*i].submission.as_ref().map(|s| s.metrics))
			.collect();
		// At least a quorum (> 0) agreed, so there is a median.
		let metrics = payout::median_metrics(&reports).unwrap_or_default();

		// First the royalties: each accepted update's dataset owner, at the terms its trainer
		// joined with, and the round's lineage.
		let royalties = Self::settle_royalties(task, index, info, record, |t| t.accepted);

		// Then the reward: the aggregators' share in equal parts, the rest to the accepted
		// updates' trainers by score (a rejected update earns nothing).
		let reward: u128 = info.spec.reward_per_round.min(info.budget).unique_saturated_into();
		let aggregator_pool = info.spec.aggregator_share * reward;
		let trainer_pool = reward.saturating_sub(aggregator_pool);
		let scores: Vec<_> = record
			.trainers
			.iter()
			.filter(|t| t.accepted)
			.map(|t| t.score.unwrap_or_default())
			.collect();
		let trainer_shares = payout::proportional_shares(trainer_pool, &scores);
		let aggregator_share = aggregator_pool / paid_aggregators.len().max(1) as u128;

		let mut paid = BalanceOf::<T>::zero();
		for (slot, share) in record.trainers.iter_mut().filter(|t| t.accepted).zip(trainer_shares) {
			let counts = Self::counts(task, info, public, &slot.who, Role::Trainer);
			slot.reward = Self::pay(task, index, info, counts, &slot.who, Role::Trainer, share);
			paid.saturating_accrue(slot.reward);
		}
		for i in paid_aggregators.iter() {
			let slot = &mut record.aggregators[*i];
			let counts = Self::counts(task, info, public, &slot.who, Role::Aggregator);
			if counts {
				T::Contributions::note_quality(&slot.who, Role::Aggregator, MAX_SCORE);
			}
			slot.reward =
				Self::pay(task, index, info, counts, &slot.who, Role::Aggregator, aggregator_share);
			paid.saturating_accrue(slot.reward);
		}

		record.phase = Phase::Finalized { aggregate };
		info.global_model = record.aggregate_payload(&aggregate).cloned();
		Self::deposit_event(Event::RoundFinalized {
			task,
			round: index,
			aggregate,
			agreeing: agreeing.len() as u32,
			metrics,
			paid,
			royalties,
		});
		Self::summarise(task, index, record, Some(metrics), royalties);
		info.failed_in_a_row = 0;
		Self::conclude_round(task, info)
	}

	/// Has the data market pay the royalty of each update `earns` picks (the accepted ones when
	/// a round finalizes, those [`Self::pay_revealed_work`] pays when it is cancelled) to its
	/// dataset's owner out of the task's budget, at the terms its trainer joined with, and
	/// record those updates as the round's lineage; returns what left the budget.
	///
	/// The budget is debited by what actually left the owner's budget hold (measured around
	/// the call), so the books balance even if the data market misreports. The budget covers
	/// the royalties by construction: it holds `max_trainers * max_royalty` per round on top of
	/// the reward, and no joined royalty exceeds `max_royalty`.
	fn settle_royalties(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &RoundOf<T>,
		earns: impl Fn(&TrainerSlotOf<T>) -> bool,
	) -> BalanceOf<T> {
		let uses: Vec<DatasetUse<T::AccountId, BalanceOf<T>>> = record
			.trainers
			.iter()
			.filter(|t| earns(t))
			.filter_map(|t| {
				// A selected trainer cannot leave while its round is open: it is still there.
				let Some(joined) = Participants::<T>::get(task, &t.who).and_then(|p| p.dataset)
				else {
					frame_support::defensive!("a paid update's trainer has no dataset");
					return None;
				};
				Some(DatasetUse {
					dataset: t.dataset,
					owner: joined.terms.owner,
					trainer: t.who.clone(),
					score: t.score.unwrap_or_default(),
					royalty: joined.terms.royalty,
				})
			})
			.collect();
		let reason = HoldReason::TaskBudget.into();
		let held_before = T::Currency::balance_on_hold(&reason, &info.owner);
		let reported = T::DataMarket::settle_round(
			task,
			index,
			&info.owner,
			&reason,
			&uses,
			Self::is_public_round(info, record),
		);
		let held_after = T::Currency::balance_on_hold(&reason, &info.owner);
		let paid = held_before.saturating_sub(held_after);
		if paid != reported || held_after > held_before {
			log::error!(target: "runtime::federated", "royalties of round {index} of task {task}: the data market reported {reported:?}, the budget paid {paid:?}");
		}
		info.budget = info.budget.saturating_sub(paid);
		paid
	}

	/// Pays for the work already on chain in a round that will not finish (the owner
	/// cancelled): every revealed update, or once the scores are in, every accepted one. Like a
	/// finalized round, first each such update's royalty goes to its dataset's owner and the
	/// round's lineage is recorded ([`Self::settle_royalties`]), then the trainers' part of the
	/// round's reward is paid, in equal shares (there may be no scores to weigh them by), and
	/// the aggregators' part to the aggregators whose scores are on chain, in equal shares.
	/// Returns the royalties paid.
	///
	/// A cancelled round trains no model on chain, but its revealed updates are public in
	/// block bodies: the task owner can aggregate them off chain. So its lineage lists the
	/// updates that were published to the task owner and are paid for here (before scoring,
	/// every revealed one, scored 0 as no score exists yet; after, the accepted ones with their
	/// scores), and their data is paid for as if the round had finished.
	pub(crate) fn pay_revealed_work(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		record: &mut RoundOf<T>,
	) -> BalanceOf<T> {
		let public = Self::is_public_round(info, record);
		let scored = matches!(record.phase, Phase::Aggregate | Phase::AggregateReveal);
		let earns = |t: &TrainerSlotOf<T>| {
			if scored {
				t.accepted
			} else {
				t.update.is_some()
			}
		};
		let paid = record.trainers.iter().filter(|t| earns(t)).count() as u128;
		if paid == 0 {
			return Zero::zero();
		}
		let royalties = Self::settle_royalties(task, index, info, record, earns);
		let reward: u128 = info.spec.reward_per_round.min(info.budget).unique_saturated_into();
		let aggregator_pool = info.spec.aggregator_share * reward;
		let trainer_pool = reward.saturating_sub(aggregator_pool);
		let share = trainer_pool / paid;
		for slot in record.trainers.iter_mut().filter(|t| earns(t)) {
			let counts = Self::counts(task, info, public, &slot.who, Role::Trainer);
			slot.reward = Self::pay(task, index, info, counts, &slot.who, Role::Trainer, share);
		}
		// Aggregators whose scores are on chain did the round's scoring: cancelling does not
		// get that for free either. Their part is shared equally.
		let scorers = record.aggregators.iter().filter(|a| a.scores.is_some()).count() as u128;
		if let Some(share) = aggregator_pool.checked_div(scorers) {
			for slot in record.aggregators.iter_mut().filter(|a| a.scores.is_some()) {
				let counts = Self::counts(task, info, public, &slot.who, Role::Aggregator);
				slot.reward =
					Self::pay(task, index, info, counts, &slot.who, Role::Aggregator, share);
			}
		}
		royalties
	}

	/// The aggregate hash that at least `quorum` submissions, and more than half of all
	/// submissions, agree on and whose payload is on chain: at most one. (Before the committee
	/// is enlarged the quorum, over half the committee, implies the majority.)
	fn quorum_hash(record: &RoundOf<T>, quorum: u32) -> Option<H256> {
		let mut tally: Vec<(H256, u32)> = Vec::new();
		for submission in record.aggregators.iter().filter_map(|a| a.submission.as_ref()) {
			match tally.iter_mut().find(|(h, _)| *h == submission.aggregate) {
				Some((_, count)) => *count += 1,
				None => tally.push((submission.aggregate, 1)),
			}
		}
		let revealed: u32 = tally.iter().map(|(_, count)| count).sum();
		tally
			.into_iter()
			.find(|(hash, count)| {
				*count >= quorum
					&& count.saturating_mul(2) > revealed
					&& record.aggregate_payload(hash).is_some()
			})
			.map(|(hash, _)| hash)
	}

	/// Pays `amount` out of the task's budget; returns what was paid (nothing if the transfer
	/// fails, e.g. an amount below the existential deposit to an account that no longer exists).
	pub(crate) fn pay(
		task: TaskId,
		index: RoundIndex,
		info: &mut TaskOf<T>,
		counts: bool,
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
				// Emission follows what independent payers pay: a private task's pay, or pay
				// to the owner, its delegates on its own datasets or the workers it leases,
				// is not such demand.
				if counts {
					T::Contributions::note_contribution(who, role, paid);
				}
				paid
			},
			Err(e) => {
				log::warn!(target: "runtime::federated", "paying {who:?} for round {index} of task {task}: {e:?}");
				Zero::zero()
			},
		}
	}

	/// Whether pay to `who` in `role` counts for emission: the round is public and `who` is
	/// independent of the task's owner ([`is_independent`]; a trainer's dataset is read from
	/// its participation). At most one `Participants` read and one `serves`, counted in
	/// [`Self::independence_weight`].
	fn counts(
		task: TaskId,
		info: &TaskOf<T>,
		public: bool,
		who: &T::AccountId,
		role: Role,
	) -> bool {
		if !public {
			return false;
		}
		let data_owner = match role {
			Role::Trainer => {
				Participants::<T>::get(task, who).and_then(|p| p.dataset).map(|d| d.terms.owner)
			},
			_ => None,
		};
		is_independent(&info.owner, who, data_owner.as_ref(), T::ComputeAccess::serves)
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
		Self::summarise(task, index, record, None, Zero::zero());
		info.failed_in_a_row.saturating_inc();
		let concluded = if info.failed_in_a_row >= T::FailedRoundsToEvict::get()
			&& info.status.is_live()
			&& info.next_round.saturating_add(1) < info.spec.rounds
		{
			info.next_round.saturating_inc();
			Self::evict(task, info)
		} else {
			Self::conclude_round(task, info)
		};
		if let Err(e) = concluded {
			log::error!(target: "runtime::federated", "concluding round {index} of task {task}: {e:?}");
		}
	}

	/// Ends a task whose rounds keep failing ([`Config::FailedRoundsToEvict`] in a row): the
	/// rest of the budget goes back to the owner, the deposit to [`Config::OnForfeit`]. Its
	/// place among the active tasks is free at once.
	fn evict(task: TaskId, info: &mut TaskOf<T>) -> Result<(), DispatchError> {
		use frame_support::traits::{fungible::BalancedHold, Imbalance, OnUnbalanced};
		let refund = Self::end_task(task, info, TaskStatus::Evicted)?;
		let (forfeit, _) = <T::Currency as BalancedHold<T::AccountId>>::slash(
			&HoldReason::TaskDeposit.into(),
			&info.owner,
			info.deposit,
		);
		let forfeited = forfeit.peek();
		T::OnForfeit::on_unbalanced(forfeit);
		info.deposit = info.deposit.saturating_sub(forfeited);
		Self::deposit_event(Event::TaskEvicted { task, refund, forfeited });
		Ok(())
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
