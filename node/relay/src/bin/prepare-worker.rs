//! The PVF prepare worker: compiles a parachain's validation code (its runtime's WASM) for the
//! relay chain node beside it. Its version must be the node's (checked at start).

polkadot_node_core_pvf_common::decl_worker_main!(
	"prepare-worker",
	polkadot_node_core_pvf_prepare_worker::worker_entrypoint,
	polkadot_node_primitives::NODE_VERSION,
	env!("CARGO_PKG_VERSION"),
);
