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

/// What an account has, free and held (the dev datasets' owners hold listing deposits).
fn total_balance(who: &AccountId) -> u128 {
	let data = frame_system::Account::<Runtime>::get(who).data;
	data.free + data.reserved
}

fn assert_dev_accounts_endowed() {
	use sp_core::{sr25519, Pair};
	// Alice..Ferdie and their stashes, the dev poisoners //1..//4 and the dev colluder.
	let cheaters = (1..=4)
		.map(|i| format!("//{i}"))
		.chain(["//Colluder".to_string()])
		.map(|uri| AccountId::from(sr25519::Pair::from_string(&uri, None).unwrap().public()));
	let accounts: Vec<AccountId> =
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).chain(cheaters).collect();
	assert_eq!(accounts.len(), 17, "Alice..Ferdie, their stashes, //1..//4, //Colluder");
	for account in &accounts {
		assert_eq!(total_balance(account), ENDOWMENT, "{account} is endowed");
	}
	// The treasury's endowment, and the existential deposit that opens the reward pot.
	let others = cohort_runtime::genesis_config_presets::TREASURY_ENDOWMENT
		+ cohort_runtime::EXISTENTIAL_DEPOSIT;
	assert_eq!(
		pallet_balances::TotalIssuance::<Runtime>::get(),
		ENDOWMENT * accounts.len() as u128 + others,
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
		assert_dev_datasets_listed();
	});
}

/// The dataset files the node's ML worker writes for the dev owners and poisoners: `(samples,
/// BLAKE2-256 of the binary form)` of datasets 1..=8, as the runtime's dev preset lists them.
fn dev_files() -> Vec<(u32, [u8; 32])> {
	cohort_worker::dev::datasets()
		.into_iter()
		.take(8)
		.enumerate()
		.map(|(i, (id, shard))| {
			assert_eq!(id, i as u64 + 1, "datasets 1..=8 in order");
			(shard.len() as u32, shard.hash().0)
		})
		.collect()
}

#[test]
fn the_dev_preset_lists_what_the_worker_has_on_disk() {
	let expected = dev_files();
	assert_eq!(
		cohort_runtime::genesis_config_presets::DEV_DATASET_CONTENT.to_vec(),
		expected,
		"DEV_DATASET_CONTENT should be:\n{}",
		expected
			.iter()
			.map(|(samples, hash)| format!(
				"\t({samples}, sp_core::hex2array!(\"{}\")),",
				hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
			))
			.collect::<Vec<_>>()
			.join("\n")
	);
}

/// Every dev dataset is listed by the dev key that trains on it, with the commitment and sample
/// count of its file, fits the demo task and asks no more than the demo task pays.
fn assert_dev_datasets_listed() {
	use cohort_primitives::dataset::{ContentCommitment, DatasetStatus};
	use cohort_worker::{dev, AutoJoin};
	use sp_core::{sr25519, Pair};
	let account =
		|uri: &str| AccountId::from(sr25519::Pair::from_string(uri, None).unwrap().public());
	let attacks: Vec<cohort_ml::attack::Attack> = ["scale:-10", "noise:1", "label-flip", "scale:2"]
		.iter()
		.map(|a| a.parse().unwrap())
		.collect();
	let keys = dev::participants()
		.into_iter()
		.chain(dev::cheaters())
		.chain(dev::poisoners(&attacks).unwrap());
	let model = dev::demo_task(Default::default(), true, 4).model;
	let files: std::collections::HashMap<_, _> = dev::datasets().into_iter().collect();
	let mut trainers = 0;
	for key in keys {
		let AutoJoin::Trainer { dataset, .. } = key.auto_join else { continue };
		trainers += 1;
		let info =
			pallet_data_market::Datasets::<Runtime>::get(dataset).expect("listed at genesis");
		assert_eq!(info.owner, account(key.uri), "dataset {dataset} belongs to {}", key.uri);
		assert_eq!(info.status, DatasetStatus::Listed);
		assert!(info.listing.schema.fits(&model), "dataset {dataset} fits the demo model");
		assert!(info.listing.royalty <= dev::DEMO_MAX_ROYALTY);
		let file = &files[&dataset];
		assert_eq!(info.listing.content, ContentCommitment::File(file.hash()));
		assert_eq!(info.listing.schema.samples, file.len() as u32);
	}
	assert_eq!(trainers, 9, "four owners, the copier, four poisoners");
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
	use cohort_runtime::genesis_config_presets::LOCAL_FOUR_PRESET;
	use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
	let names = cohort_runtime::genesis_config_presets::preset_names();
	assert_eq!(
		names,
		vec![
			PresetId::from(DEV_RUNTIME_PRESET),
			PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET),
			PresetId::from(LOCAL_FOUR_PRESET)
		]
	);
	assert!(
		cohort_runtime::genesis_config_presets::get_preset(&PresetId::from("mainnet")).is_none()
	);
}

/// The block time a chain runs: what Aura's runtime API reports (the node's slot) and the
/// timestamp's minimum period (half of it).
fn block_time() -> (u64, u64) {
	use frame_support::traits::Get;
	(
		pallet_aura::Pallet::<Runtime>::slot_duration(),
		<Runtime as pallet_timestamp::Config>::MinimumPeriod::get(),
	)
}

#[test]
fn test_presets_run_two_second_blocks_and_a_chain_without_a_preset_six() {
	use cohort_runtime::{MILLISECS_PER_BLOCK, TEST_MILLISECS_PER_BLOCK};
	assert_eq!((TEST_MILLISECS_PER_BLOCK, MILLISECS_PER_BLOCK), (2_000, 6_000));
	for spec in [
		chain_spec::development_chain_spec().unwrap(),
		chain_spec::local_chain_spec().unwrap(),
		chain_spec::local_four_chain_spec().unwrap(),
	] {
		genesis_of(&spec).execute_with(|| {
			assert_eq!(block_time(), (2_000, 1_000), "{}", spec.id());
		});
	}
	// A production chain spec starts from the runtime's default genesis: 6-second blocks.
	let default = chain_spec::ChainSpec::builder(
		cohort_runtime::WASM_BINARY.expect("the runtime's WASM is built"),
		Default::default(),
	)
	.with_name("Cohort")
	.with_id("cohort")
	.with_genesis_config_patch(serde_json::json!({}))
	.build();
	genesis_of(&default).execute_with(|| assert_eq!(block_time(), (6_000, 3_000)));
}

/// A node on a built-in chain builds its genesis natively (`chain_spec::native_genesis`) to
/// save two compilations of the runtime at start-up: the storage must be the WASM's, byte for
/// byte, or nodes started from an exported spec would not share its genesis block.
#[test]
fn native_genesis_is_the_wasm_genesis() {
	use sp_runtime::BuildStorage;
	for (id, spec) in [
		("dev", chain_spec::development_chain_spec().unwrap()),
		("local", chain_spec::local_chain_spec().unwrap()),
		("local-four", chain_spec::local_four_chain_spec().unwrap()),
	] {
		let preset = chain_spec::builtin_preset(id).unwrap();
		let native = chain_spec::native_genesis(preset).unwrap();
		let wasm = spec.build_storage().unwrap();
		assert_eq!(native.top.len(), wasm.top.len(), "{id}");
		assert!(native.top == wasm.top, "{id}: the native genesis differs from the WASM's");
		assert!(native.children_default.is_empty() && wasm.children_default.is_empty());
	}
	assert_eq!(chain_spec::builtin_preset(""), chain_spec::builtin_preset("local"));
	assert_eq!(chain_spec::builtin_preset("./spec.json"), None);
	assert!(chain_spec::native_genesis("mainnet").is_err());
}
