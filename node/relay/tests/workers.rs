//! The relay chain node refuses to prepare or execute a parachain's validation code with PVF
//! workers of another version than its own: the workers built beside `polkadot` must report the
//! node's version, or no validator of the local relay chain ever validates a Cohort block.

use std::process::Command;

fn output_of(binary: &str, argument: &str) -> String {
	let output = Command::new(binary).arg(argument).output().expect("the binary runs");
	assert!(output.status.success(), "{binary} {argument}: {output:?}");
	String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn the_workers_report_the_version_the_node_checks() {
	let node_version = polkadot_node_primitives::NODE_VERSION;
	for worker in [
		env!("CARGO_BIN_EXE_polkadot-prepare-worker"),
		env!("CARGO_BIN_EXE_polkadot-execute-worker"),
	] {
		assert_eq!(output_of(worker, "--version").trim(), node_version, "{worker}");
	}
	// The node names the same version first in its own (`<version>-<commit>`).
	let node = output_of(env!("CARGO_BIN_EXE_polkadot"), "--version");
	assert!(node.split_whitespace().nth(1).is_some_and(|v| v.starts_with(node_version)), "{node}");
}
