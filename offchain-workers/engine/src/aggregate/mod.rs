//! Deterministic aggregation of quantized updates on the CPU, using all cores.
//!
//! Every rule works on `i32` fixed-point values in 128-bit integer arithmetic and rounds once,
//! with one rule ([`div_round`]): to the nearest integer, halves away from zero. So the output
//! does not depend on the machine, the number of threads or the order of work, and every honest
//! aggregator hashes the same bytes.

mod coordinate;
pub(crate) mod krum;

use cohort_primitives::task::AggregationRule;
use rayon::prelude::*;

/// One trainer's quantized update and its weight (its number of training samples).
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
	pub values: &'a [i32],
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
