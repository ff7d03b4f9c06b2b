//! `cohort-worker task scaling`: a task owner's feature scaling, pooled from the statistics
//! that the owners of the datasets it expects stated on chain (`cohort_primitives::scaling::pool`),
//! written as the argument of `federated.setFeatureScaling`. Reading needs no key.

use std::path::PathBuf;

use cohort_primitives::{
	scaling::{pool, trimmed, FeatureStats},
	DatasetId,
};

use crate::rpc::at_finalized;

#[derive(clap::Args)]
pub struct ScalingArgs {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// A dataset whose stated statistics to pool (repeat for several; each must have stated
	/// them, with the same number of features).
	#[arg(long = "dataset", value_name = "ID", required = true)]
	pub datasets: Vec<DatasetId>,
	/// The file to write: the scaling as JSON, the `scaling` argument of
	/// `federated.setFeatureScaling`.
	#[arg(long, short = 'o', value_name = "FILE.json")]
	pub out: PathBuf,
}

/// What was pooled, for the line printed.
pub struct Pooled {
	pub features: usize,
	/// How many datasets were cut from each end of every feature's values.
	pub cut: usize,
	pub block: u32,
}

/// Pools the datasets' statistics as of the finalized head and writes the scaling.
pub fn scaling(args: &ScalingArgs) -> Result<Pooled, String> {
	let (stated, block) = at_finalized(&args.node, |chain, number| {
		let mut stated = Vec::with_capacity(args.datasets.len());
		for &dataset in &args.datasets {
			let stats = chain.feature_stats(dataset).map_err(|e| e.to_string())?.ok_or(format!(
				"dataset {dataset} has stated no statistics at finalized block #{number} (its \
				 owner states them with dataMarket.stateFeatureStats)"
			))?;
			stated.push(stats);
		}
		Ok((stated, number))
	})?;
	let slices: Vec<&[FeatureStats]> = stated.iter().map(Vec::as_slice).collect();
	let pooled = pool(&slices).ok_or_else(|| {
		let counts: Vec<String> = args
			.datasets
			.iter()
			.zip(&stated)
			.map(|(d, s)| format!("dataset {d}: {}", s.len()))
			.collect();
		format!("the datasets state different numbers of features ({})", counts.join(", "))
	})?;
	let text = serde_json::to_string(&pooled).map_err(|e| e.to_string())?;
	cohort_worker::durable::write(&args.out, (text + "\n").as_bytes())
		.map_err(|e| format!("{}: {e}", args.out.display()))?;
	Ok(Pooled { features: pooled.len(), cut: trimmed(stated.len()), block })
}
