//! Integer arithmetic of a round, shared by the chain and the simulator so that both decide
//! alike: the median score of each update, the median metrics, and how a reward is split.

use alloc::vec::Vec;
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

use crate::{round::RoundMetrics, Score};

/// The lower median of `scores`: the middle value, or for an even count the lower of the two
/// middle values (never their mean). With `n` scores of which at most `f < n / 2` come from
/// colluders, it always lies between two honest scores; with two scores, one colluder can lower
/// a score but never raise it. `None` for no scores.
pub fn median(mut scores: Vec<Score>) -> Option<Score> {
	if scores.is_empty() {
		return None;
	}
	scores.sort_unstable();
	Some(scores[(scores.len() - 1) / 2])
}

/// Splits `pool` in proportion to `weights`, each share rounded down (what rounding leaves
/// stays unpaid). All zero weights: nobody gets anything.
pub fn proportional_shares(pool: u128, weights: &[Score]) -> Vec<u128> {
	let total: u128 = weights.iter().map(|w| *w as u128).sum();
	weights
		.iter()
		.map(|w| {
			if total == 0 {
				0
			} else {
				multiply_by_rational_with_rounding(pool, *w as u128, total, Rounding::Down)
					.unwrap_or(0)
			}
		})
		.collect()
}

/// Each of `updates` updates' score: the lower median of the scores every submission gives it
/// (each submission holds one score per update, in order). `None` for no submissions.
pub fn update_scores<'a>(
	submissions: impl Iterator<Item = &'a [Score]> + Clone,
	updates: usize,
) -> Vec<Option<Score>> {
	(0..updates)
		.map(|i| median(submissions.clone().filter_map(|s| s.get(i).copied()).collect()))
		.collect()
}

/// The lower median of each metric over `reports`, taken separately. `None` for no reports.
pub fn median_metrics(reports: &[RoundMetrics]) -> Option<RoundMetrics> {
	Some(RoundMetrics {
		loss_micros: median(reports.iter().map(|m| m.loss_micros).collect())?,
		accuracy_micros: median(reports.iter().map(|m| m.accuracy_micros).collect())?,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn median_of_odd_and_even_counts() {
		assert_eq!(median(vec![]), None);
		assert_eq!(median(vec![7]), Some(7));
		assert_eq!(median(vec![9, 1, 5]), Some(5));
		assert_eq!(median(vec![1, 2, 3, 10]), Some(2), "the lower of the middle two");
		assert_eq!(median(vec![1_000_000, 1_000_000]), Some(1_000_000));
		assert_eq!(median(vec![u32::MAX, u32::MAX]), Some(u32::MAX));
	}

	#[test]
	fn one_colluder_cannot_raise_a_score_above_the_honest_ones() {
		// Honest aggregators score 300_000 and 320_000 (and 310_000); a colluder says 1_000_000.
		assert_eq!(median(vec![300_000, 1_000_000]), Some(300_000), "two: never raised");
		assert_eq!(median(vec![300_000, 320_000, 1_000_000]), Some(320_000));
		assert_eq!(median(vec![300_000, 310_000, 320_000, 1_000_000]), Some(310_000));
		// Lowering is bounded the same way once honest scores are the majority.
		assert_eq!(median(vec![0, 300_000, 320_000]), Some(300_000));
		assert_eq!(median(vec![0, 300_000, 310_000, 320_000]), Some(300_000));
	}

	#[test]
	fn update_scores_take_each_updates_median() {
		let a: &[Score] = &[100, 900, 0];
		let b: &[Score] = &[300, 700, 10];
		let c: &[Score] = &[200, 800, 1_000_000];
		let scores = update_scores([a, b, c].into_iter(), 3);
		assert_eq!(scores, vec![Some(200), Some(800), Some(10)]);
		assert_eq!(update_scores(core::iter::empty::<&[Score]>(), 2), vec![None, None]);
	}

	#[test]
	fn metrics_take_each_metrics_median() {
		let m = |loss_micros, accuracy_micros| RoundMetrics { loss_micros, accuracy_micros };
		assert_eq!(median_metrics(&[]), None);
		assert_eq!(
			median_metrics(&[m(5, 900), m(1, 100), m(3, 500), m(9, 0)]),
			Some(m(3, 100)),
			"lower medians, metric by metric"
		);
	}

	#[test]
	fn shares_follow_weights_and_round_down() {
		assert_eq!(proportional_shares(100, &[1, 1, 2]), vec![25, 25, 50]);
		// 100 / 3 each, rounded down; 1 stays unpaid.
		assert_eq!(proportional_shares(100, &[5, 5, 5]), vec![33, 33, 33]);
		assert_eq!(proportional_shares(100, &[0, 0]), vec![0, 0]);
		assert_eq!(proportional_shares(0, &[1, 2]), vec![0, 0]);
		let big = proportional_shares(u128::MAX, &[1, 1]);
		assert_eq!(big, vec![u128::MAX / 2, u128::MAX / 2]);
	}
}
