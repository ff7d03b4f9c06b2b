//! Genesis presets: `development` (one authority), `local_testnet` (two) and `local_four`
//! (four: the multi-node network of `zombienet/`, where finality goes on with one of them down).
//!
//! The node turns a preset into a chain spec (`--chain dev`, `--chain local`,
//! `--chain local-four`); tools such as `chain-spec-builder` can ask the runtime for them by
//! name. Everything but the authorities and the block time is the dev chains' genesis that
//! both runtimes share (`cohort_runtime_common::genesis`).

use crate::TEST_MILLISECS_PER_BLOCK;
use alloc::{vec, vec::Vec};
use cohort_runtime_common::genesis::{cohort_genesis, merged, preset_bytes};
use serde_json::{json, Value};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

pub use cohort_runtime_common::genesis::{
	dev_datasets, dev_stakers, emission_shares, test_chain_challenges, test_chain_schedule,
	DEV_COPIER_DATASET, DEV_DATASET_CONTENT, DEV_ROYALTY, DEV_STAKE, ENDOWMENT, TREASURY_ENDOWMENT,
};

/// The test chains' genesis: the given authorities (Aura and GRANDPA, by their dev keys), the
/// test chains' 2-second blocks, and the shared dev genesis.
fn test_chain_genesis(authorities: &[(Sr25519Keyring, Ed25519Keyring)]) -> Value {
	let aura: Vec<AuraId> = authorities.iter().map(|(sr, _)| sr.public().into()).collect();
	let grandpa: Vec<(GrandpaId, u64)> =
		authorities.iter().map(|(_, ed)| (ed.public().into(), 1)).collect();
	merged(
		cohort_genesis(),
		json!({
			"aura": { "authorities": aura },
			"grandpa": { "authorities": grandpa },
			"blockTime": { "millis": Some(TEST_MILLISECS_PER_BLOCK) },
		}),
	)
}

/// `development`: Alice alone produces and finalizes blocks and holds the sudo key.
pub fn development_config_genesis() -> Value {
	test_chain_genesis(&[(Sr25519Keyring::Alice, Ed25519Keyring::Alice)])
}

/// `local_testnet`: Alice and Bob are the authorities; Alice holds the sudo key.
pub fn local_config_genesis() -> Value {
	test_chain_genesis(&[
		(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
	])
}

/// The name of the four-authority preset.
pub const LOCAL_FOUR_PRESET: &str = "local_four";

/// `local_four`: Alice, Bob, Charlie and Dave are the authorities (GRANDPA finalizes with any
/// three of them); otherwise as `local_testnet`.
pub fn local_four_config_genesis() -> Value {
	test_chain_genesis(&[
		(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
	])
}

/// The JSON of the named preset, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		LOCAL_FOUR_PRESET => local_four_config_genesis(),
		_ => return None,
	};
	Some(preset_bytes(&patch))
}

/// The names of the presets this runtime has.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(LOCAL_FOUR_PRESET),
	]
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_four_validator_preset_has_four_authorities_and_the_local_accounts() {
		let four = local_four_config_genesis();
		assert_eq!(four["aura"]["authorities"].as_array().unwrap().len(), 4);
		assert_eq!(four["grandpa"]["authorities"].as_array().unwrap().len(), 4);
		assert_eq!(four["balances"], local_config_genesis()["balances"]);
		assert!(preset_names().contains(&PresetId::from(LOCAL_FOUR_PRESET)));
		assert!(get_preset(&PresetId::from(LOCAL_FOUR_PRESET)).is_some());
	}
}
