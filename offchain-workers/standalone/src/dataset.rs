//! `cohort-worker dataset list | update | pause | resume | delist | delegate`: a data owner's
//! calls, signed by the keystore's key.
//!
//! `list` sends the listing `cohort-node dataset inspect --args-out` wrote (the JSON of
//! `cohort_worker::listing_json`), and with `--stats` the per-feature statistics `--stats-out`
//! wrote, and prints the new dataset's id; `update` changes what a listing may change (name,
//! description, licence, royalty), keeping what is not given as the best block has it; `pause`,
//! `resume` and `delist` move it through its life; `delegate` lets a worker key train on it.

use std::path::PathBuf;

use codec::Encode;
use cohort_primitives::{dataset::Licence, scaling::FeatureStats, DatasetId};
use cohort_worker::{
	amount::{coh, parse_coh},
	call::EncodedCall,
	listing_json,
	spec_file::blocks_for,
	Chain,
};
use sp_core::{crypto::Ss58Codec, sr25519};

use crate::{
	keys::address,
	signer::{send, Signer},
};

const DATA_MARKET: &str = "DataMarket";

#[derive(clap::Args)]
pub struct ListArgs {
	#[command(flatten)]
	signer: Signer,
	/// The listing: the JSON `cohort-node dataset inspect --args-out` writes.
	#[arg(long, value_name = "FILE.json")]
	listing: PathBuf,
	/// Also state the dataset's per-feature statistics (`inspect --stats-out`), so that tasks
	/// can pool a feature scaling from them.
	#[arg(long, value_name = "FILE.json")]
	stats: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DelegateArgs {
	#[command(flatten)]
	signer: Signer,
	/// The dataset.
	#[arg(long, value_name = "ID")]
	dataset: DatasetId,
	/// The worker key that may join tasks with it and train on it (its SS58 address).
	#[arg(long, value_name = "ADDRESS")]
	to: String,
}

fn read(path: &PathBuf) -> Result<String, String> {
	std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Lists the dataset (and states its statistics), printing its id.
pub fn list(args: &ListArgs) -> Result<(), String> {
	let json: serde_json::Value = serde_json::from_str(&read(&args.listing)?)
		.map_err(|e| format!("{}: {e}", args.listing.display()))?;
	let listing =
		listing_json::from_json(&json).map_err(|e| format!("{}: {e}", args.listing.display()))?;
	let stats: Option<Vec<FeatureStats>> = match &args.stats {
		Some(path) => Some(
			serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?,
		),
		None => None,
	};
	let ((dataset, deposit, block), who) = args.signer.act(|chain, number, who| {
		let call =
			EncodedCall { pallet: DATA_MARKET, call: "list_dataset", args: listing.encode() };
		let (block, hash) = send(chain, number, who, call)?;
		// `DatasetListed { dataset, owner, deposit }`.
		let (dataset, _owner, deposit) = chain.event::<(DatasetId, [u8; 32], u128)>(
			block,
			hash,
			DATA_MARKET,
			"DatasetListed",
		)?;
		if let Some(stats) = &stats {
			let call = EncodedCall {
				pallet: DATA_MARKET,
				call: "state_feature_stats",
				args: (dataset, stats).encode(),
			};
			send(chain, block, who, call)?;
		}
		Ok((dataset, deposit, block))
	})?;
	println!(
		"{} listed dataset {dataset} ({} samples, {} features, {} classes) in block #{block}; \
		 {} COH held as its deposit{}.",
		address(&who),
		listing.schema.samples,
		listing.schema.features,
		listing.schema.classes,
		coh(deposit),
		if stats.is_some() { ", its feature statistics stated" } else { "" }
	);
	Ok(())
}

/// Lets a worker key train on the dataset.
pub fn delegate(args: &DelegateArgs) -> Result<(), String> {
	let worker = sr25519::Public::from_ss58check(&args.to)
		.map_err(|e| format!("--to {}: {e:?}", args.to))?;
	let (block, _) = args.signer.act(|chain, number, who| {
		let call = EncodedCall {
			pallet: DATA_MARKET,
			call: "add_delegate",
			args: (args.dataset, worker.0).encode(),
		};
		Ok(send(chain, number, who, call)?.0)
	})?;
	println!(
		"{} may now join tasks with dataset {} (block #{block}).",
		address(&worker),
		args.dataset
	);
	Ok(())
}

#[derive(clap::Args)]
pub struct UpdateArgs {
	#[command(flatten)]
	signer: Signer,
	/// The dataset.
	#[arg(long, value_name = "ID")]
	dataset: DatasetId,
	/// A new name.
	#[arg(long)]
	name: Option<String>,
	/// A new description.
	#[arg(long)]
	description: Option<String>,
	/// A new royalty, in COH: what each of its updates that a round accepts earns it. Tasks
	/// already joined keep the royalty they joined at.
	#[arg(long, value_name = "COH")]
	royalty: Option<String>,
	/// Sell access too: a buyer pays this (in COH) for a grant of `--access-seconds`.
	#[arg(
		long,
		value_name = "COH",
		requires = "access_seconds",
		conflicts_with = "federated_only"
	)]
	access_price: Option<String>,
	/// How long a grant bought at `--access-price` lasts, in seconds (whole blocks, rounded up).
	#[arg(long, value_name = "SECONDS", requires = "access_price")]
	access_seconds: Option<f64>,
	/// Sell no access: the data is used in federated tasks only.
	#[arg(long)]
	federated_only: bool,
}

#[derive(clap::Args)]
pub struct DatasetArgs {
	#[command(flatten)]
	signer: Signer,
	/// The dataset.
	#[arg(long, value_name = "ID")]
	dataset: DatasetId,
}

/// A text field of a listing from `--field`, or why it does not fit the chain's bound.
fn bounded<B: TryFrom<Vec<u8>>>(field: &str, text: &str) -> Result<B, String> {
	B::try_from(text.as_bytes().to_vec())
		.map_err(|_| format!("--{field} is longer than the chain keeps"))
}

/// Changes what a listing may change, keeping every field not given as the chain has it.
pub fn update(args: &UpdateArgs) -> Result<(), String> {
	let royalty = args
		.royalty
		.as_deref()
		.map(parse_coh)
		.transpose()
		.map_err(|e| format!("--royalty: {e}"))?;
	let price = args
		.access_price
		.as_deref()
		.map(parse_coh)
		.transpose()
		.map_err(|e| format!("--access-price: {e}"))?;
	let ((royalty, block), _) = args.signer.act(|chain, number, who| {
		// Read at the best block (`Signer::act`): fields not given are sent back as they are, so
		// they must include the last change (a command just before this one, say).
		let info = chain
			.dataset(args.dataset)
			.map_err(|e| e.to_string())?
			.ok_or(format!("there is no dataset {}", args.dataset))?;
		let mut listing = info.listing;
		if let Some(name) = &args.name {
			listing.name = bounded("name", name)?;
		}
		if let Some(description) = &args.description {
			listing.description = bounded("description", description)?;
		}
		if let Some(royalty) = royalty {
			listing.royalty = royalty;
		}
		if let (Some(price), Some(seconds)) = (price, args.access_seconds) {
			let period = blocks_for(seconds, chain.block_time())
				.map_err(|e| format!("--access-seconds: {e}"))?;
			listing.licence = Licence::Access { price, period };
		}
		if args.federated_only {
			listing.licence = Licence::FederatedOnly;
		}
		let call = EncodedCall {
			pallet: DATA_MARKET,
			call: "update_dataset",
			args: (
				args.dataset,
				listing.name,
				listing.description,
				listing.licence,
				listing.royalty,
			)
				.encode(),
		};
		Ok((listing.royalty, send(chain, number, who, call)?.0))
	})?;
	println!(
		"dataset {} updated in block #{block}; its royalty is {} COH.",
		args.dataset,
		coh(royalty)
	);
	Ok(())
}

/// Sends `call(dataset)` of the data market: `pause_dataset`, `resume_dataset`,
/// `delist_dataset`.
fn change_status(args: &DatasetArgs, call: &'static str) -> Result<u32, String> {
	let (block, _) = args.signer.act(|chain, number, who| {
		let call = EncodedCall { pallet: DATA_MARKET, call, args: args.dataset.encode() };
		Ok(send(chain, number, who, call)?.0)
	})?;
	Ok(block)
}

/// Pauses the dataset: it joins no new task and sells no new grant.
pub fn pause(args: &DatasetArgs) -> Result<(), String> {
	let block = change_status(args, "pause_dataset")?;
	println!("dataset {} paused in block #{block}: it joins no new task.", args.dataset);
	Ok(())
}

/// Resumes the paused dataset.
pub fn resume(args: &DatasetArgs) -> Result<(), String> {
	let block = change_status(args, "resume_dataset")?;
	println!("dataset {} resumed in block #{block}.", args.dataset);
	Ok(())
}

/// Delists the dataset, saying whether it is gone or waits for the tasks it is in.
pub fn delist(args: &DatasetArgs) -> Result<(), String> {
	let ((block, tasks), _) = args.signer.act(|chain, number, who| {
		let call = EncodedCall {
			pallet: DATA_MARKET,
			call: "delist_dataset",
			args: args.dataset.encode(),
		};
		let (block, hash) = send(chain, number, who, call)?;
		// `DatasetDelisted { dataset, tasks }`.
		let (_, tasks) =
			chain.event::<(DatasetId, u32)>(block, hash, DATA_MARKET, "DatasetDelisted")?;
		Ok((block, tasks))
	})?;
	if tasks == 0 {
		println!(
			"dataset {} delisted in block #{block}: no task used it, so it is gone and its \
			 deposit is back.",
			args.dataset
		);
	} else {
		println!(
			"dataset {} delisted in block #{block}: it joins no new task; it goes, and its \
			 deposit comes back, once the {tasks} task(s) it is in let it go (`task leave`).",
			args.dataset
		);
	}
	Ok(())
}
