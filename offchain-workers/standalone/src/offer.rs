//! `cohort-worker offer register | update | pause | resume | withdraw`: a compute provider's offer.
//!
//! `register` measures the machine as the worker does before it offers compute — its hardware
//! (`cohort_ml::challenge::detect_hardware`) and its own benchmark score with the aggregator it
//! would use (`benchmark_score_with`, the chain's unit: thousands of values aggregated per
//! second) — and offers it on the provider's terms, given in the units people use: a price per
//! slot per hour in COH (the chain charges per block: the hour's price at the chain's block
//! time, rounded down), lease lengths in seconds (whole blocks, rounded up), and a bond that
//! defaults to the least the chain takes now (`ComputeLeaseApi::min_offer_bond`, which grows as
//! the list of offers fills). `--dry-run` prints the offer and its fee and sends nothing. Once
//! registered, the worker run with the same key keeps it alive: it sends the heartbeats that
//! leases need and answers the challenges that verify the score.
//!
//! `update` changes the offer's terms: those given, the others as the offer has them (running
//! leases keep their price and length); its hardware and claimed score stay as they are unless
//! `--remeasure` measures the machine again (a benchmark varies from run to run, and a lower
//! claim would lower the verified score with it). `pause` stops new leases and `resume` takes them again; `withdraw` takes the offer
//! off the market: its bond is released once its leases have ended.

use std::time::{Duration, Instant};

use codec::Encode;
use cohort_ml::{challenge, opencl::Aggregator};
use cohort_primitives::compute::{Backends, Hardware};
use cohort_worker::{
	amount::{coh, parse_coh},
	call::EncodedCall,
	chain::{BlockNumber, Terms},
	spec_file::blocks_for,
	Action, Chain,
};
use sp_core::sr25519;

use crate::{
	keys::address,
	rpc::send_and_wait,
	signer::{send, Signer},
};

const COMPUTE_LEASE: &str = "ComputeLease";

#[derive(clap::Args)]
pub struct RegisterArgs {
	#[command(flatten)]
	signer: Signer,
	/// Leases the machine serves at once (one slot each; a lease may take several). Default:
	/// 1, or the offer's for `update`.
	#[arg(long)]
	slots: Option<u32>,
	/// The price of one slot for an hour, in COH (needed to register).
	#[arg(long, value_name = "COH")]
	price_per_hour: Option<String>,
	/// The shortest lease it takes, in seconds. Default: ten minutes, or the offer's.
	#[arg(long, value_name = "SECONDS")]
	min_lease: Option<f64>,
	/// The longest lease it takes, in seconds. Default: a week, or the offer's.
	#[arg(long, value_name = "SECONDS")]
	max_lease: Option<f64>,
	/// The bond, in COH, committed from the key's compute-provider stake (bonding from its
	/// free balance what that lacks); a slash for a missed heartbeat or a failed challenge
	/// takes from it. Default: the least the chain takes now, or the offer's bond.
	#[arg(long, value_name = "COH")]
	bond: Option<String>,
	/// For `update`: measure the machine again and claim what it measures now. Without it the
	/// offer keeps its hardware and claimed score (a benchmark varies from run to run, and a
	/// lower claim lowers the verified score with it).
	#[arg(long)]
	remeasure: bool,
	/// Measure and price the offer, print it and its fee, and send nothing.
	#[arg(long)]
	dry_run: bool,
	/// Print one JSON object instead of lines.
	#[arg(long)]
	json: bool,
}

/// A new offer's shortest lease, in seconds.
const MIN_LEASE: f64 = 600.0;
/// A new offer's longest lease, in seconds: a week.
const MAX_LEASE: f64 = 604_800.0;

/// A command that only needs the provider's key.
#[derive(clap::Args)]
pub struct KeyArgs {
	#[command(flatten)]
	signer: Signer,
}

/// The price of one slot per block for `per_hour` a slot-hour at `block_time`, rounded down.
pub fn price_per_block(per_hour: u128, block_time: Duration) -> Result<u128, String> {
	let millis = block_time.as_millis();
	if millis == 0 {
		return Err("the chain reports no block time".into());
	}
	let per_block =
		per_hour.checked_mul(millis).ok_or("--price-per-hour is more than the chain can price")?
			/ 3_600_000;
	if per_block == 0 {
		return Err(format!(
			"--price-per-hour {} COH is less than one planck per {millis}-ms block",
			coh(per_hour)
		));
	}
	Ok(per_block)
}

/// The backends of `backends`, by name.
fn backend_names(backends: Backends) -> Vec<&'static str> {
	[(Backends::CPU, "cpu"), (Backends::WGPU, "wgpu"), (Backends::OPENCL, "opencl")]
		.into_iter()
		.filter(|(bit, _)| backends.0 & bit != 0)
		.map(|(_, name)| name)
		.collect()
}

/// The machine as the worker measures it before it offers compute.
struct Measured {
	hardware: Hardware,
	score: u32,
	backend: String,
	took: Duration,
}

/// Measures the machine: its hardware, and its benchmark with the aggregator it would use.
fn measure() -> Measured {
	let started = Instant::now();
	let aggregator = Aggregator::detect();
	let hardware = challenge::detect_hardware();
	let score = challenge::benchmark_score_with(&aggregator);
	Measured { hardware, score, backend: aggregator.backend().to_string(), took: started.elapsed() }
}

/// What `register` measured, priced and did.
struct Registration {
	who: sr25519::Public,
	hardware: Hardware,
	score: u32,
	/// The backend the benchmark ran on and how long measuring took; `None`: kept from the
	/// offer.
	measured: Option<(String, Duration)>,
	terms: Terms,
	block_time: Duration,
	fee: u128,
	registered_in: Option<BlockNumber>,
	/// An existing offer changed, not a new one.
	update: bool,
}

/// Measures the machine, prices the offer and registers it (not with `--dry-run`).
pub fn register(args: &RegisterArgs) -> Result<(), String> {
	offer(args, false)
}

/// Measures the machine again and changes the key's offer: its hardware and score as measured
/// now, and the terms given (the others as the offer has them).
pub fn update(args: &RegisterArgs) -> Result<(), String> {
	offer(args, true)
}

/// `register`, or with `update` the same for the key's existing offer.
fn offer(args: &RegisterArgs, update: bool) -> Result<(), String> {
	let per_hour = args
		.price_per_hour
		.as_deref()
		.map(parse_coh)
		.transpose()
		.map_err(|e| format!("--price-per-hour: {e}"))?;
	if per_hour.is_none() && !update {
		return Err("--price-per-hour is needed to register an offer".into());
	}
	let bond =
		args.bond.as_deref().map(parse_coh).transpose().map_err(|e| format!("--bond: {e}"))?;
	let measured = (!update || args.remeasure).then(measure);
	let (r, who) = args.signer.act(|chain, number, who| {
		// At the best block (`Signer::act`): an offer registered a moment ago counts.
		let current = chain.offer(&(*who).into()).map_err(|e| e.to_string())?;
		match (&current, update) {
			(Some(_), false) => {
				return Err(format!(
					"{} already has an offer (`offer update` changes it, `offer withdraw` takes \
					 it off the market)",
					address(who)
				))
			},
			(None, true) => return Err(format!("{} has no offer to update", address(who))),
			_ => {},
		}
		let block_time = chain.block_time();
		let lease = |flag: &str, seconds: Option<f64>, new: f64, kept: Option<BlockNumber>| match (
			seconds, kept,
		) {
			(None, Some(kept)) => Ok(kept),
			(seconds, _) => {
				blocks_for(seconds.unwrap_or(new), block_time).map_err(|e| format!("{flag}: {e}"))
			},
		};
		let (hardware, score) = match (&measured, &current) {
			(Some(m), _) => (m.hardware.clone(), m.score),
			(None, Some(offer)) => (offer.hardware.clone(), offer.claimed_score),
			(None, None) => unreachable!("measured unless an offer is updated"),
		};
		let kept = current.as_ref().map(|o| &o.terms);
		let terms = Terms {
			slots: args.slots.or(kept.map(|t| t.slots)).unwrap_or(1),
			price: match (per_hour, kept) {
				(Some(per_hour), _) => price_per_block(per_hour, block_time)?,
				(None, Some(kept)) => kept.price,
				(None, None) => unreachable!("checked above"),
			},
			min_blocks: lease(
				"--min-lease",
				args.min_lease,
				MIN_LEASE,
				kept.map(|t| t.min_blocks),
			)?,
			max_blocks: lease(
				"--max-lease",
				args.max_lease,
				MAX_LEASE,
				kept.map(|t| t.max_blocks),
			)?,
			bond: match (bond, kept) {
				(Some(bond), _) => bond,
				(None, Some(kept)) => kept.bond,
				(None, None) => chain.min_offer_bond().map_err(|e| e.to_string())?,
			},
		};
		let call = if update {
			EncodedCall {
				pallet: COMPUTE_LEASE,
				call: "update_offer",
				args: (&hardware, score, &terms).encode(),
			}
		} else {
			Action::RegisterOffer {
				hardware: hardware.clone(),
				claimed_score: score,
				terms: terms.clone(),
			}
			.encode_call()
		};
		let signed = chain.sign(who, &call).map_err(|e| e.to_string())?;
		let fee = chain.fee(&signed).map_err(|e| e.to_string())?;
		let registered_in = if args.dry_run {
			None
		} else {
			Some(
				send_and_wait(chain, number, &signed, &format!("{}.{}", call.pallet, call.call))?.0,
			)
		};
		Ok(Registration {
			who: *who,
			hardware,
			score,
			measured: measured.as_ref().map(|m| (m.backend.clone(), m.took)),
			terms,
			block_time,
			fee,
			registered_in,
			update,
		})
	})?;
	debug_assert_eq!(r.who, who);
	if args.json {
		println!("{}", registration_json(&r));
	} else {
		print!("{}", registration_text(&r));
	}
	Ok(())
}

fn registration_text(r: &Registration) -> String {
	let h = &r.hardware;
	let gpus: Vec<String> = h
		.gpus
		.iter()
		.map(|g| format!("{} ({} MiB)", String::from_utf8_lossy(&g.model), g.memory_mib))
		.collect();
	let t = &r.terms;
	let block_ms = r.block_time.as_millis();
	let mut out = format!(
		"{who}: {cores} cores, {memory} MiB, GPUs: {gpus}; backends: {backends}\n\
		 benchmark score {score} ({measured})\n\
		 offer: {slots} slot(s) at {per_block} COH per slot per {block_ms}-ms block ({per_hour} \
		 COH per slot-hour), leases of {min} to {max} blocks, bonding {bond} COH\n\
		 fee: {fee} COH\n",
		who = address(&r.who),
		cores = h.cores,
		memory = h.memory_mib,
		gpus = if gpus.is_empty() { "none".into() } else { gpus.join(", ") },
		backends = backend_names(h.backends).join(", "),
		score = r.score,
		measured = match &r.measured {
			Some((backend, took)) => format!(
				"thousand values aggregated per second on {backend}, measured in {:.1} s",
				took.as_secs_f32()
			),
			None => "as the offer claimed it; `--remeasure` measures again".into(),
		},
		slots = t.slots,
		per_block = coh(t.price),
		per_hour = coh(t.price * 3_600_000 / block_ms.max(1)),
		min = t.min_blocks,
		max = t.max_blocks,
		bond = coh(t.bond),
		fee = coh(r.fee),
	);
	match r.registered_in {
		Some(block) if r.update => out.push_str(&format!(
			"updated in block #{block}: running leases keep their price and length.\n"
		)),
		Some(block) => out.push_str(&format!(
			"registered in block #{block}. Keep `cohort-worker` running with this key: it sends \
			 the heartbeats leases need and answers the challenges that verify the score.\n"
		)),
		None => out.push_str("dry run: nothing sent.\n"),
	}
	out
}

fn registration_json(r: &Registration) -> String {
	let h = &r.hardware;
	let t = &r.terms;
	let mut value = serde_json::json!({
		"who": address(&r.who),
		"hardware": {
			"cores": h.cores,
			"memoryMib": h.memory_mib,
			"gpus": h.gpus.iter().map(|g| serde_json::json!({
				"model": String::from_utf8_lossy(&g.model),
				"memoryMib": g.memory_mib,
			})).collect::<Vec<_>>(),
			"backends": backend_names(h.backends),
		},
		"claimedScore": r.score,
		"remeasured": r.measured.is_some(),
		"blockTimeMillis": r.block_time.as_millis() as u64,
		"slots": t.slots,
		// Strings: amounts of 12 decimals overflow JSON's doubles.
		"pricePerBlock": t.price.to_string(),
		"minBlocks": t.min_blocks,
		"maxBlocks": t.max_blocks,
		"bond": t.bond.to_string(),
		"fee": r.fee.to_string(),
	});
	if let Some(block) = r.registered_in {
		value[if r.update { "updatedIn" } else { "registeredIn" }] = block.into();
	}
	value.to_string()
}

/// Sends `compute_lease.<call>()` signed by the key: `pause_offer`, `resume_offer`.
fn switch(args: &KeyArgs, call: &'static str) -> Result<(BlockNumber, sr25519::Public), String> {
	args.signer.act(|chain, number, who| {
		let call = EncodedCall { pallet: COMPUTE_LEASE, call, args: Vec::new() };
		Ok(send(chain, number, who, call)?.0)
	})
}

/// Pauses the key's offer: no new lease; running ones go on.
pub fn pause(args: &KeyArgs) -> Result<(), String> {
	let (block, who) = switch(args, "pause_offer")?;
	println!(
		"{} paused its offer in block #{block}: it takes no new lease; running ones go on.",
		address(&who)
	);
	Ok(())
}

/// Resumes the key's paused offer.
pub fn resume(args: &KeyArgs) -> Result<(), String> {
	let (block, who) = switch(args, "resume_offer")?;
	println!("{} resumed its offer in block #{block}.", address(&who));
	Ok(())
}

/// Withdraws the key's offer, saying whether its bond is released now or once its leases (or a
/// challenge it is in) have ended.
pub fn withdraw(args: &KeyArgs) -> Result<(), String> {
	let ((block, released), who) = args.signer.act(|chain, number, who| {
		let call = EncodedCall { pallet: COMPUTE_LEASE, call: "withdraw_offer", args: Vec::new() };
		let (block, hash) = send(chain, number, who, call)?;
		// `OfferWithdrawn { worker, bond }`, when nothing held the offer back.
		let released = chain
			.event_of::<([u8; 32], u128)>(block, hash, COMPUTE_LEASE, "OfferWithdrawn")?
			.map(|(_, bond)| bond);
		Ok((block, released))
	})?;
	match released {
		Some(bond) => println!(
			"{} withdrew its offer in block #{block}: it is gone, and its bond of {} COH is \
			 released (still bonded as compute-provider stake: `stake unbond` frees it).",
			address(&who),
			coh(bond)
		),
		None => println!(
			"{} withdrew its offer in block #{block}: it takes no new lease; its bond is \
			 released once its running leases and challenges have ended (keep the worker \
			 running until then).",
			address(&who)
		),
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	const COH: u128 = 1_000_000_000_000;

	#[test]
	fn an_hour_is_priced_per_block_at_the_chains_block_time_rounded_down() {
		assert_eq!(price_per_block(COH, Duration::from_secs(6)), Ok(COH / 600));
		// 1 COH / 1800 blocks is 555,555,555.5… planck: rounded down, so an hour of blocks
		// never costs more than the hour's price, and less by under a planck a block.
		let per_block = price_per_block(COH, Duration::from_secs(2)).unwrap();
		assert_eq!(per_block, 555_555_555);
		assert!(per_block * 1800 <= COH && COH - per_block * 1800 < 1800);
	}

	#[test]
	fn a_price_the_chain_cannot_charge_is_refused() {
		// Under a planck a block.
		assert!(price_per_block(1799, Duration::from_secs(2))
			.unwrap_err()
			.contains("less than one planck"));
		assert_eq!(price_per_block(1800, Duration::from_secs(2)), Ok(1));
		assert!(price_per_block(u128::MAX, Duration::from_secs(6)).is_err());
		assert!(price_per_block(COH, Duration::ZERO).is_err());
	}

	#[test]
	fn backends_are_named() {
		assert_eq!(backend_names(Backends(Backends::CPU | Backends::OPENCL)), ["cpu", "opencl"]);
		assert_eq!(backend_names(Backends(Backends::ALL)), ["cpu", "wgpu", "opencl"]);
	}
}
