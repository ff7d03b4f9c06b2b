
//! Weights for `pallet_federated`. PLACEHOLDER until `scripts/benchmark.sh` regenerates them.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_federated`.
pub trait WeightInfo {
	fn create_task() -> Weight;
	fn pause_task() -> Weight;
	fn resume_task() -> Weight;
	fn cancel_task(t: u32, ) -> Weight;
	fn join(n: u32, ) -> Weight;
	fn leave() -> Weight;
	fn commit_update(t: u32, ) -> Weight;
	fn reveal_update(l: u32, t: u32, ) -> Weight;
	fn commit_aggregate(a: u32, ) -> Weight;
	fn reveal_aggregate(t: u32, a: u32, l: u32, ) -> Weight;
	fn set_allowlist(n: u32, ) -> Weight;
	fn prune_task(p: u32, r: u32, ) -> Weight;
	fn on_initialize_idle(n: u32, ) -> Weight;
	fn start_round(p: u32, ) -> Weight;
	fn close_phase(t: u32, a: u32, ) -> Weight;
	fn expire_task() -> Weight;
}

/// Weights measured on the benchmark machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_task() -> Weight {
		Weight::from_parts(1_437_905_000, 6760)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	fn pause_task() -> Weight {
		Weight::from_parts(392_426_000, 6760)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn resume_task() -> Weight {
		Weight::from_parts(400_330_000, 6760)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn cancel_task(t: u32, ) -> Weight {
		Weight::from_parts(1_653_349_000, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
	}
	fn join(n: u32, ) -> Weight {
		Weight::from_parts(1_617_772_000, 6760)
			.saturating_add(Weight::from_parts(202_564_515, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn leave() -> Weight {
		Weight::from_parts(1_686_591_000, 6760)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn commit_update(t: u32, ) -> Weight {
		Weight::from_parts(682_330_005, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
	}
	fn reveal_update(l: u32, t: u32, ) -> Weight {
		Weight::from_parts(870_759_745, 6760)
			.saturating_add(Weight::from_parts(3_229, 0).saturating_mul(l.into()))
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
	}
	fn commit_aggregate(a: u32, ) -> Weight {
		Weight::from_parts(682_330_005, 6760)
			.saturating_add(Weight::from_parts(1_802_650_755, 0).saturating_mul(a.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(a.into()))
	}
	fn reveal_aggregate(t: u32, a: u32, l: u32, ) -> Weight {
		Weight::from_parts(3_573_089_000, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(Weight::from_parts(1_802_650_755, 0).saturating_mul(a.into()))
			.saturating_add(Weight::from_parts(3_229, 0).saturating_mul(l.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(a.into()))
	}
	fn set_allowlist(n: u32, ) -> Weight {
		Weight::from_parts(1_000_000_000, 6760)
			.saturating_add(Weight::from_parts(202_564_515, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn prune_task(p: u32, r: u32, ) -> Weight {
		Weight::from_parts(2_000_000_000, 6760)
			.saturating_add(Weight::from_parts(149_805_867, 0).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(100_000_000, 0).saturating_mul(r.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(r.into()))
	}
	fn on_initialize_idle(n: u32, ) -> Weight {
		Weight::from_parts(136_657_175, 6760)
			.saturating_add(Weight::from_parts(202_564_515, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(0_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn start_round(p: u32, ) -> Weight {
		Weight::from_parts(455_485_015, 6760)
			.saturating_add(Weight::from_parts(149_805_867, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(p.into()))
	}
	fn close_phase(t: u32, a: u32, ) -> Weight {
		Weight::from_parts(1_328_931_000, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(Weight::from_parts(1_802_650_755, 0).saturating_mul(a.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(a.into()))
	}
	fn expire_task() -> Weight {
		Weight::from_parts(1_500_000_000, 6760)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
}

/// For tests: the same weights with ParityDB's database costs.
impl WeightInfo for () {
	fn create_task() -> Weight {
		Weight::from_parts(1_437_905_000, 6760)
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(6_u64))
	}
	fn pause_task() -> Weight {
		Weight::from_parts(392_426_000, 6760)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn resume_task() -> Weight {
		Weight::from_parts(400_330_000, 6760)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn cancel_task(t: u32, ) -> Weight {
		Weight::from_parts(1_653_349_000, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(6_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
	}
	fn join(n: u32, ) -> Weight {
		Weight::from_parts(1_617_772_000, 6760)
			.saturating_add(Weight::from_parts(202_564_515, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(4_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn leave() -> Weight {
		Weight::from_parts(1_686_591_000, 6760)
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(4_u64))
	}
	fn commit_update(t: u32, ) -> Weight {
		Weight::from_parts(682_330_005, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
	}
	fn reveal_update(l: u32, t: u32, ) -> Weight {
		Weight::from_parts(870_759_745, 6760)
			.saturating_add(Weight::from_parts(3_229, 0).saturating_mul(l.into()))
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
	}
	fn commit_aggregate(a: u32, ) -> Weight {
		Weight::from_parts(682_330_005, 6760)
			.saturating_add(Weight::from_parts(1_802_650_755, 0).saturating_mul(a.into()))
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(a.into()))
	}
	fn reveal_aggregate(t: u32, a: u32, l: u32, ) -> Weight {
		Weight::from_parts(3_573_089_000, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(Weight::from_parts(1_802_650_755, 0).saturating_mul(a.into()))
			.saturating_add(Weight::from_parts(3_229, 0).saturating_mul(l.into()))
			.saturating_add(ParityDbWeight::get().reads(6_u64))
			.saturating_add(ParityDbWeight::get().writes(6_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(a.into()))
	}
	fn set_allowlist(n: u32, ) -> Weight {
		Weight::from_parts(1_000_000_000, 6760)
			.saturating_add(Weight::from_parts(202_564_515, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn prune_task(p: u32, r: u32, ) -> Weight {
		Weight::from_parts(2_000_000_000, 6760)
			.saturating_add(Weight::from_parts(149_805_867, 0).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(100_000_000, 0).saturating_mul(r.into()))
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(4_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(p.into()))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(r.into()))
	}
	fn on_initialize_idle(n: u32, ) -> Weight {
		Weight::from_parts(136_657_175, 6760)
			.saturating_add(Weight::from_parts(202_564_515, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(0_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn start_round(p: u32, ) -> Weight {
		Weight::from_parts(455_485_015, 6760)
			.saturating_add(Weight::from_parts(149_805_867, 0).saturating_mul(p.into()))
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(p.into()))
	}
	fn close_phase(t: u32, a: u32, ) -> Weight {
		Weight::from_parts(1_328_931_000, 6760)
			.saturating_add(Weight::from_parts(716_772_062, 0).saturating_mul(t.into()))
			.saturating_add(Weight::from_parts(1_802_650_755, 0).saturating_mul(a.into()))
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(4_u64))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(t.into()))
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2).saturating_mul(a.into()))
	}
	fn expire_task() -> Weight {
		Weight::from_parts(1_500_000_000, 6760)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
}
