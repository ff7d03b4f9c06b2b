//! Benchmarks (v2) of every call, each in its worst case: the longest listing, the most
//! delegates.

use super::*;
use crate::Pallet as DataMarket;
use alloc::vec;
use cohort_primitives::{
	dataset::{
		ContentCommitment, DatasetSchema, DatasetStatus, Licence, Modality,
		MAX_DATASET_DESCRIPTION, MAX_DATASET_NAME,
	},
	scaling::{FeatureScaling, FeatureStats, MAX_SCALED_FEATURES},
	DatasetId, DatasetListing, ModelSpec,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::traits::{Bounded, One};

const SEED: u32 = 0;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	let amount = BalanceOf::<T>::max_value() / 1_000_000u32.into();
	T::Currency::set_balance(&who, amount);
	who
}

/// The largest listing: the longest name and description, an access licence, a privacy budget.
fn listing<T: Config>(features: u32, classes: u32, samples: u32) -> ListingOf<T> {
	DatasetListing {
		name: BoundedVec::truncate_from(vec![b'n'; MAX_DATASET_NAME as usize]),
		description: BoundedVec::truncate_from(vec![b'd'; MAX_DATASET_DESCRIPTION as usize]),
		schema: DatasetSchema { features, classes, samples, modality: Modality::Tabular },
		content: ContentCommitment::Shards { root: H256::repeat_byte(7), shards: 16 },
		licence: Licence::Access { price: T::MinAccessPrice::get(), period: One::one() },
		royalty: T::MinAccessPrice::get(),
		privacy_budget: Some(u32::MAX),
	}
}

/// Lists a dataset for `owner` that a model of this spec can train on (for the federated
/// pallet's benchmarks, through the `DataMarket` trait).
pub(crate) fn list_for<T: Config>(
	owner: &T::AccountId,
	model: &ModelSpec,
	samples: u32,
) -> DatasetId {
	let (features, classes) = match model {
		ModelSpec::Mlp { input, classes, .. } => (*input, *classes),
		ModelSpec::Cnn { side, channels, classes, .. } => (side * side * channels, *classes),
	};
	// The worst case for the federated pallet's calls: a royalty to move and a privacy budget to
	// debit (enough for every round of a task).
	let mut listing = listing::<T>(features, classes.max(2), samples.max(1));
	listing.licence = Licence::FederatedOnly;
	if let ModelSpec::Cnn { side, channels, .. } = model {
		listing.schema.modality = Modality::Image { side: *side, channels: *channels };
	}
	T::Currency::set_balance(owner, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	let id = NextDatasetId::<T>::get();
	DataMarket::<T>::list_dataset(RawOrigin::Signed(owner.clone()).into(), listing)
		.expect("a benchmark listing is valid");
	id
}

fn listed<T: Config>() -> (T::AccountId, DatasetId) {
	let owner = funded::<T>("owner", 0);
	let id = NextDatasetId::<T>::get();
	DataMarket::<T>::list_dataset(
		RawOrigin::Signed(owner.clone()).into(),
		listing::<T>(64, 10, 1_000),
	)
	.expect("a benchmark listing is valid");
	(owner, id)
}

fn with_delegates<T: Config>(owner: &T::AccountId, dataset: DatasetId, count: u32) {
	for i in 0..count {
		let worker: T::AccountId = account("worker", i, SEED);
		DataMarket::<T>::add_delegate(RawOrigin::Signed(owner.clone()).into(), dataset, worker)
			.expect("below the cap");
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn list_dataset() {
		let owner = funded::<T>("owner", 0);
		let full = T::MaxDatasetsPerOwner::get().saturating_sub(1);
		for _ in 0..full {
			DataMarket::<T>::list_dataset(
				RawOrigin::Signed(owner.clone()).into(),
				listing::<T>(64, 10, 1),
			)
			.expect("below the cap");
		}
		let id = NextDatasetId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), listing::<T>(64, 10, 1_000));
		assert!(Datasets::<T>::get(id).is_some_and(|d| d.owner == owner));
	}

	#[benchmark]
	fn update_dataset() {
		let (owner, id) = listed::<T>();
		with_delegates::<T>(&owner, id, T::MaxDelegates::get());
		let name = BoundedVec::truncate_from(vec![b'm'; MAX_DATASET_NAME as usize]);
		let description = BoundedVec::truncate_from(vec![b'e'; MAX_DATASET_DESCRIPTION as usize]);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			id,
			name,
			description,
			Licence::FederatedOnly,
			Default::default(),
		);
		assert_eq!(Datasets::<T>::get(id).map(|d| d.listing.licence), Some(Licence::FederatedOnly));
	}

	#[benchmark]
	fn pause_dataset() {
		let (owner, id) = listed::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert_eq!(Datasets::<T>::get(id).map(|d| d.status), Some(DatasetStatus::Paused));
	}

	#[benchmark]
	fn resume_dataset() {
		let (owner, id) = listed::<T>();
		DataMarket::<T>::pause_dataset(RawOrigin::Signed(owner.clone()).into(), id).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert_eq!(Datasets::<T>::get(id).map(|d| d.status), Some(DatasetStatus::Listed));
	}

	/// Delisting a dataset no task uses removes it with all its delegates.
	#[benchmark]
	fn delist_dataset(d: Linear<0, { T::MaxDelegates::get() }>) {
		let (owner, id) = listed::<T>();
		with_delegates::<T>(&owner, id, d);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert!(Datasets::<T>::get(id).is_none());
	}

	#[benchmark]
	fn add_delegate() {
		let (owner, id) = listed::<T>();
		with_delegates::<T>(&owner, id, T::MaxDelegates::get() - 1);
		let worker: T::AccountId = account("new worker", 0, SEED);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, worker.clone());
		assert!(Delegates::<T>::contains_key(id, worker));
	}

	#[benchmark]
	fn remove_delegate() {
		let (owner, id) = listed::<T>();
		with_delegates::<T>(&owner, id, T::MaxDelegates::get());
		let worker: T::AccountId = account("worker", 0, SEED);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, worker.clone());
		assert!(!Delegates::<T>::contains_key(id, worker));
	}

	/// Renewing a running grant (a read and a write more than a first purchase).
	#[benchmark]
	fn buy_access() {
		let (_, id) = listed::<T>();
		let buyer = funded::<T>("buyer", 0);
		let price = T::MinAccessPrice::get();
		DataMarket::<T>::buy_access(RawOrigin::Signed(buyer.clone()).into(), id, price, One::one())
			.unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(buyer.clone()), id, price, One::one());
		assert!(AccessGrants::<T>::get(id, buyer).is_some());
	}

	#[benchmark]
	fn remove_grant() {
		let (_, id) = listed::<T>();
		let buyer = funded::<T>("buyer", 0);
		let price = T::MinAccessPrice::get();
		DataMarket::<T>::buy_access(RawOrigin::Signed(buyer.clone()).into(), id, price, One::one())
			.unwrap();
		let later =
			frame_system::Pallet::<T>::block_number() + T::MaxAccessPeriod::get() + One::one();
		frame_system::Pallet::<T>::set_block_number(later);
		let caller = funded::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id, buyer.clone());
		assert!(AccessGrants::<T>::get(id, buyer).is_none());
	}

	/// Stating `f` features' statistics (the deposit grows with them).
	#[benchmark]
	fn state_feature_stats(f: Linear<1, MAX_SCALED_FEATURES>) {
		let owner = funded::<T>("owner", 0);
		let id = NextDatasetId::<T>::get();
		DataMarket::<T>::list_dataset(
			RawOrigin::Signed(owner.clone()).into(),
			listing::<T>(f, 10, 1_000),
		)
		.expect("a benchmark listing is valid");
		let stats =
			FeatureScaling::truncate_from(vec![
				FeatureStats { mean: i64::MIN, deviation: u64::MAX };
				f as usize
			]);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, stats);
		assert_eq!(FeatureStatsOf::<T>::decode_len(id), Some(f as usize));
	}

	impl_benchmark_test_suite!(DataMarket, crate::mock::new_test_ext(), crate::mock::Test);
}
