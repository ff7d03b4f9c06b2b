//! Weights for `pallet_federated`. Placeholder until `scripts/benchmark.sh` generates them.

#![allow(unused_parens)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_federated`.
pub trait WeightInfo {
	fn create_task() -> Weight;
	fn pause_task() -> Weight;
	fn resume_task() -> Weight;
	fn cancel_task() -> Weight;
	fn join() -> Weight;
	fn leave() -> Weight;
	fn commit_update(t: u32) -> Weight;
	fn reveal_update(l: u32) -> Weight;
	fn submit_aggregate(t: u32, a: u32, l: u32) -> Weight;
	fn on_initialize_idle(n: u32) -> Weight;
	fn start_round(p: u32) -> Weight;
	fn close_phase(t: u32, a: u32) -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_task() -> Weight {
		Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(3, 4))
	}
	fn pause_task() -> Weight {
		Weight::from_parts(20_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn resume_task() -> Weight {
		Weight::from_parts(20_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn cancel_task() -> Weight {
		Weight::from_parts(60_000_000, 8000).saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn join() -> Weight {
		Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn leave() -> Weight {
		Weight::from_parts(50_000_000, 8000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn commit_update(t: u32) -> Weight {
		Weight::from_parts(30_000_000, 8000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(t.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn reveal_update(l: u32) -> Weight {
		Weight::from_parts(40_000_000, 8000)
			.saturating_add(Weight::from_parts(3_000, 0).saturating_mul(l.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn submit_aggregate(t: u32, a: u32, l: u32) -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(Weight::from_parts(5_000_000, 0).saturating_mul(t.into()))
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(a.into()))
			.saturating_add(Weight::from_parts(3_000, 0).saturating_mul(l.into()))
			.saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn on_initialize_idle(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 2000)
			.saturating_add(Weight::from_parts(10_000_000, 8000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1 + 2 * n as u64))
	}
	fn start_round(p: u32) -> Weight {
		Weight::from_parts(50_000_000, 8000)
			.saturating_add(Weight::from_parts(2_000_000, 3000).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2 + p as u64, 1))
	}
	fn close_phase(t: u32, a: u32) -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(Weight::from_parts(30_000_000, 3000).saturating_mul((t + a).into()))
			.saturating_add(
				T::DbWeight::get().reads_writes(2 + 2 * (t + a) as u64, 2 + 2 * (t + a) as u64),
			)
	}
}

impl WeightInfo for () {
	fn create_task() -> Weight {
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 4))
	}
	fn pause_task() -> Weight {
		Weight::from_parts(20_000_000, 4000)
	}
	fn resume_task() -> Weight {
		Weight::from_parts(20_000_000, 4000)
	}
	fn cancel_task() -> Weight {
		Weight::from_parts(60_000_000, 8000)
	}
	fn join() -> Weight {
		Weight::from_parts(50_000_000, 4000)
	}
	fn leave() -> Weight {
		Weight::from_parts(50_000_000, 8000)
	}
	fn commit_update(_t: u32) -> Weight {
		Weight::from_parts(30_000_000, 8000)
	}
	fn reveal_update(_l: u32) -> Weight {
		Weight::from_parts(40_000_000, 8000)
	}
	fn submit_aggregate(_t: u32, _a: u32, _l: u32) -> Weight {
		Weight::from_parts(60_000_000, 8000)
	}
	fn on_initialize_idle(_n: u32) -> Weight {
		Weight::from_parts(5_000_000, 2000)
	}
	fn start_round(_p: u32) -> Weight {
		Weight::from_parts(50_000_000, 8000)
	}
	fn close_phase(_t: u32, _a: u32) -> Weight {
		Weight::from_parts(60_000_000, 8000)
	}
}
