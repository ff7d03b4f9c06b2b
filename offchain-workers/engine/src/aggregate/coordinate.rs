//! Coordinate-wise rules: weighted mean, trimmed mean and median (a trimmed mean that keeps
//! one or two middle values).
//!
//! Both work on one chunk of coordinates at a time, update by update (each update's slice of
//! the chunk is read once, front to back, and the compiler vectorises the inner loops), and
//! keep the chunk's partial results in cache. The arithmetic is exact in 64 bits where the
//! inputs allow it (checked once per call), else in 128 bits; either way every output is
//! bit-identical to the plain per-coordinate computation (`tests.rs`, `naive`).

use super::{div_round, par_fill, AggregateError, Update, CHUNK};

/// `Σ wᵢ·xᵢ / Σ wᵢ` per coordinate.
pub(super) fn weighted_mean(
	updates: &[Update],
	dimension: usize,
) -> Result<Vec<i32>, AggregateError> {
	let total: u128 = updates.iter().map(|u| u.weight as u128).sum();
	if total == 0 {
		return Err(AggregateError::ZeroWeight);
	}
	// With W = Σ wᵢ ≤ 2³¹, |Σ wᵢ·xᵢ| ≤ W·2³¹ ≤ 2⁶², so sums fit an i64 and `2|s| + W` a u64.
	if total <= 1 << 31 {
		Ok(weighted_mean_64(updates, dimension, total as u64))
	} else {
		Ok(weighted_mean_128(updates, dimension, total as i128))
	}
}

/// The weighted mean in 64-bit arithmetic: update-major sums into a chunk of accumulators,
/// then one division per coordinate.
fn weighted_mean_64(updates: &[Update], dimension: usize, total: u64) -> Vec<i32> {
	par_fill(dimension, |start, chunk| {
		let mut sums = [0i64; CHUNK];
		let sums = &mut sums[..chunk.len()];
		for u in updates {
			// Each weight is at most W ≤ 2³¹: the product of two 32-bit values.
			let w = u.weight as i64;
			for (s, x) in sums.iter_mut().zip(&u.values[start..start + chunk.len()]) {
				*s += w * *x as i64;
			}
		}
		for (out, s) in chunk.iter_mut().zip(sums.iter()) {
			*out = div_round_64(*s, total) as i32;
		}
	})
}

/// The weighted mean in 128-bit arithmetic, for weights too large for [`weighted_mean_64`].
fn weighted_mean_128(updates: &[Update], dimension: usize, total: i128) -> Vec<i32> {
	par_fill(dimension, |start, chunk| {
		let mut sums = vec![0i128; chunk.len()];
		for u in updates {
			let w = u.weight as i128;
			for (s, x) in sums.iter_mut().zip(&u.values[start..start + chunk.len()]) {
				*s += w * *x as i128;
			}
		}
		for (out, s) in chunk.iter_mut().zip(&sums) {
			*out = div_round(*s, total) as i32;
		}
	})
}

/// [`div_round`] for `|num| ≤ 2⁶²` and `0 < den ≤ 2³¹`, with one division:
/// `round(|n| / d) = ⌊(2|n| + d) / 2d⌋` (halves up), the sign put back after.
fn div_round_64(num: i64, den: u64) -> i64 {
	let q = ((2 * num.unsigned_abs() + den) / (2 * den)) as i64;
	if num < 0 {
		-q
	} else {
		q
	}
}

/// Coordinates per tile of the trimmed mean: the tile (`n` rows of this many values) stays in
/// the first-level cache while the sorting network runs over it.
const TILE: usize = 256;

/// Per coordinate: sort the values, drop `trim` from each end, and take the plain mean of the
/// rest. With `trim = (n - 1) / 2` that is the median.
///
/// The values of a tile of coordinates are copied into `n` rows, and a sorting network
/// ([`network`]) sorts every column at once with row-wise minimum and maximum, which the
/// compiler vectorises; the kept rows are then summed per column (exactly, in 64 bits: at most
/// `n · 2³¹`).
pub(super) fn trimmed_mean(updates: &[Update], dimension: usize, trim: usize) -> Vec<i32> {
	let n = updates.len();
	let kept = (n - 2 * trim) as u64;
	let comparators = network(n);
	par_fill(dimension, |start, chunk| {
		let mut rows = vec![[0i32; TILE]; n];
		let mut sums = [0i64; TILE];
		for (t, tile) in chunk.chunks_mut(TILE).enumerate() {
			let first = start + t * TILE;
			let width = tile.len();
			for (row, u) in rows.iter_mut().zip(updates) {
				row[..width].copy_from_slice(&u.values[first..first + width]);
			}
			for &(a, b) in &comparators {
				let (low, high) = rows.split_at_mut(b);
				compare_exchange(&mut low[a][..width], &mut high[0][..width]);
			}
			let sums = &mut sums[..width];
			sums.fill(0);
			for row in &rows[trim..n - trim] {
				for (s, x) in sums.iter_mut().zip(&row[..width]) {
					*s += *x as i64;
				}
			}
			for (out, s) in tile.iter_mut().zip(sums.iter()) {
				*out = div_round_64(*s, kept) as i32;
			}
		}
	})
}

/// Puts the smaller of each pair of values in `low` and the larger in `high`.
fn compare_exchange(low: &mut [i32], high: &mut [i32]) {
	for (a, b) in low.iter_mut().zip(high.iter_mut()) {
		let (x, y) = (*a, *b);
		*a = x.min(y);
		*b = x.max(y);
	}
}

/// A sorting network for `n` values, as comparators `(i, j)` with `i < j`: Batcher's merge
/// exchange (Knuth, TAOCP vol. 3, 5.2.2, Algorithm M), which sorts any `n` with
/// `O(n log² n)` comparators (19 for 8 values).
fn network(n: usize) -> Vec<(usize, usize)> {
	let mut comparators = Vec::new();
	if n < 2 {
		return comparators;
	}
	let t = usize::BITS - (n - 1).leading_zeros();
	let mut p = 1usize << (t - 1);
	while p > 0 {
		let (mut q, mut r, mut d) = (1usize << (t - 1), 0usize, p);
		loop {
			for i in 0..n - d.min(n) {
				if i & p == r {
					comparators.push((i, i + d));
				}
			}
			if q == p {
				break;
			}
			d = q - p;
			q >>= 1;
			r = p;
		}
		p >>= 1;
	}
	comparators
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The zero-one principle: a network sorts every input if it sorts every input of 0s and
	/// 1s; checked exhaustively up to 16 values.
	#[test]
	fn the_network_sorts_every_input() {
		for n in 0..=16usize {
			let comparators = network(n);
			assert!(comparators.iter().all(|&(a, b)| a < b && b < n), "{n}: {comparators:?}");
			for bits in 0u32..1 << n {
				let mut v: Vec<u32> = (0..n).map(|i| bits >> i & 1).collect();
				for &(a, b) in &comparators {
					if v[a] > v[b] {
						v.swap(a, b);
					}
				}
				assert!(v.windows(2).all(|w| w[0] <= w[1]), "{n} values, input {bits:b}");
			}
		}
		assert_eq!(network(8).len(), 19);
	}

	#[test]
	fn div_round_64_agrees_with_div_round() {
		let dens = [1u64, 2, 3, 7, 1000, (1 << 31) - 1, 1 << 31];
		let nums = [0i64, 1, -1, 2, -2, 3, -3, 499, 500, -500, 501, 1 << 40, -(1 << 62), 1 << 62];
		for den in dens {
			for num in nums {
				assert_eq!(
					div_round_64(num, den) as i128,
					div_round(num as i128, den as i128),
					"{num} / {den}"
				);
			}
		}
	}
}
