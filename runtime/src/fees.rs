//! Transaction fees, as `cohort_runtime_common::fees` sets them for both runtimes, for this
//! runtime: the fee multiplier's update, the split between treasury and author, and who the
//! author of a solochain block is.

use crate::{configs::TreasuryAccount, AccountId, Aura, Runtime};
use frame_support::{dispatch::DispatchClass, traits::FindAuthor};
use sp_core::crypto::ByteArray;

pub use cohort_runtime_common::fees::{
	AdjustmentVariable, MaximumMultiplier, MinimumMultiplier, TargetBlockFullness,
	TransactionByteFee, WeightToFee, AUTHOR_PERCENT, FEE_PER_BYTE, FEE_PER_PICOSECOND,
	FULL_BLOCK_FEE, NORMAL_BLOCK_BYTES, NORMAL_BLOCK_PICOSECONDS,
};

/// FRAME's targeted fee adjustment, for this runtime.
pub type FeeMultiplierUpdate = cohort_runtime_common::fees::FeeMultiplierUpdate<Runtime>;

/// Fees to the treasury and the block author, tips to the author.
pub type DealWithFees = cohort_runtime_common::fees::DealWithFees<Runtime, TreasuryAccount>;

/// The block author's account: the Aura authority that sealed the slot (an sr25519 key, which
/// is also an account id).
pub struct AuraAccountAuthor;
impl FindAuthor<AccountId> for AuraAccountAuthor {
	fn find_author<'a, I>(digests: I) -> Option<AccountId>
	where
		I: 'a + IntoIterator<Item = (sp_runtime::ConsensusEngineId, &'a [u8])>,
	{
		let index = <Aura as FindAuthor<u32>>::find_author(digests)?;
		let authority = pallet_aura::Authorities::<Runtime>::get().get(index as usize)?.clone();
		AccountId::try_from(authority.as_slice()).ok()
	}
}

/// The normal class's limits, as configured: (picoseconds of execution, bytes).
pub fn normal_block_limits() -> (u64, u32) {
	let weights = crate::configs::RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal);
	let ref_time = normal.max_total.unwrap_or(weights.max_block).ref_time();
	let bytes = *crate::configs::RuntimeBlockLength::get().max.get(DispatchClass::Normal);
	(ref_time, bytes)
}
