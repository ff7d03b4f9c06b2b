//! A long randomized run of the economy around compute leases: offers made, changed and
//! withdrawn, leases and requests, heartbeats and their defaults, challenges answered rightly,
//! wrongly or not at all, stake bonded, unbonded and withdrawn, rewards claimed and funds moved,
//! over many eras. After every block the total issuance is the genesis issuance plus what
//! emission minted (nothing burns: slashes and dust go to the treasury), and the pallet's
//! invariants hold.

use super::*;
use crate::{Challenges, Leases, Requests};
use alloc::collections::BTreeMap;
use cohort_primitives::{
	compute::{challenge_commitment, Backends, Requirements},
	traits::Role,
};
use frame_support::traits::{fungible::Inspect, Hooks};
use pallet_incentives::{EmissionSchedule, GenesisIssuance, Minted, PerRole};
use sp_core::H256;
use sp_runtime::{traits::Dispatchable, Perbill};

/// xorshift64*: a reproducible stream of choices for a seed.
struct Choices(u64);

impl Choices {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}

	fn one_in(&mut self, n: u64) -> bool {
		self.below(n) == 0
	}
}

/// Era length of the run, in blocks.
const ERA: u64 = 15;
/// Accounts that act.
const ACTORS: u64 = 16;

fn ext_with_emission() -> sp_io::TestExternalities {
	new_test_ext_with(
		Some(pallet_incentives::GenesisConfig::<Test> {
			schedule: Some(EmissionSchedule {
				era_length: ERA,
				initial_era_emission: 10_000,
				halving_interval: 4,
				supply_cap: u64::MAX / 2,
			}),
			shares: PerRole {
				trainers: Perbill::from_percent(25),
				aggregators: Perbill::from_percent(25),
				data_owners: Perbill::from_percent(25),
				compute_providers: Perbill::from_percent(25),
			},
			stakers: vec![(20, Role::Trainer, 1_000)],
		}),
		Some(schedule()),
	)
}

fn act(who: AccountId, call: impl Into<RuntimeCall>) -> bool {
	call.into().dispatch(origin(who)).is_ok()
}

fn issuance_holds() {
	assert_eq!(
		Balances::total_issuance(),
		GenesisIssuance::<Test>::get() + Minted::<Test>::get(),
		"total issuance = genesis + minted at block {}",
		System::block_number()
	);
}

/// Answers the open challenges: each drawn party commits (mostly the right answer) while it
/// may, and reveals (mostly) once it may; some stay silent.
fn answer_challenges(choices: &mut Choices, kept: &mut BTreeMap<(u32, AccountId), H256>) {
	let now = System::block_number();
	for (id, c) in Challenges::<Test>::iter().collect::<Vec<_>>() {
		let parties = core::iter::once(c.worker).chain(c.verifiers.iter().map(|(v, _)| *v));
		for who in parties.collect::<Vec<_>>() {
			let salt = [who as u8; 32];
			match kept.get(&(id, who)).copied() {
				None if now <= c.commit_by && choices.one_in(2) => {
					let answer =
						if choices.one_in(4) { H256::repeat_byte(9) } else { H256::repeat_byte(7) };
					let commitment = challenge_commitment(&who, id, &answer, &salt);
					if act(who, crate::Call::<Test>::commit_challenge { challenge: id, commitment })
					{
						kept.insert((id, who), answer);
					}
				},
				Some(answer) if now > c.commit_by && now <= c.reveal_by && !choices.one_in(4) => {
					let _ = act(
						who,
						crate::Call::<Test>::reveal_challenge { challenge: id, answer, salt },
					);
				},
				_ => {},
			}
		}
	}
}

fn one_action(choices: &mut Choices) {
	let who = 1 + choices.below(ACTORS);
	let other = 1 + choices.below(ACTORS);
	let lease_ids: Vec<u64> = Leases::<Test>::iter_keys().collect();
	let some_lease = || lease_ids.first().copied().unwrap_or(0);
	let _ = match choices.below(14) {
		0 => {
			let mut t = terms();
			t.bond = MIN_BOND * (1 + choices.below(3));
			act(
				who,
				crate::Call::<Test>::register_offer {
					hardware: hardware(),
					claimed_score: SCORE,
					terms: t,
				},
			)
		},
		1 => {
			let mut t = terms();
			t.price = PRICE + choices.below(5);
			t.bond = MIN_BOND + choices.below(MIN_BOND);
			act(
				who,
				crate::Call::<Test>::update_offer {
					hardware: hardware(),
					claimed_score: SCORE,
					terms: t,
				},
			)
		},
		2 => act(who, crate::Call::<Test>::withdraw_offer {}),
		3 => act(
			who,
			crate::Call::<Test>::lease {
				worker: other,
				slots: 1,
				blocks: 5 + choices.below(30),
				max_price: PRICE + 4,
			},
		),
		4 => act(who, crate::Call::<Test>::heartbeat {}),
		5 => {
			let pick = lease_ids.get(choices.below(lease_ids.len() as u64) as usize);
			act(
				who,
				crate::Call::<Test>::end_lease { lease: pick.copied().unwrap_or_else(some_lease) },
			)
		},
		6 => {
			let pick = lease_ids.get(choices.below(lease_ids.len() as u64) as usize);
			act(
				who,
				crate::Call::<Test>::settle { lease: pick.copied().unwrap_or_else(some_lease) },
			)
		},
		7 => act(who, crate::Call::<Test>::report_missed_heartbeat { worker: other }),
		8 => act(
			who,
			crate::Call::<Test>::post_request {
				requirements: Requirements {
					backends: Backends(Backends::CPU),
					min_memory_mib: 1,
					min_score: 0,
					max_price: PRICE + 4,
					slots: 1,
					blocks: 10,
				},
			},
		),
		9 => match Requests::<Test>::iter_keys().next() {
			Some(request) => act(who, crate::Call::<Test>::fill_request { request }),
			None => false,
		},
		10 => {
			let role = [Role::ComputeProvider, Role::Trainer][choices.below(2) as usize];
			let amount = 10 + choices.below(500);
			match choices.below(3) {
				0 => act(who, pallet_incentives::Call::<Test>::bond { role, amount }),
				1 => act(who, pallet_incentives::Call::<Test>::unbond { role, amount }),
				_ => act(who, pallet_incentives::Call::<Test>::withdraw_unbonded { role }),
			}
		},
		11 => {
			// A closed era's points, claimed by anyone for their holder.
			let current = pallet_incentives::CurrentEra::<Test>::get();
			let era = choices.below(current.max(1) as u64) as u32;
			let holder = pallet_incentives::Points::<Test>::iter_prefix(era)
				.map(|((holder, role), _)| (holder, role))
				.next();
			match holder {
				Some((holder, role)) if era < current => {
					act(other, pallet_incentives::Call::<Test>::claim { who: holder, era, role })
				},
				_ => false,
			}
		},
		12 => {
			// Sometimes all of a free balance: an account may be reaped, and its dust kept.
			let value = if choices.one_in(8) {
				Balances::balance(&who)
			} else {
				choices.below(ENDOWMENT / 100)
			};
			act(who, pallet_balances::Call::<Test>::transfer_allow_death { dest: other, value })
		},
		_ => RuntimeCall::ComputeLease(crate::Call::<Test>::challenge { worker: other })
			.dispatch(RuntimeOrigin::root())
			.is_ok(),
	};
}

#[test]
fn issuance_is_genesis_plus_emission_through_a_long_random_run() {
	for seed in [1u64, 7, 42] {
		ext_with_emission().execute_with(|| {
			issuance_holds();
			let mut choices = Choices(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
			let mut kept = BTreeMap::new();
			let treasury = Balances::balance(&TREASURY);
			for block in 2..=20 * ERA {
				System::set_block_number(block);
				Incentives::on_initialize(block);
				ComputeLease::on_initialize(block);
				for _ in 0..choices.below(5) {
					one_action(&mut choices);
				}
				answer_challenges(&mut choices, &mut kept);
				issuance_holds();
				check();
			}
			// The run did what it is for: eras minted, leases paid, challenges decided,
			// slashes reached the treasury, rewards were claimed.
			let events = System::events();
			let count =
				|f: &dyn Fn(&RuntimeEvent) -> bool| events.iter().filter(|r| f(&r.event)).count();
			assert!(Minted::<Test>::get() > 10_000, "seed {seed}: emission minted");
			assert!(
				count(&|e| matches!(
					e,
					RuntimeEvent::ComputeLease(crate::Event::LeaseStarted { .. })
				)) > 0,
				"seed {seed}: leases"
			);
			assert!(
				count(&|e| matches!(
					e,
					RuntimeEvent::ComputeLease(crate::Event::ChallengeResolved { .. })
				)) > 0,
				"seed {seed}: challenges"
			);
			assert!(
				count(&|e| matches!(
					e,
					RuntimeEvent::Incentives(pallet_incentives::Event::Claimed { .. })
				)) > 0,
				"seed {seed}: claims"
			);
			assert!(
				Balances::balance(&TREASURY) > treasury,
				"seed {seed}: slashes reached the treasury"
			);
		});
	}
}
