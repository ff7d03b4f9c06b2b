//! `cohort-worker lease new | settle | end`: leasing a provider's machine.
//!
//! `new` leases slots of a worker's offer for a length in seconds (whole blocks, rounded up) at
//! the offer's price — and no higher: the price read at the node's best block is the most the
//! chain may charge (`max_price`), so a price raised in the meantime makes the chain refuse the
//! lease instead of charging more (`--max-price-per-hour` sets another ceiling). The whole price
//! is held from the consumer in escrow; the leased worker then serves the consumer's tasks.
//! `settle` pays the worker for the blocks served so far (anyone may call it; the worker does,
//! to be paid before the lease ends); `end` ends the consumer's lease now and returns the rest
//! of the escrow.

use codec::Encode;
use cohort_primitives::compute::LeaseId;
use cohort_worker::{
	amount::{coh, parse_coh},
	call::EncodedCall,
	spec_file::blocks_for,
	Chain,
};
use sp_core::{crypto::Ss58Codec, sr25519};

use crate::{
	keys::address,
	offer::price_per_block,
	signer::{send, Signer},
};

const COMPUTE_LEASE: &str = "ComputeLease";

#[derive(clap::Args)]
pub struct NewArgs {
	#[command(flatten)]
	signer: Signer,
	/// The worker whose offer to lease (its SS58 address).
	#[arg(long, value_name = "ADDRESS")]
	worker: String,
	/// Slots to lease.
	#[arg(long, default_value_t = 1)]
	slots: u32,
	/// For how long, in seconds.
	#[arg(long, value_name = "SECONDS")]
	seconds: f64,
	/// The most to pay per slot-hour, in COH (default: the offer's price now).
	#[arg(long, value_name = "COH")]
	max_price_per_hour: Option<String>,
}

#[derive(clap::Args)]
pub struct LeaseArgs {
	#[command(flatten)]
	signer: Signer,
	/// The lease (`lease new` printed it).
	#[arg(long, value_name = "ID")]
	lease: LeaseId,
}

/// Leases the worker's slots, printing the lease's id, end and escrow.
pub fn new(args: &NewArgs) -> Result<(), String> {
	let worker = sr25519::Public::from_ss58check(&args.worker)
		.map_err(|e| format!("--worker {}: {e:?}", args.worker))?;
	let ceiling = args
		.max_price_per_hour
		.as_deref()
		.map(parse_coh)
		.transpose()
		.map_err(|e| format!("--max-price-per-hour: {e}"))?;
	let ((lease, price, end, escrow, block), who) = args.signer.act(|chain, number, who| {
		// At the best block (`Signer::act`): an offer registered or repriced a moment ago counts.
		let offer = chain
			.offer(&worker.into())
			.map_err(|e| e.to_string())?
			.ok_or(format!("{} has no offer", args.worker))?;
		let block_time = chain.block_time();
		let max_price = match ceiling {
			Some(per_hour) => price_per_block(per_hour, block_time)?,
			None => offer.terms.price,
		};
		let blocks = blocks_for(args.seconds, block_time).map_err(|e| format!("--seconds: {e}"))?;
		let call = EncodedCall {
			pallet: COMPUTE_LEASE,
			call: "lease",
			args: (worker.0, args.slots, blocks, max_price).encode(),
		};
		let (block, hash) = send(chain, number, who, call)?;
		// `LeaseStarted { lease, worker, consumer, slots, price, end, escrow }`.
		let (lease, _, _, _, price, end, escrow) =
			chain.event::<(LeaseId, [u8; 32], [u8; 32], u32, u128, u32, u128)>(
				block,
				hash,
				COMPUTE_LEASE,
				"LeaseStarted",
			)?;
		Ok((lease, price, end, escrow, block))
	})?;
	println!(
		"{} leased {} slot(s) of {} as lease {lease} in block #{block}, until block #{end}, at {} \
		 COH per slot per block; {} COH held in escrow.",
		address(&who),
		args.slots,
		args.worker,
		coh(price),
		coh(escrow)
	);
	Ok(())
}

/// Pays the lease's worker for the blocks served so far.
pub fn settle(args: &LeaseArgs) -> Result<(), String> {
	let ((amount, paid_until, block), _) = args.signer.act(|chain, number, who| {
		let call = EncodedCall { pallet: COMPUTE_LEASE, call: "settle", args: args.lease.encode() };
		let (block, hash) = send(chain, number, who, call)?;
		// `Settled { lease, worker, amount, paid_until }`.
		let (_, _, amount, paid_until) =
			chain.event::<(LeaseId, [u8; 32], u128, u32)>(block, hash, COMPUTE_LEASE, "Settled")?;
		Ok((amount, paid_until, block))
	})?;
	println!(
		"lease {} settled in block #{block}: its worker was paid {} COH, for the blocks before \
		 #{paid_until}.",
		args.lease,
		coh(amount)
	);
	Ok(())
}

/// Ends the consumer's lease now.
pub fn end(args: &LeaseArgs) -> Result<(), String> {
	let ((paid, refunded, block), _) = args.signer.act(|chain, number, who| {
		let call =
			EncodedCall { pallet: COMPUTE_LEASE, call: "end_lease", args: args.lease.encode() };
		let (block, hash) = send(chain, number, who, call)?;
		// `LeaseEnded { lease, reason, paid, refunded }` (`reason` is one byte).
		let (_, _, paid, refunded) =
			chain.event::<(LeaseId, u8, u128, u128)>(block, hash, COMPUTE_LEASE, "LeaseEnded")?;
		Ok((paid, refunded, block))
	})?;
	println!(
		"lease {} ended in block #{block}: its worker was paid {} COH, {} COH of the escrow came \
		 back.",
		args.lease,
		coh(paid),
		coh(refunded)
	);
	Ok(())
}
