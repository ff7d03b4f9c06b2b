//! `cohort-worker tasks --dataset ID`: the live tasks, and for each whether the keystore's key
//! can join it now as a trainer with that dataset — the chain's own answer
//! (`FederatedApi::joinable_tasks` tries `federated.join` and undoes it), with the reason when
//! it cannot — beside what the task pays and asks. `cohort-worker task join` then joins one.

use std::path::PathBuf;

use cohort_primitives::{DatasetId, ModelSpec, TaskId};
use cohort_worker::{amount::coh, chain::Task, Chain};

use crate::{
	keys::{address, WorkerKeystore},
	rpc::at_finalized_with,
};

#[derive(clap::Args)]
pub struct TasksArgs {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The dataset to join with.
	#[arg(long, value_name = "ID")]
	dataset: DatasetId,
	/// The folder whose keystore holds the key that would join (the dataset's owner or a
	/// delegate).
	#[arg(long, short = 'd', value_name = "DIR")]
	base_path: PathBuf,
	/// That key's address, when the keystore holds several.
	#[arg(long, value_name = "ADDRESS")]
	key: Option<String>,
	/// List only the tasks the dataset can join.
	#[arg(long)]
	open: bool,
	/// Print one JSON array instead of lines.
	#[arg(long)]
	json: bool,
}

/// One live task and the answer for the dataset.
struct Row {
	id: TaskId,
	task: Task,
	joinable: Result<(), String>,
}

/// Lists the live tasks as of the finalized head, with the chain's answer for the dataset.
pub fn tasks(args: &TasksArgs) -> Result<(), String> {
	let keystore = WorkerKeystore::open(&args.base_path)?;
	let who = keystore.pick(args.key.as_deref(), &args.base_path)?;
	let (rows, block) = at_finalized_with(&args.node, &keystore, |chain, number| {
		let mut rows = Vec::new();
		for (id, joinable) in
			chain.joinable_tasks(&who.into(), args.dataset).map_err(|e| e.to_string())?
		{
			if args.open && joinable.is_err() {
				continue;
			}
			let task = chain.task(id).map_err(|e| e.to_string())?.ok_or("a listed task is gone")?;
			rows.push(Row { id, task, joinable });
		}
		Ok((rows, number))
	})?;
	if args.json {
		println!("{}", serde_json::Value::from(rows.iter().map(json).collect::<Vec<_>>()));
		return Ok(());
	}
	println!(
		"Live tasks as of finalized block #{block}, for dataset {} joined by {}:",
		args.dataset,
		address(&who)
	);
	if rows.is_empty() {
		println!("  none");
	}
	for row in &rows {
		let (t, s) = (&row.task, &row.task.spec);
		let answer = match &row.joinable {
			Ok(()) => "can join".to_string(),
			Err(e) => format!("cannot join: {e}"),
		};
		println!(
			"  task {}: {}; {} of {} rounds left, {} COH a round, royalty up to {} COH an update, \
			 trainer bond at least {} COH, {} trainers joined ({} to {} a round) — {answer}",
			row.id,
			model(&s.model),
			s.rounds.saturating_sub(t.next_round),
			s.rounds,
			coh(s.reward_per_round),
			coh(s.datasets.max_royalty),
			coh(t.min_trainer_bond),
			t.trainers,
			s.min_trainers,
			s.max_trainers,
		);
	}
	Ok(())
}

/// A model in a few words: `MLP 64-32-10`, `CNN 28×28×1, 3×3 filters 8-16, 10 classes`.
fn model(spec: &ModelSpec) -> String {
	let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join("-");
	match spec {
		ModelSpec::Mlp { input, hidden, classes } => {
			let mut sizes = vec![*input];
			sizes.extend(hidden.iter());
			sizes.push(*classes);
			format!("MLP {}", join(&sizes))
		},
		ModelSpec::Cnn { side, channels, filters, kernel, classes } => format!(
			"CNN {side}×{side}×{channels}, {kernel}×{kernel} filters {}, {classes} classes",
			join(filters)
		),
	}
}

fn json(row: &Row) -> serde_json::Value {
	let (t, s) = (&row.task, &row.task.spec);
	let mut value = serde_json::json!({
		"task": row.id,
		"model": model(&s.model),
		"rounds": s.rounds,
		"nextRound": t.next_round,
		// Strings: amounts of 12 decimals overflow JSON's doubles.
		"rewardPerRound": s.reward_per_round.to_string(),
		"maxRoyalty": s.datasets.max_royalty.to_string(),
		"minTrainerBond": t.min_trainer_bond.to_string(),
		"trainers": t.trainers,
		"joinable": row.joinable.is_ok(),
	});
	if let Err(e) = &row.joinable {
		value["reason"] = e.as_str().into();
	}
	value
}
