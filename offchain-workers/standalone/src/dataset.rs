//! `cohort-worker dataset list | delegate`: a data owner's calls, signed by the keystore's key.
//!
//! `list` sends the listing `cohort-node dataset inspect --args-out` wrote (the JSON of
//! `cohort_worker::listing_json`), and with `--stats` the per-feature statistics `--stats-out`
//! wrote, and prints the new dataset's id; `delegate` lets a worker key train on a dataset.

use std::path::PathBuf;

use codec::{Decode, Encode};
use cohort_primitives::{scaling::FeatureStats, DatasetId};
use cohort_worker::{amount::coh, call::EncodedCall, listing_json};
use sp_core::{crypto::Ss58Codec, sr25519, H256};

use crate::{
	keys::{address, WorkerKeystore},
	rpc::{at_finalized_with, send_and_wait, RpcChain},
};

const DATA_MARKET: &str = "DataMarket";

#[derive(clap::Args)]
pub struct Signer {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The folder whose keystore holds the dataset owner's key.
	#[arg(long, short = 'd', value_name = "DIR")]
	base_path: PathBuf,
	/// That key's address, when the keystore holds several.
	#[arg(long, value_name = "ADDRESS")]
	key: Option<String>,
}

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

/// Sends `call` signed by `who` and waits for its block: the block and the extrinsic's hash.
fn send(
	chain: &RpcChain<'_>,
	number: u32,
	who: &sr25519::Public,
	call: EncodedCall,
) -> Result<(u32, H256), String> {
	let signed = chain.sign(who, &call).map_err(|e| e.to_string())?;
	send_and_wait(chain, number, &signed, &format!("{}.{}", call.pallet, call.call))
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
	let s = &args.signer;
	let keystore = WorkerKeystore::open(&s.base_path)?;
	let who = keystore.pick(s.key.as_deref(), &s.base_path)?;
	let (dataset, deposit, block) = at_finalized_with(&s.node, &keystore, |chain, number| {
		let call =
			EncodedCall { pallet: DATA_MARKET, call: "list_dataset", args: listing.encode() };
		let (block, hash) = send(chain, number, &who, call)?;
		let event = chain
			.events_of(block, hash, DATA_MARKET, "DatasetListed")
			.map_err(|e| e.to_string())?;
		// `DatasetListed { dataset, owner, deposit }`.
		let (dataset, _owner, deposit) = event
			.first()
			.and_then(|f| <(DatasetId, [u8; 32], u128)>::decode(&mut &f[..]).ok())
			.ok_or("the listing's block has no DatasetListed event")?;
		if let Some(stats) = &stats {
			let call = EncodedCall {
				pallet: DATA_MARKET,
				call: "state_feature_stats",
				args: (dataset, stats).encode(),
			};
			send(chain, block, &who, call)?;
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
	let s = &args.signer;
	let keystore = WorkerKeystore::open(&s.base_path)?;
	let who = keystore.pick(s.key.as_deref(), &s.base_path)?;
	let block = at_finalized_with(&s.node, &keystore, |chain, number| {
		let call = EncodedCall {
			pallet: DATA_MARKET,
			call: "add_delegate",
			args: (args.dataset, worker.0).encode(),
		};
		Ok(send(chain, number, &who, call)?.0)
	})?;
	println!(
		"{} may now join tasks with dataset {} (block #{block}).",
		address(&worker),
		args.dataset
	);
	Ok(())
}
