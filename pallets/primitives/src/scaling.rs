//! Feature scaling: what brings every participant's features into one range before a model sees
//! them.
//!
//! A model trained by SGD on raw features that run from 0.001 to 4,000 learns nothing, so a
//! task may fix a scaling: each feature `x` becomes `(x − centre) / spread`. It is **one per
//! task**, not each dataset's own: an owner that standardizes with its own statistics moves its
//! features to mean 0, and owners whose data differ (one holding mostly one class, another the
//! other) would then present their differences as nothing — the model could not tell them apart.
//!
//! A data owner states its dataset's per-feature statistics with its listing (computed from the
//! file; the data stays with the owner); a task owner pools the statistics of the datasets it
//! expects with [`pool`] and fixes the result on the task before its first round. The pooled
//! centre is a trimmed mean of the datasets' means, and the spread the root of a trimmed mean of
//! each dataset's squared distance from that centre (its variance plus its mean's offset): a
//! quarter of the datasets (one of three or four) stating absurd statistics is cut away, and
//! datasets that each hold one class still give the spread of the whole, not of one class.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::traits::IntegerSquareRoot;

/// Statistics are stated in millionths of the feature's own unit.
pub const STATS_UNIT: u64 = 1_000_000;

/// The most features a dataset's statistics or a task's scaling covers: a 28×28 image (784)
/// fits; larger inputs are images, whose pixels share one scale the data owner applies itself.
pub const MAX_SCALED_FEATURES: u32 = 1024;

/// One feature's centre and spread, in millionths ([`STATS_UNIT`]). For a dataset: its mean and
/// standard deviation over the samples. For a task: what the feature is shifted by and divided
/// by; a spread of 0 (a feature that never varies) makes the feature 0.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct FeatureStats {
	pub mean: i64,
	pub deviation: u64,
}

/// A dataset's statistics, or a task's scaling: one entry per feature.
pub type FeatureScaling = BoundedVec<FeatureStats, ConstU32<MAX_SCALED_FEATURES>>;

/// How many datasets [`pool`] cuts from each end of a feature's sorted values: a quarter, and at
/// least one once there are three (so that one of three is outvoted).
pub fn trimmed(datasets: usize) -> usize {
	if datasets >= 3 {
		(datasets / 4).max(1)
	} else {
		0
	}
}

/// The task scaling pooled from datasets' statistics (see the module docs): per feature, the
/// centre is the mean of the datasets' means with [`trimmed`] cut from each end, and the spread
/// the root of the same trimmed mean of each dataset's `deviation² + (mean − centre)²`
/// (rounded down). `None` when there are none or their lengths differ.
pub fn pool(datasets: &[&[FeatureStats]]) -> Option<Vec<FeatureStats>> {
	let features = datasets.first()?.len();
	if datasets.iter().any(|d| d.len() != features) {
		return None;
	}
	let cut = trimmed(datasets.len());
	// i128 and u128 hold any i64 mean's sum and any u64 deviation's square; their sums saturate.
	let trimmed_mean = |mut values: Vec<i128>| {
		values.sort_unstable();
		let kept = &values[cut..values.len() - cut];
		kept.iter().fold(0i128, |a, v| a.saturating_add(*v)) / kept.len() as i128
	};
	let pooled = (0..features)
		.map(|f| {
			let centre = trimmed_mean(datasets.iter().map(|d| d[f].mean as i128).collect());
			let squares = datasets
				.iter()
				.map(|d| {
					let offset = (d[f].mean as i128).saturating_sub(centre).unsigned_abs();
					let deviation = d[f].deviation as u128;
					let square = deviation
						.saturating_mul(deviation)
						.saturating_add(offset.saturating_mul(offset));
					i128::try_from(square).unwrap_or(i128::MAX)
				})
				.collect();
			let spread = (trimmed_mean(squares).max(0) as u128).integer_sqrt();
			FeatureStats {
				mean: i64::try_from(centre).unwrap_or(if centre < 0 { i64::MIN } else { i64::MAX }),
				deviation: u64::try_from(spread).unwrap_or(u64::MAX),
			}
		})
		.collect();
	Some(pooled)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn stats(pairs: &[(i64, u64)]) -> Vec<FeatureStats> {
		pairs.iter().map(|&(mean, deviation)| FeatureStats { mean, deviation }).collect()
	}

	#[test]
	fn one_dataset_pools_to_its_own_statistics() {
		let only = stats(&[(3_000_000, 500_000), (-2, 0)]);
		assert_eq!(pool(&[&only]), Some(only));
	}

	#[test]
	fn datasets_holding_one_class_each_pool_to_the_spread_of_the_whole() {
		// Two owners, one class each: means ±2, deviation 1 within each. The whole has mean 0
		// and deviation √(1 + 4) ≈ 2.236; each owner's own statistics would say 1.
		let a = stats(&[(-2_000_000, 1_000_000)]);
		let b = stats(&[(2_000_000, 1_000_000)]);
		for datasets in [vec![&a[..], &b[..]], vec![&a[..], &b[..], &a[..], &b[..]]] {
			let pooled = pool(&datasets).unwrap();
			assert_eq!(pooled[0].mean, 0);
			assert_eq!(pooled[0].deviation, 2_236_067, "√5 in millionths");
		}
		// Three of one class, two of the other: the centre leans to the majority, the spread
		// stays the whole's order (not the one class's 1).
		let pooled = pool(&[&a, &a, &a, &b, &b]).unwrap();
		assert_eq!(pooled[0].mean, -666_666);
		assert!((2_000_000..2_600_000).contains(&pooled[0].deviation), "{:?}", pooled[0]);
	}

	#[test]
	fn a_minority_stating_absurd_statistics_moves_nothing() {
		let honest = stats(&[(10_000_000, 2_000_000)]);
		let liar = stats(&[(i64::MAX, u64::MAX)]);
		let zero = stats(&[(i64::MIN, 0)]);
		// One liar of three, and two of eight (a quarter), are cut away.
		assert_eq!(pool(&[&honest, &liar, &honest]).unwrap(), honest);
		let mut eight = vec![&honest[..]; 6];
		eight.extend([&liar[..], &zero[..]]);
		assert_eq!(pool(&eight).unwrap(), honest);
	}

	#[test]
	fn nothing_or_mismatched_lengths_pool_to_nothing() {
		assert_eq!(pool(&[]), None);
		let one = stats(&[(0, 1)]);
		let two = stats(&[(0, 1), (0, 1)]);
		assert_eq!(pool(&[&one, &two]), None);
	}
}
