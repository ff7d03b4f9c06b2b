//! Command-line interface.

use sc_cli::RunCmd;

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated; use `export-chain-spec`).
	#[deprecated(note = "build-spec will be removed; use export-chain-spec")]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of `--chain` as JSON.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmark the runtime's pallets, blocks, extrinsics, storage and this machine.
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Writes the dev chain's validation set (20% of the bundled digits, the set `--dev`'s
	/// simulated data owners and the demo task use) and prints its hash: what a task's
	/// `validation_set` names.
	MlValidationSet(MlValidationSetCmd),

	/// Simulates federated learning without a chain, with the worker's own training, scoring
	/// and aggregation and the chain's gate and reward arithmetic: owners, a non-IID split, a
	/// rule, poisoners; prints each round and what each owner earned, and can draw a chart.
	Simulate(crate::simulate::SimulateCmd),

	/// Prints a task's finished rounds from a running node (outcome, updates revealed and
	/// accepted, the new model's validation accuracy and loss, what each round paid), and can
	/// draw accuracy and loss per round as an SVG chart.
	Rounds(crate::rounds::RoundsCmd),

	/// A data owner's tools: `dataset inspect FILE` prints a dataset file's schema and content
	/// commitment and can write the data market's `list_dataset` argument for it as JSON.
	#[command(subcommand)]
	Dataset(crate::dataset::DatasetCmd),
}

/// `ml-validation-set`.
#[derive(Debug, clap::Args)]
pub struct MlValidationSetCmd {
	/// Where to write it; `.csv` for CSV, any other name for the binary format.
	#[arg(long, value_name = "FILE")]
	pub out: std::path::PathBuf,
}

/// The ML worker's options.
#[derive(Debug, Clone, clap::Args)]
pub struct MlWorkerParams {
	/// Run the ML worker: serve the federated-learning duties (train, commit, reveal,
	/// aggregate) of this node's `cohw` keys. With `--dev`, simulated data owners with dev keys
	/// join every task their data fits.
	#[arg(long)]
	pub ml_worker: bool,

	/// The worker's data directory: `datasets/<id>.cohd|.csv`, `validation/*`, its journal.
	/// Default: `ml` in the chain's base path.
	#[arg(long, value_name = "PATH")]
	pub ml_data: Option<std::path::PathBuf>,

	/// With `--dev --ml-worker`: create a demo task on the simulated owners' digits when the
	/// chain has no task yet.
	#[arg(long)]
	pub ml_demo_task: bool,

	/// With `--dev --ml-worker`: add three cheaters, a trainer that copies another's commitment
	/// and update (`//Dave//stash`) and an aggregator that copies another's result
	/// (`//Eve//stash`), which the chain refuses, and an aggregator that reveals 0 for every
	/// update (`//Colluder`), which the committee penalises. The demo task then selects five
	/// trainers and five aggregators, so that the honest ones still finish every round.
	#[arg(long, requires = "ml_worker")]
	pub ml_dev_cheaters: bool,

	/// With `--dev --ml-worker`: add one poisoning data owner per attack, comma-separated:
	/// `scale:<factor>` (sends factor × its update, e.g. `scale:-10`), `noise:<deviation>`
	/// (sends Gaussian noise) or `label-flip` (trains on flipped labels). Each trains on a
	/// label-skewed digits shard of its own, commits and reveals like an honest owner (dev keys
	/// //1, //2, …, at most four); the aggregators' scores must keep its update out of the
	/// model, and the chain slashes it. The demo task selects every trainer.
	#[arg(long, value_name = "ATTACKS", value_delimiter = ',', requires = "ml_worker")]
	pub ml_dev_poisoners: Vec<cohort_ml::attack::Attack>,

	/// With `--ml-worker`: claim each key's emission rewards once their era closed this many
	/// eras ago (0: as soon as it closes). By default once half of the claim window has passed,
	/// so that the claims come in batches, long before rewards expire.
	#[arg(long, value_name = "ERAS", requires = "ml_worker")]
	pub ml_claim_after_eras: Option<u32>,
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: RunCmd,

	#[clap(flatten)]
	pub ml: MlWorkerParams,
}

impl Cli {
	/// The database options of the command, if it opens the chain's database.
	pub fn database_params(&mut self) -> Option<&mut sc_cli::DatabaseParams> {
		use frame_benchmarking_cli::BenchmarkCmd;
		Some(match &mut self.subcommand {
			None => &mut self.run.import_params.database_params,
			Some(Subcommand::CheckBlock(cmd)) => &mut cmd.import_params.database_params,
			Some(Subcommand::ImportBlocks(cmd)) => &mut cmd.import_params.database_params,
			Some(Subcommand::ExportBlocks(cmd)) => &mut cmd.database_params,
			Some(Subcommand::ExportState(cmd)) => &mut cmd.database_params,
			Some(Subcommand::PurgeChain(cmd)) => &mut cmd.database_params,
			Some(Subcommand::Revert(cmd)) => &mut cmd.database_params,
			Some(Subcommand::ChainInfo(cmd)) => &mut cmd.database_params,
			Some(Subcommand::Benchmark(BenchmarkCmd::Storage(cmd))) => &mut cmd.database_params,
			Some(Subcommand::Benchmark(BenchmarkCmd::Block(cmd))) => {
				&mut cmd.import_params.database_params
			},
			Some(Subcommand::Benchmark(BenchmarkCmd::Overhead(cmd))) => {
				&mut cmd.import_params.database_params
			},
			Some(Subcommand::Benchmark(BenchmarkCmd::Extrinsic(cmd))) => {
				&mut cmd.import_params.database_params
			},
			Some(_) => return None,
		})
	}

	/// ParityDB unless `--database` names another, for every command that opens the chain's
	/// database (DESIGN.md decision 3; the runtime's weights assume ParityDB). sc-cli's own
	/// default is RocksDB whenever RocksDB is compiled in, and the workspace compiles it in for
	/// the parachain's omni-node (node/omni), whose embedded relay chain node needs it.
	pub fn default_to_paritydb(&mut self) {
		if let Some(params) = self.database_params() {
			params.database.get_or_insert(sc_cli::Database::ParityDb);
		}
	}
}
