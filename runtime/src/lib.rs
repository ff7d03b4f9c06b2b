//! The Cohort runtime.
//!
//! A solochain runtime (Aura block production, GRANDPA finality) with the Cohort pallets:
//! `federated` (federated-learning rounds), `data-market`, `incentives` and `compute-lease`.
//! Their configuration, the types, fees and the shared runtime APIs are
//! `cohort-runtime-common`'s, which the parachain runtime (`runtime/parachain`) uses too. See
//! `docs/architecture.md`.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`/`#[runtime]` expands to deep recursion in the type checker.
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
pub mod fees;
pub mod genesis_config_presets;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256};
use sp_version::{runtime_version, RuntimeVersion};

// The types, the token and the time units are the same on both runtimes.
pub use cohort_runtime_common::{
	AccountId, Address, Balance, BlockNumber, Hash, Header, Nonce, Signature, DAYS,
	EXISTENTIAL_DEPOSIT, HOURS, MICRO_UNIT, MILLISECS_PER_BLOCK, MILLI_UNIT, MINUTES,
	MIN_MILLISECS_PER_BLOCK, SS58_PREFIX, TEST_MILLISECS_PER_BLOCK, TOKEN_DECIMALS, TOKEN_SYMBOL,
	UNIT,
};
pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block hash.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;

	impl_opaque_keys! {
		/// The session keys of a validator: one for block production, one for finality.
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
		}
	}
}

#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("cohort"),
	impl_name: alloc::borrow::Cow::Borrowed("cohort"),
	authoring_version: 1,
	// Bump on every change of runtime logic; `transaction_version` on every change of a call's
	// index or arguments.
	spec_version: 106,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The checks and payments every signed transaction goes through, in order.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// An extrinsic as the runtime decodes it.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on the next runtime upgrade, besides those of the pallets.
#[allow(unused_parens)]
type Migrations = ();

/// Dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
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

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Authorship = pallet_authorship;

	#[runtime::pallet_index(8)]
	pub type Treasury = pallet_treasury;

	#[runtime::pallet_index(9)]
	pub type BlockTime = pallet_block_time;

	#[runtime::pallet_index(10)]
	pub type Federated = pallet_federated;

	#[runtime::pallet_index(11)]
	pub type DataMarket = pallet_data_market;

	#[runtime::pallet_index(12)]
	pub type Incentives = pallet_incentives;

	#[runtime::pallet_index(13)]
	pub type ComputeLease = pallet_compute_lease;
}
