//! `cohort-worker`: Cohort's ML worker as a process of its own. A data owner runs it on the
//! machine that holds the data, against any Cohort node (its own or a public one): it holds its
//! keys in a keystore of its own, reads its duties through the runtime API, trains, scores and
//! aggregates, signs and submits its extrinsics, and moves to another node when its node goes
//! away. Everything it does between blocks is the node-hosted worker's (`cohort-worker` the
//! library); only the way it reaches the chain differs ([`rpc`]).
//!
//! ```text
//! cohort-worker key generate --base-path ~/cohort-worker        # or: key import --suri / --json
//! cohort-worker --node wss://rpc.example:443 --base-path ~/cohort-worker
//! cohort-worker model export --node wss://rpc.example:443 --task 0 --out model.safetensors
//! cohort-worker model import --file pretrained.safetensors --out initial.cohp
//! cohort-worker rewards --node wss://rpc.example:443 --base-path ~/cohort-worker --claim
//! ```
//!
//! Besides running the worker, it is the client for every role, each command signing with a key
//! of the keystore: a data owner's `dataset`, `tasks`, `task join | leave`; a task owner's
//! `task new | scaling` and `model`; a provider's `offer` and a consumer's `lease`; everyone's
//! `stake`, `status` and `rewards`.

mod dataset;
mod export;
mod follow;
mod import;
mod keys;
mod lease;
mod offer;
mod polkadot_js;
mod rewards;
mod rpc;
mod scaling;
mod signer;
mod stake;
mod status;
mod task;
mod tasks;

use std::{
	io::BufRead,
	path::{Path, PathBuf},
};

use clap::{Args, Parser, Subcommand};
use cohort_worker::{data::DataDir, setup::DevOptions, ClaimAfter, Worker};
use keys::WorkerKeystore;

#[derive(Parser)]
#[command(
	name = "cohort-worker",
	version,
	about = "Cohort's ML worker, against any Cohort node over WebSocket JSON-RPC",
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
struct Cli {
	#[command(subcommand)]
	command: Option<Command>,
	#[command(flatten)]
	run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
	/// The worker's keys: generate, import, list.
	#[command(subcommand)]
	Key(KeyCommand),
	/// A data owner's datasets: list, update, pause, resume, delist; let a worker key train on
	/// one.
	#[command(subcommand)]
	Dataset(DatasetCommand),
	/// Models: export a task's, import one to start a task from.
	#[command(subcommand)]
	Model(ModelCommand),
	/// Tasks: create one from a spec file, join or leave one, the feature scaling to fix on a
	/// new one.
	#[command(subcommand)]
	Task(TaskCommand),
	/// The key's stake in a role: bond, unbond, rebond, withdraw what has unlocked.
	#[command(subcommand)]
	Stake(StakeCommand),
	/// A compute provider's offer: register this machine (measured here), update, pause,
	/// resume, withdraw it.
	#[command(subcommand)]
	Offer(OfferCommand),
	/// Leases of a provider's machine: take one, settle what was served, end one early.
	#[command(subcommand)]
	Lease(LeaseCommand),
	/// What each key of the keystore holds and owes: balance, stake per role, tasks joined,
	/// duties now, rewards to claim.
	Status(status::StatusArgs),
	/// The live tasks, and whether the keystore's key can join each with a dataset (the
	/// chain's own answer, with its reason when it cannot).
	Tasks(tasks::TasksArgs),
	/// The emission rewards the keystore's keys can claim, per era and role; `--claim` claims
	/// them.
	Rewards(rewards::RewardsArgs),
}

#[derive(Subcommand)]
enum DatasetCommand {
	/// Lists a dataset from the listing `cohort-node dataset inspect --args-out` wrote (and
	/// with `--stats` states its feature statistics), signed by the owner's key; prints its id.
	List(dataset::ListArgs),
	/// Changes a dataset's name, description, royalty or licence (`--access-price` and
	/// `--access-seconds` sell access; `--federated-only` stops selling it); what is not given
	/// stays as the chain has it.
	Update(dataset::UpdateArgs),
	/// Pauses a dataset: it joins no new task and sells no new grant; tasks it is in go on.
	Pause(dataset::DatasetArgs),
	/// Resumes a paused dataset.
	Resume(dataset::DatasetArgs),
	/// Delists a dataset: gone at once if no task uses it, otherwise once the tasks it is in
	/// let it go; its deposit comes back then.
	Delist(dataset::DatasetArgs),
	/// Lets a worker key join tasks with a dataset and train on it.
	Delegate(dataset::DelegateArgs),
}

#[derive(Subcommand)]
enum StakeCommand {
	/// Bonds free balance as stake for a role.
	Bond(stake::AmountArgs),
	/// Starts unbonding stake of a role that no duty holds; `withdraw` frees it once the
	/// chain's unbonding period has passed (it can still be slashed until then).
	Unbond(stake::AmountArgs),
	/// Bonds unbonding stake again, latest first.
	Rebond(stake::AmountArgs),
	/// Frees the role's stake that has finished unbonding.
	Withdraw(stake::WithdrawArgs),
}

#[derive(Subcommand)]
enum OfferCommand {
	/// Measures this machine (hardware, benchmark score) and offers it at a price per
	/// slot-hour, with a bond (default: the chain's minimum now); `--dry-run` prints the offer
	/// and its fee and sends nothing.
	Register(offer::RegisterArgs),
	/// Changes the key's offer: the terms given (the others kept; running leases keep their
	/// price and length); `--remeasure` also claims the machine as measured now.
	Update(offer::RegisterArgs),
	/// Pauses the key's offer: no new lease; running ones go on.
	Pause(offer::KeyArgs),
	/// Resumes the key's paused offer.
	Resume(offer::KeyArgs),
	/// Takes the key's offer off the market; its bond is released once its leases ended.
	Withdraw(offer::KeyArgs),
}

#[derive(Subcommand)]
enum LeaseCommand {
	/// Leases slots of a worker's offer for a time, at its price now at most; the price is held
	/// in escrow.
	New(lease::NewArgs),
	/// Pays a lease's worker for the blocks served so far.
	Settle(lease::LeaseArgs),
	/// Ends the key's lease now: the worker is paid what it served, the rest comes back.
	End(lease::LeaseArgs),
}

#[derive(Subcommand)]
enum TaskCommand {
	/// Creates a task from a TOML spec file (COH, percent, seconds): the chain checks it and
	/// says what it holds (budget, deposit) and asks (bonds) before the owner's key signs it;
	/// `--dry-run` stops there.
	New(task::NewArgs),
	/// Joins a task as a trainer with a dataset, or as an aggregator, bonding the task's
	/// minimum (or `--bond`), and waits until the chain says so.
	Join(task::JoinArgs),
	/// Leaves a task (not while drawn into its round under way); the bond goes back to the
	/// key's stake.
	Leave(task::LeaveArgs),
	/// Pools the per-feature statistics that datasets' owners stated on chain into one
	/// feature scaling, and writes it as the argument of `federated.setFeatureScaling`.
	Scaling(scaling::ScalingArgs),
}

#[derive(Subcommand)]
enum ModelCommand {
	/// Writes a task's global model, as of the finalized head, as a safetensors file that
	/// PyTorch loads, and prints the module to load it into.
	Export(export::ExportArgs),
	/// Turns a safetensors model (PyTorch's layout) into the initial-model payload a task
	/// starts from, and prints the spec's model and initial model for it.
	Import(import::ImportArgs),
}

#[derive(Subcommand)]
enum KeyCommand {
	/// Generates a worker key and prints its address and recovery phrase (shown only here).
	Generate(BasePath),
	/// Imports a key from a secret URI (`--suri`) or a polkadot.js JSON export (`--json`).
	Import(ImportArgs),
	/// Lists the worker's keys by address.
	List(BasePath),
}

#[derive(Args)]
struct BasePath {
	/// The worker's folder: its keystore (`keystore/`), journal and data (`data/`).
	#[arg(long, short = 'd', value_name = "DIR")]
	base_path: PathBuf,
}

#[derive(Args)]
struct ImportArgs {
	#[command(flatten)]
	base: BasePath,
	/// A secret URI: a recovery phrase, optionally with a derivation path, or a `0x` seed.
	#[arg(long, conflicts_with = "json", required_unless_present = "json")]
	suri: Option<String>,
	/// A JSON file exported from polkadot.js (apps or extension).
	#[arg(long, value_name = "FILE")]
	json: Option<PathBuf>,
	/// A file holding the JSON export's password; without it, the password is read from the
	/// first line of standard input.
	#[arg(long, value_name = "FILE", requires = "json")]
	json_password_file: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
	/// A node's WebSocket RPC address. Give several: the worker uses the first that answers
	/// and moves to the next when its node goes away.
	#[arg(long = "node", value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	nodes: Vec<String>,
	/// The worker's folder: its keystore (`keystore/`), journal and data (`data/`).
	#[arg(long, short = 'd', value_name = "DIR", required = true)]
	base_path: Option<PathBuf>,
	/// Serve the simulated data owners and aggregators of the development chains with their
	/// dev keys (as `cohort-node --dev --ml-worker` does), on the bundled digits dataset.
	#[arg(long)]
	dev: bool,
	/// Serve only this dev key of the simulated network (repeat for several): `//Charlie`,
	/// `//Dave`, `//Eve`, `//Ferdie` own datasets 1 to 4, `//Alice//stash`, `//Bob//stash`,
	/// `//Charlie//stash` aggregate, `//Ferdie//stash` offers compute.
	#[arg(long, value_name = "URI")]
	dev_key: Vec<String>,
	/// Create the demo task (owned by `//Ferdie//stash`) if the chain has no task yet.
	#[arg(long)]
	demo_task: bool,
	/// Claim each key's emission rewards once their era closed this many eras ago (0: as soon
	/// as it closes). By default once half of the claim window has passed, so that the claims
	/// come in batches, long before rewards expire.
	#[arg(long, value_name = "ERAS")]
	claim_after_eras: Option<u32>,
	/// Log filter, as a node's `--log` takes it (`info`, `cohort-worker=debug`).
	#[arg(long, short = 'l', value_name = "FILTER", default_value = "info")]
	log: String,
}

fn main() {
	let cli = Cli::parse();
	let result = match cli.command {
		Some(Command::Key(command)) => key(command),
		Some(Command::Dataset(DatasetCommand::List(args))) => dataset::list(&args),
		Some(Command::Dataset(DatasetCommand::Update(args))) => dataset::update(&args),
		Some(Command::Dataset(DatasetCommand::Pause(args))) => dataset::pause(&args),
		Some(Command::Dataset(DatasetCommand::Resume(args))) => dataset::resume(&args),
		Some(Command::Dataset(DatasetCommand::Delist(args))) => dataset::delist(&args),
		Some(Command::Dataset(DatasetCommand::Delegate(args))) => dataset::delegate(&args),
		Some(Command::Stake(StakeCommand::Bond(args))) => stake::bond(&args),
		Some(Command::Stake(StakeCommand::Unbond(args))) => stake::unbond(&args),
		Some(Command::Stake(StakeCommand::Rebond(args))) => stake::rebond(&args),
		Some(Command::Stake(StakeCommand::Withdraw(args))) => stake::withdraw(&args),
		Some(Command::Offer(OfferCommand::Register(args))) => offer::register(&args),
		Some(Command::Offer(OfferCommand::Update(args))) => offer::update(&args),
		Some(Command::Offer(OfferCommand::Pause(args))) => offer::pause(&args),
		Some(Command::Offer(OfferCommand::Resume(args))) => offer::resume(&args),
		Some(Command::Offer(OfferCommand::Withdraw(args))) => offer::withdraw(&args),
		Some(Command::Lease(LeaseCommand::New(args))) => lease::new(&args),
		Some(Command::Lease(LeaseCommand::Settle(args))) => lease::settle(&args),
		Some(Command::Lease(LeaseCommand::End(args))) => lease::end(&args),
		Some(Command::Model(ModelCommand::Export(args))) => model_export(&args),
		Some(Command::Model(ModelCommand::Import(args))) => model_import(&args),
		Some(Command::Task(TaskCommand::New(args))) => task::new(&args),
		Some(Command::Task(TaskCommand::Join(args))) => task::join(&args),
		Some(Command::Task(TaskCommand::Leave(args))) => task::leave(&args),
		Some(Command::Tasks(args)) => tasks::tasks(&args),
		Some(Command::Status(args)) => status::status(&args),
		Some(Command::Task(TaskCommand::Scaling(args))) => task_scaling(&args),
		Some(Command::Rewards(args)) => rewards::rewards(&args),
		None => run(cli.run),
	};
	if let Err(e) = result {
		eprintln!("Error: {e}");
		std::process::exit(1);
	}
}

fn key(command: KeyCommand) -> Result<(), String> {
	match command {
		KeyCommand::Generate(base) => {
			let (public, phrase) = WorkerKeystore::open(&base.base_path)?.generate()?;
			println!("Address: {}", keys::address(&public));
			println!("Recovery phrase (write it down; it is shown only now): {phrase}");
		},
		KeyCommand::Import(args) => {
			let mut keystore = WorkerKeystore::open(&args.base.base_path)?;
			let public = match (args.suri, args.json) {
				(Some(suri), _) => keystore.import_suri(&suri)?,
				(None, Some(json)) => {
					let text = read(&json)?;
					let password = match args.json_password_file {
						Some(file) => first_line(&read(&file)?),
						None => {
							eprintln!("Password of {}:", json.display());
							let mut line = String::new();
							std::io::stdin()
								.lock()
								.read_line(&mut line)
								.map_err(|e| e.to_string())?;
							first_line(&line)
						},
					};
					keystore.import_json(&text, &password)?
				},
				(None, None) => return Err("give --suri or --json".into()),
			};
			println!("Imported {}", keys::address(&public));
		},
		KeyCommand::List(base) => {
			for public in WorkerKeystore::open(&base.base_path)?.list() {
				println!("{}", keys::address(&public));
			}
		},
	}
	Ok(())
}

fn task_scaling(args: &scaling::ScalingArgs) -> Result<(), String> {
	let done = scaling::scaling(args)?;
	println!(
		"Pooled the statistics of {} datasets ({} features, {} cut from each end of every \
		 feature's values, as of finalized block #{}) into {}",
		args.datasets.len(),
		done.features,
		done.cut,
		done.block,
		args.out.display()
	);
	println!(
		"Fix it on the task before its first round: federated.setFeatureScaling(task, <that \
		 file's array>)"
	);
	Ok(())
}

fn model_export(args: &export::ExportArgs) -> Result<(), String> {
	let done = export::export(args)?;
	println!(
		"Task {}: the global model of round {} ({} parameters, as of finalized block #{}) written \
		 to {}",
		args.task,
		done.round,
		done.parameters,
		done.block,
		args.out.display()
	);
	println!("Load it in PyTorch:");
	println!("  import torch, safetensors.torch");
	println!("  model = {}", done.module);
	println!(
		"  model.load_state_dict(safetensors.torch.load_file({:?}))",
		args.out.display().to_string()
	);
	if done.scaled {
		println!(
			"The task scales its features: feed the model (x - mean) / deviation (0 where the \
			 deviation is 0), with mean and deviation from the file's metadata:"
		);
		println!(
			"  s = json.loads(safetensors.safe_open({:?}, \"pt\").metadata()[\"cohort.feature_scaling\"])",
			args.out.display().to_string()
		);
	}
	Ok(())
}

fn model_import(args: &import::ImportArgs) -> Result<(), String> {
	let done = import::import(args)?;
	println!(
		"Imported {} ({} parameters at scale {}) as an initial model of {} bytes in {}",
		args.file.display(),
		done.parameters,
		args.scale,
		done.bytes,
		args.out.display()
	);
	println!("Start a task from it with, in its spec:");
	println!("  model: {}", import::spec_json(&done.spec));
	println!("  scale: {}", args.scale);
	println!("  initialModel: {{\"Hash\":\"{:?}\"}}", done.hash);
	println!(
		"then publish it, before the first round: federated.publishInitialModel(task, <the bytes \
		 of {}>)",
		args.out.display()
	);
	Ok(())
}

fn read(path: &Path) -> Result<String, String> {
	std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A password as a file or a terminal gives it: its first line, without the line break.
fn first_line(text: &str) -> String {
	text.lines().next().unwrap_or_default().to_string()
}

fn run(args: RunArgs) -> Result<(), String> {
	let base_path = args.base_path.ok_or("--base-path is required")?;
	sc_tracing::logging::LoggerBuilder::new(args.log.as_str())
		.init()
		.map_err(|e| format!("logging: {e}"))?;
	let keystore = WorkerKeystore::open(&base_path)?;
	let mut data = DataDir::open(&base_path.join("data")).map_err(|e| e.to_string())?;
	let dev = (args.dev || !args.dev_key.is_empty() || args.demo_task).then(|| DevOptions {
		only: (!args.dev).then_some(args.dev_key.clone()),
		demo_task: args.demo_task,
		..Default::default()
	});
	let stored = keystore.list();
	let served = cohort_worker::setup::participants(
		&mut data,
		dev.as_ref(),
		|uri| keystore.dev_key(uri),
		stored,
	)?;
	let aggregator = cohort_ml::opencl::Aggregator::detect();
	let claims = args.claim_after_eras.map_or(ClaimAfter::HalfWindow, ClaimAfter::Eras);
	let worker = Worker::new(served.participants, data, aggregator)?.with_claims(claims);

	let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
	let (stop_tx, stop) = tokio::sync::watch::channel(false);
	runtime.spawn(async move {
		let mut terminate =
			tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
				.expect("SIGTERM can be handled");
		tokio::select! {
			_ = tokio::signal::ctrl_c() => {},
			_ = terminate.recv() => {},
		}
		log::info!(target: "cohort-worker", "stopping");
		let _ = stop_tx.send(true);
	});
	follow::Follower {
		runtime: runtime.handle().clone(),
		nodes: args.nodes,
		keystore,
		worker,
		demo_task: served.demo_task,
		stop,
	}
	.run();
	Ok(())
}
