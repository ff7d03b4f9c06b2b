//! What the parachain runtime's tests share.

use cohort_parachain_runtime::{
	genesis_config_presets::development_config_genesis, RuntimeGenesisConfig, WASM_BINARY,
};
use sp_runtime::BuildStorage;

/// The development parachain's genesis storage, its code included, built natively from the
/// preset as the runtime's `GenesisBuilder` builds it (the preset patched over the defaults).
pub fn dev_genesis_storage() -> sp_core::storage::Storage {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	sc_chain_spec::json_merge(&mut config, development_config_genesis());
	let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
	let mut storage = config.build_storage().unwrap();
	storage
		.top
		.insert(sp_core::storage::well_known_keys::CODE.to_vec(), WASM_BINARY.unwrap().to_vec());
	storage
}
