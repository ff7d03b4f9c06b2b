//! The node keeps its chain in ParityDB (DESIGN.md decision 3) for every command that opens it,
//! although the workspace compiles RocksDB in for the parachain's omni-node, which makes it
//! sc-cli's default; an operator who names another database gets it.

use cohort_node::cli::Cli;
use sc_cli::{CliConfiguration, Database, SubstrateCli};
use sc_service::config::DatabaseSource;

fn cli(args: &[&str]) -> Cli {
	let mut cli = Cli::from_iter(std::iter::once("cohort-node").chain(args.iter().copied()));
	cli.default_to_paritydb();
	cli
}

#[test]
fn the_chain_is_kept_in_paritydb_unless_the_operator_names_another_database() {
	let base = tempfile::tempdir().unwrap();
	let base = base.path().to_str().unwrap();
	let runtime = sc_cli::build_runtime().unwrap();
	let database = |extra: &[&str]| {
		let args = [&["--dev", "--base-path", base, "--no-telemetry"], extra].concat();
		let cli = cli(&args);
		cli.run.create_configuration(&cli, runtime.handle().clone()).unwrap().database
	};
	assert!(
		matches!(database(&[]), DatabaseSource::ParityDb { ref path } if path.ends_with("paritydb/full")),
		"the node runs on ParityDB"
	);
	// `auto` (open whichever exists), a choice with or without RocksDB compiled in.
	assert!(matches!(database(&["--database", "auto"]), DatabaseSource::Auto { .. }));

	// The commands that open the database the node wrote open the same one.
	for (args, given) in [
		(vec!["purge-chain", "--dev", "-y"], None),
		(vec!["export-blocks", "--dev"], None),
		(vec!["revert", "--dev"], None),
		(vec!["chain-info", "--dev"], None),
		(vec!["check-block", "--dev", "1"], None),
		(vec!["import-blocks", "--dev"], None),
		(vec!["export-state", "--dev"], None),
		(vec!["benchmark", "storage", "--dev", "--state-version", "1"], None),
		(vec!["purge-chain", "--dev", "-y", "--database", "auto"], Some(Database::Auto)),
	] {
		let chosen = cli(&args).database_params().map(|params| params.database);
		assert_eq!(chosen, Some(Some(given.unwrap_or(Database::ParityDb))), "{args:?}");
	}
}
