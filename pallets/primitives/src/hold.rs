//! Deposits that follow what an owner stores: one way to move a held amount to a new level.

use frame_support::traits::{fungible::MutateHold, tokens::Precision};
use sp_runtime::DispatchResult;

/// Holds more from `who` for `reason`, or releases some, so that a deposit of `held` becomes
/// `target`; on success the caller records `target` as the deposit.
pub fn adjust<AccountId, Currency: MutateHold<AccountId>>(
	reason: &Currency::Reason,
	who: &AccountId,
	held: Currency::Balance,
	target: Currency::Balance,
) -> DispatchResult {
	if target > held {
		Currency::hold(reason, who, target - held)?;
	} else if target < held {
		Currency::release(reason, who, held - target, Precision::Exact)?;
	}
	Ok(())
}
