//! What the `FederatedApi` runtime API answers, and the invariants `try_state` checks.

use crate::{
	ActiveTasks, Config, FeatureScalings, JoinAs, Pallet, Participants, RoundSummaries, Rounds,
	Tasks,
};
use alloc::vec::Vec;
use cohort_primitives::{
	api::{AcceptedUpdate, Duty, Membership},
	round::Phase,
	scaling::FeatureStats,
	DatasetId, RoundIndex, TaskId,
};
use frame_support::storage::{with_transaction, TransactionOutcome};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::DispatchError;

impl<T: Config> Pallet<T> {
	/// What `who` must do now, in every running task it has joined.
	pub fn duties(who: &T::AccountId) -> Vec<Duty<T::AccountId, BlockNumberFor<T>>> {
		let mut duties = Vec::new();
		for task in ActiveTasks::<T>::get() {
			let Some(info) = Tasks::<T>::get(task) else { continue };
			let Some(record) = Self::open_round(task, &info) else { continue };
			let round = info.next_round;
			let trainer = record.trainers.iter().find(|t| t.who == *who);
			let aggregator = record.aggregators.iter().find(|a| a.who == *who);
			// In the phase the committee was enlarged for, only the added members commit.
			let acting = record
				.aggregators
				.iter()
				.skip(Self::first_acting(&info, &record))
				.any(|a| a.who == *who);
			match record.phase {
				Phase::Commit => {
					if let Some(slot) = trainer.filter(|t| t.commitment.is_none()) {
						duties.push(Duty::Train {
							task,
							round,
							dataset: slot.dataset,
							global_model: record.global_model.clone(),
							commit_by: record.phase_ends,
						});
					}
				},
				Phase::Reveal => {
					if let Some(commitment) =
						trainer.filter(|t| t.update.is_none()).and_then(|t| t.commitment)
					{
						duties.push(Duty::Reveal {
							task,
							round,
							commitment,
							reveal_by: record.phase_ends,
						});
					}
				},
				Phase::Score => {
					if acting && aggregator.is_some_and(|a| a.score_commitment.is_none()) {
						duties.push(Duty::Score {
							task,
							round,
							global_model: record.global_model.clone(),
							updates: record
								.revealed_updates()
								.map(|(who, at)| (who.clone(), at.clone()))
								.collect(),
							commit_by: record.phase_ends,
						});
					}
				},
				Phase::ScoreReveal => {
					if let Some(commitment) =
						aggregator.filter(|a| a.scores.is_none()).and_then(|a| a.score_commitment)
					{
						duties.push(Duty::RevealScores {
							task,
							round,
							commitment,
							reveal_by: record.phase_ends,
						});
					}
				},
				Phase::Aggregate => {
					if acting && aggregator.is_some_and(|a| a.commitment.is_none()) {
						duties.push(Duty::Aggregate {
							task,
							round,
							global_model: record.global_model.clone(),
							updates: record
								.accepted_updates()
								.map(|(who, update, samples)| AcceptedUpdate {
									who: who.clone(),
									update: update.clone(),
									samples,
								})
								.collect(),
							commit_by: record.phase_ends,
						});
					}
				},
				Phase::AggregateReveal => {
					if let Some(commitment) =
						aggregator.filter(|a| a.submission.is_none()).and_then(|a| a.commitment)
					{
						duties.push(Duty::RevealAggregate {
							task,
							round,
							commitment,
							payload_known: record
								.aggregates
								.iter()
								.map(|p| p.payload_hash)
								.collect(),
							reveal_by: record.phase_ends,
						});
					}
				},
				Phase::Finalized { .. } | Phase::Failed { .. } => {},
			}
		}
		duties
	}

	/// The running tasks `who` has joined, and whether it is selected in the round under way.
	pub fn memberships(who: &T::AccountId) -> Vec<Membership> {
		ActiveTasks::<T>::get()
			.into_iter()
			.filter_map(|task| {
				let participant = Participants::<T>::get(task, who)?;
				let info = Tasks::<T>::get(task)?;
				let selected_in = Self::open_round(task, &info)
					.filter(|r| r.is_selected(who))
					.map(|_| info.next_round);
				Some(Membership {
					task,
					role: participant.role,
					dataset: participant.dataset.map(|d| d.id),
					selected_in,
				})
			})
			.collect()
	}

	/// A task.
	pub fn task(task: TaskId) -> Option<crate::TaskOf<T>> {
		Tasks::<T>::get(task)
	}

	/// A round of a task, while its full record is kept.
	pub fn round(task: TaskId, round: RoundIndex) -> Option<crate::RoundOf<T>> {
		Rounds::<T>::get(task, round)
	}

	/// The summary of a finished round of a task: its outcome, updates revealed and accepted,
	/// metrics, and what it paid in rewards (`paid`) and in royalties (`royalties`).
	pub fn round_summary(task: TaskId, round: RoundIndex) -> Option<crate::RoundSummaryOf<T>> {
		RoundSummaries::<T>::get(task, round)
	}

	/// Every finished round of a task, oldest first (at most the chain's `MaxRounds`), each with
	/// what it paid in rewards and in royalties.
	pub fn round_history(task: TaskId) -> Vec<(RoundIndex, crate::RoundSummaryOf<T>)> {
		let mut history: Vec<_> = RoundSummaries::<T>::iter_prefix(task).collect();
		// The map is keyed by Twox64Concat(round): iteration order is not round order.
		history.sort_by_key(|(round, _)| *round);
		history
	}

	/// Every live task, oldest first, and whether `who` could join it now as a trainer with
	/// `dataset` and the task's minimum trainer bond: `federated.join` is run and undone, so the
	/// answer is the call's own (the data market's checks, the stake, the allowlist).
	pub fn joinable_tasks(
		who: &T::AccountId,
		dataset: DatasetId,
	) -> Vec<(TaskId, Result<(), DispatchError>)> {
		// The active list is appended to as tasks are created, and removals keep its order.
		ActiveTasks::<T>::get()
			.into_iter()
			.filter_map(|task| {
				let info = Tasks::<T>::get(task)?;
				let tried = with_transaction(|| {
					let joined = Self::join(
						frame_system::RawOrigin::Signed(who.clone()).into(),
						task,
						JoinAs::Trainer { dataset },
						info.min_trainer_bond,
					);
					TransactionOutcome::Rollback(Ok::<_, DispatchError>(joined))
				});
				Some((task, tried.unwrap_or_else(Err)))
			})
			.collect()
	}

	/// The feature scaling of a task, if its owner fixed one.
	pub fn feature_scaling(task: TaskId) -> Option<Vec<FeatureStats>> {
		FeatureScalings::<T>::get(task).map(|s| s.into_inner())
	}

	/// The pallet's invariants:
	/// - the funds held for budgets and deposits, and the stake committed as bonds, are exactly what the tasks and
	///   participants say;
	/// - a task's feature scaling gives one entry per input feature of its model, and belongs
	///   to a task not pruned;
	/// - the active list holds exactly the running and paused tasks, once each; exactly the
	///   others have ended and hold no budget; each owner's count of live tasks is right and
	///   within the cap; no live task has failed as many rounds in a row as evict one;
	/// - each task's participant counts match its participants and stay within the caps, and its
	///   allowlist length matches its allowlist;
	/// - exactly the trainers have a dataset, whose royalty is at most the task's maximum;
	/// - no round is open past the end of its phase (the hook of block `now` has run);
	/// - a round never holds more trainers or aggregators than its task allows;
	/// - a task that starts from a published model has one once it has started a round;
	/// - every revealed score list has one score per revealed update; once a round is past its
	///   score phases, every revealed update has a score, exactly those at or above the task's
	///   gate are accepted, and only revealed updates are;
	/// - every finished round has a summary, whose royalties are at most `max_royalty` per
	///   revealed update, and at most `RetainedRounds + 1` full records are kept per task.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state(now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
		use crate::{Allowlists, BalanceOf, HoldReason};
		use alloc::collections::btree_map::BTreeMap;
		use cohort_primitives::{
			task::InitialModel,
			traits::{Role, Stake},
		};
		use frame_support::{
			ensure,
			traits::{fungible::InspectHold, Get},
		};
		use sp_runtime::traits::{Saturating, Zero};

		let active = ActiveTasks::<T>::get();
		let mut budgets: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut bonds: BTreeMap<(T::AccountId, Role), BalanceOf<T>> = BTreeMap::new();
		let mut live_of: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for task in FeatureScalings::<T>::iter_keys() {
			ensure!(Tasks::<T>::contains_key(task), "a scaling belongs to a task not pruned");
		}
		for (task, info) in Tasks::<T>::iter() {
			let running = info.status.is_live();
			if running {
				*live_of.entry(info.owner.clone()).or_default() += 1;
			}
			ensure!(
				info.failed_in_a_row < T::FailedRoundsToEvict::get() || !running,
				"a live task has had fewer failed rounds in a row than evict it"
			);
			ensure!(
				active.iter().filter(|t| **t == task).count() == running as usize,
				"the active list holds exactly the running and paused tasks, once each"
			);
			ensure!(running || info.budget.is_zero(), "an ended task holds no budget");
			ensure!(
				(info.next_round == 0 && Rounds::<T>::iter_key_prefix(task).next().is_none())
					|| info.global_model.is_some()
					|| matches!(info.spec.initial_model, InitialModel::Seed(_)),
				"a task that starts from a published model started no round before publishing it"
			);
			ensure!(running != info.ended.is_some(), "exactly the ended tasks have an end");
			*budgets.entry(info.owner.clone()).or_default() += info.budget;
			*deposits.entry(info.owner.clone()).or_default() += info.deposit;

			let (mut trainers, mut aggregators) = (0u32, 0u32);
			for (who, p) in Participants::<T>::iter_prefix(task) {
				match p.role {
					Role::Trainer => trainers += 1,
					Role::Aggregator => aggregators += 1,
					Role::DataOwner | Role::ComputeProvider => {
						return Err("participants are trainers or aggregators".into())
					},
				}
				ensure!(
					(p.role == Role::Trainer) == p.dataset.is_some(),
					"exactly the trainers have a dataset"
				);
				ensure!(
					p.dataset
						.as_ref()
						.is_none_or(|d| d.terms.royalty <= info.spec.datasets.max_royalty),
					"a dataset's royalty is at most the task's maximum"
				);
				*bonds.entry((who, p.role)).or_default() += p.bond;
			}
			ensure!(
				(trainers, aggregators) == (info.trainers, info.aggregators),
				"participant counts match the participants"
			);
			ensure!(
				trainers <= T::MaxTrainersPerTask::get()
					&& aggregators <= T::MaxAggregatorsPerTask::get(),
				"each role stays within its cap"
			);
			ensure!(
				Allowlists::<T>::get(task).map_or(0, |l| l.len() as u32) == info.allowlist_len,
				"the allowlist length matches the allowlist"
			);
			let scaled = FeatureScalings::<T>::decode_len(task).unwrap_or(0) as u32;
			ensure!(
				scaled == info.scaled_features
					&& (scaled == 0 || scaled == info.spec.model.input_features()),
				"a task's scaling gives one entry per input feature of its model, as it counts"
			);

			if let Some(round) = Rounds::<T>::get(task, info.next_round) {
				if !round.phase.is_closed() {
					ensure!(running, "only a running or paused task has an open round");
					ensure!(round.phase_ends >= now, "no round is open past the end of its phase");
				}
			}
			let mut full_records = 0u32;
			for (_, round) in Rounds::<T>::iter_prefix(task) {
				ensure!(
					round.trainers.len() as u32 <= info.spec.max_trainers
						&& round.aggregators.len() as u32
							<= info.spec.aggregators.saturating_mul(2),
					"a round holds no more trainers than its task allows, and no more aggregators \
					 than twice its committee"
				);
				let mut members: Vec<_> = round.aggregators.iter().map(|a| &a.who).collect();
				members.sort();
				members.dedup();
				ensure!(
					members.len() == round.aggregators.len(),
					"no aggregator sits twice in a committee"
				);
				ensure!(
					!round.public
						|| round.aggregators.len() as u32
							>= cohort_primitives::task::PUBLIC_COMMITTEE,
					"a public round drew a committee of at least PUBLIC_COMMITTEE"
				);
				let revealed = round.revealed_updates().count();
				ensure!(
					round
						.aggregators
						.iter()
						.filter_map(|a| a.scores.as_ref())
						.all(|s| s.len() == revealed),
					"every revealed score list has one score per revealed update"
				);
				ensure!(
					round.trainers.iter().all(|t| !t.accepted || t.update.is_some()),
					"only revealed updates are accepted"
				);
				let scored = matches!(
					round.phase,
					Phase::Aggregate | Phase::AggregateReveal | Phase::Finalized { .. }
				);
				if scored {
					let revealed: Vec<_> =
						round.trainers.iter().filter(|t| t.update.is_some()).collect();
					let scores: Vec<_> = revealed.iter().filter_map(|t| t.score).collect();
					ensure!(scores.len() == revealed.len(), "past scoring, every update is scored");
					let decision = round.decide(&info.spec.gate);
					ensure!(
						scores == decision.scores,
						"past scoring, each update's score is the committee's lower median"
					);
					ensure!(
						revealed
							.iter()
							.zip(decision.verdicts)
							.all(|(t, v)| v.accepted == t.accepted),
						"past scoring, exactly the updates the committee accepts are accepted"
					);
					ensure!(
						round
							.aggregators
							.iter()
							.filter(|a| a.scores.is_some())
							.zip(decision.strayed)
							.all(|(a, strayed)| !strayed || a.reward.is_zero()),
						"an aggregator whose scores strayed is paid nothing"
					);
				}
				full_records += 1;
			}
			ensure!(
				full_records <= T::RetainedRounds::get() + 1,
				"at most RetainedRounds + 1 full round records per task"
			);
			for index in 0..info.next_round {
				let summary = RoundSummaries::<T>::get(task, index);
				ensure!(summary.is_some(), "every finished round has a summary");
				ensure!(
					summary.is_none_or(|s| s.royalties
						<= info.spec.datasets.max_royalty.saturating_mul(s.updates.into())),
					"a round's royalties are at most max_royalty per revealed update"
				);
			}
		}
		ensure!(
			active.len() == active.iter().filter(|t| Tasks::<T>::contains_key(**t)).count(),
			"every active task exists"
		);

		for (owner, budget) in budgets {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::TaskBudget.into(), &owner) == budget,
				"the budget held from each owner is the sum of its tasks' budgets"
			);
		}
		for (owner, deposit) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::TaskDeposit.into(), &owner) == deposit,
				"the deposit held from each owner is the sum of its tasks' deposits"
			);
		}
		ensure!(
			crate::LiveTasksOf::<T>::iter().collect::<BTreeMap<_, _>>() == live_of,
			"each owner's count of live tasks is its live tasks, and only owners with one have a count"
		);
		ensure!(
			live_of.values().all(|n| *n <= T::MaxActiveTasksPerOwner::get()),
			"no owner has more live tasks than the chain allows one owner"
		);
		// Only this pallet commits trainer and aggregator stake.
		for ((who, role), bond) in bonds {
			ensure!(
				T::Stake::committed(&who, role) == bond,
				"the stake committed by each participant is the sum of its bonds"
			);
		}
		Ok(())
	}
}
