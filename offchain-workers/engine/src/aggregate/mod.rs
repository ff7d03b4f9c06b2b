//! Deterministic aggregation of quantized updates on the CPU, using all cores.
//!
//! Every rule works on `i32` fixed-point values in 128-bit integer arithmetic and rounds once,
//! with one rule ([`div_round`]): to the nearest integer, halves away from zero. So the output
//! does not depend on the machine, the number of threads or the order of work, and every honest
//! aggregator hashes the same bytes.
//!
//! Before a rule runs, [`clip_norms`] bounds each accepted update's L2 norm relative to the
//! median norm, in integers as well, so that one update cannot outweigh the rest by its size.

mod coordinate;
pub(crate) mod krum;

use cohort_primitives::task::AggregationRule;
use rayon::prelude::*;

/// One trainer's quantized update and its weight (its number of training samples).
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
	/// The update's fixed-point values (trained minus global parameters, quantized).
	pub values: &'a [i32],
	/// Its weight in the weighted mean: the samples it was trained on.
	pub weight: u64,
}

/// Why updates could not be aggregated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
	#[error("no updates to aggregate")]
	NoUpdates,
	#[error("update {index} has {found} parameters, the first has {expected}")]
	LengthMismatch { index: usize, expected: usize, found: usize },
	#[error("the updates' weights add up to zero")]
	ZeroWeight,
	#[error("the rule needs more than {needed} updates, got {got}")]
	TooFewUpdates { needed: usize, got: usize },
	#[error("multi-Krum must keep between 1 and n - f updates, not {m}")]
	BadKeepCount { m: usize },
	#[error("the global model has {model} parameters, the aggregate {aggregate}")]
	ModelLengthMismatch { model: usize, aggregate: usize },
}

/// `num / den` rounded to the nearest integer, halves away from zero. `den` must be positive.
pub fn div_round(num: i128, den: i128) -> i128 {
	debug_assert!(den > 0);
	let q = num.abs() / den;
	let r = num.abs() % den;
	let q = if 2 * r >= den { q + 1 } else { q };
	if num < 0 {
		-q
	} else {
		q
	}
}

/// Aggregates `updates` with `rule`.
///
/// - `WeightedMean`: `Σ wᵢ·xᵢ / Σ wᵢ` per coordinate (FedAvg).
/// - `TrimmedMean { trim }`: per coordinate, drop the `trim` largest and smallest values, then
///   the plain mean of the rest.
/// - `Median`: per coordinate; for an even count the mean of the two middle values.
/// - `MultiKrum { f, m }`: score each update by the sum of squared distances to its `n - f - 2`
///   nearest others, keep the `m` lowest scores (ties: the earlier update), and take their
///   weighted mean.
pub fn aggregate(rule: &AggregationRule, updates: &[Update]) -> Result<Vec<i32>, AggregateError> {
	let dimension = check(updates)?;
	match *rule {
		AggregationRule::WeightedMean => coordinate::weighted_mean(updates, dimension),
		AggregationRule::TrimmedMean { trim } => {
			let trim = trim as usize;
			if updates.len() <= 2 * trim {
				return Err(AggregateError::TooFewUpdates { needed: 2 * trim, got: updates.len() });
			}
			Ok(coordinate::trimmed_mean(updates, dimension, trim))
		},
		AggregationRule::Median => {
			Ok(coordinate::trimmed_mean(updates, dimension, (updates.len() - 1) / 2))
		},
		AggregationRule::MultiKrum { f, m } => {
			let kept = krum::select(updates, f as usize, m as usize)?;
			let kept: Vec<Update> = kept.into_iter().map(|i| updates[i]).collect();
			coordinate::weighted_mean(&kept, dimension)
		},
	}
}

/// `⌊√(Σ v²)⌋`, exactly: the sum in `u128` (each square is below 2⁶², so 2³² of them still
/// fit) and an integer square root.
pub fn norm(values: &[i32]) -> u64 {
	let sum: u128 = values.iter().map(|v| (v.unsigned_abs() as u128).pow(2)).sum();
	// ⌊√(2¹²⁸)⌋ < 2⁶⁴.
	sum.isqrt() as u64
}

/// Bounds the updates' L2 norms, in integers only, so that every machine clips alike:
///
/// - each update's norm `nᵢ = ⌊√(Σ v²)⌋` ([`norm`]);
/// - `m`, the lower median of the `nᵢ` (the middle one, or the lower of the two middle ones);
/// - the bound `B = ⌊m · percent / 100⌋`;
/// - an update with `nᵢ > B` becomes `v · B / nᵢ` per coordinate, **rounded toward zero**, so
///   that its norm is at most `B` afterwards and clipping twice changes nothing; an update
///   within the bound is kept bit for bit.
///
/// `percent = 0` switches clipping off (a task's gate asks for at least 100, which keeps the
/// median update whole). Updates are not checked against each other here; the rule that runs
/// next refuses mismatched lengths.
pub fn clip_norms(updates: &[Update], percent: u32) -> Vec<Vec<i32>> {
	let norms: Vec<u64> = updates.iter().map(|u| norm(u.values)).collect();
	let mut sorted = norms.clone();
	sorted.sort_unstable();
	let Some(median) = sorted.get(sorted.len().saturating_sub(1) / 2).copied() else {
		return Vec::new();
	};
	let bound = median as u128 * percent as u128 / 100;
	updates
		.iter()
		.zip(norms)
		.map(|(u, n)| {
			if percent == 0 || n as u128 <= bound {
				return u.values.to_vec();
			}
			// |v| ≤ n, so |v·B/n| < |v|: the result fits an i32. Integer division truncates
			// toward zero.
			u.values.iter().map(|v| (*v as i128 * bound as i128 / n as i128) as i32).collect()
		})
		.collect()
}

/// The next global model: `global + aggregate` per coordinate, saturating at the `i32` range.
pub fn apply(global: &[i32], aggregate: &[i32]) -> Result<Vec<i32>, AggregateError> {
	if global.len() != aggregate.len() {
		return Err(AggregateError::ModelLengthMismatch {
			model: global.len(),
			aggregate: aggregate.len(),
		});
	}
	Ok(global.iter().zip(aggregate).map(|(g, a)| g.saturating_add(*a)).collect())
}

/// Checks that there are updates, all of one length; returns that length.
pub(crate) fn check(updates: &[Update]) -> Result<usize, AggregateError> {
	let expected = updates.first().ok_or(AggregateError::NoUpdates)?.values.len();
	match updates.iter().position(|u| u.values.len() != expected) {
		Some(index) => Err(AggregateError::LengthMismatch {
			index,
			expected,
			found: updates[index].values.len(),
		}),
		None => Ok(expected),
	}
}

/// Coordinates per parallel work item: large enough to amortise scheduling, small enough to
/// spread over every core.
const CHUNK: usize = 4096;

/// Fills an output of `dimension` coordinates in parallel, one chunk per work item; `fill`
/// gets the first coordinate's index and the chunk to fill.
fn par_fill(dimension: usize, fill: impl Fn(usize, &mut [i32]) + Sync) -> Vec<i32> {
	let mut out = vec![0i32; dimension];
	out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| fill(c * CHUNK, chunk));
	out
}

#[cfg(test)]
mod tests;
