//! Helpers shared by the node's in-process tests.

use cohort_node::{cli::Cli, service};
use sc_cli::{CliConfiguration, SubstrateCli};

/// A node's partial service (client, database, transaction pool, import queue) for
/// `--chain <chain>` in a fresh temporary base path, with the tokio runtime its tasks run on.
///
/// Fields drop in order: the service first (ending its tasks), then the runtime (which waits
/// for its blocking tasks), then the directory.
pub struct InProcessNode {
	pub service: service::Service,
	pub runtime: tokio::runtime::Runtime,
	_base: tempfile::TempDir,
}

pub fn new_partial(chain: &str) -> InProcessNode {
	let base = tempfile::tempdir().expect("a temporary directory");
	let mut cli = Cli::from_iter([
		"cohort-node",
		"--chain",
		chain,
		"--base-path",
		base.path().to_str().expect("utf-8 path"),
		"--no-telemetry",
		"--no-prometheus",
	]);
	cli.default_to_paritydb();
	let runtime = sc_cli::build_runtime().expect("a tokio runtime");
	let config =
		cli.run.create_configuration(&cli, runtime.handle().clone()).expect("a node configuration");
	let service = service::new_partial(&config).expect("the node's partial service");
	InProcessNode { service, runtime, _base: base }
}
