//! Coordinate-wise rules: weighted mean, trimmed mean and median (a trimmed mean that keeps
//! one or two middle values).
//!
//! Both work on one chunk of coordinates at a time, update by update (each update's slice of
//! the chunk is read once, front to back, and the compiler vectorises the inner loops), and
//! keep the chunk's partial results in cache. The arithmetic is exact in 64 bits where the
//! inputs allow it (checked once per call), else in 128 bits; either way every output is
//! bit-identical to the plain per-coordinate computation (`tests.rs`, `naive`).

use super::{div_round, par_fill, AggregateError, Update};

/// `Σ wᵢ·xᵢ / Σ wᵢ` per coordinate.
pub(super) fn weighted_mean(
	updates: &[Update],
	dimension: usize,
) -> Result<Vec<i32>, AggregateError> {
	let total: u128 = updates.iter().map(|u| u.weight as u128).sum();
	if total == 0 {
		return Err(AggregateError::ZeroWeight);
	}
	// With W = Σ wᵢ < 2³¹, every weight fits an i32, |Σ wᵢ·xᵢ| < W·2³¹ < 2⁶², so sums fit an
	// i64 and `2|s| + W` a u64.
	if total < 1 << 31 {
		Ok(weighted_mean_64(updates, dimension, total as u64))
	} else {
		Ok(weighted_mean_128(updates, dimension, total as i128))
	}
}

/// Coordinates summed at once by [`weighted_mean_64`]: its accumulators (8 bytes each) and the
/// updates' slices (4 bytes each) stay in the first-level cache.
const SUM_BLOCK: usize = 1024;

/// The weighted mean in 64-bit arithmetic: update-major sums into a block of accumulators,
/// then one multiplication by a precomputed reciprocal per coordinate ([`RoundingDivider`]).
fn weighted_mean_64(updates: &[Update], dimension: usize, total: u64) -> Vec<i32> {
	let divider = RoundingDivider::new(total);
	par_fill(dimension, |start, chunk| {
		let mut sums = [0i64; SUM_BLOCK];
		for (b, block) in chunk.chunks_mut(SUM_BLOCK).enumerate() {
			let sums = &mut sums[..block.len()];
			sums.fill(0);
			accumulate(sums, updates, start + b * SUM_BLOCK);
			for (out, s) in block.iter_mut().zip(sums.iter()) {
				*out = divider.divide(*s) as i32;
			}
		}
	})
}

/// `sums[k] += Σ wᵢ · xᵢ[first + k]` over the updates, exactly: with `W < 2³¹` each weight fits
/// an i32, each product is of two 32-bit values, and every partial sum stays below `W·2³¹ < 2⁶²`
/// in magnitude. Four updates per pass over the accumulators (a quarter of their loads and
/// stores). On x86-64 with AVX2 (checked at run time) the same loops are compiled for it, four
/// 64-bit products at a time.
fn accumulate(sums: &mut [i64], updates: &[Update], first: usize) {
	#[cfg(target_arch = "x86_64")]
	if std::arch::is_x86_feature_detected!("avx2") {
		// SAFETY: the CPU has AVX2, checked just above.
		return unsafe { accumulate_avx2(sums, updates, first) };
	}
	accumulate_portable(sums, updates, first)
}

#[inline(always)]
fn accumulate_portable<'u>(sums: &mut [i64], updates: &'u [Update<'u>], first: usize) {
	let len = sums.len();
	let values = |u: &'u Update<'u>| &u.values[first..first + len];
	// Through i32, so that the compiler knows each factor is 32-bit (one widening multiply).
	let weight = |u: &Update| u.weight as i32 as i64;
	let mut fours = updates.chunks_exact(4);
	for four in &mut fours {
		let [a, b, c, d] = [&four[0], &four[1], &four[2], &four[3]];
		let (wa, wb, wc, wd) = (weight(a), weight(b), weight(c), weight(d));
		let rows = values(a).iter().zip(values(b)).zip(values(c)).zip(values(d));
		for (s, (((xa, xb), xc), xd)) in sums.iter_mut().zip(rows) {
			*s += wa * *xa as i64 + wb * *xb as i64 + wc * *xc as i64 + wd * *xd as i64;
		}
	}
	for u in fours.remainder() {
		let w = weight(u);
		for (s, x) in sums.iter_mut().zip(values(u)) {
			*s += w * *x as i64;
		}
	}
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn accumulate_avx2(sums: &mut [i64], updates: &[Update], first: usize) {
	accumulate_portable(sums, updates, first)
}

/// [`div_round`] by a fixed `den` (`0 < den < 2³¹`) for `|num| ≤ den·2³¹`, without a division:
/// `round(|n| / d) = ⌊(2|n| + d) / 2d⌋` (halves up, then the sign put back), and the quotient
/// by the invariant `D = 2d` as a multiplication (Granlund and Montgomery, "Division by
/// invariant integers using multiplication", 1994): with `l = ⌈log₂ D⌉` and
/// `m = ⌈2^(64+l) / D⌉ = 2⁶⁴ + m'`, `⌊x / D⌋ = ⌊(x + ⌊x·m' / 2⁶⁴⌋) / 2^l⌋` for every `x < 2⁶⁴`.
#[derive(Debug, Clone, Copy)]
struct RoundingDivider {
	den: u64,
	low: u64,
	shift: u32,
}

impl RoundingDivider {
	fn new(den: u64) -> Self {
		debug_assert!(den > 0 && den < 1 << 31);
		let divisor = 2 * den;
		let shift = u64::BITS - (divisor - 1).leading_zeros();
		let m = (1u128 << (64 + shift)).div_ceil(divisor as u128);
		Self { den, low: (m - (1 << 64)) as u64, shift }
	}

	fn divide(&self, num: i64) -> i64 {
		let x = 2 * num.unsigned_abs() + self.den;
		let high = ((x as u128 * self.low as u128) >> 64) as u64;
		let q = ((x as u128 + high as u128) >> self.shift) as i64;
		// The sign put back without a branch: signs are random, and a mispredicted branch per
		// coordinate cost more than the rest of the weighted mean together.
		let sign = num >> 63;
		(q ^ sign) - sign
	}
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
/// `round(|n| / d) = ⌊(2|n| + d) / 2d⌋` (halves up), the sign put back after: what
/// [`RoundingDivider`] computes without the division.
#[cfg(test)]
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
	let kept = RoundingDivider::new((n - 2 * trim) as u64);
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
			sort_columns(&mut rows, &comparators, width);
			let sums = &mut sums[..width];
			sums.fill(0);
			for row in &rows[trim..n - trim] {
				for (s, x) in sums.iter_mut().zip(&row[..width]) {
					*s += *x as i64;
				}
			}
			for (out, s) in tile.iter_mut().zip(sums.iter()) {
				*out = kept.divide(*s) as i32;
			}
		}
	})
}

/// Sorts the first `width` columns of `rows` with the network `comparators`. On x86-64 with
/// AVX2 (checked at run time) the same code is compiled for it, eight values at a time.
fn sort_columns(rows: &mut [[i32; TILE]], comparators: &[(usize, usize)], width: usize) {
	#[cfg(target_arch = "x86_64")]
	if std::arch::is_x86_feature_detected!("avx2") {
		// SAFETY: the CPU has AVX2, checked just above.
		return unsafe { sort_columns_avx2(rows, comparators, width) };
	}
	sort_columns_portable(rows, comparators, width)
}

#[inline(always)]
fn sort_columns_portable(rows: &mut [[i32; TILE]], comparators: &[(usize, usize)], width: usize) {
	for &(a, b) in comparators {
		let (low, high) = rows.split_at_mut(b);
		compare_exchange(&mut low[a][..width], &mut high[0][..width]);
	}
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sort_columns_avx2(rows: &mut [[i32; TILE]], comparators: &[(usize, usize)], width: usize) {
	sort_columns_portable(rows, comparators, width)
}

/// Puts the smaller of each pair of values in `low` and the larger in `high`.
#[inline(always)]
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

	/// The reciprocal agrees with the division for every divisor class (powers of two, their
	/// neighbours, the largest) on numerators at the edges and at random.
	#[test]
	fn the_reciprocal_divides_exactly() {
		use rand::{Rng, SeedableRng};
		let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
		let mut dens: Vec<u64> = vec![1, 2, 3, 5, 7, 1000, 1_000_003, (1 << 31) - 1];
		dens.extend((1..31).flat_map(|k| [(1u64 << k) - 1, 1 << k, (1 << k) + 1]));
		dens.extend((0..200).map(|_| rng.random_range(1..1u64 << 31)));
		for den in dens {
			let divider = RoundingDivider::new(den);
			// |num| ≤ W·2³¹ in the weighted mean; the extremes of that range and around
			// multiples of the divisor, where rounding turns.
			let limit = (den as i64) << 31;
			let mut nums = vec![0, 1, -1, limit, -limit, limit - 1, den as i64, -(den as i64)];
			for k in [1i64, 2, 3, 1 << 20, (1 << 31) - 1] {
				let at = k * den as i64;
				nums.extend([at - 1, at, at + 1, at + den as i64 / 2, -(at + den as i64 / 2)]);
			}
			nums.extend((0..200).map(|_| rng.random_range(-(limit - 1)..limit)));
			for num in nums.into_iter().filter(|n| n.unsigned_abs() <= limit as u64) {
				assert_eq!(divider.divide(num), div_round_64(num, den), "{num} / {den}");
			}
		}
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
