//! `cohort-worker stake bond | unbond | rebond | withdraw`: the key's stake in one role, which
//! backs its task bonds (trainer, aggregator), its datasets (data owner) and its offer (compute
//! provider). Bonding takes free balance; unbonding starts the chain's unbonding period, after
//! which `withdraw` frees what has unlocked; `rebond` takes unbonding stake back. Stake
//! committed to a duty (a task joined, an offer) cannot be unbonded: leave the task or withdraw
//! the offer first. Each command prints the role's stake as the chain has it afterwards.

use codec::Encode;
use cohort_primitives::traits::Role;
use cohort_worker::{
	amount::{coh, parse_coh},
	call::EncodedCall,
};
use sp_core::sr25519;

use crate::{
	keys::address,
	signer::{send, Signer},
};

const INCENTIVES: &str = "Incentives";

/// A role, as the command line names it.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
	Trainer,
	Aggregator,
	DataOwner,
	ComputeProvider,
}

impl From<RoleArg> for Role {
	fn from(role: RoleArg) -> Self {
		match role {
			RoleArg::Trainer => Role::Trainer,
			RoleArg::Aggregator => Role::Aggregator,
			RoleArg::DataOwner => Role::DataOwner,
			RoleArg::ComputeProvider => Role::ComputeProvider,
		}
	}
}

#[derive(clap::Args)]
pub struct AmountArgs {
	#[command(flatten)]
	signer: Signer,
	/// The role whose stake it is.
	#[arg(long, value_enum)]
	role: RoleArg,
	/// How much, in COH.
	#[arg(long, value_name = "COH")]
	amount: String,
}

#[derive(clap::Args)]
pub struct WithdrawArgs {
	#[command(flatten)]
	signer: Signer,
	/// The role whose unlocked stake to free.
	#[arg(long, value_enum)]
	role: RoleArg,
}

/// What one stake call did: its block, the amount its event names and, for `unbond`, the
/// block from which it can be withdrawn.
struct Done {
	block: u32,
	amount: u128,
	unlocks_at: Option<u32>,
	/// The role's stake afterwards: bonded, committed, unbonding.
	active: u128,
	committed: u128,
	unlocking: u128,
}

/// Sends `incentives.<call>(args)` and reads back its `event` (`{ who, role, amount, .. }`) and
/// the role's stake after it.
fn stake_call(
	signer: &Signer,
	role: Role,
	call: &'static str,
	args: Vec<u8>,
	event: &str,
) -> Result<(Done, sr25519::Public), String> {
	signer.act(|chain, number, who| {
		let (block, hash) =
			send(chain, number, who, EncodedCall { pallet: INCENTIVES, call, args })?;
		// `{ who, role, amount }`, and `unlocks_at` after them in `Unbonding`.
		let (amount, unlocks_at) = if event == "Unbonding" {
			let (_, _, amount, unlocks_at) =
				chain.event::<([u8; 32], Role, u128, u32)>(block, hash, INCENTIVES, event)?;
			(amount, Some(unlocks_at))
		} else {
			let (_, _, amount) =
				chain.event::<([u8; 32], Role, u128)>(block, hash, INCENTIVES, event)?;
			(amount, None)
		};
		// The stake as of the block that holds the call (the finalized head may lag it).
		let stake = chain
			.at_number(block)
			.and_then(|at| at.stake(&(*who).into()))
			.map_err(|e| e.to_string())?;
		let row = stake.into_iter().find(|s| s.role == role);
		let (active, committed, unlocking) =
			row.map_or((0, 0, 0), |s| (s.active, s.committed, s.unlocking));
		Ok(Done { block, amount, unlocks_at, active, committed, unlocking })
	})
}

fn amount(args: &AmountArgs) -> Result<u128, String> {
	parse_coh(&args.amount).map_err(|e| format!("--amount: {e}"))
}

fn report(role: Role, what: &str, (done, who): (Done, sr25519::Public)) -> Result<(), String> {
	println!(
		"{} {what} {} COH as {role:?} in block #{}{}; its {role:?} stake is now {} COH bonded \
		 ({} committed to duties), {} COH unbonding.",
		address(&who),
		coh(done.amount),
		done.block,
		done.unlocks_at
			.map(|at| format!(" (it can be withdrawn from block #{at})"))
			.unwrap_or_default(),
		coh(done.active),
		coh(done.committed),
		coh(done.unlocking),
	);
	Ok(())
}

/// Bonds free balance as stake for the role.
pub fn bond(args: &AmountArgs) -> Result<(), String> {
	let role = Role::from(args.role);
	let call = (role, codec::Compact(amount(args)?)).encode();
	report(role, "bonded", stake_call(&args.signer, role, "bond", call, "Bonded")?)
}

/// Starts unbonding stake of the role that no duty holds.
pub fn unbond(args: &AmountArgs) -> Result<(), String> {
	let role = Role::from(args.role);
	let call = (role, codec::Compact(amount(args)?)).encode();
	report(role, "started unbonding", stake_call(&args.signer, role, "unbond", call, "Unbonding")?)
}

/// Bonds unbonding stake of the role again.
pub fn rebond(args: &AmountArgs) -> Result<(), String> {
	let role = Role::from(args.role);
	let call = (role, codec::Compact(amount(args)?)).encode();
	report(role, "bonded again", stake_call(&args.signer, role, "rebond", call, "Rebonded")?)
}

/// Frees the role's stake that has finished unbonding.
pub fn withdraw(args: &WithdrawArgs) -> Result<(), String> {
	let role = Role::from(args.role);
	report(
		role,
		"withdrew",
		stake_call(&args.signer, role, "withdraw_unbonded", role.encode(), "Withdrawn")?,
	)
}
