//! `cohort-worker rewards`: what each key of the worker's keystore can claim from the incentives
//! pallet — its points in each role in each closed era still in the claim window, and what they
//! pay (`IncentivesApi::pending_rewards`) — and, with `--claim`, claims them, one
//! `incentives.claim` per era and role, signed and paid by the key itself, waiting until each is
//! in a block.

use std::path::PathBuf;

use cohort_primitives::api::PendingReward;
use cohort_worker::{amount::coh, Action, Chain};

use crate::{
	keys::{address, WorkerKeystore},
	rpc::{at_finalized_with, wait_for_inclusion, RpcChain},
};

#[derive(clap::Args)]
pub struct RewardsArgs {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The worker's folder, whose keystore holds the keys to look up (`keystore/`).
	#[arg(long, short = 'd', value_name = "DIR")]
	base_path: PathBuf,
	/// Claim every reward listed, signed and paid by its key, and wait until each claim is in a
	/// block.
	#[arg(long)]
	claim: bool,
	/// Print one JSON array instead of lines: each reward with its key (`who`), and with
	/// `--claim` the claim's outcome (`claimed`: true, or the runtime's error).
	#[arg(long)]
	json: bool,
}

/// One reward of one key, and what became of its claim.
struct Row {
	who: sp_core::sr25519::Public,
	reward: PendingReward<u128>,
	/// `None`: not claimed (no `--claim`); `Some(Ok(()))`: claimed; `Some(Err(e))`: refused.
	claimed: Option<Result<(), String>>,
}

/// Lists (and with `--claim`, claims) the rewards of the keystore's keys as of the finalized
/// head.
pub fn rewards(args: &RewardsArgs) -> Result<(), String> {
	let keystore = WorkerKeystore::open(&args.base_path)?;
	let keys = keystore.keys(&args.base_path)?;
	let (rows, era, number) = at_finalized_with(&args.node, &keystore, |chain, number| {
		let mut rows = Vec::new();
		let mut era = 0;
		for who in &keys {
			let rewards = chain.pending_rewards(&(*who).into()).map_err(|e| e.to_string())?;
			era = rewards.current_era;
			rows.extend(rewards.pending.into_iter().map(|reward| Row {
				who: *who,
				reward,
				claimed: None,
			}));
		}
		if args.claim {
			claim(chain, number, &mut rows)?;
		}
		Ok((rows, era, number))
	})?;
	if args.json {
		println!("{}", json(&rows));
	} else {
		println!("As of finalized block #{number}, in era {era}:");
		print(&keys, &rows);
	}
	Ok(())
}

/// Submits a claim per row, then reads the blocks after `number` until each is in one.
fn claim(chain: &RpcChain<'_>, number: u32, rows: &mut [Row]) -> Result<(), String> {
	let mut sent = Vec::new();
	for (at, row) in rows.iter_mut().enumerate() {
		let action =
			Action::Claim { who: row.who.into(), era: row.reward.era, role: row.reward.role };
		match chain.submit(&row.who, action) {
			Ok(hash) => sent.push((hash, at)),
			Err(e) => row.claimed = Some(Err(e.to_string())),
		}
	}
	let hashes: Vec<_> = sent.iter().map(|(hash, _)| *hash).collect();
	let mut included = wait_for_inclusion(chain, number, &hashes)?;
	for (hash, at) in sent {
		rows[at].claimed = Some(match included.remove(&hash) {
			Some((_, outcome)) => outcome,
			None => Err("not in a block within two minutes".into()),
		});
	}
	Ok(())
}

fn print(keys: &[sp_core::sr25519::Public], rows: &[Row]) {
	for who in keys {
		let mine: Vec<&Row> = rows.iter().filter(|r| r.who == *who).collect();
		let total: u128 = mine.iter().map(|r| r.reward.amount).sum();
		println!("{}: {} rewards, {} COH", address(who), mine.len(), coh(total));
		for row in mine {
			let r = &row.reward;
			let outcome = match &row.claimed {
				None => String::new(),
				Some(Ok(())) => " — claimed".into(),
				Some(Err(e)) => format!(" — not claimed: {e}"),
			};
			println!(
				"  era {} {:?}: {} COH for {} of {} points; claimable until era {} closes{outcome}",
				r.era,
				r.role,
				coh(r.amount),
				r.points,
				r.role_points,
				r.claimable_until,
			);
		}
	}
}

fn json(rows: &[Row]) -> String {
	let rows: Vec<serde_json::Value> = rows
		.iter()
		.map(|row| {
			let r = &row.reward;
			let mut value = serde_json::json!({
				"who": address(&row.who),
				"era": r.era,
				"role": format!("{:?}", r.role),
				// Strings: amounts of 12 decimals overflow JSON's doubles.
				"points": r.points.to_string(),
				"rolePoints": r.role_points.to_string(),
				"amount": r.amount.to_string(),
				"claimableUntil": r.claimable_until,
			});
			if let Some(claimed) = &row.claimed {
				value["claimed"] = match claimed {
					Ok(()) => true.into(),
					Err(e) => e.as_str().into(),
				};
			}
			value
		})
		.collect();
	serde_json::Value::from(rows).to_string()
}
