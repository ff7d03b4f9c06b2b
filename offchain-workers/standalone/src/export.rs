//! `cohort-worker model export`: a task's global model (or the model a kept past round
//! finalized), as of the chain's finalized head, read from the block body that carries it and written as a safetensors file that PyTorch loads
//! (`cohort_ml::export`: keys and layouts of a `torch.nn.Sequential`). Reading needs no key.

use std::{collections::HashMap, path::PathBuf};

use cohort_ml::{codec, export, model::Architecture};
use cohort_primitives::{payload::PayloadKind, round::Phase, RoundIndex, TaskId};
use cohort_worker::Chain;

use crate::rpc::{at_finalized, RpcChain};

#[derive(clap::Args)]
pub struct ExportArgs {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The task whose global model to export.
	#[arg(long)]
	pub task: TaskId,
	/// Export the model a past round finalized instead of the latest (the chain keeps the full
	/// records of a task's last 8 finished rounds).
	#[arg(long)]
	pub round: Option<RoundIndex>,
	/// The file to write (safetensors).
	#[arg(long, short = 'o', value_name = "FILE")]
	pub out: PathBuf,
}

/// What was exported, for the line printed.
pub struct Exported {
	pub round: u32,
	pub parameters: usize,
	pub block: u32,
	/// The PyTorch module that loads the file.
	pub module: String,
	/// Whether the task has a feature scaling (in the file's `cohort.feature_scaling`) that
	/// inputs need before the model sees them.
	pub scaled: bool,
}

/// Writes task `args.task`'s global model to `args.out`.
pub fn export(args: &ExportArgs) -> Result<Exported, String> {
	at_finalized(&args.node, |chain, number| export_at(chain, number, args))
}

fn export_at(chain: &RpcChain<'_>, number: u32, args: &ExportArgs) -> Result<Exported, String> {
	let task = args.task;
	let info = chain.task(task).map_err(|e| e.to_string())?.ok_or(format!("no task {task}"))?;
	let at = match args.round {
		None => info.global_model.ok_or(format!(
			"task {task} has no trained model yet at finalized block #{number}: no round of it \
			 has been finalized"
		))?,
		Some(round) => {
			let record =
				chain.round_record(task, round).map_err(|e| e.to_string())?.ok_or(format!(
					"round {round} of task {task} is not kept at finalized block #{number} (the \
					 chain keeps the full records of a task's last finished rounds)"
				))?;
			let Phase::Finalized { aggregate } = record.phase else {
				return Err(format!(
					"round {round} of task {task} made no model: it is {:?}",
					record.phase
				));
			};
			record
				.aggregate_payload(&aggregate)
				.cloned()
				.ok_or(format!("round {round} of task {task} keeps no place for its aggregate"))?
		},
	};
	let bytes = chain.payload(&at).map_err(|e| e.to_string())?;
	let (header, values) = codec::decode(&bytes).map_err(|e| e.to_string())?;
	if header.kind != PayloadKind::Aggregate
		|| header.task != task
		|| header.scale != info.spec.scale
		|| args.round.is_some_and(|round| round != header.round)
	{
		return Err(format!("the global model's payload header is {header:?}"));
	}
	let arch = Architecture::of(&info.spec.model).map_err(|e| e.to_string())?;
	let parameters = codec::dequantize(&values, header.scale);
	let scaling = chain.feature_scaling(task).map_err(|e| e.to_string())?;
	let mut metadata = HashMap::from([
		("format".to_string(), "pt".to_string()),
		("cohort.task".to_string(), task.to_string()),
		("cohort.round".to_string(), header.round.to_string()),
		("cohort.block".to_string(), at.block.to_string()),
		("cohort.aggregate".to_string(), format!("{:?}", at.payload_hash)),
		("cohort.scale".to_string(), header.scale.to_string()),
	]);
	if let Some(scaling) = &scaling {
		metadata.insert("cohort.feature_scaling".into(), export::scaling_metadata(scaling));
	}
	let file = export::to_safetensors(&arch, &parameters, metadata).map_err(|e| e.to_string())?;
	cohort_worker::durable::write(&args.out, &file)
		.map_err(|e| format!("{}: {e}", args.out.display()))?;
	Ok(Exported {
		round: header.round,
		parameters: parameters.len(),
		block: number,
		module: export::torch_module(&arch),
		scaled: scaling.is_some(),
	})
}
