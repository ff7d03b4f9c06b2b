//! Extrinsic builders and inherent data for `benchmark extrinsic` and `benchmark overhead`.

use std::{sync::Arc, time::Duration};

use cohort_runtime::{AccountId, Balance, BalancesCall, SystemCall};
use frame_benchmarking_cli::ExtrinsicBuilder;
use sp_core::Encode;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::OpaqueExtrinsic;

use crate::{extrinsic::create_signed_extrinsic, service::FullClient};

/// Builds `System::remark` extrinsics signed by Alice (the `benchmark overhead` workload).
pub struct RemarkBuilder {
	client: Arc<FullClient>,
}

impl RemarkBuilder {
	pub fn new(client: Arc<FullClient>) -> Self {
		Self { client }
	}
}

impl ExtrinsicBuilder for RemarkBuilder {
	fn pallet(&self) -> &str {
		"system"
	}

	fn extrinsic(&self) -> &str {
		"remark"
	}

	fn build(&self, nonce: u32) -> Result<OpaqueExtrinsic, &'static str> {
		let signer = Sr25519Keyring::Alice.pair();
		let extrinsic = create_signed_extrinsic(
			self.client.as_ref(),
			&signer,
			SystemCall::remark { remark: vec![] },
			nonce,
		);
		Ok(OpaqueExtrinsic::try_from_encoded_extrinsic(&extrinsic.encode())
			.expect("an encoded extrinsic decodes"))
	}
}

/// Builds `Balances::transfer_keep_alive` extrinsics from Alice to `dest`.
pub struct TransferKeepAliveBuilder {
	client: Arc<FullClient>,
	dest: AccountId,
	value: Balance,
}

impl TransferKeepAliveBuilder {
	pub fn new(client: Arc<FullClient>, dest: AccountId, value: Balance) -> Self {
		Self { client, dest, value }
	}
}

impl ExtrinsicBuilder for TransferKeepAliveBuilder {
	fn pallet(&self) -> &str {
		"balances"
	}

	fn extrinsic(&self) -> &str {
		"transfer_keep_alive"
	}

	fn build(&self, nonce: u32) -> Result<OpaqueExtrinsic, &'static str> {
		let signer = Sr25519Keyring::Alice.pair();
		let extrinsic = create_signed_extrinsic(
			self.client.as_ref(),
			&signer,
			BalancesCall::transfer_keep_alive { dest: self.dest.clone().into(), value: self.value },
			nonce,
		);
		Ok(OpaqueExtrinsic::try_from_encoded_extrinsic(&extrinsic.encode())
			.expect("an encoded extrinsic decodes"))
	}
}

/// Inherent data for a benchmark block: the current time.
pub fn inherent_benchmark_data() -> sc_cli::Result<InherentData> {
	let mut inherent_data = InherentData::new();
	let d = Duration::from_millis(0);
	let timestamp = sp_timestamp::InherentDataProvider::new(d.into());

	futures::executor::block_on(timestamp.provide_inherent_data(&mut inherent_data))
		.map_err(|e| format!("creating inherent data: {e:?}"))?;
	Ok(inherent_data)
}
