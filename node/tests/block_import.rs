//! A block built in-process by the node's client on the dev chain, with a signed transfer,
//! imports and executes: the best block advances and the balances move.

mod common;

use codec::{Decode, Encode};
use cohort_node::extrinsic::create_signed_extrinsic;
use cohort_runtime::{opaque::Block, AccountId, Balance, BalancesCall, Nonce, Runtime, UNIT};
use sc_block_builder::BlockBuilderBuilder;
use sc_client_api::StorageProvider;
use sc_consensus::{BlockImport, BlockImportParams, ForkChoiceStrategy, ImportResult, StateAction};
use sp_blockchain::HeaderBackend;
use sp_consensus::BlockOrigin;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::storage::StorageKey;
use sp_inherents::InherentDataProvider;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{Digest, DigestItem, OpaqueExtrinsic};

type AccountInfo = frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>;

fn account_at(
	client: &cohort_node::service::FullClient,
	at: <Block as sp_runtime::traits::Block>::Hash,
	who: &AccountId,
) -> AccountInfo {
	let key = StorageKey(frame_system::Account::<Runtime>::hashed_key_for(who));
	let raw = client.storage(at, &key).unwrap().expect("endowed account exists");
	AccountInfo::decode(&mut &raw.0[..]).unwrap()
}

#[test]
fn block_with_transfer_builds_and_imports() {
	let node = common::new_partial("dev");
	let (client, runtime) = (node.service.client.clone(), &node.runtime);
	let genesis = client.info().best_hash;
	assert_eq!(client.info().best_number, 0);

	let alice = Sr25519Keyring::Alice.to_account_id();
	let bob = Sr25519Keyring::Bob.to_account_id();
	let alice_before = account_at(&client, genesis, &alice);
	let bob_before = account_at(&client, genesis, &bob);

	// Aura's pre-runtime digest: the slot of "now", which the timestamp inherent must match.
	let slot_duration = sc_consensus_aura::standalone::slot_duration_at(&*client, genesis).unwrap();
	let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
	let slot = Slot::from_timestamp(*timestamp, slot_duration);
	let digest = Digest { logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, slot.encode())] };
	let inherent_data = runtime.block_on(timestamp.create_inherent_data()).unwrap();

	let mut builder = BlockBuilderBuilder::new(&*client)
		.on_parent_block(genesis)
		.with_parent_block_number(0)
		.with_inherent_digests(digest)
		.build()
		.unwrap();
	for inherent in builder.create_inherents(inherent_data).unwrap() {
		builder.push(inherent).unwrap();
	}
	let amount = 5 * UNIT;
	let transfer = create_signed_extrinsic(
		&*client,
		&Sr25519Keyring::Alice.pair(),
		BalancesCall::transfer_allow_death { dest: bob.clone().into(), value: amount },
		0,
	);
	builder.push(OpaqueExtrinsic::try_from_encoded_extrinsic(&transfer.encode()).unwrap()).unwrap();
	let block = builder.build().unwrap().block;
	assert_eq!(block.extrinsics.len(), 2, "the timestamp inherent and the transfer");

	let mut params = BlockImportParams::new(BlockOrigin::Own, block.header.clone());
	params.body = Some(block.extrinsics.clone());
	params.state_action = StateAction::Execute;
	params.fork_choice = Some(ForkChoiceStrategy::LongestChain);
	let result = runtime.block_on(client.import_block(params)).unwrap();
	assert!(matches!(result, ImportResult::Imported(_)), "imported: {result:?}");

	let info = client.info();
	assert_eq!(info.best_number, 1);
	assert_eq!(info.best_hash, block.header.hash());

	let alice_after = account_at(&client, info.best_hash, &alice);
	let bob_after = account_at(&client, info.best_hash, &bob);
	assert_eq!(bob_after.data.free, bob_before.data.free + amount);
	assert_eq!(alice_after.nonce, alice_before.nonce + 1);
	let fee = alice_before.data.free - amount - alice_after.data.free;
	assert!(fee > 0, "the transfer paid a fee");
	// Block space costs 15 COH a full block (docs/economics.md); a transfer's share of it is a
	// few thousandths of a COH (0.0055 measured).
	println!("a transfer paid {fee} plancks");
	assert!(fee < UNIT / 100, "a transfer's fee is below a hundredth of a COH, was {fee}");
}
