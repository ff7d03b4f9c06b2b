//! A task's feature scaling: fixed by its owner before the first round, paid for, gone with
//! the task.

use super::*;
use crate::FeatureScalings;
use cohort_primitives::scaling::{FeatureScaling, FeatureStats};

/// A scaling for `features` inputs (the test spec's model takes 2).
fn scaling(features: usize) -> FeatureScaling {
	FeatureScaling::truncate_from(vec![
		FeatureStats { mean: 1_000_000, deviation: 250_000 };
		features
	])
}

#[test]
fn the_owner_fixes_a_scaling_before_the_first_round_and_pays_for_it() {
	test(|| {
		let task = create(spec());
		assert_ok!(Federated::set_feature_scaling(origin(OWNER), task, scaling(2)));
		let deposit = Federated::task_deposit(2, 0, 2).unwrap();
		assert_eq!(deposit - super::deposit(2), 2 * 16, "one unit per byte: two entries of 16");
		assert_eq!(held_deposit(OWNER), deposit);
		assert_eq!(Federated::feature_scaling(task), Some(scaling(2).into_inner()));
		assert_eq!(Tasks::<Test>::get(task).unwrap().scaled_features, 2);
		assert_eq!(events().last(), Some(&Event::FeatureScalingSet { task, features: 2, deposit }));
		// An allowlist set afterwards keeps paying for the scaling.
		assert_ok!(Federated::set_allowlist(origin(OWNER), task, BoundedVec::new()));
		assert_eq!(held_deposit(OWNER), deposit);
		// An empty list removes it, and its deposit.
		assert_ok!(Federated::set_feature_scaling(origin(OWNER), task, scaling(0)));
		assert!(!FeatureScalings::<Test>::contains_key(task));
		assert_eq!(Tasks::<Test>::get(task).unwrap().scaled_features, 0);
		assert_eq!(held_deposit(OWNER), super::deposit(2));
	});
}

#[test]
fn nobody_changes_the_scaling_once_the_model_has_seen_features() {
	test(|| {
		let task = started_task();
		// Changing the scaling under trainers who trained in the old one would break the
		// model; the owner cannot, even to hurt some of them.
		assert_noop!(
			Federated::set_feature_scaling(origin(OWNER), task, scaling(2)),
			Error::<Test>::RoundsStarted
		);
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		assert_noop!(
			Federated::set_feature_scaling(origin(OWNER), task, scaling(2)),
			Error::<Test>::TaskEnded
		);
	});
}

#[test]
fn a_stranger_or_a_scaling_that_does_not_fit_the_model_changes_nothing() {
	test(|| {
		let task = create(spec());
		assert_noop!(
			Federated::set_feature_scaling(origin(TRAINERS[0]), task, scaling(2)),
			Error::<Test>::NotOwner
		);
		for wrong in [1, 3, 64] {
			assert_noop!(
				Federated::set_feature_scaling(origin(OWNER), task, scaling(wrong)),
				Error::<Test>::ScalingMismatch
			);
		}
		assert_noop!(
			Federated::set_feature_scaling(origin(OWNER), 9, scaling(2)),
			Error::<Test>::UnknownTask
		);
	});
}

#[test]
fn the_scaling_goes_with_the_pruned_task_and_its_deposit_comes_back() {
	test(|| {
		let task = create(spec());
		assert_ok!(Federated::set_feature_scaling(origin(OWNER), task, scaling(2)));
		assert_ok!(Federated::cancel_task(origin(OWNER), task));
		run_to_block(System::block_number() + TASK_RETENTION);
		assert_ok!(Federated::prune_task(origin(30), task));
		assert!(!FeatureScalings::<Test>::contains_key(task));
		assert_eq!((held_deposit(OWNER), Balances::balance(&OWNER)), (0, ENDOWMENT));
	});
}
