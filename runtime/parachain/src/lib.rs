//! Cohort as a parachain.
//!
//! The Cohort pallets (`federated`, `data-market`, `incentives`, `compute-lease`, `block-time`)
//! with balances, fees, sudo and the treasury, configured exactly as on the solochain
//! (`cohort_runtime_common::impl_cohort_pallets!`), on cumulus instead of GRANDPA: the relay
//! chain finalizes, collators chosen by `pallet-collator-selection` author blocks with Aura,
//! and XCM connects the chain to its relay chain and siblings. The polkadot omni-node runs it;
//! `docs/howto-deploy-parachain.md` says how.

#![cfg_attr(not(feature = "std"), no_std)]
// `#[runtime]` expands to deep recursion in the type checker.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

// Declared before `apis`: it defines the `list_benchmarks!`/`add_benchmarks!` macros used there.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys};
use sp_version::{runtime_version, RuntimeVersion};

pub use cohort_runtime_common::{
	AccountId, Address, Balance, BlockNumber, Hash, Header, Nonce, Signature, DAYS,
	EXISTENTIAL_DEPOSIT, HOURS, MILLISECS_PER_BLOCK, MINUTES, SS58_PREFIX, TOKEN_DECIMALS,
	TOKEN_SYMBOL, UNIT,
};
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

impl_opaque_keys! {
	/// The session keys of a collator: its Aura key.
	pub struct SessionKeys {
		pub aura: Aura,
	}
}

#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("cohort-parachain"),
	impl_name: alloc::borrow::Cow::Borrowed("cohort-parachain"),
	authoring_version: 1,
	// Bump on every change of runtime logic; `transaction_version` on every change of a call's
	// index or arguments.
	spec_version: 1,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The checks and payments every signed transaction goes through, in order, wrapped in the
/// reclaim of unused proof size (a parachain block's proof is limited, its weight refunded by
/// what the proof really holds).
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		frame_system::AuthorizeCall<Runtime>,
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		frame_system::CheckNonce<Runtime>,
		frame_system::CheckWeight<Runtime>,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	),
>;

/// An extrinsic as the runtime decodes it.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	// System and the relay chain.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type ParachainInfo = staging_parachain_info;
	#[runtime::pallet_index(4)]
	pub type WeightReclaim = cumulus_pallet_weight_reclaim;

	// Money.
	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(12)]
	pub type Treasury = pallet_treasury;

	// Governance.
	#[runtime::pallet_index(15)]
	pub type Sudo = pallet_sudo;

	// Collators. The order matters: authorship before collator selection before session
	// before Aura.
	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;
	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	// XCM.
	#[runtime::pallet_index(30)]
	pub type XcmpQueue = cumulus_pallet_xcmp_queue;
	#[runtime::pallet_index(31)]
	pub type PolkadotXcm = pallet_xcm;
	#[runtime::pallet_index(32)]
	pub type CumulusXcm = cumulus_pallet_xcm;
	#[runtime::pallet_index(33)]
	pub type MessageQueue = pallet_message_queue;

	// Cohort: the same pallets, with the same names, as on the solochain.
	#[runtime::pallet_index(40)]
	pub type BlockTime = pallet_block_time;
	#[runtime::pallet_index(41)]
	pub type Federated = pallet_federated;
	#[runtime::pallet_index(42)]
	pub type DataMarket = pallet_data_market;
	#[runtime::pallet_index(43)]
	pub type Incentives = pallet_incentives;
	#[runtime::pallet_index(44)]
	pub type ComputeLease = pallet_compute_lease;
}

// What a relay chain's validators run to check a block of this chain: the block re-executed
// against its proof, Aura's seal checked.
cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}
