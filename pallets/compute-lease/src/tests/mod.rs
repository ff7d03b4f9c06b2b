//! Tests of every call and error, with hostile callers; each ends by checking the pallet's
//! invariants (`mock::test`), and `run_to` checks them after every block.

mod challenge;
mod heartbeat;
mod issuance;
mod lease;
mod offer;
mod request;

use crate::mock::*;
use cohort_primitives::traits::{Role, Stake};
use frame_support::{
	assert_ok,
	traits::fungible::{Inspect, InspectHold},
};

/// What is held from `who` in escrow.
pub fn escrow(who: AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::Escrow.into(), &who)
}

/// `who`'s free balance.
pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// `who`'s compute-provider stake committed to offers.
pub fn committed(who: AccountId) -> Balance {
	<Incentives as Stake<_, _>>::committed(&who, Role::ComputeProvider)
}

/// Everything `who` has: free, held in escrow and held as stake.
pub fn total(who: AccountId) -> Balance {
	Balances::total_balance(&who)
}

/// Registers `who` with the test hardware, score and terms.
pub fn register(who: AccountId) {
	assert_ok!(ComputeLease::register_offer(origin(who), hardware(), SCORE, terms()));
}

/// Registers the worker and the verifiers.
pub fn register_all() {
	register(WORKER);
	for v in VERIFIERS {
		register(v);
	}
}

/// The consumer leases `slots` of the worker for `blocks`; returns the lease's id.
pub fn lease(slots: u32, blocks: u64) -> u64 {
	let id = crate::NextLeaseId::<Test>::get();
	assert_ok!(ComputeLease::lease(origin(CONSUMER), WORKER, slots, blocks, PRICE));
	id
}
