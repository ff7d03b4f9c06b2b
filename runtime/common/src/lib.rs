//! What Cohort's two runtimes share, so that each thing is configured once.
//!
//! The solochain runtime (`cohort-runtime`: Aura + GRANDPA, run by `cohort-node`) and the
//! parachain runtime (`cohort-parachain-runtime`: cumulus, run by the polkadot omni-node) differ
//! only in consensus and in what a parachain needs (XCM, collators, the relay chain's inherent).
//! Everything else lives here: the account, balance and block types, the token, the block
//! limits, fees, the configuration of every Cohort pallet ([`impl_cohort_pallets!`]), the
//! runtime APIs that do not depend on consensus ([`impl_runtime_apis_with_cohort!`]) and the
//! development chains' genesis ([`genesis`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod fees;
pub mod genesis;
mod pallets;
mod runtime_apis;

pub use pallets::*;

use frame_support::{
	dispatch::DispatchClass,
	weights::{constants::WEIGHT_REF_TIME_PER_SECOND, Weight},
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature, Perbill,
};

/// Block number, counted from genesis.
pub type BlockNumber = u32;
/// The signature scheme of transactions.
pub type Signature = MultiSignature;
/// An account: the public key of the transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// A balance of COH in its smallest unit (1 COH = 10^12 units).
pub type Balance = u128;
/// A transaction counter of an account.
pub type Nonce = u32;
/// The hash of blocks, states and extrinsics.
pub type Hash = sp_core::H256;
/// The address format of extrinsics.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// The native token's symbol, as wallets show it.
pub const TOKEN_SYMBOL: &str = "COH";
/// The native token's decimals: 1 COH = 10^12 units.
pub const TOKEN_DECIMALS: u8 = 12;
/// The SS58 address prefix: 42, the generic Substrate prefix, until Cohort registers its own.
pub const SS58_PREFIX: u16 = 42;

/// One COH.
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of a COH.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// A millionth of a COH.
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
/// The smallest balance an account may hold; below it the account is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// The block time of a production chain (Aura produces one block per slot of this length).
/// A chain's genesis preset may ask for a shorter one (`pallet_block_time`): the solochain's
/// development and test presets do.
pub const MILLISECS_PER_BLOCK: u64 = 6000;
/// The shortest block time a genesis preset may ask for.
pub const MIN_MILLISECS_PER_BLOCK: u64 = 1000;
/// The block time of the solochain's development and test presets: a demo round and the
/// end-to-end tests wait a third as long as with production blocks.
pub const TEST_MILLISECS_PER_BLOCK: u64 = 2000;
/// Blocks per minute, hour and day at the production block time, for parameters expressed in
/// time. They are block counts: on a test chain with shorter blocks they pass faster.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// Three quarters of each block are for normal transactions; the rest is kept for operational
/// ones (e.g. a runtime upgrade) so that they always fit.
pub const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Two seconds of execution per block, and at most `max_proof_size` bytes of proof: unbounded
/// on the solochain, the relay chain's limit on a parachain's proof of validity on the
/// parachain. Fees ([`fees`]) are priced against the normal class's share of the two seconds.
pub fn block_weights(max_proof_size: u64) -> BlockWeights {
	BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, max_proof_size),
		NORMAL_DISPATCH_RATIO,
	)
}

/// Five MiB per block: model updates and aggregates travel in block bodies.
pub fn block_length() -> BlockLength {
	BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build()
}

/// Selection randomness: BLAKE2-256 of the subject and the parent block's hash. The parent
/// block's author can re-roll it by withholding the block; see `docs/federated.md` for the
/// limits and what a deployment should use instead.
pub struct ParentHashRandomness<R>(core::marker::PhantomData<R>);
impl<R: frame_system::Config>
	frame_support::traits::Randomness<R::Hash, frame_system::pallet_prelude::BlockNumberFor<R>>
	for ParentHashRandomness<R>
{
	fn random(subject: &[u8]) -> (R::Hash, frame_system::pallet_prelude::BlockNumberFor<R>) {
		use sp_runtime::traits::{Hash as _, One, Saturating};
		let parent = frame_system::Pallet::<R>::parent_hash();
		let block = frame_system::Pallet::<R>::block_number();
		(R::Hashing::hash_of(&(subject, parent)), block.saturating_sub(One::one()))
	}
}

/// Re-exported for the macros, so that a runtime need not name these crates itself.
#[doc(hidden)]
pub mod reexport {
	pub use frame_support;
	pub use sp_runtime;
}
