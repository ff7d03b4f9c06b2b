//! What the `FederatedApi` runtime API answers, and the invariants `try_state` checks.

use crate::{ActiveTasks, Config, Pallet, Participants, Rounds, Tasks};
use alloc::vec::Vec;
use cohort_primitives::{
	api::{Duty, Membership},
	round::Phase,
	RoundIndex, TaskId,
};
use frame_system::pallet_prelude::BlockNumberFor;

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
				Phase::Aggregate => {
					if aggregator.is_some_and(|a| a.submission.is_none()) {
						duties.push(Duty::Aggregate {
							task,
							round,
							global_model: record.global_model.clone(),
							updates: record
								.accepted_updates()
								.map(|(who, at)| (who.clone(), at.clone()))
								.collect(),
							payload_known: record.aggregates.iter().map(|p| p.hash).collect(),
							submit_by: record.phase_ends,
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
					dataset: participant.dataset,
					selected_in,
				})
			})
			.collect()
	}

	/// A task.
	pub fn task(task: TaskId) -> Option<crate::TaskOf<T>> {
		Tasks::<T>::get(task)
	}

	/// A round of a task.
	pub fn round(task: TaskId, round: RoundIndex) -> Option<crate::RoundOf<T>> {
		Rounds::<T>::get(task, round)
	}

	/// The pallet's invariants:
	/// - the funds held for budgets and bonds are exactly what the tasks and participants say;
	/// - the active list holds exactly the running and paused tasks, once each;
	/// - each task's participant counts match its participants;
	/// - no round is open past the end of its phase (the hook of block `now` has run);
	/// - a round never holds more trainers or aggregators than its task allows.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state(now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
		use crate::{BalanceOf, HoldReason};
		use alloc::collections::btree_map::BTreeMap;
		use cohort_primitives::{traits::Role, TaskStatus};
		use frame_support::{ensure, traits::fungible::InspectHold};
		use sp_runtime::traits::Zero;

		let active = ActiveTasks::<T>::get();
		let mut budgets: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (task, info) in Tasks::<T>::iter() {
			let running = matches!(info.status, TaskStatus::Active | TaskStatus::Paused);
			ensure!(
				active.iter().filter(|t| **t == task).count() == running as usize,
				"the active list holds exactly the running and paused tasks, once each"
			);
			ensure!(running || info.budget.is_zero(), "an ended task holds no budget");
			*budgets.entry(info.owner.clone()).or_default() += info.budget;

			let (mut trainers, mut aggregators) = (0u32, 0u32);
			for (who, p) in Participants::<T>::iter_prefix(task) {
				match p.role {
					Role::Trainer => trainers += 1,
					Role::Aggregator => aggregators += 1,
				}
				*bonds.entry(who).or_default() += p.bond;
			}
			ensure!(
				(trainers, aggregators) == (info.trainers, info.aggregators),
				"participant counts match the participants"
			);

			if let Some(round) = Rounds::<T>::get(task, info.next_round) {
				if !round.phase.is_closed() {
					ensure!(running, "only a running or paused task has an open round");
					ensure!(round.phase_ends >= now, "no round is open past the end of its phase");
				}
				ensure!(
					round.trainers.len() as u32 <= info.spec.max_trainers
						&& round.aggregators.len() as u32 <= info.spec.aggregators,
					"a round holds no more trainers or aggregators than its task allows"
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
		for (who, bond) in bonds {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ParticipantBond.into(), &who) == bond,
				"the bond held from each participant is the sum of its bonds"
			);
		}
		Ok(())
	}
}
