//! What the `DataMarketApi` runtime API answers, and the pallet's invariants.

use crate::{
	BalanceOf, Config, DatasetInfoOf, DatasetTasks, Datasets, FeatureStatsOf, Lineage,
	OwnerDatasets, Pallet,
};
use alloc::vec::Vec;
use cohort_primitives::{
	dataset::{DatasetTask, RoundLineage},
	scaling::FeatureStats,
	DatasetId, TaskId,
};

impl<T: Config> Pallet<T> {
	/// A dataset.
	pub fn dataset(dataset: DatasetId) -> Option<DatasetInfoOf<T>> {
		Datasets::<T>::get(dataset)
	}

	/// The per-feature statistics a dataset's owner stated, if any.
	pub fn feature_stats(dataset: DatasetId) -> Option<Vec<FeatureStats>> {
		FeatureStatsOf::<T>::get(dataset).map(|s| s.into_inner())
	}

	/// An owner's datasets, by id.
	pub fn datasets_of(owner: T::AccountId) -> Vec<(DatasetId, DatasetInfoOf<T>)> {
		OwnerDatasets::<T>::get(owner)
			.into_iter()
			.filter_map(|d| Datasets::<T>::get(d).map(|info| (d, info)))
			.collect()
	}

	/// A task's lineage, oldest round first.
	pub fn task_lineage(task: TaskId) -> Vec<RoundLineage<T::AccountId, BalanceOf<T>>> {
		let mut rounds: Vec<_> = Lineage::<T>::iter_prefix(task)
			.map(|(round, uses)| RoundLineage { round, datasets: uses.into_inner() })
			.collect();
		rounds.sort_by_key(|r| r.round);
		rounds
	}

	/// The tasks a dataset has joined, by task id.
	pub fn dataset_tasks(dataset: DatasetId) -> Vec<DatasetTask<BalanceOf<T>>> {
		let mut tasks: Vec<_> = DatasetTasks::<T>::iter_prefix(dataset)
			.map(|(task, usage)| DatasetTask { task, usage })
			.collect();
		tasks.sort_by_key(|t| t.task);
		tasks
	}

	/// The pallet's invariants:
	/// - each owner's held deposit is the sum of its datasets' deposits, each at least the base;
	/// - the owners' lists name exactly the datasets they own, once each;
	/// - a dataset's delegate count is its delegates', its task count its active tasks';
	/// - the privacy spent is within the budget (and zero without one);
	/// - a delisted dataset is still in some task (else it would be gone);
	/// - stated statistics belong to a dataset not gone, one entry per feature of its schema;
	/// - lineage is consistent: a round's datasets are distinct, and a dataset's rounds and
	///   royalties in a task are what the lineage of that task records.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use crate::{Delegates, HoldReason, NextDatasetId};
		use alloc::collections::btree_map::BTreeMap;
		use cohort_primitives::dataset::DatasetStatus;
		use frame_support::{
			ensure,
			traits::{fungible::InspectHold, Get},
		};
		use sp_runtime::traits::Zero;

		let next = NextDatasetId::<T>::get();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, info) in Datasets::<T>::iter() {
			ensure!(id < next, "dataset ids are below the next id");
			*deposits.entry(info.owner.clone()).or_default() += info.deposit;
			// What a listing costs is checked when it is taken (and again on each update); a
			// runtime upgrade may change the prices, so only the floor is an invariant.
			ensure!(info.deposit >= T::DepositBase::get(), "every listing holds a deposit");
			ensure!(
				OwnerDatasets::<T>::get(&info.owner).iter().filter(|d| **d == id).count() == 1,
				"an owner's list names each of its datasets once"
			);
			ensure!(
				Delegates::<T>::iter_prefix(id).count() as u32 == info.delegates,
				"the delegate count is the number of delegates"
			);
			let active =
				DatasetTasks::<T>::iter_prefix(id).filter(|(_, u)| u.active).count() as u32;
			ensure!(active == info.tasks, "the task count is the number of tasks it is in");
			match info.listing.privacy_budget {
				Some(budget) => ensure!(info.privacy_spent <= budget, "privacy within budget"),
				None => ensure!(info.privacy_spent == 0, "no budget, nothing spent"),
			}
			ensure!(
				info.status != DatasetStatus::Delisted || info.tasks > 0,
				"a delisted dataset no task uses is gone"
			);
			let (mut rounds, mut royalties) = (0u32, BalanceOf::<T>::zero());
			for (_, usage) in DatasetTasks::<T>::iter_prefix(id) {
				rounds += usage.rounds;
				royalties += usage.royalties;
			}
			ensure!(
				(rounds, royalties) == (info.rounds, info.royalties),
				"a dataset's totals are the sum over its tasks"
			);
		}
		for (id, stats) in FeatureStatsOf::<T>::iter() {
			ensure!(
				Datasets::<T>::get(id).is_some_and(|i| {
					i.listing.schema.features == stats.len() as u32
						&& i.stated_features == stats.len() as u32
				}),
				"stated statistics give one entry per feature of a dataset not gone, as it counts"
			);
		}
		ensure!(
			Datasets::<T>::iter()
				.filter(|(_, i)| i.stated_features > 0)
				.all(|(id, _)| FeatureStatsOf::<T>::contains_key(id)),
			"a dataset that counts stated features has them"
		);
		for (owner, list) in OwnerDatasets::<T>::iter() {
			for d in list.iter() {
				ensure!(
					Datasets::<T>::get(d).is_some_and(|i| i.owner == owner),
					"an owner's list names only its datasets"
				);
			}
		}
		for (owner, deposit) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::DatasetDeposit.into(), &owner) == deposit,
				"an owner's held deposit is the sum of its datasets' deposits"
			);
		}
		let mut recorded: BTreeMap<(DatasetId, TaskId), (u32, BalanceOf<T>)> = BTreeMap::new();
		for (task, _, uses) in Lineage::<T>::iter() {
			let mut seen: Vec<DatasetId> = uses.iter().map(|u| u.dataset).collect();
			seen.sort();
			seen.dedup();
			ensure!(seen.len() == uses.len(), "a round's lineage names each dataset once");
			for u in uses.iter() {
				let entry = recorded.entry((u.dataset, task)).or_default();
				entry.0 += 1;
				entry.1 += u.royalty;
			}
		}
		for (dataset, task, usage) in DatasetTasks::<T>::iter() {
			let (rounds, royalties) =
				recorded.remove(&(dataset, task)).unwrap_or((0, Zero::zero()));
			ensure!(
				(usage.rounds, usage.royalties) == (rounds, royalties),
				"a dataset's part in a task is what the task's lineage records"
			);
		}
		ensure!(recorded.is_empty(), "lineage names only datasets that joined the task");
		Ok(())
	}
}
