//! A relay chain's check of a Cohort block: the runtime's WASM `validate_block`, run by the
//! executor a validator uses, on a proof of validity built as a collator builds one.
//!
//! Block 1 of the development chain — the relay chain's inherent, the timestamp, a transfer and
//! a federated task — is built natively with its storage reads recorded into a proof and sealed
//! with Alice's Aura key; then `validate_block` re-executes it from the proof alone. It must
//! return the block's header as the new head; a block sealed by a key that is not a collator's,
//! or changed after sealing, or claimed on another parent, must be refused. (One test builds
//! the block once for all four checks: each test is a process of its own under nextest.)

mod common;

use codec::{Decode, Encode};
use cohort_parachain_runtime::{
	genesis_config_presets::DEFAULT_PARA_ID, Block, Executive, Header, Runtime, RuntimeCall,
	RuntimeEvent, SignedPayload, TxExtension, UncheckedExtrinsic, UNIT, VERSION, WASM_BINARY,
};
use cumulus_primitives_core::{ParachainBlockData, PersistedValidationData};
use cumulus_primitives_parachain_inherent::ParachainInherentData;
use cumulus_test_relay_sproof_builder::RelayStateSproofBuilder;
use polkadot_parachain_primitives::primitives::{
	BlockData, HeadData, ValidationParams, ValidationResult,
};
use sc_executor::{HeapAllocStrategy, WasmExecutor, DEFAULT_HEAP_ALLOC_STRATEGY};
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_inherents::InherentData;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::{DigestItem, Era},
	traits::{BlakeTwo256, Block as BlockT, Hash as _, Header as _},
	Digest, MultiSignature, StateVersion,
};
use sp_trie::{proof_size_extension::ProofSizeExt, recorder::Recorder};

type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions,
);

/// The relay chain's slot the block is built in; the parachain's slot is the same (both 6 s).
const RELAY_SLOT: u64 = 290_000_000;
/// The relay chain block the parachain block builds on.
const RELAY_PARENT: u32 = 100;

/// What a collator hands to the relay chain, and what it needs to know to check the answer.
struct Candidate {
	parent_head: Header,
	block: Block,
	proof: sp_trie::CompactProof,
	relay_parent_storage_root: H256,
}

/// A transaction signed by `signer` with nonce 0, on the chain whose genesis hash is `genesis`.
fn signed(call: RuntimeCall, signer: Sr25519Keyring, genesis: H256) -> UncheckedExtrinsic {
	let extension: TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim::new((
		frame_system::AuthorizeCall::new(),
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(Era::Immortal),
		frame_system::CheckNonce::from(0),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
	));
	let implicit =
		((), (), VERSION.spec_version, VERSION.transaction_version, genesis, genesis, (), (), ());
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.pair().sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		signer.to_account_id().into(),
		MultiSignature::Sr25519(signature),
		extension,
	)
}

/// Builds and seals block 1 of the development chain with `transactions`, recording its proof.
fn build_block_one(transactions: impl FnOnce(H256) -> Vec<UncheckedExtrinsic>) -> Candidate {
	let storage = common::dev_genesis_storage();
	let mut ext = sp_io::TestExternalities::new_with_state_version(storage, StateVersion::V1);
	ext.commit_all().unwrap();
	let genesis_root = *ext.backend.root();
	let parent_head = Header::new(
		0,
		BlakeTwo256::ordered_trie_root(vec![], StateVersion::V0),
		genesis_root,
		H256::zero(),
		Default::default(),
	);
	let genesis_hash = parent_head.hash();

	// The relay chain's state at the relay parent, as the collator proves it: the slot, the
	// parachain's included head (genesis) and the relay chain's configuration.
	let relay_state = RelayStateSproofBuilder {
		para_id: DEFAULT_PARA_ID,
		current_slot: Slot::from(RELAY_SLOT),
		included_para_head: Some(HeadData(parent_head.encode())),
		..Default::default()
	};
	let (relay_parent_storage_root, relay_chain_state) = relay_state.into_state_root_and_proof();

	let mut inherents = InherentData::new();
	inherents.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(RELAY_SLOT * 6000)).unwrap();
	inherents
		.put_data(
			cumulus_primitives_parachain_inherent::INHERENT_IDENTIFIER,
			&ParachainInherentData {
				validation_data: PersistedValidationData {
					parent_head: HeadData(parent_head.encode()),
					relay_parent_number: RELAY_PARENT,
					relay_parent_storage_root,
					max_pov_size: 10 * 1024 * 1024,
				},
				relay_chain_state,
				downward_messages: Default::default(),
				horizontal_messages: Default::default(),
				relay_parent_descendants: Default::default(),
				collator_peer_id: None,
			},
		)
		.unwrap();
	let transactions = transactions(genesis_hash);

	// Build with the proof recorded and its size measured, as a collator's block builder does.
	let recorder = Recorder::<sp_core::Blake2Hasher>::default();
	ext.register_extension(ProofSizeExt::new(recorder.clone()));
	let digest = Digest {
		logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(RELAY_SLOT).encode())],
	};
	let (header, extrinsics) = ext.execute_with_recorder(recorder.clone(), || {
		Executive::initialize_block(&Header::new(
			1,
			Default::default(),
			Default::default(),
			genesis_hash,
			digest,
		));
		let mut extrinsics = inherent_extrinsics(&inherents);
		extrinsics.extend(transactions);
		for xt in &extrinsics {
			Executive::apply_extrinsic(xt.clone())
				.expect("the extrinsic is valid")
				.expect("the extrinsic succeeds");
		}
		(Executive::finalize_block(), extrinsics)
	});
	let proof = recorder
		.drain_storage_proof()
		.into_compact_proof::<sp_core::Blake2Hasher>(genesis_root)
		.unwrap();
	Candidate {
		parent_head,
		block: seal(header, extrinsics, Sr25519Keyring::Alice),
		proof,
		relay_parent_storage_root,
	}
}

/// The inherents a collator puts first in its block: the relay chain's data and the time.
fn inherent_extrinsics(data: &InherentData) -> Vec<UncheckedExtrinsic> {
	use frame_support::inherent::ProvideInherent;
	let relay = cumulus_pallet_parachain_system::Pallet::<Runtime>::create_inherent(data)
		.expect("the relay chain's data is there");
	let time =
		pallet_timestamp::Pallet::<Runtime>::create_inherent(data).expect("the timestamp is there");
	vec![
		UncheckedExtrinsic::new_bare(RuntimeCall::ParachainSystem(relay)),
		UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(time)),
	]
}

/// Seals a block as the collator whose Aura key `author` is.
fn seal(mut header: Header, extrinsics: Vec<UncheckedExtrinsic>, author: Sr25519Keyring) -> Block {
	let signature: sr25519::Signature = author.pair().sign(header.hash().as_ref());
	header.digest_mut().push(DigestItem::Seal(AURA_ENGINE_ID, signature.encode()));
	Block::new(header, extrinsics)
}

/// A relay-chain validator's executor of the runtime (it compiles the WASM once).
struct Validator(WasmExecutor<HostFunctions>);

impl Validator {
	fn new() -> Self {
		// A runtime built for benchmarks imports the benchmarking host functions, which a
		// validator does not have; validate_block never calls them.
		Validator(
			WasmExecutor::<HostFunctions>::builder()
				.with_allow_missing_host_functions(true)
				.with_onchain_heap_alloc_strategy(HeapAllocStrategy::Static { extra_pages: 8192 })
				.with_offchain_heap_alloc_strategy(DEFAULT_HEAP_ALLOC_STRATEGY)
				.build(),
		)
	}

	/// Runs the WASM `validate_block` on `block` as the candidate's; `Err` if it fails.
	fn validate(
		&self,
		candidate: &Candidate,
		block: &Block,
		parent_head: &Header,
	) -> Result<ValidationResult, String> {
		let params = ValidationParams {
			parent_head: HeadData(parent_head.encode()),
			block_data: BlockData(
				ParachainBlockData::<Block>::new(
					vec![block.clone()],
					candidate.proof.clone(),
					None,
				)
				.encode(),
			),
			relay_parent_number: RELAY_PARENT,
			relay_parent_storage_root: candidate.relay_parent_storage_root,
		};
		let code = WASM_BINARY.unwrap();
		let fetcher = sp_core::traits::WrappedRuntimeCode(code.into());
		let runtime_code = sp_core::traits::RuntimeCode {
			code_fetcher: &fetcher,
			hash: sp_io::hashing::blake2_256(code).to_vec(),
			heap_pages: None,
		};
		// Everything validate_block reads comes from the proof: its externalities are empty.
		let mut ext = sp_io::TestExternalities::default();
		let mut ext = ext.ext();
		let result = sp_core::traits::CodeExecutor::call(
			&self.0,
			&mut ext,
			&runtime_code,
			"validate_block",
			&params.encode(),
			sp_core::traits::CallContext::Offchain,
		)
		.0
		.map_err(|e| e.to_string())?;
		ValidationResult::decode(&mut &result[..]).map_err(|e| e.to_string())
	}

	/// Asserts that validate_block ran and refused the block (the runtime panicked, which traps
	/// the WASM instance), rather than failing for any other reason.
	fn assert_refused(
		&self,
		candidate: &Candidate,
		block: &Block,
		parent_head: &Header,
		what: &str,
	) {
		let error = self.validate(candidate, block, parent_head).expect_err(what);
		println!("{what}: {error}");
		assert!(error.contains("panicked") || error.contains("trap"), "{what}: {error}");
	}
}

fn transfer_and_task(genesis: H256) -> Vec<UncheckedExtrinsic> {
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
		dest: Sr25519Keyring::Ferdie.to_account_id().into(),
		value: 5 * UNIT,
	});
	let task = RuntimeCall::Federated(pallet_federated::Call::create_task {
		spec: cohort_worker::dev::demo_task(H256::repeat_byte(7), false, 0),
	});
	vec![
		signed(transfer, Sr25519Keyring::Bob, genesis),
		signed(task, Sr25519Keyring::Alice, genesis),
	]
}

#[test]
fn the_relay_chain_accepts_a_block_with_a_transfer_and_a_task_and_refuses_forgeries() {
	let candidate = build_block_one(transfer_and_task);
	let validator = Validator::new();
	let result = validator
		.validate(&candidate, &candidate.block, &candidate.parent_head)
		.expect("validate_block accepts the block");
	assert_eq!(result.head_data, HeadData(candidate.block.header().encode()));
	assert_eq!(result.new_validation_code, None);
	assert!(result.upward_messages.is_empty());
	println!(
		"block 1 ({} extrinsics) validated from a {}-byte proof",
		candidate.block.extrinsics().len(),
		candidate.proof.encoded_size()
	);

	// The same block sealed by a key that is not a collator's.
	let (mut header, extrinsics) = candidate.block.clone().deconstruct();
	header.digest_mut().pop();
	let forged = seal(header, extrinsics, Sr25519Keyring::Eve);
	validator.assert_refused(&candidate, &forged, &candidate.parent_head, "sealed by Eve");

	// The collator's transfer dropped from the body it sealed.
	let (header, mut extrinsics) = candidate.block.clone().deconstruct();
	extrinsics.remove(2);
	let changed = Block::new(header, extrinsics);
	validator.assert_refused(&candidate, &changed, &candidate.parent_head, "changed after sealing");

	// The block claimed on a parent whose state it was not built on.
	let mut other_parent = candidate.parent_head.clone();
	other_parent.set_state_root(H256::repeat_byte(1));
	validator.assert_refused(&candidate, &candidate.block, &other_parent, "on another parent");
}

#[test]
fn the_block_did_what_its_transactions_say() {
	// The same block, executed natively on the genesis state: the events a wallet would see.
	let candidate = build_block_one(transfer_and_task);
	let mut ext = sp_io::TestExternalities::new_with_state_version(
		common::dev_genesis_storage(),
		StateVersion::V1,
	);
	ext.commit_all().unwrap();
	// With the proof size measured, as when it was built: fees are refunded by it.
	let recorder = Recorder::<sp_core::Blake2Hasher>::default();
	ext.register_extension(ProofSizeExt::new(recorder.clone()));
	// Without its seal, which the collator added after building (Aura's block executor checks
	// and removes it before executing).
	let (mut header, extrinsics) = candidate.block.clone().deconstruct();
	header.digest_mut().pop();
	ext.execute_with_recorder(recorder, || {
		Executive::execute_block(Block::new(header, extrinsics).into());
		let events: Vec<RuntimeEvent> =
			frame_system::Pallet::<Runtime>::events().into_iter().map(|r| r.event).collect();
		assert!(events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Balances(pallet_balances::Event::Transfer { amount, .. }) if *amount == 5 * UNIT
		)));
		assert!(events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Federated(pallet_federated::Event::TaskCreated { .. })
		)));
	});
}
