//! The development and test chains' genesis, the same on both runtimes: the endowed dev
//! accounts, the treasury, the sudo key, the dev datasets, the dev participants' stakes, the
//! emission schedule and the compute challenges.
//!
//! [`cohort_genesis`] is the part of a genesis preset that does not depend on consensus; each
//! runtime adds its own authorities (the solochain its Aura and GRANDPA keys, the parachain its
//! collators and parachain id) and, on the solochain, the test chains' block time.

use crate::{AccountId, Balance, BlockNumber, UNIT};
use alloc::vec::Vec;
use cohort_primitives::traits::Role;
use cohort_primitives::{
	dataset::{ContentCommitment, DatasetSchema, Licence, Modality},
	DatasetId, DatasetListing,
};
use frame_support::BoundedVec;
use pallet_incentives::{EmissionSchedule, PerRole};
use serde_json::{json, Value};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::Perbill;

/// What each endowed development account starts with: one million COH.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;

/// A dataset listed at genesis: its id, owner and listing.
pub type GenesisDataset = (DatasetId, AccountId, DatasetListing<Balance, BlockNumber>);

/// The development and local chains' challenges: one worker every 50 blocks (5 min), four
/// blocks to commit, four to reveal. Root may challenge a worker at any time
/// (`ComputeLease::challenge`).
pub fn test_chain_challenges() -> pallet_compute_lease::ChallengeSchedule<BlockNumber> {
	pallet_compute_lease::ChallengeSchedule { period: 50, commit_blocks: 4, reveal_blocks: 4 }
}

/// The treasury starts with this much, well above the existential deposit, so that slashes
/// and fees of any size add to it and nothing is lost.
pub const TREASURY_ENDOWMENT: Balance = 10_000 * UNIT;

/// The development and local chains' emission: 100 COH every 5-block era (30 s), halving every
/// 100 000 eras, under a 100 M COH supply cap. Short eras let a demo or a test see several
/// eras; `docs/economics.md` gives the schedule of a production chain (one-day eras).
pub fn test_chain_schedule() -> EmissionSchedule<Balance, BlockNumber> {
	EmissionSchedule {
		era_length: 5,
		initial_era_emission: 100 * UNIT,
		halving_interval: 100_000,
		supply_cap: 100_000_000 * UNIT,
	}
}

/// Each role's share of emission: trainers and data owners are paid for the same accepted
/// updates (the work and the data), aggregators for scoring and aggregating them, compute
/// providers for leases. See `docs/economics.md`.
pub fn emission_shares() -> PerRole<Perbill> {
	PerRole {
		trainers: Perbill::from_percent(35),
		aggregators: Perbill::from_percent(25),
		data_owners: Perbill::from_percent(30),
		compute_providers: Perbill::from_percent(10),
	}
}

/// What each dev participant stakes at genesis in its role: the worker's dev bond.
pub const DEV_STAKE: Balance = 100 * UNIT;

/// The dev participants and their roles, as the node's worker runs them (`cohort_worker::dev`;
/// the node's tests check the two agree): the data owners train, the stash keys aggregate,
/// `//Dave//stash` is the copier and `//Eve//stash` the lazy aggregator.
pub fn dev_stakers() -> Vec<(AccountId, Role, Balance)> {
	let trainers = [
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
		Sr25519Keyring::DaveStash,
	]
	.into_iter()
	.map(|k| k.to_account_id())
	.chain(DEV_POISONERS.iter().map(|key| AccountId::from(*key)));
	let aggregators = [
		Sr25519Keyring::AliceStash,
		Sr25519Keyring::BobStash,
		Sr25519Keyring::CharlieStash,
		Sr25519Keyring::EveStash,
	]
	.into_iter()
	.map(|k| k.to_account_id())
	.chain(core::iter::once(AccountId::from(DEV_COLLUDER)));
	trainers
		.map(|a| (a, Role::Trainer, DEV_STAKE))
		.chain(aggregators.map(|a| (a, Role::Aggregator, DEV_STAKE)))
		.collect()
}

/// The sr25519 public keys of `//1`..`//4`: the dev chain's simulated poisoning data owners
/// (`cohort-node --dev --ml-worker --ml-dev-poisoners …`). The runtime cannot derive keys from
/// URIs, so they are written out; a test checks them.
pub const DEV_POISONERS: [[u8; 32]; 4] = [
	sp_core::hex2array!("b606fc73f57f03cdb4c932d475ab426043e429cecc2ffff0d2672b0df8398c48"),
	sp_core::hex2array!("46f136b564e1fad55031404dd84e5cd3fa76bfe7cc7599b39d38fd06663bbc0a"),
	sp_core::hex2array!("84617f575372edb5a36d85c04cdf2e4699f96fe33eb5f94a28c041b88e398d0c"),
	sp_core::hex2array!("48d7e931307afb4b68d8d565d4c66e00d856c6d65f5fed6bb82dcfb60e936c67"),
];

/// The sr25519 public key of `//Colluder`: the dev chain's colluding aggregator
/// (`cohort-node --dev --ml-worker --ml-dev-cheaters`), which reveals scores far from the
/// committee's. Written out as the poisoners' are; a test checks it.
pub const DEV_COLLUDER: [u8; 32] =
	sp_core::hex2array!("9e2422cb2df92d2dd97047fd3b6e03870bd5c4d38d9f0fa861103a54ecc1eb6d");

/// The well-known development accounts (Alice..Ferdie and their stashes), the dev poisoners and
/// the dev colluder, all endowed.
pub fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known()
		.map(|k| k.to_account_id())
		.chain(DEV_POISONERS.iter().map(|key| AccountId::from(*key)))
		.chain(core::iter::once(AccountId::from(DEV_COLLUDER)))
		.collect()
}

/// What the dev chain's datasets charge per accepted update: half a COH.
pub const DEV_ROYALTY: Balance = UNIT / 2;

/// The dev chain's datasets, as the node's ML worker prepares them (`cohort-worker`'s `dev`
/// module: the digits dataset cut into label-skewed shards): `(samples, BLAKE2-256 of the
/// shard's binary form)` of datasets 1..=8 — the four simulated owners', then the four dev
/// poisoners'. The runtime cannot run the engine, so they are written out; a node test checks
/// them against the worker's files.
pub const DEV_DATASET_CONTENT: [(u32, [u8; 32]); 8] = [
	(300, sp_core::hex2array!("31d3f9ecf618ef1f5a3bc7e249c55f6c3cc048f3a6598b53fb14f96a72057679")),
	(437, sp_core::hex2array!("51f5f6b8afdbc2f31e912a1aec122bcb90b554b38695ae3409ab262fb298dfff")),
	(418, sp_core::hex2array!("c3ca57a3956489ad4a19230962a840fbe47a9adf1b8f3e10aeb8f261b1df881b")),
	(283, sp_core::hex2array!("da4873d866b8eb8cf7c867d8beaf174d6f5784ba9f6b2fa3513b9232c58e19eb")),
	(276, sp_core::hex2array!("c8aeb087193774efd1c7b0bf39fceff27e2437f06f1823353166635be8904f69")),
	(440, sp_core::hex2array!("147412af2805164ffa6d69f11c3452141563a81e6a6719909b7b99a4137a4c40")),
	(434, sp_core::hex2array!("504b2b9df1754b972c06af200e725863540448e1ee7b539ff1514562d50ef702")),
	(288, sp_core::hex2array!("dc54d085012a07ebde29b463508418d4c7f29332269dfebda82d88d3fcb03292")),
];

/// The dataset the copier (`--ml-dev-cheaters`) lists: a copy of owner 1's file, as its own
/// (the chain cannot tell), so that it can join the demo task and try to copy.
pub const DEV_COPIER_DATASET: DatasetId = 9;

/// The dev chain's datasets, listed at genesis so the demo task pays royalties and records
/// lineage out of the box: digits shards 1..=4 owned by the simulated owners (Charlie, Dave,
/// Eve, Ferdie), 5..=8 by the dev poisoners (`//1`..`//4`), and the copier's.
pub fn dev_datasets() -> Vec<GenesisDataset> {
	let owners = [
		Sr25519Keyring::Charlie.to_account_id(),
		Sr25519Keyring::Dave.to_account_id(),
		Sr25519Keyring::Eve.to_account_id(),
		Sr25519Keyring::Ferdie.to_account_id(),
	]
	.into_iter()
	.chain(DEV_POISONERS.iter().map(|key| AccountId::from(*key)));
	let listing = |id: DatasetId, samples: u32, content: H256| {
		DatasetListing {
		name: BoundedVec::truncate_from(alloc::format!("digits shard {id}").into_bytes()),
		description: BoundedVec::truncate_from(
			b"Handwritten digits (8x8, 16 grey levels), a label-skewed shard of a simulated data owner on the dev chain"
				.to_vec(),
		),
		schema: DatasetSchema { features: 64, classes: 10, samples, modality: Modality::Tabular },
		content: ContentCommitment::File(content),
		licence: Licence::FederatedOnly,
		royalty: DEV_ROYALTY,
		privacy_budget: None,
	}
	};
	owners
		.zip(DEV_DATASET_CONTENT)
		.enumerate()
		.map(|(i, (owner, (samples, content)))| {
			let id = i as DatasetId + 1;
			(id, owner, listing(id, samples, H256(content)))
		})
		.chain(core::iter::once((
			DEV_COPIER_DATASET,
			Sr25519Keyring::DaveStash.to_account_id(),
			listing(DEV_COPIER_DATASET, DEV_DATASET_CONTENT[0].0, H256(DEV_DATASET_CONTENT[0].1)),
		)))
		.collect()
}

/// The treasury's account (`pallet_treasury`'s, from its pallet id): slashes and 80 % of fees
/// go there.
pub fn treasury_account() -> AccountId {
	use sp_runtime::traits::AccountIdConversion;
	crate::TREASURY_PALLET_ID.into_account_truncating()
}

/// The Cohort part of a test chain's genesis config patch, as JSON keyed by the pallets' names
/// (both runtimes give these pallets the same names): the dev accounts and the treasury
/// endowed, Alice's sudo key, the dev datasets, the dev participants' stakes, the test chains'
/// emission and challenges.
pub fn cohort_genesis() -> Value {
	let balances: Vec<(AccountId, Balance)> = dev_accounts()
		.into_iter()
		.map(|account| (account, ENDOWMENT))
		.chain(core::iter::once((treasury_account(), TREASURY_ENDOWMENT)))
		.collect();
	json!({
		"balances": { "balances": balances },
		"sudo": { "key": Some(Sr25519Keyring::Alice.to_account_id()) },
		"dataMarket": { "datasets": dev_datasets() },
		"incentives": {
			"schedule": Some(test_chain_schedule()),
			"shares": emission_shares(),
			"stakers": dev_stakers(),
		},
		"computeLease": { "schedule": Some(test_chain_challenges()) },
	})
}

/// `patch` with the top-level entries of `more` added (the runtimes add their consensus part
/// to [`cohort_genesis`] with it). An entry of `more` replaces one of the same name.
pub fn merged(mut patch: Value, more: Value) -> Value {
	if let (Some(patch), Value::Object(more)) = (patch.as_object_mut(), more) {
		patch.extend(more);
	}
	patch
}

/// The JSON bytes of a preset, as the `GenesisBuilder` runtime API returns them.
pub fn preset_bytes(patch: &Value) -> Vec<u8> {
	serde_json::to_string(patch)
		.expect("serialization to json is expected to work. qed.")
		.into_bytes()
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{sr25519, Pair};

	#[test]
	fn dev_poisoners_are_the_keys_of_their_uris() {
		for (i, key) in DEV_POISONERS.iter().enumerate() {
			let pair = sr25519::Pair::from_string(&alloc::format!("//{}", i + 1), None).unwrap();
			assert_eq!(pair.public().0, *key, "//{}", i + 1);
		}
	}

	#[test]
	fn the_dev_colluder_is_the_key_of_its_uri() {
		let pair = sr25519::Pair::from_string("//Colluder", None).unwrap();
		assert_eq!(pair.public().0, DEV_COLLUDER);
	}

	#[test]
	fn a_runtime_part_is_added_and_replaces_nothing_else() {
		let patch = merged(cohort_genesis(), json!({ "aura": { "authorities": [] } }));
		let entries = patch.as_object().unwrap();
		assert_eq!(entries.len(), 6);
		assert_eq!(patch["aura"], json!({ "authorities": [] }));
		assert_eq!(patch["dataMarket"], cohort_genesis()["dataMarket"]);
	}
}
