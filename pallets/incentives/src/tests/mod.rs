//! Tests of every call, of what other pallets reach through the traits, and of emission over
//! many eras; each ends by checking the pallet's invariants (`mock::test`).

mod emission;
mod slash;
mod stake;

use crate::mock::*;
use cohort_primitives::traits::Role;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const MALLORY: AccountId = 13;

/// What is held from `who` as stake.
pub fn held(who: AccountId) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::Stake.into(), &who)
}

/// `who`'s ledger for `role`.
pub fn ledger(who: AccountId, role: Role) -> crate::LedgerOf<Test> {
	crate::Ledgers::<Test>::get(who, role).expect("a ledger")
}

/// `who`'s free balance.
pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}
