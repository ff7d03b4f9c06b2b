//! `cohort-worker status`: for each key of the keystore, as of the finalized head, what it holds
//! and owes — its balance (free, and held: stake, deposits, budgets), its stake in each role
//! (committed to tasks and leases, unbonding), the tasks it has joined (its role, its dataset,
//! whether it is drawn into the round under way), its compute offer (slots leased, price, bond,
//! scores), the duties it has now, and the rewards it can claim.

use std::path::PathBuf;

use cohort_primitives::api::{Membership, RoleStake};
use cohort_worker::{amount::coh, chain::ComputeOffer, Chain};
use sp_core::sr25519;

use crate::{
	keys::{address, WorkerKeystore},
	rpc::at_finalized_with,
};

#[derive(clap::Args)]
pub struct StatusArgs {
	/// A node's WebSocket RPC address.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The worker's folder, whose keystore holds the keys to report on.
	#[arg(long, short = 'd', value_name = "DIR")]
	base_path: PathBuf,
	/// Print one JSON array instead of lines.
	#[arg(long)]
	json: bool,
}

/// One key's state.
struct KeyStatus {
	who: sr25519::Public,
	free: u128,
	held: u128,
	stake: Vec<RoleStake<u128>>,
	memberships: Vec<Membership>,
	offer: Option<ComputeOffer>,
	duties: usize,
	claimable: u128,
	rewards: usize,
}

/// Reports on every key of the keystore.
pub fn status(args: &StatusArgs) -> Result<(), String> {
	let keystore = WorkerKeystore::open(&args.base_path)?;
	let keys = keystore.keys(&args.base_path)?;
	let (rows, block) = at_finalized_with(&args.node, &keystore, |chain, number| {
		let mut rows = Vec::new();
		for who in &keys {
			let account = (*who).into();
			let e = |e: cohort_worker::ChainError| e.to_string();
			let (free, held) = chain.balance(&account).map_err(e)?;
			let rewards = chain.pending_rewards(&account).map_err(e)?.pending;
			rows.push(KeyStatus {
				who: *who,
				free,
				held,
				stake: chain.stake(&account).map_err(e)?,
				memberships: chain.memberships(&account).map_err(e)?,
				offer: chain.offer(&account).map_err(e)?,
				duties: chain.duties(&account).map_err(e)?.len(),
				claimable: rewards.iter().map(|r| r.amount).sum(),
				rewards: rewards.len(),
			});
		}
		Ok((rows, number))
	})?;
	if args.json {
		println!("{}", serde_json::Value::from(rows.iter().map(json).collect::<Vec<_>>()));
		return Ok(());
	}
	println!("As of finalized block #{block}:");
	for r in &rows {
		println!("{}: {} COH free, {} COH held", address(&r.who), coh(r.free), coh(r.held));
		for s in &r.stake {
			println!(
				"  stake as {:?}: {} COH bonded, {} COH of it committed; {} COH unbonding",
				s.role,
				coh(s.active),
				coh(s.committed),
				coh(s.unlocking)
			);
		}
		for m in &r.memberships {
			let dataset = m.dataset.map_or(String::new(), |d| format!(" with dataset {d}"));
			let drawn = m
				.selected_in
				.map_or("not drawn now".to_string(), |round| format!("drawn into round {round}"));
			println!("  task {}: {:?}{dataset}, {drawn}", m.task, m.role);
		}
		if let Some(o) = &r.offer {
			let verified =
				o.verified_score.map_or("not yet challenged".into(), |v| format!("{v} verified"));
			println!(
				"  offer ({:?}): {} of {} slot(s) leased at {} COH per slot per block, bonding {} COH; \
				 benchmark score {} claimed, {verified}",
				o.status,
				o.leased_slots,
				o.terms.slots,
				coh(o.terms.price),
				coh(o.terms.bond),
				o.claimed_score,
			);
		}
		println!(
			"  {} duties now; {} rewards to claim, {} COH (cohort-worker rewards --claim)",
			r.duties,
			r.rewards,
			coh(r.claimable)
		);
	}
	Ok(())
}

fn json(r: &KeyStatus) -> serde_json::Value {
	// Strings: amounts of 12 decimals overflow JSON's doubles.
	serde_json::json!({
		"who": address(&r.who),
		"free": r.free.to_string(),
		"held": r.held.to_string(),
		"stake": r.stake.iter().map(|s| serde_json::json!({
			"role": format!("{:?}", s.role),
			"active": s.active.to_string(),
			"committed": s.committed.to_string(),
			"unlocking": s.unlocking.to_string(),
		})).collect::<Vec<_>>(),
		"tasks": r.memberships.iter().map(|m| serde_json::json!({
			"task": m.task,
			"role": format!("{:?}", m.role),
			"dataset": m.dataset,
			"selectedIn": m.selected_in,
		})).collect::<Vec<_>>(),
		"offer": r.offer.as_ref().map(|o| serde_json::json!({
			"status": format!("{:?}", o.status),
			"slots": o.terms.slots,
			"leasedSlots": o.leased_slots,
			"pricePerBlock": o.terms.price.to_string(),
			"bond": o.terms.bond.to_string(),
			"claimedScore": o.claimed_score,
			"verifiedScore": o.verified_score,
		})),
		"duties": r.duties,
		"rewards": r.rewards,
		"claimable": r.claimable.to_string(),
	})
}
