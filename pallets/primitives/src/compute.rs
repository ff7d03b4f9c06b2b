//! Compute leases as the pallet, the runtime API, the node's worker and clients see them: what a
//! worker's hardware is, what an offer asks, what a consumer requires, and the challenge a worker
//! answers to show that it computes what it claims.
//!
//! A **challenge** is a seeded, deterministic integer workload: [`CHALLENGE_UPDATES`] updates of
//! `size` values each, drawn from the seed, aggregated with the engine's integer weighted mean;
//! the answer is the BLAKE2-256 hash of the aggregate's bytes (the ML worker's
//! `cohort_ml::challenge` defines the workload; the chain only stores the seed, the size and the
//! answers). A worker's **score** is the number of values per second (thousands) it aggregates
//! so: the chain sizes a challenge so that a worker as fast as it claims computes it in one
//! block's time.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// A challenge, numbered from 0.
pub type ChallengeId = u32;
/// A lease, numbered from 0.
pub type LeaseId = u64;
/// A consumer's request for compute, numbered from 0.
pub type RequestId = u64;

/// Updates a challenge aggregates.
pub const CHALLENGE_UPDATES: u32 = 8;
/// The largest challenge, in values per update (32 MiB of updates).
pub const MAX_CHALLENGE_SIZE: u32 = 1 << 20;
/// Tag of a challenge answer's commitment.
pub const CHALLENGE_TAG: [u8; 4] = *b"COHC";

/// The most GPUs an offer describes.
pub type MaxGpus = ConstU32<8>;
/// The longest GPU model name, in bytes.
pub type MaxGpuModelLen = ConstU32<64>;

/// Backends a worker runs, as bits.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Debug,
	TypeInfo,
)]
pub struct Backends(pub u8);

impl Backends {
	/// Training and aggregation on the CPU.
	pub const CPU: u8 = 1;
	/// Training on a GPU through wgpu (Vulkan, Metal, DX12).
	pub const WGPU: u8 = 2;
	/// Aggregation through OpenCL.
	pub const OPENCL: u8 = 4;
	/// Every backend the chain knows.
	pub const ALL: u8 = Self::CPU | Self::WGPU | Self::OPENCL;

	/// Whether every backend of `required` is here.
	pub fn covers(self, required: Backends) -> bool {
		self.0 & required.0 == required.0
	}

	/// Whether only known backends are named, and at least one.
	pub fn is_valid(self) -> bool {
		self.0 != 0 && self.0 & !Self::ALL == 0
	}
}

/// A GPU, as the worker detects it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct Gpu {
	/// The device's name as its driver reports it (UTF-8).
	pub model: BoundedVec<u8, MaxGpuModelLen>,
	/// Its memory, in MiB.
	pub memory_mib: u32,
}

/// A worker's hardware, as it detects it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct Hardware {
	/// CPU cores.
	pub cores: u16,
	/// Memory, in MiB.
	pub memory_mib: u32,
	pub gpus: BoundedVec<Gpu, MaxGpus>,
	pub backends: Backends,
}

/// What an offer asks: capacity, price, lease lengths and the stake it commits.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct OfferTerms<Balance, BlockNumber> {
	/// Leases it serves at once, one slot each (a lease may take several).
	pub slots: u32,
	/// Price per slot per block.
	pub price: Balance,
	/// The shortest lease, in blocks.
	pub min_blocks: BlockNumber,
	/// The longest lease, in blocks.
	pub max_blocks: BlockNumber,
	/// Stake committed (compute-provider role) while the offer stands: what slashes take.
	pub bond: Balance,
}

/// What a consumer's request requires of an offer.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct Requirements<Balance, BlockNumber> {
	/// Backends the worker must run.
	pub backends: Backends,
	/// The least memory, in MiB.
	pub min_memory_mib: u32,
	/// The least *verified* score (a challenge measured it).
	pub min_score: u32,
	/// The most it pays per slot per block.
	pub max_price: Balance,
	/// Slots wanted.
	pub slots: u32,
	/// Blocks wanted.
	pub blocks: BlockNumber,
}

/// Whether an offer takes new leases.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
)]
pub enum OfferStatus {
	/// Takes leases.
	Active,
	/// Serves its running leases, takes no new ones, until resumed.
	Paused,
	/// Serves its running leases, then goes, releasing its bond.
	Withdrawing,
}

/// A worker's offer, keyed on chain by the worker's account (which signs heartbeats and
/// challenge answers, commits the bond and is paid).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct Offer<Balance, BlockNumber> {
	pub hardware: Hardware,
	/// What the worker's own benchmark measured, in thousands of values aggregated per second.
	pub claimed_score: u32,
	/// What the last challenge measured (at most the claim); `Some(0)` after a failed one;
	/// `None` before any.
	pub verified_score: Option<u32>,
	pub terms: OfferTerms<Balance, BlockNumber>,
	/// Slots that running leases take.
	pub leased_slots: u32,
	pub status: OfferStatus,
	/// The block of its last heartbeat.
	pub last_heartbeat: BlockNumber,
	/// The challenge it must answer, while one is open.
	pub challenge: Option<ChallengeId>,
	/// Open challenges it was drawn to verify: it cannot withdraw (and take its bond out of
	/// reach of the slash for not revealing) until they are decided.
	pub verifying: u32,
}

/// A lease: `slots` of `worker`'s offer for `consumer`, from `start` to `end`, paid per block
/// from the consumer's escrow. What is still held is `slots × price × (end − paid_until)`.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
)]
pub struct Lease<AccountId, Balance, BlockNumber> {
	pub worker: AccountId,
	pub consumer: AccountId,
	pub slots: u32,
	/// Price per slot per block, fixed when the lease began.
	pub price: Balance,
	pub start: BlockNumber,
	/// The block at which it ends by itself.
	pub end: BlockNumber,
	/// Blocks before this one are paid to the worker.
	pub paid_until: BlockNumber,
}

/// One thing a compute worker must do now (the `ComputeLeaseApi::compute_duties` runtime API).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub enum ComputeDuty<AccountId, BlockNumber> {
	/// Send a heartbeat before block `due` (it has running leases).
	Heartbeat { due: BlockNumber },
	/// Compute challenge `id` (the workload of `seed` and `size`) and commit
	/// `challenge_commitment(who, id, answer, salt)` before the end of block `commit_by`. The
	/// challenged worker's own, or a verifier's: the same work.
	AnswerChallenge { id: ChallengeId, seed: H256, size: u32, commit_by: BlockNumber },
	/// Reveal the answer and salt behind `commitment` before the end of block `reveal_by`.
	RevealChallenge { id: ChallengeId, commitment: H256, reveal_by: BlockNumber },
	/// Serve `consumer` under lease `lease` until block `until`: aggregate its tasks, train on
	/// the datasets it authorises. The blocks before `paid_until` are paid (`settle` pays the
	/// rest served so far).
	Serve { lease: LeaseId, consumer: AccountId, until: BlockNumber, paid_until: BlockNumber },
}

/// The size of the challenge for a worker claiming `score` (thousands of values per second):
/// what it should aggregate in `millis`, at least one value, at most [`MAX_CHALLENGE_SIZE`].
pub fn challenge_size(score: u32, millis: u64) -> u32 {
	let values = u64::from(score).saturating_mul(millis) / u64::from(CHALLENGE_UPDATES);
	values.clamp(1, u64::from(MAX_CHALLENGE_SIZE)) as u32
}

/// The score a challenge of `size` shows when answered in `millis` (at least one): thousands
/// of values per second.
pub fn measured_score(size: u32, millis: u64) -> u32 {
	let values = u64::from(size) * u64::from(CHALLENGE_UPDATES);
	(values / millis.max(1)).min(u64::from(u32::MAX)) as u32
}

/// The commitment `who` makes to `answer` of challenge `id`:
/// BLAKE2-256 of `"COHC" ++ account ++ id ++ answer ++ salt`, SCALE-encoded.
pub fn challenge_commitment<AccountId: Encode>(
	who: &AccountId,
	id: ChallengeId,
	answer: &H256,
	salt: &[u8; 32],
) -> H256 {
	BlakeTwo256::hash(&(CHALLENGE_TAG, who, id, answer, salt).encode())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sizes_follow_claimed_scores_within_bounds() {
		assert_eq!(challenge_size(0, 6_000), 1);
		// 4 000 values a second for 2 s over 8 updates: 1 000 values each.
		assert_eq!(challenge_size(4, 2_000), 1_000);
		assert_eq!(challenge_size(u32::MAX, 6_000), MAX_CHALLENGE_SIZE);
		// Answered in exactly the time a challenge is sized for, a worker shows its claim.
		assert_eq!(measured_score(challenge_size(100, 6_000), 6_000), 100);
		assert_eq!(measured_score(1_000, 4_000), 2);
		assert_eq!(measured_score(1_000, 0), 8_000);
	}

	#[test]
	fn backends_cover_what_is_required() {
		let cpu_cl = Backends(Backends::CPU | Backends::OPENCL);
		assert!(cpu_cl.covers(Backends(Backends::CPU)));
		assert!(cpu_cl.covers(Backends(0)));
		assert!(!cpu_cl.covers(Backends(Backends::WGPU)));
		assert!(cpu_cl.is_valid());
		assert!(!Backends(0).is_valid());
		assert!(!Backends(8).is_valid());
	}

	#[test]
	fn commitments_bind_author_challenge_answer_and_salt() {
		let base = challenge_commitment(&[1u8; 32], 2, &H256::repeat_byte(3), &[4; 32]);
		assert_ne!(base, challenge_commitment(&[9u8; 32], 2, &H256::repeat_byte(3), &[4; 32]));
		assert_ne!(base, challenge_commitment(&[1u8; 32], 9, &H256::repeat_byte(3), &[4; 32]));
		assert_ne!(base, challenge_commitment(&[1u8; 32], 2, &H256::repeat_byte(9), &[4; 32]));
		assert_ne!(base, challenge_commitment(&[1u8; 32], 2, &H256::repeat_byte(3), &[9; 32]));
	}
}
