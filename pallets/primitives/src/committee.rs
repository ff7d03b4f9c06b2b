//! How a round's committee of aggregators decides over its updates, in integers, shared by the
//! chain and the simulator: each update's score, which updates are accepted and whose trainers
//! are penalised — each of the two needing a majority of the committee — and which aggregators
//! strayed from the committee and answer for it ([`decide`]).
//!
//! Every aggregator reveals one score per update. A colluding minority can only move an update
//! within the range the honest members span, because
//!
//! - an update is **accepted** on its *lower* median score: a minority scoring a poisoned update
//!   high cannot let it in;
//! - a trainer is **penalised** on the *upper* median score: a minority scoring an honest update
//!   0 cannot have it slashed (with an even split, the update is left out and nobody is
//!   slashed: neither half is a majority);
//! - an aggregator with a score more than `gate.score_tolerance` below the lower median or
//!   above the upper median of an update **strayed**: it is penalised and paid nothing for the
//!   round. Scores far from every other member's are either a mistake or a bid to move the
//!   median; both cost stake, as Yuma consensus clips weights far from the stake-weighted
//!   median. With an even split, no member strays: the medians are the two halves' own scores.
//!
//! With `c` colluders among `r` revealing members, the medians are honest scores while
//! `c < r / 2` (odd `r`: at most `(r − 1) / 2` colluders); `docs/federated.md` has the
//! arithmetic for the committee sizes.

use alloc::vec::Vec;

use crate::{
	judgement::{judge, Verdict},
	task::ScoreGate,
	Score,
};

/// What a committee decided for a round's updates.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Decision {
	/// Each update's score: the lower median of its scores (what the gate accepts on and the
	/// reward is shared by).
	pub scores: Vec<Score>,
	/// Each update's verdict: accepted on the lower medians, penalised on the upper medians.
	pub verdicts: Vec<Verdict>,
	/// For each submission, in order, whether it strayed from the committee.
	pub strayed: Vec<bool>,
}

/// The middle of `values` once sorted: the lower (`upper = false`) or upper of the two middle
/// values for an even count. `None` for no values.
fn middle(mut values: Vec<Score>, upper: bool) -> Option<Score> {
	if values.is_empty() {
		return None;
	}
	values.sort_unstable();
	Some(values[if upper { values.len() / 2 } else { (values.len() - 1) / 2 }])
}

/// Decides a round of `updates` updates from the committee's `submissions` (each one score per
/// update, in order; a submission of another length is read as missing scores for the updates
/// it lacks) under `gate`. No submissions: every update scores 0 and nothing is decided.
pub fn decide(submissions: &[&[Score]], updates: usize, gate: &ScoreGate) -> Decision {
	let column =
		|i: usize| -> Vec<Score> { submissions.iter().filter_map(|s| s.get(i).copied()).collect() };
	let lower: Vec<Score> =
		(0..updates).map(|i| middle(column(i), false).unwrap_or_default()).collect();
	let upper: Vec<Score> =
		(0..updates).map(|i| middle(column(i), true).unwrap_or_default()).collect();
	let on_lower = judge(&lower, gate);
	let on_upper = judge(&upper, gate);
	let verdicts = on_lower
		.iter()
		.zip(&on_upper)
		.map(|(l, u)| Verdict { accepted: l.accepted, slashed: u.slashed && !l.accepted })
		.collect();
	let strayed = submissions
		.iter()
		.map(|s| {
			s.iter().zip(lower.iter().zip(&upper)).any(|(score, (low, high))| {
				*score < low.saturating_sub(gate.score_tolerance)
					|| *score > high.saturating_add(gate.score_tolerance)
			})
		})
		.collect();
	Decision { scores: lower, verdicts, strayed }
}

#[cfg(test)]
mod tests {
	use super::*;

	const GATE: ScoreGate = ScoreGate {
		accept_within: 50_000,
		accept_spread_percent: 400,
		slash_beyond: 350_000,
		slash_spread_percent: 1_000,
		min_score: 300_000,
		clip_norm_percent: 150,
		max_weight_percent: 100,
		copy_distance_micros: 1_000,
		min_norm_percent: 5,
		score_tolerance: 300_000,
	};

	/// What honest aggregators reveal for four honest updates and one poisoned one (index 4),
	/// a little apart as their reference seeds make them.
	fn honest(jitter: Score) -> Vec<Score> {
		alloc::vec![950_000 + jitter, 930_000 - jitter, 960_000, 940_000 + jitter, 520_000]
	}

	fn decided(submissions: &[Vec<Score>]) -> Decision {
		let views: Vec<&[Score]> = submissions.iter().map(Vec::as_slice).collect();
		decide(&views, 5, &GATE)
	}

	#[test]
	fn an_honest_committee_agrees_and_nobody_strays() {
		let d = decided(&[honest(0), honest(5_000), honest(20_000)]);
		assert_eq!(d.strayed, alloc::vec![false; 3]);
		assert!(d.verdicts[..4].iter().all(|v| v.accepted && !v.slashed));
		assert_eq!(d.verdicts[4], Verdict { accepted: false, slashed: true });
	}

	#[test]
	fn two_of_four_scoring_honest_updates_zero_slash_nobody() {
		// Today's lower median alone would have slashed all four honest trainers.
		let zeros = alloc::vec![0, 0, 0, 0, 520_000];
		let d = decided(&[honest(0), zeros.clone(), honest(10_000), zeros]);
		assert!(d.verdicts[..4].iter().all(|v| !v.accepted && !v.slashed), "{d:?}");
		// An even split: neither half is a majority, nobody strays.
		assert_eq!(d.strayed, alloc::vec![false; 4]);
	}

	#[test]
	fn two_of_four_scoring_a_poisoned_update_high_cannot_let_it_in() {
		let mut bought = honest(0);
		bought[4] = 1_000_000;
		let d = decided(&[honest(0), bought.clone(), honest(10_000), bought]);
		assert!(!d.verdicts[4].accepted);
		assert!(d.verdicts[..4].iter().all(|v| v.accepted));
	}

	#[test]
	fn a_minority_far_from_the_committee_strays_and_changes_nothing() {
		// One of three (and one of four) reveals 0 for the honest updates and 1_000_000 for
		// the poisoned one.
		let bought = alloc::vec![0, 0, 0, 0, 1_000_000];
		for committee in [
			alloc::vec![honest(0), bought.clone(), honest(10_000)],
			alloc::vec![honest(0), bought.clone(), honest(10_000), honest(20_000)],
		] {
			let d = decided(&committee);
			assert_eq!(d.strayed, committee.iter().map(|s| *s == bought).collect::<Vec<_>>());
			assert!(d.verdicts[..4].iter().all(|v| v.accepted && !v.slashed));
			assert!(!d.verdicts[4].accepted);
		}
	}

	#[test]
	fn a_score_within_the_tolerance_is_not_straying() {
		// Honest aggregators differ by up to 205_000 on a converged model (docs/scoring.md).
		let mut far = honest(0);
		far[0] -= 250_000;
		let d = decided(&[honest(0), far, honest(10_000)]);
		assert_eq!(d.strayed, alloc::vec![false; 3]);
		let mut farther = honest(0);
		farther[0] = 600_000;
		assert!(decided(&[honest(0), farther, honest(10_000)]).strayed[1]);
	}

	#[test]
	fn no_submissions_decide_nothing() {
		let d = decide(&[], 3, &GATE);
		assert_eq!(d.scores, alloc::vec![0; 3]);
		assert!(d.verdicts.iter().all(|v| !v.accepted && !v.slashed));
		assert!(d.strayed.is_empty());
	}
}
