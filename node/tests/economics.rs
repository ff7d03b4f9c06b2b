//! The dev chain's economy as a user meets it: the participants the worker runs are staked at
//! genesis in the roles they play, the treasury and the reward pot exist, and filling a phase
//! of the demo task with junk costs more than the slashes it could cause.

use cohort_ml::attack::Attack;
use cohort_node::chain_spec;
use cohort_primitives::traits::Role;
use cohort_runtime::{
	fees, genesis_config_presets::TREASURY_ENDOWMENT, AccountId, Balance, Runtime, UNIT,
};
use cohort_worker::{dev, worker::AutoJoin};
use frame_support::dispatch::{DispatchClass, DispatchInfo, Pays};
use sc_service::ChainSpec as _;
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_runtime::{traits::Zero, Perbill};

fn dev_genesis() -> sp_io::TestExternalities {
	let spec = chain_spec::development_chain_spec().unwrap();
	sp_io::TestExternalities::new(
		spec.as_storage_builder().build_storage().expect("genesis builds"),
	)
}

fn account_of(uri: &str) -> AccountId {
	AccountId::from(sr25519::Pair::from_string(uri, None).unwrap().public())
}

#[test]
fn every_dev_participant_is_staked_at_genesis_for_its_role_and_bond() {
	let keys = dev::participants()
		.into_iter()
		.chain(dev::cheaters())
		.chain(dev::poisoners(&vec![Attack::LabelFlip; dev::POISONER_URIS.len()]).unwrap());
	dev_genesis().execute_with(|| {
		for key in keys {
			let (role, bond) = match key.auto_join {
				AutoJoin::Trainer { bond, .. } => (Role::Trainer, bond),
				AutoJoin::Aggregator { bond } => (Role::Aggregator, bond),
			};
			let ledger = pallet_incentives::Ledgers::<Runtime>::get(account_of(key.uri), role)
				.unwrap_or_else(|| panic!("{} is staked as a {role:?}", key.uri));
			assert!(ledger.active >= bond, "{}'s stake covers its bond", key.uri);
			assert!(ledger.committed.is_zero(), "nothing is committed at genesis");
		}
	});
}

/// The dev compute providers (the node's worker registers their offers) can offer on the dev
/// terms from genesis, bonding compute-provider stake from their free balance beside whatever
/// they stake as aggregators; with the three registered, a challenge of any one has the two
/// others to verify it (the runtime's quorum).
#[test]
fn the_dev_providers_can_offer_and_a_challenge_of_one_has_the_others_to_verify_it() {
	use cohort_primitives::compute::{Backends, ComputeDuty, Hardware};
	use cohort_runtime::{ComputeLease, RuntimeOrigin};
	let hardware = Hardware {
		cores: 2,
		memory_mib: 4096,
		gpus: Default::default(),
		backends: Backends(Backends::CPU),
	};
	dev_genesis().execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		for uri in dev::PROVIDERS {
			let who = account_of(uri);
			let origin = RuntimeOrigin::signed(who.clone());
			ComputeLease::register_offer(origin, hardware.clone(), 1_000, dev::provider_terms())
				.unwrap_or_else(|e| panic!("{uri} cannot offer compute: {e:?}"));
			let ledger = pallet_incentives::Ledgers::<Runtime>::get(&who, Role::ComputeProvider)
				.unwrap_or_else(|| panic!("{uri} is staked as a compute provider"));
			assert_eq!(ledger.committed, dev::DEV_OFFER_BOND);
		}
		let challenged = account_of(dev::PROVIDERS[2]);
		ComputeLease::challenge(RuntimeOrigin::root(), challenged).expect("enough verifiers");
		for uri in dev::PROVIDERS {
			let duties = ComputeLease::compute_duties(account_of(uri));
			assert!(
				matches!(duties[..], [ComputeDuty::AnswerChallenge { .. }]),
				"{uri} answers the challenge: {duties:?}"
			);
		}
	});
}

#[test]
fn the_treasury_and_the_reward_pot_exist_from_genesis() {
	dev_genesis().execute_with(|| {
		let treasury = pallet_treasury::Pallet::<Runtime>::account_id();
		assert_eq!(frame_system::Account::<Runtime>::get(&treasury).data.free, TREASURY_ENDOWMENT);
		let pot = pallet_incentives::Pallet::<Runtime>::pot();
		assert!(frame_system::Account::<Runtime>::get(&pot).data.free > 0, "the pot exists");
		let schedule = pallet_incentives::Schedule::<Runtime>::get().expect("a schedule");
		assert_eq!(schedule.initial_era_emission, 100 * UNIT);
		let shares = pallet_incentives::Shares::<Runtime>::get();
		let sum: u64 =
			[shares.trainers, shares.aggregators, shares.data_owners, shares.compute_providers]
				.iter()
				.map(|s| s.deconstruct() as u64)
				.sum();
		assert_eq!(sum, Perbill::one().deconstruct() as u64);
	});
}

/// What the cheapest transaction that fills a block's normal class costs at the lowest fee
/// multiplier: all bytes and no execution, or all execution and no bytes.
fn cheapest_full_block() -> Balance {
	let info = |weight: u64| DispatchInfo {
		call_weight: frame_support::weights::Weight::from_parts(weight, 0),
		extension_weight: Default::default(),
		class: DispatchClass::Normal,
		pays_fee: Pays::Yes,
	};
	let (ref_time, bytes) = fees::normal_block_limits();
	let by_bytes = pallet_transaction_payment::Pallet::<Runtime>::compute_fee(bytes, &info(0), 0);
	let by_weight =
		pallet_transaction_payment::Pallet::<Runtime>::compute_fee(0, &info(ref_time), 0);
	println!("filling a block: {by_bytes} by {bytes} bytes, {by_weight} by {ref_time} ps");
	by_bytes.min(by_weight)
}

#[test]
fn stuffing_a_phase_of_the_demo_task_costs_more_than_the_slashes_it_could_cause() {
	// The demo task with everyone in it: 4 owners, the copier and 4 poisoners train (9), 4
	// aggregators, each with the dev bond and a 10 % penalty.
	let spec = dev::demo_task(H256::zero(), true, dev::POISONER_URIS.len());
	let slash = spec.penalty * dev::DEV_BOND;
	dev_genesis().execute_with(|| {
		assert_eq!(
			pallet_transaction_payment::NextFeeMultiplier::<Runtime>::get(),
			fees::MinimumMultiplier::get(),
			"a new chain starts at the lowest multiplier: the cheapest case for an attacker"
		);
		let per_block = cheapest_full_block();
		assert!(per_block >= fees::FULL_BLOCK_FEE, "a block never costs less than 15 COH");
		// In each phase, denying every selected participant's transaction for the whole phase
		// means filling every block of it; each participant it denies loses `slash`.
		let phases = [
			("commit", spec.phases.commit, spec.max_trainers),
			("reveal", spec.phases.reveal, spec.max_trainers),
			("score", spec.phases.score, spec.aggregators),
			("score reveal", spec.phases.score_reveal, spec.aggregators),
			("aggregate", spec.phases.aggregate, spec.aggregators),
			("aggregate reveal", spec.phases.aggregate_reveal, spec.aggregators),
		];
		for (phase, blocks, victims) in phases {
			let cost = per_block * blocks as Balance;
			let slashes = slash * victims as Balance;
			println!(
				"{phase}: {blocks} blocks × {per_block} = {cost} to stuff, against {victims} × \
				 {slash} = {slashes} of slashes"
			);
			assert!(cost > slashes, "stuffing the {phase} phase pays");
		}
	});
}

#[test]
fn fees_go_four_fifths_to_the_treasury_and_the_rest_with_tips_to_the_author() {
	use codec::Encode;
	use frame_support::traits::{fungible::Balanced, OnUnbalanced};
	use sp_runtime::{generic::DigestItem, Digest};
	dev_genesis().execute_with(|| {
		// Block 1, sealed in slot 0: Alice, the dev chain's only authority, is its author.
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(
				sp_consensus_aura::AURA_ENGINE_ID,
				sp_consensus_aura::Slot::from(0u64).encode(),
			)],
		};
		frame_system::Pallet::<Runtime>::initialize(&1, &Default::default(), &digest);
		let alice = account_of("//Alice");
		let treasury = pallet_treasury::Pallet::<Runtime>::account_id();
		let free = |who: &AccountId| frame_system::Account::<Runtime>::get(who).data.free;
		let (alice_before, treasury_before) = (free(&alice), free(&treasury));
		let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
		let fee = cohort_runtime::Balances::issue(1_000 * UNIT);
		let tip = cohort_runtime::Balances::issue(7 * UNIT);
		fees::DealWithFees::on_unbalanceds([fee, tip].into_iter());
		assert_eq!(free(&treasury) - treasury_before, 800 * UNIT);
		assert_eq!(free(&alice) - alice_before, 200 * UNIT + 7 * UNIT);
		assert_eq!(
			pallet_balances::TotalIssuance::<Runtime>::get(),
			issuance + 1_007 * UNIT,
			"fees are moved, never burned"
		);
	});
}

#[test]
fn the_fee_multiplier_rises_under_load_and_never_falls_below_one() {
	use frame_support::weights::Weight;
	use sp_runtime::traits::Convert;
	dev_genesis().execute_with(|| {
		let one = fees::MinimumMultiplier::get();
		let (ref_time, _) = fees::normal_block_limits();
		let fill = |ref_time: u64| {
			frame_system::BlockWeight::<Runtime>::mutate(|w| {
				w.set(Weight::from_parts(ref_time, 0), DispatchClass::Normal)
			})
		};
		// Empty blocks keep it at its floor.
		fill(0);
		assert_eq!(fees::FeeMultiplierUpdate::convert(one), one);
		// Full blocks raise it, block after block.
		fill(ref_time);
		let mut m = one;
		for _ in 0..100 {
			let next = fees::FeeMultiplierUpdate::convert(m);
			assert!(next > m);
			m = next;
		}
		println!("after 100 full blocks the multiplier is {m:?}");
		// About +0.2 % a block: 100 full blocks, a fifth more.
		assert!(m > sp_runtime::FixedU128::from_rational(12, 10));
	});
}
