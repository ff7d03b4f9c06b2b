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
