//! The data market as the `federated` pallet sees it: joining with a dataset, privacy budgets,
//! reputation, royalties and lineage.

use crate::{BalanceOf, Config, DatasetTasks, Datasets, Delegates, Error, Event, Lineage, Pallet};
use alloc::vec::Vec;
use cohort_primitives::{
	dataset::{next_reputation, DatasetStatus, DatasetTerms, DatasetUse, TaskUse},
	independence::is_independent,
	traits::{Contributions, DataMarket, DatasetRequest, Role},
	DatasetId, Epsilon, RoundIndex, Score, TaskId,
};
use frame_support::{
	ensure,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
	BoundedVec,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};

impl<T: Config> DataMarket<T::AccountId, BalanceOf<T>, T::RuntimeHoldReason> for Pallet<T> {
	fn join(
		who: &T::AccountId,
		dataset: DatasetId,
		request: DatasetRequest<'_, BalanceOf<T>>,
	) -> Result<DatasetTerms<T::AccountId, BalanceOf<T>>, DispatchError> {
		let mut info = Datasets::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
		// Data rights come from the owner alone (`add_delegate`): a worker the owner leases
		// computes for it but does not act with its datasets, so a lease filled by a stranger
		// cannot spend a dataset's privacy budget or mark it in a task.
		ensure!(
			info.owner == *who || Delegates::<T>::contains_key(dataset, who),
			Error::<T>::NotOwnerOrDelegate
		);
		ensure!(info.status == DatasetStatus::Listed, Error::<T>::NotListed);
		ensure!(info.listing.schema.fits(request.model), Error::<T>::SchemaMismatch);
		let rules = request.rules;
		ensure!(info.listing.royalty <= rules.max_royalty, Error::<T>::RoyaltyTooHigh);
		ensure!(
			rules.allowlist.is_empty() || rules.allowlist.contains(&dataset),
			Error::<T>::NotAllowlisted
		);
		ensure!(info.reputation.unwrap_or(0) >= rules.min_reputation, Error::<T>::ReputationTooLow);
		if let Some(left) = info.privacy_left() {
			let epsilon = request.epsilon.ok_or(Error::<T>::PrivacyRequired)?;
			ensure!(left >= epsilon, Error::<T>::PrivacyBudgetExhausted);
		}
		let task = request.task;
		ensure!(!DatasetTasks::<T>::contains_key(dataset, task), Error::<T>::AlreadyInTask);

		DatasetTasks::<T>::insert(
			dataset,
			task,
			TaskUse { active: true, rounds: 0, royalties: Zero::zero() },
		);
		info.tasks.saturating_inc();
		let terms = DatasetTerms {
			owner: info.owner.clone(),
			royalty: info.listing.royalty,
			samples: info.listing.schema.samples,
		};
		Datasets::<T>::insert(dataset, info);
		Self::deposit_event(Event::DatasetJoined {
			dataset,
			task,
			trainer: who.clone(),
			royalty: terms.royalty,
		});
		Ok(terms)
	}

	fn leave(task: TaskId, dataset: DatasetId) {
		let was_active = DatasetTasks::<T>::mutate(dataset, task, |usage| match usage {
			Some(u) if u.active => {
				u.active = false;
				true
			},
			_ => false,
		});
		if !was_active {
			return;
		}
		Self::deposit_event(Event::DatasetLeft { dataset, task });
		let Some(mut info) = Datasets::<T>::get(dataset) else { return };
		info.tasks.saturating_dec();
		if info.status == DatasetStatus::Delisted && info.tasks == 0 {
			Self::remove_dataset(dataset, info);
		} else {
			Datasets::<T>::insert(dataset, info);
		}
	}

	fn can_spend_privacy(dataset: DatasetId, epsilon: Epsilon) -> bool {
		Datasets::<T>::get(dataset)
			.is_some_and(|info| info.privacy_left().is_none_or(|left| left >= epsilon))
	}

	fn spend_privacy(dataset: DatasetId, epsilon: Epsilon) -> bool {
		let Some(mut info) = Datasets::<T>::get(dataset) else { return false };
		let Some(left) = info.privacy_left() else { return true };
		if left < epsilon {
			return false;
		}
		info.privacy_spent = info.privacy_spent.saturating_add(epsilon);
		Datasets::<T>::insert(dataset, info);
		Self::deposit_event(Event::PrivacySpent { dataset, epsilon, left: left - epsilon });
		true
	}

	fn record_score(dataset: DatasetId, score: Score) {
		Datasets::<T>::mutate(dataset, |info| {
			if let Some(info) = info {
				let reputation = next_reputation(info.reputation, score);
				info.reputation = Some(reputation);
				T::Contributions::note_quality(&info.owner, Role::DataOwner, score);
				Self::deposit_event(Event::DatasetScored { dataset, score, reputation });
			}
		});
	}

	fn settle_round(
		task: TaskId,
		round: RoundIndex,
		payer: &T::AccountId,
		reason: &T::RuntimeHoldReason,
		uses: &[DatasetUse<T::AccountId, BalanceOf<T>>],
		earns_emission: bool,
	) -> BalanceOf<T> {
		let mut total = BalanceOf::<T>::zero();
		let mut lineage = Vec::with_capacity(uses.len());
		for line in uses {
			let paid = if line.royalty.is_zero() {
				Zero::zero()
			} else {
				T::Currency::transfer_on_hold(
					reason,
					payer,
					&line.owner,
					line.royalty,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)
				.unwrap_or_else(|e| {
					log::warn!(target: "runtime::data-market", "royalty of dataset {} for round {round} of task {task}: {e:?}", line.dataset);
					Zero::zero()
				})
			};
			total.saturating_accrue(paid);
			// The data owner is the payee and the owner of the data: independent of the task
			// owner unless it is the task owner (the one rule of `independence`).
			let independent = is_independent(payer, &line.owner, Some(&line.owner), |_, _| false);
			if !paid.is_zero() && earns_emission && independent {
				T::Contributions::note_contribution(&line.owner, Role::DataOwner, paid);
			}
			DatasetTasks::<T>::mutate(line.dataset, task, |usage| {
				if let Some(u) = usage {
					u.rounds.saturating_inc();
					u.royalties.saturating_accrue(paid);
				}
			});
			Datasets::<T>::mutate(line.dataset, |info| {
				if let Some(info) = info {
					info.rounds.saturating_inc();
					info.royalties.saturating_accrue(paid);
				}
			});
			if !paid.is_zero() {
				Self::deposit_event(Event::RoyaltyPaid {
					task,
					round,
					dataset: line.dataset,
					owner: line.owner.clone(),
					amount: paid,
				});
			}
			lineage.push(DatasetUse { royalty: paid, ..line.clone() });
		}
		let datasets = lineage.len() as u32;
		let lineage = BoundedVec::<_, T::MaxUsesPerRound>::try_from(lineage).unwrap_or_else(|l| {
			frame_support::defensive!("more accepted updates than a round holds");
			BoundedVec::truncate_from(l)
		});
		Lineage::<T>::insert(task, round, lineage);
		Self::deposit_event(Event::LineageRecorded { task, round, datasets });
		total
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_dataset(
		owner: &T::AccountId,
		model: &cohort_primitives::ModelSpec,
		samples: u32,
	) -> DatasetId {
		crate::benchmarking::list_for::<T>(owner, model, samples)
	}
}
