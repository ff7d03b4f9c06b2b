//! Keeping storage bounded: finished rounds shrink to summaries, and ended tasks are removed
//! (with their deposit and bonds released) after a retention period.

use crate::{
	Allowlists, Config, Error, Event, FeatureScalings, HoldReason, Pallet, Participants, RoundOf,
	RoundSummaries, RoundSummaryOf, Rounds, Tasks,
};
use cohort_primitives::{RoundIndex, RoundMetrics, TaskId};
use frame_support::{
	ensure,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};

impl<T: Config> Pallet<T> {
	/// Records the summary of a round that just ended, with the royalties it paid, and drops
	/// the full record of the round [`Config::RetainedRounds`] before it.
	pub(crate) fn summarise(
		task: TaskId,
		index: RoundIndex,
		record: &RoundOf<T>,
		metrics: Option<RoundMetrics>,
		royalties: crate::BalanceOf<T>,
	) {
		let paid = record
			.trainers
			.iter()
			.map(|t| t.reward)
			.chain(record.aggregators.iter().map(|a| a.reward))
			.fold(Zero::zero(), |total: crate::BalanceOf<T>, r| total.saturating_add(r));
		RoundSummaries::<T>::insert(
			task,
			index,
			RoundSummaryOf::<T> {
				outcome: record.phase,
				started: record.started,
				updates: record.revealed_updates().count() as u32,
				accepted: record.accepted_updates().count() as u32,
				metrics,
				paid,
				royalties,
			},
		);
		if let Some(old) = index.checked_sub(T::RetainedRounds::get()) {
			Rounds::<T>::remove(task, old);
		}
	}

	/// Removes an ended task whose retention has passed; returns how many participants and
	/// round summaries it removed.
	pub(crate) fn do_prune(task: TaskId) -> Result<(u32, u32), DispatchError> {
		let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
		let ended = info.ended.ok_or(Error::<T>::NotPrunable)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= ended.saturating_add(T::TaskRetention::get()), Error::<T>::NotPrunable);

		let participants: alloc::vec::Vec<_> = Participants::<T>::iter_prefix(task).collect();
		let released = participants.len() as u32;
		for (who, participant) in participants {
			Self::release_participant(task, &mut info, &who, participant);
		}
		let _ = Rounds::<T>::clear_prefix(task, u32::MAX, None);
		let rounds = RoundSummaries::<T>::clear_prefix(task, u32::MAX, None).unique;
		Allowlists::<T>::remove(task);
		FeatureScalings::<T>::remove(task);
		let deposit = T::Currency::release(
			&HoldReason::TaskDeposit.into(),
			&info.owner,
			info.deposit,
			Precision::BestEffort,
		)?;
		Tasks::<T>::remove(task);
		Self::deposit_event(Event::TaskPruned { task, deposit, bonds_released: released });
		Ok((released, rounds))
	}
}
