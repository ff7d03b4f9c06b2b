//! What a relay chain is given to register the Cohort parachain, as the omni-node makes it
//! (docs/howto-deploy-parachain.md): a chain spec from the runtime's preset, the genesis head and
//! the genesis code. The head must be block 0 of exactly the state the runtime's preset defines,
//! and the code exactly the runtime; a spec for a preset the runtime does not have is refused.

use codec::Decode;
use cohort_parachain_runtime::{genesis_config_presets::DEFAULT_PARA_ID, Header, WASM_BINARY};
use sc_chain_spec::GenesisConfigBuilderRuntimeCaller;
use sp_core::storage::StateVersion;
use sp_runtime::traits::{BlakeTwo256, Hash, Header as _};
use std::{path::Path, process::Command};

const OMNI_NODE: &str = env!("CARGO_BIN_EXE_cohort-omni-node");

type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions,
);

/// Runs the omni-node with `args`; its standard output, or a panic with what it printed.
fn omni_node(args: &[&str]) -> std::process::Output {
	Command::new(OMNI_NODE).args(args).output().expect("the omni-node starts")
}

fn succeeded(output: std::process::Output, what: &str) -> String {
	assert!(
		output.status.success(),
		"{what}: {}\n{}",
		output.status,
		String::from_utf8_lossy(&output.stderr)
	);
	String::from_utf8(output.stdout).unwrap()
}

/// `chain-spec-builder create` for the named preset of the runtime at `wasm`, as the howto runs it.
fn create_spec(dir: &Path, wasm: &Path, preset: &str) -> std::process::Output {
	let spec = dir.join(format!("{preset}.json"));
	omni_node(&[
		"chain-spec-builder",
		"--chain-spec-path",
		spec.to_str().unwrap(),
		"create",
		"-t",
		"local",
		"--relay-chain",
		"rococo-local",
		"--para-id",
		&u32::from(DEFAULT_PARA_ID).to_string(),
		"--runtime",
		wasm.to_str().unwrap(),
		"named-preset",
		preset,
	])
}

fn hex_bytes(output: &str) -> Vec<u8> {
	assert!(output.starts_with("0x"), "hex with 0x: {output}");
	sp_core::bytes::from_hex(output.trim()).expect("hex")
}

#[test]
fn the_genesis_head_and_code_a_relay_chain_registers_are_the_runtimes() {
	let wasm = WASM_BINARY.expect("the WASM runtime is built");
	let dir = tempfile::tempdir().unwrap();
	let wasm_path = dir.path().join("cohort_parachain_runtime.wasm");
	std::fs::write(&wasm_path, wasm).unwrap();

	succeeded(create_spec(dir.path(), &wasm_path, "local_testnet"), "chain-spec-builder create");
	let spec_path = dir.path().join("local_testnet.json");
	let spec: serde_json::Value =
		serde_json::from_slice(&std::fs::read(&spec_path).unwrap()).unwrap();
	assert_eq!(spec["para_id"], u32::from(DEFAULT_PARA_ID));
	assert_eq!(spec["relay_chain"], "rococo-local");
	let spec = spec_path.to_str().unwrap();
	let db = dir.path().join("db");
	let db = db.to_str().unwrap();

	let code = hex_bytes(&succeeded(
		omni_node(&["export-genesis-wasm", "--chain", spec, "--base-path", db]),
		"export-genesis-wasm",
	));
	assert!(
		code == wasm,
		"the genesis code is the runtime ({} bytes vs {})",
		code.len(),
		wasm.len()
	);

	let head = hex_bytes(&succeeded(
		omni_node(&["export-genesis-head", "--chain", spec, "--base-path", db]),
		"export-genesis-head",
	));
	let head = Header::decode(&mut &head[..]).expect("the genesis head is a parachain header");
	assert_eq!(*head.number(), 0);
	assert_eq!(*head.parent_hash(), Default::default());
	assert!(head.digest().logs().is_empty());
	assert_eq!(*head.extrinsics_root(), BlakeTwo256::ordered_trie_root(vec![], StateVersion::V1));
	// The state the runtime's own preset builds, with the runtime as its code, rooted as the
	// chain roots it.
	let mut storage = GenesisConfigBuilderRuntimeCaller::<HostFunctions>::new(wasm)
		.get_storage_for_named_preset(Some(&"local_testnet".to_string()))
		.unwrap();
	storage.top.insert(sp_core::storage::well_known_keys::CODE.to_vec(), wasm.to_vec());
	assert!(storage.children_default.is_empty());
	let root = BlakeTwo256::trie_root(storage.top.into_iter().collect(), StateVersion::V1);
	assert_eq!(*head.state_root(), root, "the genesis head commits to the preset's state");
}

#[test]
fn a_spec_for_a_preset_the_runtime_does_not_have_is_refused() {
	let dir = tempfile::tempdir().unwrap();
	let wasm_path = dir.path().join("cohort_parachain_runtime.wasm");
	std::fs::write(&wasm_path, WASM_BINARY.unwrap()).unwrap();
	let output = create_spec(dir.path(), &wasm_path, "mainnet");
	assert!(!output.status.success(), "no mainnet preset: {}", output.status);
	assert!(!dir.path().join("mainnet.json").exists());
}
