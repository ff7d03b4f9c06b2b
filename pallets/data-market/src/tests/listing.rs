//! Listing, updating, pausing, delisting and delegates.

use super::*;
use crate::{DatasetTasks, Datasets, Delegates, Error, HoldReason, OwnerDatasets};
use cohort_primitives::{
	dataset::{DatasetStatus, TaskUse},
	traits::DataMarket as _,
};
use frame_support::{assert_noop, traits::fungible::InspectHold};

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::DatasetDeposit.into(), &who)
}

#[test]
fn listing_holds_a_deposit_that_grows_with_the_listing() {
	test(|| {
		let id = list(OWNER, digits());
		let info = Datasets::<Test>::get(id).unwrap();
		assert_eq!(info.owner, OWNER);
		assert_eq!(info.status, DatasetStatus::Listed);
		assert!(info.deposit > DEPOSIT_BASE);
		assert_eq!(held(OWNER), info.deposit);
		assert_eq!(free(OWNER), ENDOWMENT - info.deposit);
		assert_eq!(OwnerDatasets::<Test>::get(OWNER).into_inner(), vec![id]);
		assert_eq!(
			events(),
			vec![Event::DatasetListed { dataset: id, owner: OWNER, deposit: info.deposit }]
		);

		let mut long = digits();
		long.description = BoundedVec::truncate_from(vec![b'x'; 400]);
		let long_id = list(OWNER, long);
		let long_deposit = Datasets::<Test>::get(long_id).unwrap().deposit;
		assert_eq!(long_deposit - info.deposit, (2 + 400) - (1 + 22), "one unit per byte stored");
		assert_eq!(held(OWNER), info.deposit + long_deposit);
	});
}

#[test]
fn bad_listings_are_refused_and_change_nothing() {
	test(|| {
		let bad = |f: fn(&mut ListingOf<Test>), error: Error<Test>| {
			let mut listing = digits();
			f(&mut listing);
			assert_noop!(DataMarket::list_dataset(RuntimeOrigin::signed(OWNER), listing), error);
		};
		bad(|l| l.name = BoundedVec::new(), Error::InvalidText);
		bad(|l| l.name = BoundedVec::truncate_from(vec![0xff, 0xfe]), Error::InvalidText);
		bad(|l| l.schema.samples = 0, Error::InvalidSchema);
		bad(|l| l.schema.classes = 1, Error::InvalidSchema);
		bad(|l| l.schema.modality = Modality::Image { side: 8, channels: 3 }, Error::InvalidSchema);
		bad(
			|l| l.licence = Licence::Access { price: MIN_ACCESS_PRICE - 1, period: 10 },
			Error::InvalidLicence,
		);
		bad(|l| l.licence = Licence::Access { price: 50, period: 0 }, Error::InvalidLicence);
		bad(
			|l| l.licence = Licence::Access { price: 50, period: MAX_ACCESS_PERIOD + 1 },
			Error::InvalidLicence,
		);
		bad(|l| l.privacy_budget = Some(0), Error::InvalidPrivacyBudget);
		assert_eq!(held(OWNER), 0);
	});
}

#[test]
fn an_owner_lists_at_most_the_cap_and_a_poor_one_cannot_pay_the_deposit() {
	test(|| {
		for _ in 0..3 {
			list(OWNER, digits());
		}
		assert_noop!(
			DataMarket::list_dataset(RuntimeOrigin::signed(OWNER), digits()),
			Error::<Test>::TooManyDatasets
		);
		// Account 99 has nothing: no deposit, no listing.
		assert!(DataMarket::list_dataset(RuntimeOrigin::signed(99), digits()).is_err());
		assert!(OwnerDatasets::<Test>::get(99).is_empty());
	});
}

#[test]
fn only_the_owner_updates_pauses_resumes_delists_and_authorises() {
	test(|| {
		let id = list(OWNER, digits());
		let o = RuntimeOrigin::signed(STRANGER);
		let (name, description) = (digits().name, digits().description);
		assert_noop!(
			DataMarket::update_dataset(o.clone(), id, name, description, Licence::FederatedOnly, 0),
			Error::<Test>::NotOwner
		);
		assert_noop!(DataMarket::pause_dataset(o.clone(), id), Error::<Test>::NotOwner);
		assert_ok!(DataMarket::pause_dataset(RuntimeOrigin::signed(OWNER), id));
		assert_noop!(DataMarket::resume_dataset(o.clone(), id), Error::<Test>::NotOwner);
		assert_noop!(DataMarket::delist_dataset(o.clone(), id), Error::<Test>::NotOwner);
		assert_noop!(DataMarket::add_delegate(o.clone(), id, STRANGER), Error::<Test>::NotOwner);
		assert_noop!(DataMarket::remove_delegate(o, id, STRANGER), Error::<Test>::NotOwner);
		assert_noop!(
			DataMarket::pause_dataset(RuntimeOrigin::signed(OWNER), 42),
			Error::<Test>::UnknownDataset
		);
	});
}

#[test]
fn updating_changes_terms_not_content_and_the_deposit_follows() {
	test(|| {
		let id = list(OWNER, digits());
		let before = Datasets::<Test>::get(id).unwrap();
		let description = BoundedVec::truncate_from(b"d".to_vec());
		assert_ok!(DataMarket::update_dataset(
			RuntimeOrigin::signed(OWNER),
			id,
			digits().name,
			description,
			Licence::Access { price: 50, period: 10 },
			2 * ROYALTY,
		));
		let after = Datasets::<Test>::get(id).unwrap();
		assert_eq!(after.listing.royalty, 2 * ROYALTY);
		assert_eq!(after.listing.schema, before.listing.schema);
		assert_eq!(after.listing.content, before.listing.content);
		assert!(after.deposit < before.deposit, "a shorter description costs less");
		assert_eq!(held(OWNER), after.deposit);
		assert_noop!(
			DataMarket::update_dataset(
				RuntimeOrigin::signed(OWNER),
				id,
				BoundedVec::new(),
				digits().description,
				Licence::FederatedOnly,
				0
			),
			Error::<Test>::InvalidText
		);
	});
}

#[test]
fn pause_and_resume_switch_the_status_once() {
	test(|| {
		let id = list(OWNER, digits());
		let o = RuntimeOrigin::signed(OWNER);
		assert_noop!(DataMarket::resume_dataset(o.clone(), id), Error::<Test>::NotPaused);
		assert_ok!(DataMarket::pause_dataset(o.clone(), id));
		assert_noop!(DataMarket::pause_dataset(o.clone(), id), Error::<Test>::NotListed);
		assert_eq!(Datasets::<Test>::get(id).unwrap().status, DatasetStatus::Paused);
		assert_ok!(DataMarket::resume_dataset(o, id));
		assert_eq!(Datasets::<Test>::get(id).unwrap().status, DatasetStatus::Listed);
		assert!(events().contains(&Event::DatasetPaused { dataset: id }));
		assert!(events().contains(&Event::DatasetResumed { dataset: id }));
	});
}

#[test]
fn delisting_an_unused_dataset_returns_the_deposit_at_once() {
	test(|| {
		let id = list(OWNER, digits());
		assert_ok!(DataMarket::add_delegate(RuntimeOrigin::signed(OWNER), id, WORKER));
		let deposit = Datasets::<Test>::get(id).unwrap().deposit;
		assert_ok!(DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), id));
		assert!(Datasets::<Test>::get(id).is_none());
		assert!(!Delegates::<Test>::contains_key(id, WORKER));
		assert!(OwnerDatasets::<Test>::get(OWNER).is_empty());
		assert_eq!(held(OWNER), 0);
		assert_eq!(free(OWNER), ENDOWMENT);
		assert!(events().contains(&Event::DatasetRemoved {
			dataset: id,
			owner: OWNER,
			released: deposit
		}));
	});
}

#[test]
fn a_dataset_in_a_task_is_released_when_its_last_task_lets_go() {
	test(|| {
		let id = list(OWNER, digits());
		let model = super::market::mlp(64, 10);
		let rules = super::market::rules(ROYALTY);
		for task in [7, 8] {
			assert_ok!(DataMarket::join(
				&OWNER,
				id,
				cohort_primitives::traits::DatasetRequest {
					task,
					model: &model,
					rules: &rules,
					epsilon: None
				},
			));
		}
		assert_ok!(DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), id));
		assert_eq!(Datasets::<Test>::get(id).unwrap().status, DatasetStatus::Delisted);
		assert!(held(OWNER) > 0, "still in two tasks: the deposit stays");
		assert_noop!(
			DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), id),
			Error::<Test>::Delisted
		);
		<DataMarket as cohort_primitives::traits::DataMarket<_, _, RuntimeHoldReason>>::leave(
			7, id,
		);
		assert!(held(OWNER) > 0, "still in task 8");
		<DataMarket as cohort_primitives::traits::DataMarket<_, _, RuntimeHoldReason>>::leave(
			8, id,
		);
		assert!(Datasets::<Test>::get(id).is_none());
		assert_eq!(held(OWNER), 0);
		assert_eq!(
			DatasetTasks::<Test>::get(id, 7),
			Some(TaskUse { active: false, rounds: 0, royalties: 0 }),
			"history stays"
		);
	});
}

#[test]
fn delegates_are_capped_unique_and_paid_for() {
	test(|| {
		let id = list(OWNER, digits());
		let o = RuntimeOrigin::signed(OWNER);
		let base = held(OWNER);
		assert_ok!(DataMarket::add_delegate(o.clone(), id, WORKER));
		let with_one = held(OWNER);
		assert!(with_one > base, "a delegate costs deposit");
		assert_noop!(
			DataMarket::add_delegate(o.clone(), id, WORKER),
			Error::<Test>::AlreadyDelegate
		);
		assert_ok!(DataMarket::add_delegate(o.clone(), id, 6));
		assert_noop!(DataMarket::add_delegate(o.clone(), id, 7), Error::<Test>::TooManyDelegates);
		assert_ok!(DataMarket::remove_delegate(o.clone(), id, 6));
		assert_eq!(held(OWNER), with_one);
		assert_noop!(DataMarket::remove_delegate(o, id, 6), Error::<Test>::NotDelegate);
		assert!(events().contains(&Event::DelegateAdded { dataset: id, worker: WORKER }));
		assert!(events().contains(&Event::DelegateRemoved { dataset: id, worker: 6 }));
	});
}

#[test]
fn genesis_lists_datasets_with_their_ids_and_holds_their_deposits() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(OWNER, ENDOWMENT)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	crate::GenesisConfig::<Test> { datasets: vec![(1, OWNER, digits()), (2, OWNER, digits())] }
		.assimilate_storage(&mut storage)
		.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(crate::NextDatasetId::<Test>::get(), 3);
		assert!(Datasets::<Test>::get(0).is_none());
		assert_eq!(OwnerDatasets::<Test>::get(OWNER).into_inner(), vec![1, 2]);
		assert_eq!(held(OWNER), 2 * Datasets::<Test>::get(1).unwrap().deposit);
		DataMarket::do_try_state().unwrap();
	});
}

use sp_runtime::BuildStorage;
