//! The runtime's genesis presets build through the real chain specs (preset → WASM runtime →
//! genesis storage), with the authorities, balances, sudo key and token properties they promise.

use cohort_node::chain_spec;
use cohort_runtime::{genesis_config_presets::ENDOWMENT, AccountId, Runtime};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// The genesis state a chain spec builds, for reading with the runtime's storage types.
fn genesis_of(spec: &dyn sc_service::ChainSpec) -> sp_io::TestExternalities {
	let storage = spec.as_storage_builder().build_storage().expect("genesis builds");
	sp_io::TestExternalities::new(storage)
}

fn aura_authorities() -> Vec<AuraId> {
	pallet_aura::Authorities::<Runtime>::get().into_inner()
}

fn grandpa_authorities() -> Vec<GrandpaId> {
	pallet_grandpa::Pallet::<Runtime>::grandpa_authorities()
		.into_iter()
		.map(|(id, weight)| {
			assert_eq!(weight, 1, "every authority has weight 1");
			id
		})
		.collect()
}

fn free_balance(who: &AccountId) -> u128 {
	frame_system::Account::<Runtime>::get(who).data.free
}

fn assert_dev_accounts_endowed() {
	use sp_core::{sr25519, Pair};
	// Alice..Ferdie and their stashes, and the dev poisoners //1..//4.
	let poisoners = (1..=4).map(|i| {
		AccountId::from(sr25519::Pair::from_string(&format!("//{i}"), None).unwrap().public())
	});
	let accounts: Vec<AccountId> =
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).chain(poisoners).collect();
	assert_eq!(accounts.len(), 16, "Alice..Ferdie, their stashes, //1..//4");
	for account in &accounts {
		assert_eq!(free_balance(account), ENDOWMENT, "{account} is endowed");
	}
	assert_eq!(
		pallet_balances::TotalIssuance::<Runtime>::get(),
		ENDOWMENT * accounts.len() as u128,
		"nothing but the endowments is issued"
	);
	assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
}

#[test]
fn development_preset_has_alice_as_single_authority() {
	let spec = chain_spec::development_chain_spec().unwrap();
	assert_eq!(spec.id(), "cohort_dev");
	genesis_of(&spec).execute_with(|| {
		assert_eq!(aura_authorities(), vec![AuraId::from(Sr25519Keyring::Alice.public())]);
		assert_eq!(grandpa_authorities(), vec![GrandpaId::from(Ed25519Keyring::Alice.public())]);
		assert_dev_accounts_endowed();
	});
}

#[test]
fn local_testnet_preset_has_alice_and_bob_as_authorities() {
	let spec = chain_spec::local_chain_spec().unwrap();
	assert_eq!(spec.id(), "cohort_local_testnet");
	genesis_of(&spec).execute_with(|| {
		assert_eq!(
			aura_authorities(),
			vec![
				AuraId::from(Sr25519Keyring::Alice.public()),
				AuraId::from(Sr25519Keyring::Bob.public())
			]
		);
		assert_eq!(
			grandpa_authorities(),
			vec![
				GrandpaId::from(Ed25519Keyring::Alice.public()),
				GrandpaId::from(Ed25519Keyring::Bob.public())
			]
		);
		assert_dev_accounts_endowed();
	});
}

#[test]
fn chain_specs_tell_wallets_the_token() {
	for spec in
		[chain_spec::development_chain_spec().unwrap(), chain_spec::local_chain_spec().unwrap()]
	{
		let properties = spec.properties();
		assert_eq!(properties["tokenSymbol"], "COH");
		assert_eq!(properties["tokenDecimals"], 12);
		assert_eq!(properties["ss58Format"], 42);
	}
}

#[test]
fn runtime_lists_exactly_its_presets() {
	use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
	let names = cohort_runtime::genesis_config_presets::preset_names();
	assert_eq!(
		names,
		vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
	);
	assert!(
		cohort_runtime::genesis_config_presets::get_preset(&PresetId::from("mainnet")).is_none()
	);
}
