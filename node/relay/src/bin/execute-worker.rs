//! The PVF execute worker: runs a parachain block's `validate_block` for the relay chain node
//! beside it. Its version must be the node's (checked at start).

polkadot_node_core_pvf_common::decl_worker_main!(
	"execute-worker",
	polkadot_node_core_pvf_execute_worker::worker_entrypoint,
	polkadot_node_primitives::NODE_VERSION,
	env!("CARGO_PKG_VERSION"),
);
