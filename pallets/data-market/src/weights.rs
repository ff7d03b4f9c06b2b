//! Weights for `pallet_data_market`. Provisional until `scripts/benchmark.sh pallet_data_market`
//! writes this file from the benchmarks.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_data_market`.
pub trait WeightInfo {
	fn list_dataset() -> Weight;
	fn update_dataset() -> Weight;
	fn pause_dataset() -> Weight;
	fn resume_dataset() -> Weight;
	fn delist_dataset(d: u32, ) -> Weight;
	fn add_delegate() -> Weight;
	fn remove_delegate() -> Weight;
	fn buy_access() -> Weight;
	fn remove_grant() -> Weight;
}

/// Weights measured on the benchmark machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn list_dataset() -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn update_dataset() -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn pause_dataset() -> Weight {
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn resume_dataset() -> Weight {
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn delist_dataset(d: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(d.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(d.into())))
	}
	fn add_delegate() -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn remove_delegate() -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn buy_access() -> Weight {
		Weight::from_parts(100_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn remove_grant() -> Weight {
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

impl WeightInfo for () {
	fn list_dataset() -> Weight { Weight::from_parts(100_000_000, 4000) }
	fn update_dataset() -> Weight { Weight::from_parts(100_000_000, 4000) }
	fn pause_dataset() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn resume_dataset() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn delist_dataset(d: u32, ) -> Weight { Weight::from_parts(100_000_000 + 10_000_000 * d as u64, 4000) }
	fn add_delegate() -> Weight { Weight::from_parts(100_000_000, 4000) }
	fn remove_delegate() -> Weight { Weight::from_parts(100_000_000, 4000) }
	fn buy_access() -> Weight { Weight::from_parts(100_000_000, 6000) }
	fn remove_grant() -> Weight { Weight::from_parts(50_000_000, 4000) }
}
