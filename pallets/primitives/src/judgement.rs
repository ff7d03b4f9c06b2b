//! How a round judges its updates, in integers, shared by the chain and the simulator so that
//! both decide alike: which updates enter the model and are paid, whose trainers are penalised
//! ([`judge`]), and how much any accepted update weighs in the mean ([`capped_weights`]).
//!
//! Scores are compared with the round's own cohort, not with a fixed cosine: what an honest
//! update scores depends on the task (a converged model's updates are small and noisy, noise
//! for differential privacy drowns the direction, owners with rare labels agree less with any
//! reference), so a fixed threshold that keeps poisoners out of one task slashes honest owners
//! of another. What every task has in common is that a poisoned update falls below the honest
//! updates *of its own round*. `docs/scoring.md` has the measurements behind the defaults.

use alloc::vec::Vec;

use crate::{task::ScoreGate, Score};

/// However far below its round, an update scoring at least this (cosine 0.1 to the closest mix
/// of honest references) is never penalised, only left out: it points where honest training
/// does, and an honest owner with unusual data (a small task, rare labels, a converged model)
/// can score that far below a tight round. What is penalised points nowhere or away: noise,
/// reversed updates, and the copies, replays and free riders that aggregators score 0.
pub const NEVER_SLASHED_FROM: Score = 550_000;

/// What the gate decided for one update.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Verdict {
	/// The update enters the model and is paid.
	pub accepted: bool,
	/// Its trainer loses the task's `penalty` of its bond.
	pub slashed: bool,
}

/// The round's median score: the upper median of the scores of at least `gate.min_score` (the
/// round's cohort). Updates scored under the floor (copies, replays and free riders score 0)
/// cannot drag it down however many there are; the upper median because with two updates the
/// lower one may be the poisoned one. `None` when no update reaches the floor.
pub fn cohort_median(scores: &[Score], gate: &ScoreGate) -> Option<Score> {
	let mut cohort: Vec<Score> = scores.iter().copied().filter(|s| *s >= gate.min_score).collect();
	cohort.sort_unstable();
	cohort.get(cohort.len() / 2).copied()
}

/// The round's spread: the upper median distance of the cohort's scores (those of at least
/// `gate.min_score`) from `median`. With fewer than half of the cohort poisoned, it is the
/// spread of honest scores. A cohort of fewer than three has no spread (0): with two scores
/// the upper median distance would be the lower score's own, and an outlier must not widen its
/// own band.
pub fn cohort_spread(scores: &[Score], median: Score, gate: &ScoreGate) -> Score {
	let mut distances: Vec<Score> =
		scores.iter().filter(|s| **s >= gate.min_score).map(|s| s.abs_diff(median)).collect();
	if distances.len() < 3 {
		return 0;
	}
	distances.sort_unstable();
	distances[distances.len() / 2]
}

/// `spread · percent / 100`, saturating.
fn share_of(spread: Score, percent: u32) -> Score {
	(spread as u64 * percent as u64 / 100).min(Score::MAX as u64) as Score
}

/// Each update's verdict, in order, from its score (the lower median of the aggregators'):
/// accepted if it reaches `gate.min_score` and lies at most `gate.accept_within` (or
/// `accept_spread_percent` of the round's [`cohort_spread`], if more) below the round's
/// [`cohort_median`]; penalised if it lies more than `gate.slash_beyond` (and more than
/// `slash_spread_percent` of the spread) below it and scores under [`NEVER_SLASHED_FROM`].
/// Without a cohort (nothing reached the floor) nothing is accepted and nobody is penalised:
/// there is nothing to measure a shortfall against.
pub fn judge(scores: &[Score], gate: &ScoreGate) -> Vec<Verdict> {
	let Some(median) = cohort_median(scores, gate) else {
		return alloc::vec![Verdict::default(); scores.len()];
	};
	let spread = cohort_spread(scores, median, gate);
	let accept = gate.accept_within.max(share_of(spread, gate.accept_spread_percent));
	let slash = gate.slash_beyond.max(share_of(spread, gate.slash_spread_percent));
	scores
		.iter()
		.map(|s| {
			let below = median.saturating_sub(*s);
			Verdict {
				accepted: *s >= gate.min_score && below <= accept,
				slashed: below > slash && *s < NEVER_SLASHED_FROM,
			}
		})
		.collect()
}

/// The weights of the accepted updates in the mean: each its `weights` (samples, already
/// bounded by the task and the dataset's listing) capped at `max_percent` of the accepted
/// updates' median weight (the lower median, rounded down, at least 1). An update claiming
/// many more samples than the others therefore weighs at most that much more than a typical
/// one, and so does each member of a coalition that inflates together: the median is an
/// honest owner's while most accepted updates are honest (a cap on each update's *share* of
/// the total would let three colluders take three such shares). `max_percent` below 100 is
/// read as 100: the median update keeps its weight.
pub fn capped_weights(weights: &[u64], max_percent: u32) -> Vec<u64> {
	let mut sorted = weights.to_vec();
	sorted.sort_unstable();
	let Some(median) = sorted.get(sorted.len().saturating_sub(1) / 2).copied() else {
		return Vec::new();
	};
	let cap = (median as u128 * max_percent.max(100) as u128 / 100).clamp(1, u64::MAX as u128);
	weights.iter().map(|w| (*w as u128).min(cap) as u64).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	const GATE: ScoreGate = ScoreGate {
		accept_within: 150_000,
		accept_spread_percent: 0,
		slash_beyond: 350_000,
		slash_spread_percent: 0,
		min_score: 300_000,
		clip_norm_percent: 150,
		max_weight_percent: 200,
		copy_distance_micros: 10_000,
		min_norm_percent: 5,
		score_tolerance: 300_000,
	};

	fn accepted(scores: &[Score]) -> Vec<bool> {
		judge(scores, &GATE).iter().map(|v| v.accepted).collect()
	}

	fn slashed(scores: &[Score]) -> Vec<bool> {
		judge(scores, &GATE).iter().map(|v| v.slashed).collect()
	}

	#[test]
	fn a_converged_or_noisy_round_is_judged_against_itself() {
		// A converged model's honest updates, or updates under differential privacy, score
		// near neutral: every one is accepted, none penalised (a fixed 800_000 slashed them all).
		let dp = [498_000, 503_000, 511_000, 495_000, 507_000];
		assert_eq!(accepted(&dp), vec![true; 5]);
		assert_eq!(slashed(&dp), vec![false; 5]);
		// An owner of rare labels a little below the others is still in.
		assert_eq!(accepted(&[910_000, 950_000, 800_000, 940_000]), vec![true; 4]);
	}

	#[test]
	fn updates_far_below_their_round_are_rejected_and_then_penalised() {
		let scores = [930_000, 950_000, 940_000, 760_000, 540_000, 0];
		assert_eq!(cohort_median(&scores, &GATE), Some(930_000));
		assert_eq!(accepted(&scores), vec![true, true, true, false, false, false]);
		assert_eq!(slashed(&scores), vec![false, false, false, false, true, true]);
	}

	#[test]
	fn an_update_pointing_the_honest_way_is_never_penalised() {
		// 400_000 below a tight round, but cosine 0.16: left out, not penalised.
		let scores = [990_000, 985_000, 992_000, 580_000, 540_000];
		let verdicts = judge(&scores, &GATE);
		assert_eq!(verdicts[3], Verdict { accepted: false, slashed: false });
		assert_eq!(verdicts[4], Verdict { accepted: false, slashed: true });
	}

	#[test]
	fn zeros_cannot_drag_the_median_down() {
		// Six copies scored 0 beside three honest updates: the median is the honest cohort's.
		let mut scores = vec![0; 6];
		scores.extend([900_000, 920_000, 910_000]);
		assert_eq!(cohort_median(&scores, &GATE), Some(910_000));
		let verdicts = judge(&scores, &GATE);
		assert!(verdicts[..6].iter().all(|v| !v.accepted && v.slashed));
		assert!(verdicts[6..].iter().all(|v| v.accepted && !v.slashed));
	}

	#[test]
	fn two_updates_are_judged_by_the_better_one_and_a_lone_one_by_the_floor() {
		assert_eq!(accepted(&[900_000, 0]), vec![true, false]);
		assert_eq!(slashed(&[0, 900_000]), vec![true, false]);
		assert_eq!(accepted(&[350_000]), vec![true]);
		// Nothing reaches the floor: nothing accepted, nobody penalised.
		assert_eq!(judge(&[200_000, 0], &GATE), vec![Verdict::default(); 2]);
		assert_eq!(judge(&[], &GATE), vec![]);
	}

	#[test]
	fn the_bands_widen_with_the_rounds_spread() {
		let gate = ScoreGate {
			accept_within: 50_000,
			accept_spread_percent: 500,
			slash_beyond: 350_000,
			slash_spread_percent: 1_000,
			..GATE
		};
		// A tight round (spread 5_000): the 50_000 floor holds; 70_000 below is out.
		let tight = [980_000, 985_000, 990_000, 975_000, 915_000, 990_000, 985_000];
		assert_eq!(cohort_median(&tight, &gate), Some(985_000));
		assert_eq!(cohort_spread(&tight, 985_000, &gate), 5_000);
		let verdicts = judge(&tight, &gate);
		assert_eq!(verdicts.iter().map(|v| v.accepted).collect::<Vec<_>>(), {
			let mut all = vec![true; 7];
			all[4] = false;
			all
		});
		assert!(verdicts.iter().all(|v| !v.slashed));
		// A converged round whose honest scores scatter (spread 150_000): 5 × the spread
		// accepts the lowest, 10 × the spread is far beyond anything honest.
		let scattered = [770_000, 652_000, 579_000, 414_000, 420_000];
		assert_eq!(cohort_spread(&scattered, 579_000, &gate), 159_000);
		assert!(judge(&scattered, &gate).iter().all(|v| v.accepted && !v.slashed));
		// Two updates: the lower one cannot widen its own band.
		let pair = [900_000, 600_000];
		assert_eq!(cohort_spread(&pair, 900_000, &gate), 0);
		assert_eq!(judge(&pair, &gate)[1], Verdict { accepted: false, slashed: false });
		// The spread cannot be inflated by a minority far below: it is a median.
		let mut spoiled = tight.to_vec();
		spoiled.extend([300_000, 310_000]);
		let median = cohort_median(&spoiled, &gate).unwrap();
		assert_eq!((median, cohort_spread(&spoiled, median, &gate)), (980_000, 10_000));
		assert!(!judge(&spoiled, &gate)[4].accepted);
	}

	#[test]
	fn an_inflated_weight_is_capped_at_a_multiple_of_the_median() {
		// Ten owners of 300 samples and one claiming 10_000: at most twice the median.
		let mut weights = vec![300u64; 10];
		weights.push(10_000);
		let capped = capped_weights(&weights, 200);
		assert_eq!(&capped[..10], &[300; 10]);
		assert_eq!(capped[10], 600);
		// Three inflating together: each capped alike, 1_800 of 3_900 rather than 30_000 of
		// 32_100.
		let mut coalition = vec![300u64; 7];
		coalition.extend([10_000; 3]);
		assert_eq!(capped_weights(&coalition, 200)[7..], [600; 3]);
		// Within the cap, nothing changes; the median keeps its weight even below 100 %.
		assert_eq!(capped_weights(&[300, 310, 290, 305, 300], 200), vec![300, 310, 290, 305, 300]);
		assert_eq!(capped_weights(&[300, 310, 290], 50), vec![300, 300, 290]);
		assert_eq!(capped_weights(&[], 200), Vec::<u64>::new());
		assert_eq!(capped_weights(&[u64::MAX, u64::MAX], 1_000), vec![u64::MAX, u64::MAX]);
	}
}
