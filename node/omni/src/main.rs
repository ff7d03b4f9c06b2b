//! The polkadot omni-node of stable2609, built in this workspace on `polkadot-omni-node-lib`.
//!
//! It is the crates.io `polkadot-omni-node` without the natively compiled relay runtimes: it reads
//! the Cohort parachain runtime from a chain spec (made by its `chain-spec-builder` subcommand),
//! runs it as a collator next to an embedded relay chain node, or alone with `--dev-block-time`
//! (no relay chain: it mocks the relay chain's inherent data). Building it here shares the
//! node's already-compiled Substrate crates; see docs/howto-deploy-parachain.md and docs/ci.md.

// `sc_cli::Error` is large; it is what every node's `main` returns.
#![allow(clippy::result_large_err)]

use polkadot_omni_node_lib::{
	chain_spec::DiskChainSpecLoader, runtime::DefaultRuntimeResolver, CliConfig, RunConfig,
	NODE_VERSION,
};

struct Cohort;

impl CliConfig for Cohort {
	fn impl_version() -> String {
		format!("{NODE_VERSION}-cohort-{}", env!("CARGO_PKG_VERSION"))
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		env!("CARGO_PKG_REPOSITORY").into()
	}

	fn copyright_start_year() -> u16 {
		2026
	}
}

fn main() -> sc_cli::Result<()> {
	let config = RunConfig::new(Box::new(DefaultRuntimeResolver), Box::new(DiskChainSpecLoader));
	polkadot_omni_node_lib::run::<Cohort>(config)
}
