//! Emission over many eras, rewards by contribution, claims, expiry, shares and reputation.

use super::*;
use crate::{CurrentEra, Eras, Error, Event, ExpiredEras, Points, Shares, Unallocated};
use cohort_primitives::traits::Contributions;
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use sp_runtime::{DispatchError, Perbill};

fn contribute(who: AccountId, role: Role, points: Balance) {
	<Incentives as Contributions<_, _>>::note_contribution(&who, role, points);
}

/// The first block of era `era`.
fn era_start(era: u64) -> u64 {
	era * ERA
}

fn claim(who: AccountId, era: u32, role: Role) -> Result<(), DispatchError> {
	Incentives::claim(RuntimeOrigin::signed(CHARLIE), who, era, role)
}

/// What is claimable now: every closed era's unclaimed payout.
fn claimable() -> Balance {
	Eras::<Test>::iter_values()
		.map(|r| Role::ALL.iter().map(|x| r.payout.get(*x) - r.claimed.get(*x)).sum::<Balance>())
		.sum()
}

#[test]
fn twelve_eras_mint_exactly_the_schedule_and_account_for_every_unit() {
	test(|| {
		let start = Balances::total_issuance();
		let pot = Incentives::pot();
		let mut scheduled = 0;
		let mut paid = 0;
		let contributors = [ALICE, BOB, CHARLIE, 4, 5];
		for era in 0..12u32 {
			// Different accounts and roles each era; compute providers only now and then.
			for (i, who) in contributors.iter().enumerate() {
				let points = (era as u64 + 1) * (i as u64 + 1) * 7;
				contribute(*who, Role::ALL[(i + era as usize) % 3], points);
			}
			if era % 3 == 0 {
				contribute(6, Role::ComputeProvider, 1);
			}
			run_to(era_start(era as u64 + 1));
			scheduled += INITIAL >> (era / HALVING);
			assert_eq!(
				Balances::total_issuance() - start,
				scheduled,
				"era {era} minted its schedule"
			);
			// Some contributors claim at once, some late, some never.
			for (i, who) in contributors.iter().enumerate() {
				let role = Role::ALL[(i + era as usize) % 3];
				if i % 2 == 0 {
					let before = free(*who);
					assert_ok!(claim(*who, era, role));
					paid += free(*who) - before;
				} else if i == 1 && era >= 1 {
					let late = era - 1;
					let role = Role::ALL[(i + late as usize) % 3];
					let before = free(*who);
					assert_ok!(claim(*who, late, role));
					paid += free(*who) - before;
				}
			}
			for r in [6] {
				if era % 3 == 0 {
					let before = free(r);
					assert_ok!(claim(r, era, Role::ComputeProvider));
					paid += free(r) - before;
				}
			}
			// Every minted unit is paid, claimable or in the pot.
			let in_pot = Unallocated::<Test>::get() + claimable();
			assert_eq!(Balances::balance(&pot), ED + in_pot);
			assert_eq!(paid + in_pot, scheduled);
		}
		assert_eq!(CurrentEra::<Test>::get(), 12);
		// Four halvings' worth: 4 × (1 + 1/2 + 1/4) of the initial emission.
		assert_eq!(scheduled, 4 * (INITIAL + INITIAL / 2 + INITIAL / 4));
	});
}

#[test]
fn an_era_pays_each_role_its_share_in_proportion_to_points() {
	test(|| {
		contribute(ALICE, Role::Trainer, 30);
		contribute(BOB, Role::Trainer, 10);
		contribute(CHARLIE, Role::Aggregator, 5);
		run_to(era_start(1));
		let rewards = Eras::<Test>::get(0).unwrap();
		assert_eq!(rewards.payout.trainers, INITIAL * 40 / 100);
		assert_eq!(rewards.payout.aggregators, INITIAL * 30 / 100);
		// Nobody owned data or provided compute: their shares wait for the next era.
		assert_eq!((rewards.payout.data_owners, rewards.payout.compute_providers), (0, 0));
		assert_eq!(Unallocated::<Test>::get(), INITIAL * 30 / 100);
		assert!(events().contains(&Event::EraClosed {
			era: 0,
			minted: INITIAL,
			payout: rewards.payout
		}));
		assert_ok!(claim(ALICE, 0, Role::Trainer));
		assert_ok!(claim(BOB, 0, Role::Trainer));
		assert_ok!(claim(CHARLIE, 0, Role::Aggregator));
		assert_eq!(free(ALICE), ENDOWMENT + INITIAL * 40 / 100 * 3 / 4);
		assert_eq!(free(BOB), ENDOWMENT + INITIAL * 40 / 100 / 4);
		// Charlie triggered every claim and got only his own.
		assert_eq!(free(CHARLIE), ENDOWMENT + INITIAL * 30 / 100);
		// What waited joins era 1's payout.
		contribute(4, Role::DataOwner, 1);
		run_to(era_start(2));
		let expected = (INITIAL + INITIAL * 30 / 100) * 20 / 100;
		assert_eq!(Eras::<Test>::get(1).unwrap().payout.data_owners, expected);
	});
}

#[test]
fn claims_refuse_what_they_must() {
	test(|| {
		contribute(ALICE, Role::Trainer, 10);
		assert_noop!(claim(ALICE, 0, Role::Trainer), Error::<Test>::EraNotClosed);
		run_to(era_start(1));
		// Mallory did nothing, and claims for roles and eras that are not hers.
		assert_noop!(claim(MALLORY, 0, Role::Trainer), Error::<Test>::NothingToClaim);
		assert_noop!(claim(ALICE, 0, Role::Aggregator), Error::<Test>::NothingToClaim);
		assert_ok!(claim(ALICE, 0, Role::Trainer));
		// Twice is not paid twice.
		assert_noop!(claim(ALICE, 0, Role::Trainer), Error::<Test>::NothingToClaim);
		contribute(BOB, Role::Trainer, 10);
		run_to(era_start(2 + HISTORY as u64));
		assert_noop!(claim(BOB, 1, Role::Trainer), Error::<Test>::EraExpired);
	});
}

/// The runtime API lists exactly what a claim would pay, era by era and role by role, until it
/// is claimed or expires; nothing for an account that did nothing.
#[test]
fn pending_rewards_are_what_claims_pay_until_claimed_or_expired() {
	test(|| {
		contribute(ALICE, Role::Trainer, 10);
		contribute(BOB, Role::Trainer, 30);
		contribute(ALICE, Role::DataOwner, 5);
		assert!(Incentives::pending_rewards(&ALICE).pending.is_empty(), "the era is open");
		run_to(era_start(1));
		contribute(ALICE, Role::Trainer, 7);
		run_to(era_start(2));

		let rewards = Incentives::pending_rewards(&ALICE);
		assert_eq!(rewards.current_era, 2);
		let listed: Vec<_> = rewards.pending.iter().map(|r| (r.era, r.role, r.points)).collect();
		assert_eq!(
			listed,
			[(0, Role::Trainer, 10), (0, Role::DataOwner, 5), (1, Role::Trainer, 7)]
		);
		let era0 = Eras::<Test>::get(0).unwrap();
		assert_eq!(rewards.pending[0].role_points, 40);
		assert_eq!(rewards.pending[0].amount, era0.payout.trainers * 10 / 40);
		assert_eq!(rewards.pending[0].claimable_until, HISTORY);
		assert!(Incentives::pending_rewards(&MALLORY).pending.is_empty());
		for reward in &rewards.pending {
			let before = Balances::free_balance(ALICE);
			assert_ok!(claim(ALICE, reward.era, reward.role));
			assert_eq!(Balances::free_balance(ALICE) - before, reward.amount, "{reward:?}");
		}
		assert!(Incentives::pending_rewards(&ALICE).pending.is_empty(), "claimed");

		// Bob's reward of era 0 is listed until it expires, when era HISTORY closes.
		run_to(era_start(HISTORY as u64));
		assert_eq!(Incentives::pending_rewards(&BOB).pending.len(), 1);
		run_to(era_start(HISTORY as u64 + 1));
		assert!(Incentives::pending_rewards(&BOB).pending.is_empty());
	});
}

#[test]
fn unclaimed_rewards_return_to_the_pot_and_their_records_go() {
	test(|| {
		contribute(ALICE, Role::Trainer, 10);
		contribute(BOB, Role::Aggregator, 10);
		run_to(era_start(1));
		assert_ok!(claim(ALICE, 0, Role::Trainer));
		let bobs = Eras::<Test>::get(0).unwrap().payout.aggregators;
		let unallocated = Unallocated::<Test>::get();
		// Era 0 expires when era HISTORY closes.
		run_to(era_start(HISTORY as u64));
		assert!(Eras::<Test>::get(0).is_some());
		run_to(era_start(HISTORY as u64 + 1));
		assert!(Eras::<Test>::get(0).is_none());
		assert!(events().contains(&Event::EraExpired { era: 0, unclaimed: bobs }));
		// The eras in between minted too, and nobody contributed: it all waits in the pot.
		let minted: Balance = (1..=HISTORY).map(|e| INITIAL >> (e / HALVING)).sum();
		assert_eq!(Unallocated::<Test>::get(), unallocated + minted + bobs);
		// Bob's record was removed in spare block space.
		assert_eq!(Points::<Test>::iter_prefix(0).count(), 0);
		assert!(ExpiredEras::<Test>::get().is_empty());
	});
}

#[test]
fn emission_stops_at_the_supply_cap() {
	test(|| {
		let room = INITIAL + INITIAL / 3;
		crate::Schedule::<Test>::mutate(|s| {
			s.as_mut().unwrap().supply_cap = Balances::total_issuance() + room
		});
		run_to(era_start(3));
		assert_eq!(Balances::total_issuance(), crate::Schedule::<Test>::get().unwrap().supply_cap);
		assert!(events().contains(&Event::EraClosed {
			era: 1,
			minted: INITIAL / 3,
			payout: Default::default()
		}));
		assert!(events().contains(&Event::EraClosed {
			era: 2,
			minted: 0,
			payout: Default::default()
		}));
	});
}

#[test]
fn shares_change_only_by_root_and_only_whole() {
	test(|| {
		let even = crate::PerRole {
			trainers: Perbill::from_percent(25),
			aggregators: Perbill::from_percent(25),
			data_owners: Perbill::from_percent(25),
			compute_providers: Perbill::from_percent(25),
		};
		assert_noop!(
			Incentives::set_shares(RuntimeOrigin::signed(MALLORY), even),
			DispatchError::BadOrigin
		);
		let greedy = crate::PerRole { trainers: Perbill::from_percent(26), ..even };
		assert_noop!(
			Incentives::set_shares(RuntimeOrigin::root(), greedy),
			Error::<Test>::SharesNotWhole
		);
		assert_ok!(Incentives::set_shares(RuntimeOrigin::root(), even));
		assert_eq!(Shares::<Test>::get(), even);
		contribute(ALICE, Role::Trainer, 1);
		run_to(era_start(1));
		assert_eq!(Eras::<Test>::get(0).unwrap().payout.trainers, INITIAL / 4);
	});
}

#[test]
fn judged_work_moves_reputation() {
	test(|| {
		let r = |who| <Incentives as Contributions<_, _>>::reputation(&who, Role::Aggregator);
		assert_eq!(r(ALICE), None);
		// A moving average from the neutral 500,000: the first round moves it an eighth of the
		// way, so one arranged round makes nobody reputable.
		<Incentives as Contributions<_, _>>::note_quality(&ALICE, Role::Aggregator, 800_000);
		assert_eq!(r(ALICE), Some(537_500));
		// One bad round costs an eighth of the way to zero.
		<Incentives as Contributions<_, _>>::note_quality(&ALICE, Role::Aggregator, 0);
		assert_eq!(r(ALICE), Some(470_312));
		// Out-of-range qualities count as the best, no more.
		<Incentives as Contributions<_, _>>::note_quality(&ALICE, Role::Aggregator, u32::MAX);
		assert_eq!(r(ALICE), Some((470_312 * 7 + 1_000_000) / 8));
		assert_eq!(<Incentives as Contributions<_, _>>::reputation(&ALICE, Role::Trainer), None);
	});
}
