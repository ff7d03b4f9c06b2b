//! `polkadot`, the relay chain node of stable2609, for a local test relay chain.
//!
//! The crates.io `polkadot` binary is this same call to `polkadot_cli::run` with the Rococo and
//! Westend runtimes compiled in; built here it shares the crates the omni-node's embedded relay
//! chain node already compiled (docs/ci.md). `scripts/parachain.sh relay` builds it with the
//! `rococo-native` feature and runs zombienet/parachain.zndsl on it.

fn main() {
	if let Err(error) = polkadot_cli::run() {
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
