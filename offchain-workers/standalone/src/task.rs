//! `cohort-worker task new`: a task created from a spec file (`cohort_worker::spec_file`, TOML in
//! COH, percent and seconds). The spec is converted at the chain's block time and checked by the
//! chain itself (`FederatedApi::quote_task`), which says what creating it holds — budget and
//! storage deposit — and what it asks of participants — the minimum bonds; the fee comes from the
//! signed extrinsic (`TransactionPaymentApi::query_info`). With `--dry-run` nothing is sent;
//! otherwise the owner's key signs `federated.create_task`, and the command waits for the block
//! that holds it and prints the new task's id.
//!
//! `cohort-worker task join`: the keystore's key joins a task, as a trainer with a dataset or as
//! an aggregator, bonding the task's minimum (or more), and waits for the block that says so;
//! `task leave` takes it out again, its bond back to its stake.

use std::{path::PathBuf, time::Duration};

use cohort_primitives::{api::TaskQuote, DatasetId, TaskId, TaskSpec};
use cohort_worker::{
	amount::{coh, parse_coh},
	chain::BlockNumber,
	spec_file::SpecFile,
	Action, Chain,
};
use sp_core::sr25519;

use crate::{
	keys::{address, WorkerKeystore},
	rpc::{at_finalized_with, send_and_wait},
	signer::{send, Signer},
};

#[derive(clap::Args)]
pub struct NewArgs {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The task's spec: a TOML file (`docs/examples/task.toml` is one).
	#[arg(long, value_name = "FILE.toml")]
	spec: PathBuf,
	/// The folder whose keystore (`keystore/`) holds the owner's key.
	#[arg(long, short = 'd', value_name = "DIR")]
	base_path: PathBuf,
	/// The key that creates and owns the task, by address; needed when the keystore holds
	/// several.
	#[arg(long, value_name = "ADDRESS")]
	owner: Option<String>,
	/// Check the spec and print what the task would cost, without sending anything.
	#[arg(long)]
	dry_run: bool,
	/// Print one JSON object instead of lines.
	#[arg(long)]
	json: bool,
}

/// What the command found and did.
struct Report {
	owner: sr25519::Public,
	block: BlockNumber,
	block_time: Duration,
	spec: TaskSpec<u128, BlockNumber>,
	quote: TaskQuote<u128>,
	fee: u128,
	/// `None` on a dry run; the new task's id, in the block that holds it.
	created: Option<(TaskId, BlockNumber)>,
}

/// Checks, quotes and (without `--dry-run`) creates the task.
pub fn new(args: &NewArgs) -> Result<(), String> {
	let text =
		std::fs::read_to_string(&args.spec).map_err(|e| format!("{}: {e}", args.spec.display()))?;
	let file = SpecFile::parse(&text).map_err(|e| format!("{}: {e}", args.spec.display()))?;
	let keystore = WorkerKeystore::open(&args.base_path)?;
	let owner = keystore.pick(args.owner.as_deref(), &args.base_path)?;
	let report = at_finalized_with(&args.node, &keystore, |chain, number| {
		let block_time = chain.block_time();
		let spec = file.to_spec(block_time).map_err(|e| format!("{}: {e}", args.spec.display()))?;
		let quote = chain
			.quote_task(&spec)
			.map_err(|e| e.to_string())?
			.map_err(|e| format!("the chain refuses this spec: {e}"))?;
		// Signed once: the fee is that of the very extrinsic sent.
		let call = Action::CreateTask { spec: spec.clone() }.encode_call();
		let signed = chain.sign(&owner, &call).map_err(|e| e.to_string())?;
		let fee = chain.fee(&signed).map_err(|e| e.to_string())?;
		let mut report =
			Report { owner, block: number, block_time, spec, quote, fee, created: None };
		if !args.dry_run {
			let (block, hash) = send_and_wait(chain, number, &signed, "the task")?;
			let task = chain.event::<TaskId>(block, hash, "Federated", "TaskCreated")?;
			report.created = Some((task, block));
		}
		Ok(report)
	})?;
	if args.json {
		println!("{}", json(&report));
	} else {
		print(&report);
	}
	Ok(())
}

fn print(r: &Report) {
	let s = &r.spec;
	let q = &r.quote;
	match r.created {
		Some((task, block)) => println!("Created task {task} in block #{block}."),
		None => println!("Dry run as of finalized block #{}: nothing was sent.", r.block),
	}
	println!("Owner {}", address(&r.owner));
	println!(
		"Model: {} parameters, {} bytes a payload; {} rounds of {} to {} trainers, {} aggregators \
		 ({} must agree)",
		q.parameter_count,
		q.payload_bytes,
		s.rounds,
		s.min_trainers,
		s.max_trainers,
		s.aggregators,
		s.quorum
	);
	let p = &s.phases;
	println!(
		"Phases at {} s a block: commit {}, reveal {}, score {}, score reveal {}, aggregate {}, \
		 aggregate reveal {} blocks",
		r.block_time.as_secs_f64(),
		p.commit,
		p.reveal,
		p.score,
		p.score_reveal,
		p.aggregate,
		p.aggregate_reveal
	);
	println!("Held from the owner:");
	println!("  budget   {} COH (rewards and royalties; the rest comes back)", coh(q.budget));
	println!("  deposit  {} COH (storage; back when the task is pruned)", coh(q.deposit));
	println!("  fee      {} COH", coh(r.fee));
	println!(
		"Bonds: a trainer at least {} COH, an aggregator at least {} COH",
		coh(q.min_trainer_bond),
		coh(q.min_aggregator_bond)
	);
}

fn json(r: &Report) -> String {
	let q = &r.quote;
	let mut value = serde_json::json!({
		"owner": address(&r.owner),
		"block": r.block,
		"blockTimeMillis": r.block_time.as_millis() as u64,
		"parameterCount": q.parameter_count,
		"payloadBytes": q.payload_bytes,
		// Strings: amounts of 12 decimals overflow JSON's doubles.
		"budget": q.budget.to_string(),
		"deposit": q.deposit.to_string(),
		"fee": r.fee.to_string(),
		"minTrainerBond": q.min_trainer_bond.to_string(),
		"minAggregatorBond": q.min_aggregator_bond.to_string(),
		"phases": [
			r.spec.phases.commit,
			r.spec.phases.reveal,
			r.spec.phases.score,
			r.spec.phases.score_reveal,
			r.spec.phases.aggregate,
			r.spec.phases.aggregate_reveal,
		],
	});
	if let Some((task, block)) = r.created {
		value["task"] = task.into();
		value["createdIn"] = block.into();
	}
	value.to_string()
}

#[derive(clap::Args)]
pub struct JoinArgs {
	#[command(flatten)]
	signer: Signer,
	/// The task to join (`cohort-worker tasks` lists them).
	#[arg(long, value_name = "ID")]
	task: TaskId,
	/// Join as a trainer on this dataset (its owner's key, or a delegate's).
	#[arg(long, value_name = "ID", required_unless_present = "aggregator")]
	dataset: Option<DatasetId>,
	/// Join as an aggregator instead.
	#[arg(long, conflicts_with = "dataset")]
	aggregator: bool,
	/// The bond, in COH (default: the task's minimum for the role). It is committed from the
	/// key's stake in the role (`incentives.bond`).
	#[arg(long, value_name = "COH")]
	bond: Option<String>,
}

/// Joins the task and waits for the block that holds the join.
pub fn join(args: &JoinArgs) -> Result<(), String> {
	let bond =
		args.bond.as_deref().map(parse_coh).transpose().map_err(|e| format!("--bond: {e}"))?;
	let ((bond, block), who) = args.signer.act(|chain, number, who| {
		let task = chain
			.task(args.task)
			.map_err(|e| e.to_string())?
			.ok_or(format!("there is no task {}", args.task))?;
		let minimum =
			if args.aggregator { task.min_aggregator_bond } else { task.min_trainer_bond };
		let bond = bond.unwrap_or(minimum);
		let call = Action::Join { task: args.task, dataset: args.dataset, bond }.encode_call();
		let signed = chain.sign(who, &call).map_err(|e| e.to_string())?;
		let (block, _) = send_and_wait(chain, number, &signed, "the join")?;
		Ok((bond, block))
	})?;
	let role = match args.dataset {
		Some(dataset) => format!("a trainer with dataset {dataset}"),
		None => "an aggregator".into(),
	};
	println!(
		"{} joined task {} as {role}, bonding {} COH, in block #{block}.",
		address(&who),
		args.task,
		coh(bond)
	);
	Ok(())
}

#[derive(clap::Args)]
pub struct LeaveArgs {
	#[command(flatten)]
	signer: Signer,
	/// The task to leave.
	#[arg(long, value_name = "ID")]
	task: TaskId,
}

/// Leaves the task: what is left of the bond goes back to the key's stake in its role. The
/// chain refuses while the key is drawn into the round under way (`SelectedInOpenRound`).
pub fn leave(args: &LeaveArgs) -> Result<(), String> {
	let ((block, bond), who) = args.signer.act(|chain, number, who| {
		let (block, hash) =
			send(chain, number, who, Action::Leave { task: args.task }.encode_call())?;
		// `Left { task, who, bond }`.
		let (_, _, bond) =
			chain.event::<(TaskId, [u8; 32], u128)>(block, hash, "Federated", "Left")?;
		Ok((block, bond))
	})?;
	println!(
		"{} left task {} in block #{block}; its bond of {} COH is released: still bonded as \
		 stake in its role, for other tasks or `stake unbond`.",
		address(&who),
		args.task,
		coh(bond)
	);
	Ok(())
}
