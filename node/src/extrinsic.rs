//! Signed extrinsics made by the node itself: for the `benchmark extrinsic`/`overhead`
//! commands, for tests, and for the ML worker's submissions (signed in the keystore).

use codec::Encode;
use cohort_runtime::{self as runtime, Runtime, RuntimeCall, TxExtension, UncheckedExtrinsic};
use sc_client_api::UsageProvider;
use sp_core::{sr25519, Pair};
use sp_runtime::{generic::Era, SaturatedConversion};

/// Signs `call` with `sender` at `nonce`, valid for 256 blocks from the client's best block.
pub fn create_signed_extrinsic<C: UsageProvider<runtime::opaque::Block>>(
	client: &C,
	sender: &sr25519::Pair,
	call: impl Into<RuntimeCall>,
	nonce: runtime::Nonce,
) -> UncheckedExtrinsic {
	create_extrinsic_signed_by(client, sender.public(), |p| Some(sender.sign(p)), call, nonce)
		.expect("a key pair always signs")
}

/// As [`create_signed_extrinsic`], with the signature made by `sign` for the key `sender` (a
/// keystore, say); `None` when `sign` cannot sign.
pub fn create_extrinsic_signed_by<C: UsageProvider<runtime::opaque::Block>>(
	client: &C,
	sender: sr25519::Public,
	sign: impl FnOnce(&[u8]) -> Option<sr25519::Signature>,
	call: impl Into<RuntimeCall>,
	nonce: runtime::Nonce,
) -> Option<UncheckedExtrinsic> {
	let call = call.into();
	let info = client.usage_info().chain;
	let genesis_hash = info.genesis_hash;
	let best_hash = info.best_hash;
	let best_block = info.best_number.saturated_into::<u64>();

	// Mortal for 256 blocks: long enough to be included, short enough to expire if it is not.
	let period = 256u64;
	let tx_ext: TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::mortal(period, best_block)),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_system::WeightReclaim::<Runtime>::new(),
	);

	// What the signer commits to besides the call: the values the extensions check implicitly.
	let implicit = (
		(),
		(),
		runtime::VERSION.spec_version,
		runtime::VERSION.transaction_version,
		genesis_hash,
		best_hash,
		(),
		(),
		(),
		(),
	);
	let raw_payload = runtime::SignedPayload::from_raw(call.clone(), tx_ext.clone(), implicit);
	let signature = raw_payload.using_encoded(sign)?;

	Some(UncheckedExtrinsic::new_signed(
		call,
		sp_runtime::AccountId32::from(sender).into(),
		runtime::Signature::Sr25519(signature),
		tx_ext,
	))
}
