//! Transaction fees: what block space costs, how the price follows load, and where fees go.
//!
//! A block's normal class has room for 1.5 s of execution and 3.75 MiB of bytes. A
//! transaction pays for its weight and for its length; the byte price is set so that a block
//! full of bytes costs what a block full of execution does, because either displaces the same
//! block. The weight part is multiplied by a fee multiplier that rises while blocks are more
//! than a quarter full and never falls below one, so that the cost of filling a block is never
//! below [`FULL_BLOCK_FEE`]. See `docs/economics.md` for the arithmetic against slashes.

use crate::Balance;
use core::marker::PhantomData;
use frame_support::{
	traits::{
		fungible::{Balanced, Credit},
		tokens::imbalance::ResolveTo,
		Imbalance, OnUnbalanced, TypedGet,
	},
	weights::{Weight, WeightToFee as WeightToFeeT},
};
use sp_runtime::{
	traits::{Bounded, One},
	FixedPointNumber, Perquintill,
};

/// A picosecond of execution costs this many plancks (10⁻¹² COH): with its bytes and
/// extensions, a signed transfer costs about 0.0055 COH.
pub const FEE_PER_PICOSECOND: Balance = 10;

/// The normal class's share of a block's execution time, in picoseconds.
pub const NORMAL_BLOCK_PICOSECONDS: u64 = 1_500_000_000_000;

/// The normal class's share of a block's bytes (three quarters of 5 MiB).
pub const NORMAL_BLOCK_BYTES: u32 = 3 * 5 * 1024 * 1024 / 4;

/// What filling a block's normal class costs at the lowest fee multiplier, by weight or by
/// bytes alike: 15 COH.
pub const FULL_BLOCK_FEE: Balance = NORMAL_BLOCK_PICOSECONDS as Balance * FEE_PER_PICOSECOND;

/// A byte of transaction costs what its share of a full block's execution would: about
/// 3.8 µCOH, so that a 1 MiB model update pays 4 COH to travel in a block body.
pub const FEE_PER_BYTE: Balance = FULL_BLOCK_FEE / NORMAL_BLOCK_BYTES as Balance;

/// Execution time to fee, at [`FEE_PER_PICOSECOND`].
pub struct WeightToFee;
impl WeightToFeeT for WeightToFee {
	type Balance = Balance;
	fn weight_to_fee(weight: &Weight) -> Balance {
		Balance::from(weight.ref_time()).saturating_mul(FEE_PER_PICOSECOND)
	}
}

frame_support::parameter_types! {
	pub const TransactionByteFee: Balance = FEE_PER_BYTE;
	/// The multiplier stays put while blocks are a quarter full, and moves with the distance.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// About +0.2 % per full block: it doubles after some 300 full blocks (half an hour) of
	/// sustained load, and falls back as slowly.
	pub AdjustmentVariable: pallet_transaction_payment::Multiplier =
		pallet_transaction_payment::Multiplier::saturating_from_rational(3, 1_000);
	/// Never below one: block space never costs less than [`FULL_BLOCK_FEE`] a block, whatever
	/// the load was before.
	pub MinimumMultiplier: pallet_transaction_payment::Multiplier =
		pallet_transaction_payment::Multiplier::one();
	pub MaximumMultiplier: pallet_transaction_payment::Multiplier = Bounded::max_value();
}

/// FRAME's targeted fee adjustment with the parameters above.
pub type FeeMultiplierUpdate<R> = pallet_transaction_payment::TargetedFeeAdjustment<
	R,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

/// The block author's part of each fee (tips go to the author in full): enough to make
/// including transactions worth it, small enough that an author filling its own blocks still
/// pays 80 % of the price.
pub const AUTHOR_PERCENT: u32 = 20;

/// Splits fees between the treasury and the block author (as `pallet_authorship` knows it),
/// and gives the author the tips.
pub struct DealWithFees<R, Treasury>(PhantomData<(R, Treasury)>);
impl<R, Treasury> OnUnbalanced<Credit<R::AccountId, pallet_balances::Pallet<R>>>
	for DealWithFees<R, Treasury>
where
	R: pallet_balances::Config + pallet_authorship::Config,
	Treasury: TypedGet<Type = R::AccountId>,
{
	fn on_unbalanceds(
		mut fees_then_tips: impl Iterator<Item = Credit<R::AccountId, pallet_balances::Pallet<R>>>,
	) {
		let Some(fees) = fees_then_tips.next() else { return };
		let (to_author, to_treasury) = fees.ration(AUTHOR_PERCENT, 100 - AUTHOR_PERCENT);
		let to_author = fees_then_tips.fold(to_author, |sum, tip| sum.merge(tip));
		ResolveTo::<Treasury, pallet_balances::Pallet<R>>::on_unbalanced(to_treasury);
		// An author that cannot receive (no author known, or an account the amount cannot
		// create) leaves its part to the treasury: fees are never burned.
		let to_author = match pallet_authorship::Pallet::<R>::author() {
			Some(author) => pallet_balances::Pallet::<R>::resolve(&author, to_author).err(),
			None => Some(to_author),
		};
		if let Some(rest) = to_author {
			ResolveTo::<Treasury, pallet_balances::Pallet<R>>::on_unbalanced(rest);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::dispatch::DispatchClass;

	#[test]
	fn the_constants_match_the_block_limits() {
		// Both runtimes: the solochain's proof size is unbounded, the parachain's is the relay
		// chain's limit; execution and bytes are the same.
		for max_proof_size in [u64::MAX, 10 * 1024 * 1024] {
			let weights = crate::block_weights(max_proof_size);
			let normal = weights.get(DispatchClass::Normal);
			let ref_time = normal.max_total.unwrap_or(weights.max_block).ref_time();
			// The extrinsic base weight is reserved out of max_total, so the normal class's
			// room is at most the constant.
			assert!(ref_time <= NORMAL_BLOCK_PICOSECONDS);
			assert!(ref_time >= NORMAL_BLOCK_PICOSECONDS * 99 / 100);
		}
		let bytes = *crate::block_length().max.get(DispatchClass::Normal);
		assert_eq!(bytes, NORMAL_BLOCK_BYTES);
		// Filling a block by bytes costs what filling it by execution does, to a byte's price.
		let by_bytes = FEE_PER_BYTE * NORMAL_BLOCK_BYTES as Balance;
		assert!(FULL_BLOCK_FEE - by_bytes < FEE_PER_BYTE);
		assert_eq!(FULL_BLOCK_FEE, 15 * crate::UNIT);
	}
}
