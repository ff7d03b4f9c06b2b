//! Multi-Krum's selection (Blanchard et al. 2017): the updates closest to their neighbours.

use super::{AggregateError, Update, CHUNK};
use rayon::prelude::*;

/// The indices of the `m` updates with the lowest Krum scores, in ascending order of score
/// (ties: the lower index first). An update's score is the sum of the squared Euclidean
/// distances to its `n - f - 2` nearest other updates. Needs `n > 2f + 2` and `1 <= m <= n - f`.
pub(super) fn select(updates: &[Update], f: usize, m: usize) -> Result<Vec<usize>, AggregateError> {
	check_counts(updates.len(), f, m)?;
	let pairs = pairs(updates.len());
	let distances = squared_distances(updates, &pairs);
	Ok(choose(updates.len(), f, m, &pairs, distances))
}

/// The squared Euclidean distance of every pair, in one pass over the data: each chunk of
/// coordinates is read once (it stays in cache while every pair's partial sum over it is taken),
/// chunks in parallel, and the partial sums added up. A chunk whose values are all below 2²⁵ in
/// magnitude sums its squares in 64 bits (each square is below 2⁵², the chunk's sum below 2⁶⁴);
/// otherwise in 128 bits. Exact either way.
fn squared_distances(updates: &[Update], pairs: &[(usize, usize)]) -> Vec<u128> {
	let dimension = updates.first().map_or(0, |u| u.values.len());
	let chunks = dimension.div_ceil(CHUNK);
	(0..chunks)
		.into_par_iter()
		.map(|c| {
			let range = c * CHUNK..((c + 1) * CHUNK).min(dimension);
			let small = updates
				.iter()
				.all(|u| u.values[range.clone()].iter().all(|x| x.unsigned_abs() < 1 << 25));
			pairs
				.iter()
				.map(|&(i, j)| {
					let (a, b) =
						(&updates[i].values[range.clone()], &updates[j].values[range.clone()]);
					if small {
						small_squared_distance(a, b) as u128
					} else {
						a.iter()
							.zip(b)
							.map(|(x, y)| (*x as i64 - *y as i64).unsigned_abs() as u128)
							.map(|d| d * d)
							.sum()
					}
				})
				.collect::<Vec<u128>>()
		})
		.reduce(
			|| vec![0u128; pairs.len()],
			|mut total, part| {
				total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
				total
			},
		)
}

/// Checks that multi-Krum can run on `n` updates with `f` and `m`.
pub(crate) fn check_counts(n: usize, f: usize, m: usize) -> Result<(), AggregateError> {
	if n <= 2 * f + 2 {
		return Err(AggregateError::TooFewUpdates { needed: 2 * f + 2, got: n });
	}
	if m == 0 || m > n - f {
		return Err(AggregateError::BadKeepCount { m });
	}
	Ok(())
}

/// Every pair `(i, j)` with `i < j < n`: the upper triangle of the distance matrix.
pub(crate) fn pairs(n: usize) -> Vec<(usize, usize)> {
	(0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect()
}

/// The selection, given the squared distance of each pair of [`pairs`].
pub(crate) fn choose(
	n: usize,
	f: usize,
	m: usize,
	pairs: &[(usize, usize)],
	distances: Vec<u128>,
) -> Vec<usize> {
	let mut matrix = vec![vec![0u128; n]; n];
	for (&(i, j), d) in pairs.iter().zip(distances) {
		matrix[i][j] = d;
		matrix[j][i] = d;
	}
	let neighbours = n - f - 2;
	let mut scored: Vec<(u128, usize)> = (0..n)
		.map(|i| {
			let mut others: Vec<u128> = (0..n).filter(|j| *j != i).map(|j| matrix[i][j]).collect();
			others.sort_unstable();
			(others[..neighbours].iter().sum(), i)
		})
		.collect();
	scored.sort_unstable();
	scored.into_iter().take(m).map(|(_, i)| i).collect()
}

/// `Σ (a - b)²` of values below 2²⁵ in magnitude and at most 4,096 of them (the sum stays
/// below 2⁶⁴). On x86-64 with AVX2 (checked at run time) the same loop is compiled for it.
fn small_squared_distance(a: &[i32], b: &[i32]) -> u64 {
	#[cfg(target_arch = "x86_64")]
	if std::arch::is_x86_feature_detected!("avx2") {
		// SAFETY: the CPU has AVX2, checked just above.
		return unsafe { small_squared_distance_avx2(a, b) };
	}
	small_squared_distance_portable(a, b)
}

#[inline(always)]
fn small_squared_distance_portable(a: &[i32], b: &[i32]) -> u64 {
	a.iter().zip(b).map(|(x, y)| ((x - y) as i64).pow(2) as u64).sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn small_squared_distance_avx2(a: &[i32], b: &[i32]) -> u64 {
	small_squared_distance_portable(a, b)
}
