//! Weights for `pallet_compute_lease`. Placeholder until `scripts/benchmark.sh` generates
//! them: each is a generous estimate of the storage it touches.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_compute_lease`.
pub trait WeightInfo {
	fn register_offer() -> Weight;
	fn update_offer() -> Weight;
	fn pause_offer() -> Weight;
	fn resume_offer() -> Weight;
	fn withdraw_offer(o: u32, ) -> Weight;
	fn lease() -> Weight;
	fn post_request() -> Weight;
	fn cancel_request() -> Weight;
	fn fill_request() -> Weight;
	fn settle() -> Weight;
	fn end_lease(o: u32, ) -> Weight;
	fn heartbeat(l: u32, ) -> Weight;
	fn report_missed_heartbeat(l: u32, ) -> Weight;
	fn commit_challenge(v: u32, ) -> Weight;
	fn reveal_challenge(v: u32, ) -> Weight;
	fn issue_challenge() -> Weight;
	fn set_schedule() -> Weight;
	fn end_leases(n: u32, ) -> Weight;
	fn resolve_challenges(n: u32, v: u32, ) -> Weight;
}

/// Estimates with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_offer() -> Weight { est::<T>(60, 6, 6) }
	fn update_offer() -> Weight { est::<T>(50, 5, 5) }
	fn pause_offer() -> Weight { est::<T>(15, 1, 1) }
	fn resume_offer() -> Weight { est::<T>(15, 1, 1) }
	fn withdraw_offer(o: u32, ) -> Weight { est::<T>(60, 6, 6).saturating_add(Weight::from_parts(100_000 * o as u64, 0)) }
	fn lease() -> Weight { est::<T>(80, 7, 7) }
	fn post_request() -> Weight { est::<T>(50, 5, 5) }
	fn cancel_request() -> Weight { est::<T>(50, 5, 5) }
	fn fill_request() -> Weight { est::<T>(100, 10, 10) }
	fn settle() -> Weight { est::<T>(70, 6, 5) }
	fn end_lease(o: u32, ) -> Weight { est::<T>(120, 12, 12).saturating_add(Weight::from_parts(100_000 * o as u64, 0)) }
	fn heartbeat(l: u32, ) -> Weight { est::<T>(60, 6, 6).saturating_add(est::<T>(100, 8, 8).saturating_mul(l as u64)) }
	fn report_missed_heartbeat(l: u32, ) -> Weight { est::<T>(60, 6, 6).saturating_add(est::<T>(100, 8, 8).saturating_mul(l as u64)) }
	fn commit_challenge(v: u32, ) -> Weight { est::<T>(30, 2, 1).saturating_add(Weight::from_parts(200_000 * v as u64, 0)) }
	fn reveal_challenge(v: u32, ) -> Weight { est::<T>(40, 1, 1).saturating_add(Weight::from_parts(200_000 * v as u64, 0)) }
	fn issue_challenge() -> Weight { est::<T>(50, 6, 5) }
	fn set_schedule() -> Weight { est::<T>(10, 0, 1) }
	fn end_leases(n: u32, ) -> Weight { est::<T>(5, 1, 1).saturating_add(est::<T>(120, 12, 12).saturating_mul(n as u64)) }
	fn resolve_challenges(n: u32, v: u32, ) -> Weight { est::<T>(5, 1, 1).saturating_add(est::<T>(60, 5, 5).saturating_add(est::<T>(40, 4, 4).saturating_mul(v as u64)).saturating_mul(n as u64)) }
}

fn est<T: frame_system::Config>(micros: u64, reads: u64, writes: u64) -> Weight {
	Weight::from_parts(micros * 1_000_000, 4_000 * (reads + 1))
		.saturating_add(T::DbWeight::get().reads_writes(reads, writes))
}

// For tests.
impl WeightInfo for () {
	fn register_offer() -> Weight { Weight::from_parts(1, 0) }
	fn update_offer() -> Weight { Weight::from_parts(1, 0) }
	fn pause_offer() -> Weight { Weight::from_parts(1, 0) }
	fn resume_offer() -> Weight { Weight::from_parts(1, 0) }
	fn withdraw_offer(_o: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn lease() -> Weight { Weight::from_parts(1, 0) }
	fn post_request() -> Weight { Weight::from_parts(1, 0) }
	fn cancel_request() -> Weight { Weight::from_parts(1, 0) }
	fn fill_request() -> Weight { Weight::from_parts(1, 0) }
	fn settle() -> Weight { Weight::from_parts(1, 0) }
	fn end_lease(_o: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn heartbeat(_l: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn report_missed_heartbeat(_l: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn commit_challenge(_v: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn reveal_challenge(_v: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn issue_challenge() -> Weight { Weight::from_parts(1, 0) }
	fn set_schedule() -> Weight { Weight::from_parts(1, 0) }
	fn end_leases(_n: u32, ) -> Weight { Weight::from_parts(1, 0) }
	fn resolve_challenges(_n: u32, _v: u32, ) -> Weight { Weight::from_parts(1, 0) }
}
