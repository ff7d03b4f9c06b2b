//! Slashing bonded and unbonding stake into the treasury, with a reporter's share.

use super::*;
use crate::{Event, Ledgers};
use cohort_primitives::traits::Stake;
use frame_support::assert_ok;

fn slash(who: AccountId, role: Role, amount: Balance, reporter: Option<AccountId>) -> Balance {
	<Incentives as Stake<_, _>>::slash(&who, role, amount, reporter.as_ref())
}

#[test]
fn a_slash_takes_committed_stake_to_the_treasury() {
	test(|| {
		assert_ok!(<Incentives as Stake<_, _>>::commit(&ALICE, Role::Trainer, 400));
		let issuance = Balances::total_issuance();
		assert_eq!(slash(ALICE, Role::Trainer, 150, None), 150);
		let l = ledger(ALICE, Role::Trainer);
		assert_eq!((l.active, l.committed, held(ALICE)), (250, 250, 250));
		assert_eq!(free(TREASURY), ENDOWMENT + 150);
		// Nothing created or lost.
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(events().contains(&Event::Slashed {
			who: ALICE,
			role: Role::Trainer,
			amount: 150,
			reporter: None,
			to_reporter: 0
		}));
	});
}

#[test]
fn unbonding_stake_is_still_slashed() {
	test(|| {
		// Mallory unbonds most of her stake right after misbehaving, hoping the slash comes
		// too late: it takes the rest of her bonded stake, then her unbonding stake.
		let o = RuntimeOrigin::signed(MALLORY);
		assert_ok!(Incentives::bond(o.clone(), Role::Aggregator, 1_000));
		assert_ok!(Incentives::unbond(o.clone(), Role::Aggregator, 600));
		run_to(2);
		assert_ok!(Incentives::unbond(o.clone(), Role::Aggregator, 300));
		// What her client's `status` shows, before and after: bonded and unbonding.
		let stake = |active, unlocking| {
			vec![cohort_primitives::api::RoleStake {
				role: Role::Aggregator,
				active,
				committed: 0,
				unlocking,
			}]
		};
		assert_eq!(Incentives::stake(&MALLORY), stake(100, 900));
		assert_eq!(slash(MALLORY, Role::Aggregator, 550, None), 550);
		assert_eq!(Incentives::stake(&MALLORY), stake(0, 450));
		let l = ledger(MALLORY, Role::Aggregator);
		// 100 bonded, then the 300 unbonded last, then 150 of the first 600.
		assert_eq!(l.active, 0);
		assert_eq!(l.unlocking.iter().map(|c| c.value).collect::<Vec<_>>(), vec![450]);
		assert_eq!(held(MALLORY), 450);
		run_to(1 + UNBONDING);
		assert_ok!(Incentives::withdraw_unbonded(o, Role::Aggregator));
		assert_eq!(free(MALLORY), ENDOWMENT - 550);
		assert!(!Ledgers::<Test>::contains_key(MALLORY, Role::Aggregator));
		assert_eq!(Incentives::stake(&MALLORY), vec![], "no stake left in any role");
	});
}

#[test]
fn a_slash_never_takes_more_than_the_stake() {
	test(|| {
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(ALICE), Role::Trainer, 300));
		assert_eq!(slash(ALICE, Role::Trainer, 1_000, None), 300);
		assert!(!Ledgers::<Test>::contains_key(ALICE, Role::Trainer));
		assert_eq!(free(ALICE), ENDOWMENT - 300);
		// No stake, nothing taken; another role's stake is not touched.
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(BOB), Role::Trainer, 300));
		assert_eq!(slash(BOB, Role::Aggregator, 100, None), 0);
		assert_eq!(held(BOB), 300);
	});
}

#[test]
fn a_reporter_gets_its_share_and_the_treasury_the_rest() {
	test(|| {
		assert_ok!(Incentives::bond(RuntimeOrigin::signed(ALICE), Role::ComputeProvider, 1_000));
		assert_eq!(slash(ALICE, Role::ComputeProvider, 500, Some(BOB)), 500);
		assert_eq!(free(BOB), ENDOWMENT + 50);
		assert_eq!(free(TREASURY), ENDOWMENT + 450);
		// A reporter that cannot receive its share (a new account, under the existential
		// deposit) leaves it to the treasury.
		assert_eq!(slash(ALICE, Role::ComputeProvider, 40, Some(500)), 40);
		assert_eq!(free(500), 0);
		assert_eq!(free(TREASURY), ENDOWMENT + 490);
	});
}
