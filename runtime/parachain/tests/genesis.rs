//! The parachain runtime's genesis presets, and what it shares with the solochain runtime.
//!
//! The presets must build from the WASM runtime as `chain-spec-builder` builds them; the
//! development chain must start with its collator, its parachain id and exactly the Cohort
//! state of the solochain's development chain; and every shared pallet must be configured the
//! same on both runtimes (their constants in the metadata, which is what wallets and the
//! worker read, are compared one by one).

use cohort_parachain_runtime::{
	genesis_config_presets::{get_preset, preset_names, DEFAULT_PARA_ID},
	AccountId, Runtime, WASM_BINARY,
};
use sc_chain_spec::GenesisConfigBuilderRuntimeCaller;
use sp_core::storage::Storage;
use sp_genesis_builder::PresetId;
use sp_io::hashing::twox_128;
use sp_keyring::Sr25519Keyring;
use std::collections::BTreeMap;

type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions,
);

/// The genesis storage of the named preset, built by the WASM runtime's `GenesisBuilder`.
fn wasm_genesis(wasm: &[u8], preset: &str) -> Storage {
	GenesisConfigBuilderRuntimeCaller::<HostFunctions>::new(wasm)
		.get_storage_for_named_preset(Some(&preset.to_string()))
		.unwrap_or_else(|e| panic!("preset {preset} builds: {e}"))
}

/// The entries of `storage` under the pallet (or pallet's item) prefix.
fn under(storage: &Storage, pallet: &str, item: Option<&str>) -> BTreeMap<Vec<u8>, Vec<u8>> {
	let mut prefix = twox_128(pallet.as_bytes()).to_vec();
	if let Some(item) = item {
		prefix.extend(twox_128(item.as_bytes()));
	}
	storage
		.top
		.iter()
		.filter(|(k, _)| k.starts_with(&prefix))
		.map(|(k, v)| (k.clone(), v.clone()))
		.collect()
}

fn decoded<T: codec::Decode>(storage: &Storage, pallet: &str, item: &str) -> T {
	let key = [twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat();
	let value = storage.top.get(&key).unwrap_or_else(|| panic!("{pallet}.{item} is set"));
	T::decode(&mut &value[..]).unwrap()
}

#[test]
fn every_preset_builds_from_the_wasm_runtime() {
	let wasm = WASM_BINARY.expect("the WASM runtime is built");
	let names = preset_names();
	assert_eq!(names.len(), 2);
	for name in names {
		let name = String::from_utf8(AsRef::<[u8]>::as_ref(&name).to_vec()).unwrap();
		let storage = wasm_genesis(wasm, &name);
		let para_id: cumulus_primitives_core::ParaId =
			decoded(&storage, "ParachainInfo", "ParachainId");
		assert_eq!(para_id, DEFAULT_PARA_ID, "{name}");
	}
	assert!(get_preset(&PresetId::from("mainnet")).is_none());
}

#[test]
fn the_development_parachain_starts_with_alice_collating_and_the_solochains_cohort_state() {
	let para = wasm_genesis(WASM_BINARY.unwrap(), "development");
	let solo = wasm_genesis(cohort_runtime::WASM_BINARY.unwrap(), "development");

	let alice = Sr25519Keyring::Alice.to_account_id();
	let invulnerables: Vec<AccountId> = decoded(&para, "CollatorSelection", "Invulnerables");
	assert_eq!(invulnerables, vec![alice.clone()]);
	let validators: Vec<AccountId> = decoded(&para, "Session", "Validators");
	assert_eq!(validators, vec![alice.clone()]);
	let authorities: Vec<sp_consensus_aura::sr25519::AuthorityId> =
		decoded(&para, "Aura", "Authorities");
	assert_eq!(authorities, vec![Sr25519Keyring::Alice.public().into()]);
	let sudo: AccountId = decoded(&para, "Sudo", "Key");
	assert_eq!(sudo, alice);

	// The same accounts, balances, datasets, stakes, emission schedule and challenges: the
	// storage of these pallets is byte for byte the solochain's (same pallet names, same keys).
	for pallet in ["DataMarket", "Incentives", "ComputeLease", "Federated", "Sudo", "Treasury"] {
		assert_eq!(under(&para, pallet, None), under(&solo, pallet, None), "{pallet}");
	}
	let (para_accounts, solo_accounts) =
		(under(&para, "System", Some("Account")), under(&solo, "System", Some("Account")));
	// The same balances; only the reference counts of collators differ (their session keys
	// are a consumer of the account on the parachain).
	type Account = frame_system::AccountInfo<u32, pallet_balances::AccountData<u128>>;
	let account = |value: &Vec<u8>| <Account as codec::Decode>::decode(&mut &value[..]).unwrap();
	for (key, value) in &solo_accounts {
		let para = para_accounts.get(key).unwrap_or_else(|| panic!("account {}", hex(key)));
		let (para, solo) = (account(para), account(value));
		assert_eq!(
			(para.nonce, para.providers, para.data),
			(solo.nonce, solo.providers, solo.data)
		);
	}
	for key in para_accounts.keys().filter(|k| !solo_accounts.contains_key(*k)) {
		println!("only on the parachain: account {}", hex(key));
	}
	assert_eq!(
		under(&para, "Balances", Some("TotalIssuance")),
		under(&solo, "Balances", Some("TotalIssuance"))
	);
	assert!(!under(&para, "DataMarket", None).is_empty());
	// The production block time: the solochain's test presets ask for 2-s blocks, the
	// parachain follows the relay chain's 6-s slots.
	assert!(under(&para, "BlockTime", Some("Millis")).is_empty());
	let solo_millis: u64 = decoded(&solo, "BlockTime", "Millis");
	assert_eq!(solo_millis, cohort_runtime::TEST_MILLISECS_PER_BLOCK);
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The constants of the named pallet in a runtime's metadata: name to SCALE-encoded value.
fn constants(
	metadata: &frame_support::__private::metadata::RuntimeMetadataPrefixed,
	pallet: &str,
) -> BTreeMap<String, Vec<u8>> {
	let frame_support::__private::metadata::RuntimeMetadata::V14(metadata) = &metadata.1 else {
		panic!("the runtime's default metadata is V14")
	};
	let pallet = metadata
		.pallets
		.iter()
		.find(|p| p.name == pallet)
		.unwrap_or_else(|| panic!("the runtime has {pallet}"));
	pallet.constants.iter().map(|c| (c.name.to_string(), c.value.clone())).collect()
}

#[test]
fn every_shared_pallet_is_configured_the_same_on_both_runtimes() {
	// Some constants are read from storage (the block time): an empty state gives the defaults.
	let (para, solo) = sp_io::TestExternalities::default()
		.execute_with(|| (Runtime::metadata(), cohort_runtime::Runtime::metadata()));
	for pallet in [
		"Federated",
		"DataMarket",
		"Incentives",
		"ComputeLease",
		"BlockTime",
		"Balances",
		"TransactionPayment",
		"Treasury",
		"Timestamp",
		"Sudo",
	] {
		let (p, s) = (constants(&para, pallet), constants(&solo, pallet));
		assert_eq!(p, s, "{pallet}'s constants differ between the runtimes");
	}
	// The block limits fees are priced against: the same execution time and length; only the
	// proof size differs (a parachain's is bounded by the relay chain).
	let (p, s) = (constants(&para, "System"), constants(&solo, "System"));
	assert_eq!(p["BlockLength"], s["BlockLength"]);
	assert_eq!(p["SS58Prefix"], s["SS58Prefix"]);
	assert_ne!(p["BlockWeights"], s["BlockWeights"]);
}
