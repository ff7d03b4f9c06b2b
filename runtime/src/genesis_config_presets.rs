//! Genesis presets: `development` (one authority) and `local_testnet` (two).
//!
//! The node turns a preset into a chain spec (`--chain dev`, `--chain local`); tools such as
//! `chain-spec-builder` can ask the runtime for them by name.

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, UNIT};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed development account starts with: one million COH.
pub const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// A genesis config patch with the given authorities, endowed accounts and sudo key.
fn cohort_genesis(
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities
				.iter()
				.map(|(aura, _)| aura.clone())
				.collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities
				.iter()
				.map(|(_, grandpa)| (grandpa.clone(), 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
	})
}

/// The authority keys of a well-known development account.
fn authority_keys(sr: Sr25519Keyring, ed: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(sr.public().into(), ed.public().into())
}

/// The sr25519 public keys of `//1`..`//4`: the dev chain's simulated poisoning data owners
/// (`cohort-node --dev --ml-worker --ml-dev-poisoners …`). The runtime cannot derive keys from
/// URIs, so they are written out; a test checks them.
const DEV_POISONERS: [[u8; 32]; 4] = [
	sp_core::hex2array!("b606fc73f57f03cdb4c932d475ab426043e429cecc2ffff0d2672b0df8398c48"),
	sp_core::hex2array!("46f136b564e1fad55031404dd84e5cd3fa76bfe7cc7599b39d38fd06663bbc0a"),
	sp_core::hex2array!("84617f575372edb5a36d85c04cdf2e4699f96fe33eb5f94a28c041b88e398d0c"),
	sp_core::hex2array!("48d7e931307afb4b68d8d565d4c66e00d856c6d65f5fed6bb82dcfb60e936c67"),
];

/// The well-known development accounts (Alice..Ferdie and their stashes) and the dev
/// poisoners, all endowed.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known()
		.map(|k| k.to_account_id())
		.chain(DEV_POISONERS.iter().map(|key| AccountId::from(*key)))
		.collect()
}

/// `development`: Alice alone produces and finalizes blocks and holds the sudo key.
pub fn development_config_genesis() -> Value {
	cohort_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// `local_testnet`: Alice and Bob are the authorities; Alice holds the sudo key.
pub fn local_config_genesis() -> Value {
	cohort_genesis(
		vec![
			authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON of the named preset, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets this runtime has.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{sr25519, Pair};

	#[test]
	fn dev_poisoners_are_the_keys_of_their_uris() {
		for (i, key) in DEV_POISONERS.iter().enumerate() {
			let pair = sr25519::Pair::from_string(&format!("//{}", i + 1), None).unwrap();
			assert_eq!(pair.public().0, *key, "//{}", i + 1);
		}
	}
}
