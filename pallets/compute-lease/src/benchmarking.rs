//! Benchmarks of every call and of the work done at the start of a block (ending leases,
//! resolving challenges, issuing one), each in its most expensive case.

use super::*;
use crate::{
	Challenges, Expiries, Leases, LeasesOf, NextLeaseId, Offers, Pallet as ComputeLease, Requests,
	Workers,
};
use cohort_primitives::compute::{
	challenge_commitment, Backends, Gpu, Hardware, MaxGpus, OfferStatus, OfferTerms, Requirements,
};
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::H256;
use sp_runtime::traits::{Bounded, One, Saturating};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

/// The largest hardware description: every GPU, with the longest names.
fn hardware() -> Hardware {
	let gpu = Gpu { model: BoundedVec::truncate_from(alloc::vec![b'g'; 64]), memory_mib: 81_920 };
	Hardware {
		cores: 128,
		memory_mib: 1 << 20,
		gpus: BoundedVec::truncate_from(alloc::vec![gpu; <MaxGpus as Get<u32>>::get() as usize]),
		backends: Backends(Backends::ALL),
	}
}

fn terms<T: Config>() -> TermsOf<T> {
	OfferTerms {
		slots: T::MaxLeasesPerOffer::get(),
		price: 1_000u32.into(),
		min_blocks: One::one(),
		max_blocks: 10_000u32.into(),
		bond: T::MinBond::get(),
	}
}

/// Registers `who` with the least bond the list's fill asks for.
fn register<T: Config>(who: &T::AccountId) {
	let mut terms = terms::<T>();
	terms.bond = ComputeLease::<T>::min_offer_bond(Workers::<T>::decode_len().unwrap_or(0) as u32);
	ComputeLease::<T>::register_offer(
		RawOrigin::Signed(who.clone()).into(),
		hardware(),
		1_000,
		terms,
	)
	.unwrap();
}

/// Registers offers until the list holds `n`.
fn fill_offers<T: Config>(n: u32) {
	let mut i = 0;
	while (Workers::<T>::decode_len().unwrap_or(0) as u32) < n {
		registered::<T>("verifier", i);
		i += 1;
	}
}

fn registered<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who = funded::<T>(name, index);
	register::<T>(&who);
	who
}

/// Fills the list of workers up to `n` with accounts that have no offer (the list's length is
/// what removing from it costs).
fn fill_workers<T: Config>(n: u32) {
	Workers::<T>::mutate(|w| {
		let mut i = 0;
		while (w.len() as u32) < n {
			let _ = w.try_push(account("filler", i, 0));
			i += 1;
		}
	});
}

fn lease_of<T: Config>(consumer: &T::AccountId, worker: &T::AccountId, blocks: u32) -> u64 {
	let id = NextLeaseId::<T>::get();
	ComputeLease::<T>::lease(
		RawOrigin::Signed(consumer.clone()).into(),
		worker.clone(),
		1,
		blocks.into(),
		BalanceOf::<T>::max_value(),
	)
	.unwrap();
	id
}

fn now<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number()
}

fn set_now<T: Config>(n: BlockNumberFor<T>) {
	frame_system::Pallet::<T>::set_block_number(n);
}

fn requirements<T: Config>() -> RequirementsOf<T> {
	Requirements {
		backends: Backends(Backends::CPU),
		min_memory_mib: 1,
		min_score: 0,
		max_price: 10_000u32.into(),
		slots: 1,
		blocks: 100u32.into(),
	}
}

/// A challenge of `worker` with every place of verifier drawn, the first `committed` of them
/// committed to `answer`; `worker` commits `own`. Returns it and its drawn verifiers.
fn challenge_with<T: Config>(
	worker: &T::AccountId,
	committed: u32,
	own: Option<H256>,
	answer: H256,
) -> (u32, alloc::vec::Vec<T::AccountId>) {
	fill_offers::<T>(T::MaxVerifiers::get() + 1);
	let id = ComputeLease::<T>::issue(worker).unwrap();
	if let Some(own) = own {
		ComputeLease::<T>::do_commit(
			worker.clone(),
			id,
			challenge_commitment(worker, id, &own, &[1; 32]),
		)
		.unwrap();
	}
	let drawn: alloc::vec::Vec<T::AccountId> =
		Challenges::<T>::get(id).unwrap().verifiers.into_iter().map(|(v, _)| v).collect();
	assert_eq!(drawn.len() as u32, T::MaxVerifiers::get(), "every place drawn");
	for v in drawn.iter().take(committed as usize) {
		ComputeLease::<T>::do_commit(v.clone(), id, challenge_commitment(v, id, &answer, &[1; 32]))
			.unwrap();
	}
	(id, drawn)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_offer() {
		fill_workers::<T>(T::MaxOffers::get() - 1);
		let who = funded::<T>("worker", 0);
		let mut t = terms::<T>();
		t.bond = ComputeLease::<T>::min_offer_bond(T::MaxOffers::get() - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), hardware(), 1_000, t);
		assert!(Offers::<T>::contains_key(&who));
	}

	/// Lowering the bond: the list's fill is read for the least bond, and stake released.
	#[benchmark]
	fn update_offer() {
		let who = funded::<T>("worker", 0);
		let mut t = terms::<T>();
		t.bond = t.bond.saturating_mul(2u32.into());
		ComputeLease::<T>::register_offer(
			RawOrigin::Signed(who.clone()).into(),
			hardware(),
			1_000,
			t,
		)
		.unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), hardware(), 2_000, terms::<T>());
		assert_eq!(Offers::<T>::get(&who).unwrap().claimed_score, 2_000);
	}

	#[benchmark]
	fn pause_offer() {
		let who = registered::<T>("worker", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Offers::<T>::get(&who).unwrap().status, OfferStatus::Paused);
	}

	#[benchmark]
	fn resume_offer() {
		let who = registered::<T>("worker", 0);
		ComputeLease::<T>::pause_offer(RawOrigin::Signed(who.clone()).into()).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Offers::<T>::get(&who).unwrap().status, OfferStatus::Active);
	}

	/// An idle offer retires at once; removing it from a list of `o` workers.
	#[benchmark]
	fn withdraw_offer(o: Linear<1, { T::MaxOffers::get() }>) {
		let who = registered::<T>("worker", 0);
		fill_workers::<T>(o);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Offers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn lease() {
		let worker = registered::<T>("worker", 0);
		let consumer = funded::<T>("consumer", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(consumer),
			worker.clone(),
			1,
			100u32.into(),
			BalanceOf::<T>::max_value(),
		);
		assert_eq!(LeasesOf::<T>::get(&worker).len(), 1);
	}

	#[benchmark]
	fn post_request() {
		let consumer = funded::<T>("consumer", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), requirements::<T>());
		assert!(Requests::<T>::contains_key(0));
	}

	#[benchmark]
	fn cancel_request() {
		let consumer = funded::<T>("consumer", 0);
		ComputeLease::<T>::post_request(
			RawOrigin::Signed(consumer.clone()).into(),
			requirements::<T>(),
		)
		.unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), 0);
		assert!(!Requests::<T>::contains_key(0));
	}

	#[benchmark]
	fn fill_request() {
		let worker = registered::<T>("worker", 0);
		let consumer = funded::<T>("consumer", 0);
		ComputeLease::<T>::post_request(
			RawOrigin::Signed(consumer.clone()).into(),
			requirements::<T>(),
		)
		.unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), 0);
		assert_eq!(LeasesOf::<T>::get(&worker).len(), 1);
	}

	#[benchmark]
	fn settle() {
		let worker = registered::<T>("worker", 0);
		let consumer = funded::<T>("consumer", 0);
		let id = lease_of::<T>(&consumer, &worker, 100);
		set_now::<T>(now::<T>() + 5u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), id);
		assert!(Leases::<T>::get(id).unwrap().paid_until > Leases::<T>::get(id).unwrap().start);
	}

	/// The last lease of a withdrawing offer: ending it retires the offer from a full list.
	#[benchmark]
	fn end_lease(o: Linear<1, { T::MaxOffers::get() }>) {
		let worker = registered::<T>("worker", 0);
		let consumer = funded::<T>("consumer", 0);
		let id = lease_of::<T>(&consumer, &worker, 100);
		ComputeLease::<T>::withdraw_offer(RawOrigin::Signed(worker.clone()).into()).unwrap();
		fill_workers::<T>(o);
		set_now::<T>(now::<T>() + 5u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), id);
		assert!(!Offers::<T>::contains_key(&worker));
	}

	/// A late heartbeat that first ends `l` leases in default.
	#[benchmark]
	fn heartbeat(l: Linear<0, { T::MaxLeasesPerOffer::get() }>) {
		let worker = registered::<T>("worker", 0);
		let consumer = funded::<T>("consumer", 0);
		for _ in 0..l {
			lease_of::<T>(&consumer, &worker, 1_000);
		}
		set_now::<T>(now::<T>() + T::HeartbeatInterval::get() + 2u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()));
		assert!(LeasesOf::<T>::get(&worker).is_empty());
		assert_eq!(Offers::<T>::get(&worker).unwrap().last_heartbeat, now::<T>());
	}

	#[benchmark]
	fn report_missed_heartbeat(l: Linear<1, { T::MaxLeasesPerOffer::get() }>) {
		let worker = registered::<T>("worker", 0);
		let consumer = funded::<T>("consumer", 0);
		for _ in 0..l {
			lease_of::<T>(&consumer, &worker, 1_000);
		}
		set_now::<T>(now::<T>() + T::HeartbeatInterval::get() + 2u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), worker.clone());
		assert!(LeasesOf::<T>::get(&worker).is_empty());
	}

	/// A drawn verifier commits after `v` others.
	#[benchmark]
	fn commit_challenge(v: Linear<0, { T::MaxVerifiers::get() - 1 }>) {
		let worker = registered::<T>("worker", 0);
		let (id, drawn) = challenge_with::<T>(&worker, v, None, H256::zero());
		let last = drawn[v as usize].clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(last), id, H256::repeat_byte(1));
		assert!(Challenges::<T>::get(id).unwrap().verifiers[v as usize].1.is_some());
	}

	/// The last of `v` committed verifiers reveals.
	#[benchmark]
	fn reveal_challenge(v: Linear<1, { T::MaxVerifiers::get() }>) {
		let worker = registered::<T>("worker", 0);
		let (id, drawn) = challenge_with::<T>(&worker, v, None, H256::zero());
		let c = Challenges::<T>::get(id).unwrap();
		set_now::<T>(c.commit_by + One::one());
		let last = drawn[v as usize - 1].clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(last), id, H256::zero(), [1; 32]);
		let answer = Challenges::<T>::get(id).unwrap().verifiers[v as usize - 1].1.clone();
		assert!(answer.unwrap().revealed.is_some());
	}

	/// With the list of offers full: the draw reads it whole.
	#[benchmark]
	fn issue_challenge() {
		let worker = registered::<T>("worker", 0);
		fill_offers::<T>(T::MaxOffers::get());
		#[extrinsic_call]
		challenge(RawOrigin::Root, worker.clone());
		assert!(Offers::<T>::get(&worker).unwrap().challenge.is_some());
	}

	#[benchmark]
	fn set_schedule() {
		let s = ChallengeSchedule {
			period: 100u32.into(),
			commit_blocks: 5u32.into(),
			reveal_blocks: 5u32.into(),
		};
		#[extrinsic_call]
		_(RawOrigin::Root, Some(s));
		assert_eq!(crate::Schedule::<T>::get(), Some(s));
	}

	/// `n` leases end at their term in one block, each in default (paid, refunded, slashed).
	#[benchmark]
	fn end_leases(n: Linear<0, { T::MaxLeasesEndingPerBlock::get() }>) {
		let consumer = funded::<T>("consumer", 0);
		let per_offer = T::MaxLeasesPerOffer::get();
		let start = now::<T>();
		for i in 0..n {
			let worker = if i % per_offer == 0 {
				registered::<T>("worker", i / per_offer)
			} else {
				account("worker", i / per_offer, 0)
			};
			lease_of::<T>(&consumer, &worker, 1_000);
		}
		let end = start + 1_000u32.into();
		assert_eq!(Expiries::<T>::get(end).len() as u32, n);
		set_now::<T>(end);
		#[block]
		{
			ComputeLease::<T>::end_leases_at(end);
		}
		assert!(Leases::<T>::iter().next().is_none());
	}

	/// `n` challenges resolve in one block, each with every place of verifier drawn: `v` of
	/// them reveal and outvote the worker, the others are silent and slashed.
	#[benchmark]
	fn resolve_challenges(
		n: Linear<0, MAX_CHALLENGES_PER_BLOCK>,
		v: Linear<0, { T::MaxVerifiers::get() }>,
	) {
		let mut at = None;
		for i in 0..n {
			let worker = registered::<T>("worker", i);
			let (id, drawn) =
				challenge_with::<T>(&worker, v, Some(H256::repeat_byte(9)), H256::zero());
			let c = Challenges::<T>::get(id).unwrap();
			set_now::<T>(c.commit_by + One::one());
			ComputeLease::<T>::do_reveal(worker.clone(), id, H256::repeat_byte(9), [1; 32])
				.unwrap();
			for o in drawn.iter().take(v as usize) {
				ComputeLease::<T>::do_reveal(o.clone(), id, H256::zero(), [1; 32]).unwrap();
			}
			set_now::<T>(c.issued);
			at = Some(c.reveal_by + One::one());
		}
		let at = at.unwrap_or_else(|| now::<T>());
		set_now::<T>(at);
		#[block]
		{
			ComputeLease::<T>::resolve_challenges_at(at);
		}
		assert!(Challenges::<T>::iter().next().is_none());
	}

	impl_benchmark_test_suite!(ComputeLease, crate::mock::new_test_ext(), crate::mock::Test);
}
