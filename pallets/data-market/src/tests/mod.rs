//! Tests of every call and of the market the federated pallet sees; each ends by checking the
//! pallet's invariants (`mock::test`).

mod access;
mod listing;
mod market;
mod stats;

use crate::{mock::*, Event, ListingOf};
use cohort_primitives::{
	dataset::{ContentCommitment, DatasetSchema, Licence, Modality},
	DatasetId, DatasetListing,
};
use frame_support::{assert_ok, BoundedVec};
use sp_core::H256;

pub const OWNER: AccountId = 1;
pub const OTHER_OWNER: AccountId = 2;
pub const STRANGER: AccountId = 3;
pub const WORKER: AccountId = 4;
pub const TASK_OWNER: AccountId = 5;
pub const ROYALTY: Balance = 1_000;

/// A digits shard: 64 features, 10 classes, 300 samples, federated only.
pub fn digits() -> ListingOf<Test> {
	DatasetListing {
		name: BoundedVec::truncate_from(b"digits shard".to_vec()),
		description: BoundedVec::truncate_from(b"handwritten digits 0-2".to_vec()),
		schema: DatasetSchema {
			features: 64,
			classes: 10,
			samples: 300,
			modality: Modality::Tabular,
		},
		content: ContentCommitment::File(H256::repeat_byte(1)),
		licence: Licence::FederatedOnly,
		royalty: ROYALTY,
		privacy_budget: None,
	}
}

/// Lists `listing` for `owner`; returns its id.
pub fn list(owner: AccountId, listing: ListingOf<Test>) -> DatasetId {
	let id = crate::NextDatasetId::<Test>::get();
	assert_ok!(DataMarket::list_dataset(RuntimeOrigin::signed(owner), listing));
	id
}

/// What the data market emitted, oldest first.
pub fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::DataMarket(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// `who`'s free balance.
pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}
