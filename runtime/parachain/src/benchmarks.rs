//! The pallets whose benchmarks the runtime exposes (`frame-omni-bencher v1 benchmark pallet
//! --runtime …`): the Cohort pallets, as on the solochain, and the system pallets.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_federated, Federated]
	[pallet_data_market, DataMarket]
	[pallet_incentives, Incentives]
	[pallet_compute_lease, ComputeLease]
);
