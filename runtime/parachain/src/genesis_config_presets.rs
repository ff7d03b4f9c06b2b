//! Genesis presets: `development` (Alice collates alone) and `local_testnet` (Alice and Bob),
//! both for parachain id [`DEFAULT_PARA_ID`]. Everything but the collators, the parachain id
//! and XCM's version is the dev chains' genesis that both runtimes share
//! (`cohort_runtime_common::genesis`).
//!
//! Unlike the solochain's test presets, these keep the production block time (6 s): a
//! parachain's blocks follow the relay chain's slots.

use crate::{AccountId, SessionKeys};
use alloc::{vec, vec::Vec};
use cohort_runtime_common::genesis::{cohort_genesis, merged, preset_bytes};
use cumulus_primitives_core::ParaId;
use serde_json::{json, Value};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::Sr25519Keyring;

/// The parachain id of the presets: the first id a test relay chain hands to a chain that is
/// not a system chain.
pub const DEFAULT_PARA_ID: ParaId = ParaId::new(2000);

/// What a candidate collator bonds: 16 times the existential deposit (invulnerables bond
/// nothing).
pub const CANDIDACY_BOND: crate::Balance = 16 * crate::EXISTENTIAL_DEPOSIT;

/// How many bonded candidates collate next to the invulnerables, the highest bonds first. Not
/// zero (the pallet's default): a bond that can never win a seat would lock funds for nothing.
pub const DESIRED_CANDIDATES: u32 = 4;

/// A test parachain's genesis with the given collators (invulnerable, each with its Aura key
/// as session key), for parachain `id`.
pub fn parachain_genesis(collators: &[Sr25519Keyring], id: ParaId) -> Value {
	let invulnerables: Vec<AccountId> = collators.iter().map(|k| k.to_account_id()).collect();
	let keys: Vec<(AccountId, AccountId, SessionKeys)> = collators
		.iter()
		.map(|k| {
			let aura: AuraId = k.public().into();
			(k.to_account_id(), k.to_account_id(), SessionKeys { aura })
		})
		.collect();
	merged(
		cohort_genesis(),
		json!({
			"parachainInfo": { "parachainId": id },
			"collatorSelection": {
				"invulnerables": invulnerables,
				"candidacyBond": CANDIDACY_BOND,
				"desiredCandidates": DESIRED_CANDIDATES,
			},
			"session": { "keys": keys },
			"polkadotXcm": { "safeXcmVersion": Some(xcm::prelude::XCM_VERSION) },
		}),
	)
}

/// `development`: Alice collates alone and holds the sudo key.
pub fn development_config_genesis() -> Value {
	parachain_genesis(&[Sr25519Keyring::Alice], DEFAULT_PARA_ID)
}

/// `local_testnet`: Alice and Bob collate; Alice holds the sudo key.
pub fn local_config_genesis() -> Value {
	parachain_genesis(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob], DEFAULT_PARA_ID)
}

/// The JSON of the named preset, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(preset_bytes(&patch))
}

/// The names of the presets this runtime has.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
