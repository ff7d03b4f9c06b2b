//! Coordinate-wise rules: weighted mean, trimmed mean and median (a trimmed mean that keeps
//! one or two middle values).

use super::{div_round, par_fill, AggregateError, Update};

/// `Σ wᵢ·xᵢ / Σ wᵢ` per coordinate.
pub(super) fn weighted_mean(
	updates: &[Update],
	dimension: usize,
) -> Result<Vec<i32>, AggregateError> {
	let total: i128 = updates.iter().map(|u| u.weight as i128).sum();
	if total == 0 {
		return Err(AggregateError::ZeroWeight);
	}
	Ok(par_fill(dimension, |start, chunk| {
		for (offset, out) in chunk.iter_mut().enumerate() {
			let k = start + offset;
			let sum: i128 = updates.iter().map(|u| u.weight as i128 * u.values[k] as i128).sum();
			*out = div_round(sum, total) as i32;
		}
	}))
}

/// Per coordinate: sort the values, drop `trim` from each end, and take the plain mean of the
/// rest. With `trim = (n - 1) / 2` that is the median.
pub(super) fn trimmed_mean(updates: &[Update], dimension: usize, trim: usize) -> Vec<i32> {
	let n = updates.len();
	let kept = (n - 2 * trim) as i128;
	par_fill(dimension, |start, chunk| {
		let mut column = Vec::with_capacity(n);
		for (offset, out) in chunk.iter_mut().enumerate() {
			let k = start + offset;
			column.clear();
			column.extend(updates.iter().map(|u| u.values[k]));
			column.sort_unstable();
			let sum: i128 = column[trim..n - trim].iter().map(|v| *v as i128).sum();
			*out = div_round(sum, kept) as i32;
		}
	})
}
