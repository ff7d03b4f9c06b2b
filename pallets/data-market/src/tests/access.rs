//! Access grants.

use super::*;
use crate::{AccessGrants, Error};
use frame_support::assert_noop;

fn for_sale() -> ListingOf<Test> {
	ListingOf::<Test> { licence: Licence::Access { price: 500, period: 10 }, ..digits() }
}

#[test]
fn a_buyer_pays_the_owner_at_once_and_gets_a_grant_until_expiry() {
	test(|| {
		let id = list(OWNER, for_sale());
		let owner_before = free(OWNER);
		assert_ok!(DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10));
		assert_eq!(free(OWNER), owner_before + 500);
		assert_eq!(free(STRANGER), ENDOWMENT - 500);
		assert_eq!(AccessGrants::<Test>::get(id, STRANGER), Some(11));
		assert!(events().contains(&Event::AccessGranted {
			dataset: id,
			buyer: STRANGER,
			price: 500,
			expires: 11
		}));
		// Renewing while it runs extends it from its end, not from now.
		System::set_block_number(5);
		assert_ok!(DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10));
		assert_eq!(AccessGrants::<Test>::get(id, STRANGER), Some(21));
	});
}

#[test]
fn what_is_not_for_sale_cannot_be_bought() {
	test(|| {
		let federated = list(OWNER, digits());
		assert_noop!(
			DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), federated, 500, 10),
			Error::<Test>::NotForSale
		);
		let id = list(OWNER, for_sale());
		assert_noop!(
			DataMarket::buy_access(RuntimeOrigin::signed(OWNER), id, 500, 10),
			Error::<Test>::OwnDataset
		);
		assert_noop!(
			DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), 42, 500, 10),
			Error::<Test>::UnknownDataset
		);
		assert_ok!(DataMarket::pause_dataset(RuntimeOrigin::signed(OWNER), id));
		assert_noop!(
			DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10),
			Error::<Test>::NotListed
		);
		// A buyer who cannot pay gets nothing.
		assert_ok!(DataMarket::resume_dataset(RuntimeOrigin::signed(OWNER), id));
		assert!(DataMarket::buy_access(RuntimeOrigin::signed(99), id, 500, 10).is_err());
		assert_eq!(AccessGrants::<Test>::get(id, 99), None);
	});
}

#[test]
fn only_expired_grants_are_removed_and_removal_is_free() {
	test(|| {
		let id = list(OWNER, for_sale());
		assert_ok!(DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10));
		assert_noop!(
			DataMarket::remove_grant(RuntimeOrigin::signed(WORKER), id, STRANGER),
			Error::<Test>::GrantActive
		);
		assert_noop!(
			DataMarket::remove_grant(RuntimeOrigin::signed(WORKER), id, WORKER),
			Error::<Test>::NoGrant
		);
		System::set_block_number(12);
		let info = DataMarket::remove_grant(RuntimeOrigin::signed(WORKER), id, STRANGER).unwrap();
		assert_eq!(info.pays_fee, frame_support::dispatch::Pays::No);
		assert_eq!(AccessGrants::<Test>::get(id, STRANGER), None);
		assert!(events().contains(&Event::GrantRemoved { dataset: id, buyer: STRANGER }));
	});
}

#[test]
fn a_price_raised_or_a_period_shortened_before_the_purchase_is_refused() {
	test(|| {
		let id = list(OWNER, for_sale());
		// The owner sees a purchase at 500 for 10 blocks in the pool and, in the same block,
		// asks the buyer's whole balance for one block.
		assert_ok!(DataMarket::update_dataset(
			RuntimeOrigin::signed(OWNER),
			id,
			for_sale().name,
			for_sale().description,
			Licence::Access { price: ENDOWMENT / 2, period: 10 },
			for_sale().royalty
		));
		assert_noop!(
			DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10),
			Error::<Test>::PriceAboveMax
		);
		assert_ok!(DataMarket::update_dataset(
			RuntimeOrigin::signed(OWNER),
			id,
			for_sale().name,
			for_sale().description,
			Licence::Access { price: 500, period: 1 },
			for_sale().royalty
		));
		assert_noop!(
			DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10),
			Error::<Test>::PeriodChanged
		);
		assert_eq!(free(STRANGER), ENDOWMENT);
		// A price lowered meanwhile is paid as it is now, not as the buyer's maximum.
		assert_ok!(DataMarket::update_dataset(
			RuntimeOrigin::signed(OWNER),
			id,
			for_sale().name,
			for_sale().description,
			Licence::Access { price: 300, period: 10 },
			for_sale().royalty
		));
		assert_ok!(DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), id, 500, 10));
		assert_eq!(free(STRANGER), ENDOWMENT - 300);
	});
}
