//! Chain specifications built from the runtime's genesis presets.

use cohort_runtime::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use sc_service::{ChainType, Properties};

/// A chain spec of the Cohort runtime.
pub type ChainSpec = sc_service::GenericChainSpec;

/// What wallets read to show balances: the token's symbol, decimals and address format.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime's WASM binary is not available (built with SKIP_WASM_BUILD?)".into()
	})
}

/// A chain spec of the runtime's genesis preset `preset`, with the token's properties.
fn preset_chain_spec(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev` / `--chain dev`: Alice alone authors and finalizes.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	preset_chain_spec(
		"Cohort Development",
		"cohort_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `--chain local`: Alice and Bob author and finalize together.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	preset_chain_spec(
		"Cohort Local Testnet",
		"cohort_local_testnet",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// `--chain local-four`: Alice, Bob, Charlie and Dave author and finalize together (the
/// zombienet network; finality needs three of the four).
pub fn local_four_chain_spec() -> Result<ChainSpec, String> {
	preset_chain_spec(
		"Cohort Local Four Validators",
		"cohort_local_four",
		ChainType::Local,
		cohort_runtime::genesis_config_presets::LOCAL_FOUR_PRESET,
	)
}

/// The genesis preset of a built-in chain id: `dev`, `local` (also the default, no `--chain`)
/// and `local-four`; `None` for anything else, which names a chain spec file.
pub fn builtin_preset(id: &str) -> Option<&'static str> {
	match id {
		"dev" => Some(sp_genesis_builder::DEV_RUNTIME_PRESET),
		"" | "local" => Some(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		"local-four" => Some(cohort_runtime::genesis_config_presets::LOCAL_FOUR_PRESET),
		_ => None,
	}
}

/// The genesis storage of `preset`, built by the runtime's native code: the same bytes the
/// runtime's `GenesisBuilder` API builds in WASM (`node/tests/genesis.rs` compares them), the
/// preset merged onto the default genesis config and the WASM code added, but without
/// compiling the WASM runtime twice (once to read the preset, once to build the state) at every
/// start of a node on a built-in chain.
pub fn native_genesis(preset: &str) -> Result<sp_core::storage::Storage, String> {
	use sp_runtime::BuildStorage;
	let patch = cohort_runtime::genesis_config_presets::get_preset(&preset.into())
		.ok_or_else(|| format!("the runtime has no genesis preset {preset:?}"))?;
	let patch: serde_json::Value = serde_json::from_slice(&patch).map_err(|e| e.to_string())?;
	let mut config = serde_json::to_value(cohort_runtime::RuntimeGenesisConfig::default())
		.map_err(|e| e.to_string())?;
	sc_chain_spec::json_merge(&mut config, patch);
	let config: cohort_runtime::RuntimeGenesisConfig =
		serde_json::from_value(config).map_err(|e| format!("preset {preset:?}: {e}"))?;
	let mut storage = config.build_storage()?;
	storage.top.insert(sp_core::storage::well_known_keys::CODE.to_vec(), wasm_binary()?.to_vec());
	Ok(storage)
}
