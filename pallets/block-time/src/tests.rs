use crate::{mock::*, BlockMillis, HalfBlockMillis, Millis};
use frame_support::traits::{Get, Hooks};

#[test]
fn a_genesis_without_a_block_time_keeps_the_default() {
	new_test_ext(None).execute_with(|| {
		assert_eq!(BlockMillis::<Test>::get(), DEFAULT);
		assert_eq!(HalfBlockMillis::<Test>::get(), DEFAULT / 2);
		// Nothing was written: the default is the configuration's, not a stored copy.
		assert!(!Millis::<Test>::exists());
	});
}

#[test]
fn a_preset_sets_a_shorter_block_time() {
	new_test_ext(Some(2_000)).execute_with(|| {
		assert_eq!(BlockMillis::<Test>::get(), 2_000);
		assert_eq!(HalfBlockMillis::<Test>::get(), 1_000);
		#[cfg(feature = "try-runtime")]
		BlockTime::try_state(1).unwrap();
	});
}

#[test]
fn the_shortest_allowed_block_time_is_accepted() {
	new_test_ext(Some(MIN)).execute_with(|| assert_eq!(BlockMillis::<Test>::get(), MIN));
}

#[test]
#[should_panic(expected = "a block time must be even and at least 1000 ms, not 999")]
fn a_genesis_below_the_minimum_does_not_build() {
	new_test_ext(Some(MIN - 1));
}

#[test]
#[should_panic(expected = "a block time must be even and at least 1000 ms, not 2001")]
fn an_odd_block_time_does_not_build() {
	// Aura's slot is twice the timestamp's minimum period: an odd time would lose a millisecond.
	new_test_ext(Some(2_001));
}

#[test]
fn the_configuration_is_consistent() {
	new_test_ext(None).execute_with(BlockTime::integrity_test);
}

#[test]
fn no_call_can_change_the_block_time() {
	// The pallet exposes no calls: the block time a chain starts with is the one it keeps.
	use frame_support::traits::GetCallName;
	assert!(crate::Call::<Test>::get_call_names().is_empty());
}
