//! Becoming a collator, as someone who wants to author blocks without the keys or the bond tries
//! it. Collators are permissionless candidates (a bond, and session keys proven to be theirs)
//! next to invulnerables the chain's governance names: a stranger cannot take a collator's key,
//! name itself invulnerable, lower the bond or become a candidate without keys or funds; an
//! honest candidate's bond is held while it stands and returned when it leaves.

mod common;

use codec::Encode;
use cohort_parachain_runtime::{
	genesis_config_presets::CANDIDACY_BOND, AccountId, Balances, CollatorSelection, Runtime,
	RuntimeEvent, RuntimeOrigin, Session, SessionKeys, System,
};
use frame_support::{assert_noop, assert_ok};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Zero, DispatchError};
use std::sync::Arc;

type SelectionError = pallet_collator_selection::Error<Runtime>;
type SessionError = pallet_session::Error<Runtime>;

/// The development parachain (Alice its one invulnerable collator), with a keystore for
/// session keys as a collator's node has one.
fn dev_chain() -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new(common::dev_genesis_storage());
	ext.register_extension(sp_keystore::KeystoreExt(Arc::new(
		sp_keystore::testing::MemoryKeystore::new(),
	)));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

/// Session keys generated from `seed`, with the proof that they are `owner`'s, as
/// `author_rotateKeys`'s runtime call makes them on a collator's node.
fn keys_of(owner: &AccountId, seed: &str) -> (SessionKeys, Vec<u8>) {
	let generated = SessionKeys::generate(&owner.encode(), Some(seed.as_bytes().to_vec()));
	(generated.keys, generated.proof.encode())
}

/// What decides who collates: candidates, invulnerables, the bond, the queued session keys.
fn collator_state() -> Vec<u8> {
	(
		pallet_collator_selection::CandidateList::<Runtime>::get(),
		pallet_collator_selection::Invulnerables::<Runtime>::get(),
		pallet_collator_selection::CandidacyBond::<Runtime>::get(),
		pallet_collator_selection::DesiredCandidates::<Runtime>::get(),
		pallet_session::QueuedKeys::<Runtime>::get(),
		pallet_aura::Authorities::<Runtime>::get(),
	)
		.encode()
}

#[test]
fn a_stranger_cannot_claim_a_collators_key_or_name_itself_collator() {
	dev_chain().execute_with(|| {
		let eve = Sr25519Keyring::Eve.to_account_id();
		let alice_aura: AuraId = Sr25519Keyring::Alice.public().into();
		let before = collator_state();
		let eve_reserved = Balances::reserved_balance(&eve);

		// Alice's Aura key as Eve's, with the only proof Eve can make: her own signature.
		let (_, eve_proof) = keys_of(&eve, "//Eve");
		assert_noop!(
			Session::set_keys(signed(&eve), SessionKeys { aura: alice_aura.clone() }, eve_proof),
			SessionError::InvalidProof
		);
		// Alice's own proof (it names Alice, not Eve) does not serve Eve either.
		let alice = Sr25519Keyring::Alice.to_account_id();
		let (_, alice_proof) = keys_of(&alice, "//Alice");
		assert_noop!(
			Session::set_keys(signed(&eve), SessionKeys { aura: alice_aura }, alice_proof),
			SessionError::InvalidProof
		);

		// A candidate without session keys; governance's calls from a plain account.
		assert_noop!(
			CollatorSelection::register_as_candidate(signed(&eve)),
			SelectionError::ValidatorNotRegistered
		);
		assert_noop!(
			CollatorSelection::set_invulnerables(signed(&eve), vec![eve.clone()]),
			DispatchError::BadOrigin
		);
		assert_noop!(
			CollatorSelection::add_invulnerable(signed(&eve), eve.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			CollatorSelection::remove_invulnerable(signed(&eve), alice.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			CollatorSelection::set_candidacy_bond(signed(&eve), 0),
			DispatchError::BadOrigin
		);
		assert_noop!(
			CollatorSelection::set_desired_candidates(signed(&eve), 0),
			DispatchError::BadOrigin
		);
		// Leaving or re-bonding as a candidate it never was (leaving is refused before that is
		// looked at: the chain has no collator to spare).
		assert_noop!(
			CollatorSelection::leave_intent(signed(&eve)),
			SelectionError::TooFewEligibleCollators
		);
		assert_noop!(
			CollatorSelection::update_bond(signed(&eve), CANDIDACY_BOND),
			SelectionError::NotCandidate
		);
		// Even governance cannot leave the chain without a collator.
		assert_noop!(
			CollatorSelection::remove_invulnerable(RuntimeOrigin::root(), alice),
			SelectionError::TooFewEligibleCollators
		);

		assert_eq!(collator_state(), before);
		assert_eq!(Balances::reserved_balance(&eve), eve_reserved);
	});
}

#[test]
fn a_candidate_needs_its_bond_and_gets_it_back_when_it_leaves() {
	dev_chain().execute_with(|| {
		// Mallory holds keys of her own but less than the bond.
		let mallory = Sr25519Keyring::One.to_account_id();
		assert_ok!(Balances::force_set_balance(
			RuntimeOrigin::root(),
			mallory.clone().into(),
			CANDIDACY_BOND / 2
		));
		let (keys, proof) = keys_of(&mallory, "//One//aura");
		assert_ok!(Session::set_keys(signed(&mallory), keys, proof));
		assert_noop!(
			CollatorSelection::register_as_candidate(signed(&mallory)),
			pallet_balances::Error::<Runtime>::InsufficientBalance
		);
		assert!(Balances::reserved_balance(&mallory).is_zero());

		// Eve, with keys of her own and the funds, stands: the bond is held, the next sessions
		// make her an author, and leaving returns it.
		let eve = Sr25519Keyring::Eve.to_account_id();
		let (keys, proof) = keys_of(&eve, "//Eve//aura");
		let eve_aura = keys.aura.clone();
		assert_ok!(Session::set_keys(signed(&eve), keys.clone(), proof.clone()));
		// Her keys are hers alone now: nobody else can register them, not even with her proof.
		let ferdie = Sr25519Keyring::Ferdie.to_account_id();
		assert_noop!(Session::set_keys(signed(&ferdie), keys, proof), SessionError::InvalidProof);

		let reserved = Balances::reserved_balance(&eve);
		assert_ok!(CollatorSelection::register_as_candidate(signed(&eve)));
		assert_eq!(Balances::reserved_balance(&eve), reserved + CANDIDACY_BOND);
		System::assert_has_event(RuntimeEvent::CollatorSelection(
			pallet_collator_selection::Event::CandidateAdded {
				account_id: eve.clone(),
				deposit: CANDIDACY_BOND,
			},
		));
		assert_noop!(
			CollatorSelection::register_as_candidate(signed(&eve)),
			SelectionError::AlreadyCandidate
		);
		// Not an author before the session after next, as on any Aura parachain.
		assert!(!pallet_aura::Authorities::<Runtime>::get().contains(&eve_aura));
		Session::rotate_session();
		assert!(!pallet_aura::Authorities::<Runtime>::get().contains(&eve_aura));
		Session::rotate_session();
		assert!(pallet_aura::Authorities::<Runtime>::get().contains(&eve_aura));

		assert_ok!(CollatorSelection::leave_intent(signed(&eve)));
		assert_eq!(Balances::reserved_balance(&eve), reserved);
	});
}
