//! A dataset's per-feature statistics: stated once by its owner, paid for, gone with it.

use super::*;
use crate::{Datasets, Error, FeatureStatsOf, HoldReason};
use cohort_primitives::{
	scaling::{FeatureScaling, FeatureStats},
	traits::{DataMarket as _, DatasetRequest},
};
use frame_support::{assert_noop, traits::fungible::InspectHold};

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::DatasetDeposit.into(), &who)
}

fn stats(features: usize) -> FeatureScaling {
	FeatureScaling::truncate_from(
		(0..features)
			.map(|f| FeatureStats { mean: f as i64 * 1_000, deviation: 500_000 })
			.collect(),
	)
}

#[test]
fn the_owner_states_its_statistics_once_and_pays_for_them() {
	test(|| {
		let id = list(OWNER, digits());
		let before = held(OWNER);
		assert_ok!(DataMarket::state_feature_stats(RuntimeOrigin::signed(OWNER), id, stats(64)));
		let info = Datasets::<Test>::get(id).unwrap();
		let deposit = info.deposit;
		assert_eq!(info.stated_features, 64);
		assert_eq!(deposit - before, 64 * 16, "one unit per byte: 64 features of 16 bytes");
		assert_eq!(held(OWNER), deposit);
		assert_eq!(DataMarket::feature_stats(id), Some(stats(64).into_inner()));
		assert_eq!(
			events().last(),
			Some(&Event::FeatureStatsStated { dataset: id, features: 64, deposit })
		);
		// They describe the content, which does not change: a second statement is refused.
		assert_noop!(
			DataMarket::state_feature_stats(RuntimeOrigin::signed(OWNER), id, stats(64)),
			Error::<Test>::StatsAlreadyStated
		);
		// A later delegate keeps paying for the statistics too.
		assert_ok!(DataMarket::add_delegate(RuntimeOrigin::signed(OWNER), id, WORKER));
		assert_ok!(DataMarket::remove_delegate(RuntimeOrigin::signed(OWNER), id, WORKER));
		assert_eq!(Datasets::<Test>::get(id).unwrap().deposit, deposit);
	});
}

#[test]
fn a_stranger_or_a_wrong_length_states_nothing() {
	test(|| {
		let id = list(OWNER, digits());
		// Someone who wants the task owners' pooled scaling to squash the features cannot state
		// another owner's statistics.
		assert_noop!(
			DataMarket::state_feature_stats(RuntimeOrigin::signed(STRANGER), id, stats(64)),
			Error::<Test>::NotOwner
		);
		for wrong in [0, 63, 65] {
			assert_noop!(
				DataMarket::state_feature_stats(RuntimeOrigin::signed(OWNER), id, stats(wrong)),
				Error::<Test>::StatsMismatch
			);
		}
		assert_noop!(
			DataMarket::state_feature_stats(RuntimeOrigin::signed(OWNER), 42, stats(64)),
			Error::<Test>::UnknownDataset
		);
	});
}

#[test]
fn statistics_go_with_the_dataset_and_its_whole_deposit_comes_back() {
	test(|| {
		let id = list(OWNER, digits());
		assert_ok!(DataMarket::state_feature_stats(RuntimeOrigin::signed(OWNER), id, stats(64)));
		assert_ok!(DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), id));
		assert!(!FeatureStatsOf::<Test>::contains_key(id));
		assert_eq!(held(OWNER), 0);
		assert_eq!(free(OWNER), ENDOWMENT);
		// A delisted dataset still in a task states nothing.
		let id = list(OWNER, digits());
		let (model, rules) = (super::market::mlp(64, 10), super::market::rules(ROYALTY));
		assert_ok!(DataMarket::join(
			&OWNER,
			id,
			DatasetRequest { task: 7, model: &model, rules: &rules, epsilon: None },
		));
		assert_ok!(DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), id));
		assert_noop!(
			DataMarket::state_feature_stats(RuntimeOrigin::signed(OWNER), id, stats(64)),
			Error::<Test>::Delisted
		);
	});
}
