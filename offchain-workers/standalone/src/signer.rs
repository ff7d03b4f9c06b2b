//! Who signs a command's calls: a node to send them to, a keystore folder and the key in it.
//! Every command that changes the chain (`dataset`, `task join|leave`, `stake`, `offer`,
//! `lease`) takes these same three options and sends its calls the same way: read and signed at
//! the node's best block — so that what the command before it changed counts, final or not (a
//! listing's fields kept, a task just created, an offer's price) — then waited for until a
//! block holds them.

use std::path::PathBuf;

use cohort_worker::call::EncodedCall;
use sp_core::{sr25519, H256};

use crate::{
	keys::WorkerKeystore,
	rpc::{at_head_with, send_and_wait, Head, RpcChain},
};

#[derive(clap::Args)]
pub struct Signer {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	pub node: String,
	/// The folder whose keystore holds the signing key.
	#[arg(long, short = 'd', value_name = "DIR")]
	pub base_path: PathBuf,
	/// That key's address, when the keystore holds several.
	#[arg(long, value_name = "ADDRESS")]
	pub key: Option<String>,
}

impl Signer {
	/// Runs `act` against the chain as of the node's best block (block number given) with the
	/// signing key; returns what it returns and the key.
	pub fn act<R>(
		&self,
		act: impl FnOnce(&RpcChain<'_>, u32, &sr25519::Public) -> Result<R, String>,
	) -> Result<(R, sr25519::Public), String> {
		let keystore = WorkerKeystore::open(&self.base_path)?;
		let who = keystore.pick(self.key.as_deref(), &self.base_path)?;
		let out = at_head_with(&self.node, &keystore, Head::Best, |chain, number| {
			act(chain, number, &who)
		})?;
		Ok((out, who))
	}
}

/// Sends `call` signed by `who` and waits for its block: the block and the extrinsic's hash,
/// or the chain's error (`the chain refused DataMarket.delist_dataset: …`).
pub fn send(
	chain: &RpcChain<'_>,
	number: u32,
	who: &sr25519::Public,
	call: EncodedCall,
) -> Result<(u32, H256), String> {
	let signed = chain.sign(who, &call).map_err(|e| e.to_string())?;
	send_and_wait(chain, number, &signed, &format!("{}.{}", call.pallet, call.call))
}
