//! Bonding, unbonding, rebonding, withdrawing, and the commitments other pallets make.

use super::*;
use crate::{Error, Event, Ledgers};
use cohort_primitives::traits::Stake;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::TokenError;

#[test]
fn genesis_stakers_start_bonded() {
	test(|| {
		assert_eq!(ledger(20, Role::Trainer).active, 1_000);
		assert_eq!(held(20), 1_000);
	});
}

#[test]
fn bond_holds_the_stake_for_the_role() {
	test(|| {
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(ALICE), Role::Trainer, 300));
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(ALICE), Role::Trainer, 200));
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(ALICE), Role::Aggregator, 100));
		assert_eq!(ledger(ALICE, Role::Trainer).active, 500);
		assert_eq!(ledger(ALICE, Role::Aggregator).active, 100);
		assert_eq!(held(ALICE), 600);
		assert_eq!(free(ALICE), ENDOWMENT - 600);
		assert!(events().contains(&Event::Bonded { who: ALICE, role: Role::Trainer, amount: 200 }));
	});
}

#[test]
fn bond_refuses_what_it_must() {
	test(|| {
		let o = RuntimeOrigin::signed(ALICE);
		assert_noop!(Incentives::bond(o.clone(), Role::Trainer, 0), Error::<Test>::ZeroAmount);
		// Dust ledgers would be free storage.
		assert_noop!(
			Incentives::bond(o.clone(), Role::Trainer, MIN_STAKE - 1),
			Error::<Test>::BelowMinStake
		);
		assert_noop!(
			Incentives::bond(o, Role::Trainer, ENDOWMENT + 1),
			TokenError::FundsUnavailable
		);
	});
}

#[test]
fn unbonding_waits_and_withdrawing_frees() {
	test(|| {
		let o = RuntimeOrigin::signed(ALICE);
		assert_ok!(Incentives::bond(o.clone(), Role::Trainer, 500));
		assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 200));
		let l = ledger(ALICE, Role::Trainer);
		assert_eq!(
			(l.active, l.unlocking.len(), l.unlocking[0].unlocks_at),
			(300, 1, 1 + UNBONDING)
		);
		// Two unbondings in one block make one chunk.
		assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 100));
		assert_eq!(ledger(ALICE, Role::Trainer).unlocking[0].value, 300);
		// Still held until it unlocks.
		assert_eq!(held(ALICE), 500);
		assert_noop!(
			Incentives::withdraw_unbonded(o.clone(), Role::Trainer),
			Error::<Test>::NothingToWithdraw
		);
		run_to(1 + UNBONDING);
		assert_ok!(Incentives::withdraw_unbonded(o.clone(), Role::Trainer));
		assert_eq!((held(ALICE), free(ALICE)), (200, ENDOWMENT - 200));
		// Everything out: the ledger goes.
		assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 200));
		run_to(1 + 2 * UNBONDING);
		assert_ok!(Incentives::withdraw_unbonded(o, Role::Trainer));
		assert!(!Ledgers::<Test>::contains_key(ALICE, Role::Trainer));
		assert_eq!(free(ALICE), ENDOWMENT);
	});
}

#[test]
fn unbond_refuses_what_it_must() {
	test(|| {
		let o = RuntimeOrigin::signed(ALICE);
		assert_noop!(Incentives::unbond(o.clone(), Role::Trainer, 1), Error::<Test>::NotStaked);
		assert_noop!(
			Incentives::withdraw_unbonded(o.clone(), Role::Trainer),
			Error::<Test>::NotStaked
		);
		assert_ok!(Incentives::bond(o.clone(), Role::Trainer, 500));
		assert_noop!(Incentives::unbond(o.clone(), Role::Trainer, 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Incentives::unbond(o.clone(), Role::Trainer, 501),
			Error::<Test>::InsufficientStake
		);
		// What stays must be zero or at least the minimum.
		assert_noop!(
			Incentives::unbond(o.clone(), Role::Trainer, 500 - MIN_STAKE + 1),
			Error::<Test>::BelowMinStake
		);
		// One chunk per block, at most three.
		for block in 2..=4 {
			assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 10));
			run_to(block);
		}
		assert_noop!(
			Incentives::unbond(o, Role::Trainer, 10),
			Error::<Test>::TooManyUnlockingChunks
		);
	});
}

#[test]
fn committed_stake_cannot_run_from_its_duty() {
	test(|| {
		// Mallory backs a task with 400 and tries to unbond it before the task can slash her.
		let o = RuntimeOrigin::signed(MALLORY);
		assert_ok!(Incentives::bond(o.clone(), Role::Aggregator, 500));
		assert_ok!(<Incentives as Stake<_, _>>::commit(&MALLORY, Role::Aggregator, 400));
		assert_noop!(
			Incentives::unbond(o.clone(), Role::Aggregator, 101),
			Error::<Test>::StakeCommitted
		);
		assert_ok!(Incentives::unbond(o.clone(), Role::Aggregator, 100));
		// Stake in another role does not back this duty.
		assert_noop!(Incentives::unbond(o, Role::Trainer, 100), Error::<Test>::NotStaked);
		assert_eq!(Incentives::committed(&MALLORY, Role::Aggregator), 400);
	});
}

#[test]
fn commit_uses_free_stake_first_and_bonds_the_rest() {
	test(|| {
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(ALICE), Role::Trainer, 300));
		assert_ok!(<Incentives as Stake<_, _>>::commit(&ALICE, Role::Trainer, 200));
		assert_eq!((ledger(ALICE, Role::Trainer).active, held(ALICE)), (300, 300));
		// 100 uncommitted is used, 150 more is bonded.
		assert_ok!(<Incentives as Stake<_, _>>::commit(&ALICE, Role::Trainer, 250));
		let l = ledger(ALICE, Role::Trainer);
		assert_eq!((l.active, l.committed, held(ALICE)), (450, 450, 450));
		// Released stake stays bonded, ready for the next duty or to be unbonded.
		<Incentives as Stake<_, _>>::release(&ALICE, Role::Trainer, 200);
		let l = ledger(ALICE, Role::Trainer);
		assert_eq!((l.active, l.committed), (450, 250));
		assert_ok!(Incentives::unbond(RuntimeOrigin::signed(ALICE), Role::Trainer, 200));
		// An account without the funds cannot commit.
		assert!(<Incentives as Stake<_, _>>::commit(&BOB, Role::Trainer, ENDOWMENT + 1).is_err());
		assert!(!Ledgers::<Test>::contains_key(BOB, Role::Trainer));
	});
}

#[test]
fn rebond_takes_back_the_latest_unbonding_first() {
	test(|| {
		let o = RuntimeOrigin::signed(ALICE);
		assert_ok!(Incentives::bond(o.clone(), Role::Trainer, 500));
		assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 100));
		run_to(2);
		assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 150));
		assert_ok!(Incentives::rebond(o.clone(), Role::Trainer, 200));
		let l = ledger(ALICE, Role::Trainer);
		assert_eq!((l.active, l.unlocking.len(), l.unlocking[0].value), (450, 1, 50));
		assert_eq!(l.unlocking[0].unlocks_at, 1 + UNBONDING);
		assert_noop!(
			Incentives::rebond(o.clone(), Role::Trainer, 51),
			Error::<Test>::InsufficientStake
		);
		assert_noop!(Incentives::rebond(o, Role::Trainer, 0), Error::<Test>::ZeroAmount);
		assert_eq!(held(ALICE), 500);
	});
}

#[test]
fn rebond_refuses_a_dust_ledger() {
	test(|| {
		let o = RuntimeOrigin::signed(ALICE);
		assert_ok!(Incentives::bond(o.clone(), Role::Trainer, 300));
		assert_ok!(Incentives::unbond(o.clone(), Role::Trainer, 300));
		assert_noop!(
			Incentives::rebond(o.clone(), Role::Trainer, MIN_STAKE - 1),
			Error::<Test>::BelowMinStake
		);
		assert_noop!(
			Incentives::rebond(RuntimeOrigin::signed(BOB), Role::Trainer, 1),
			Error::<Test>::NotStaked
		);
	});
}
