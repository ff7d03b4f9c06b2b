use super::*;
use rand::{Rng, SeedableRng};

fn updates<'a>(values: &'a [Vec<i32>], weights: &[u64]) -> Vec<Update<'a>> {
	values.iter().zip(weights).map(|(v, w)| Update { values: v, weight: *w }).collect()
}

const MEAN: AggregationRule = AggregationRule::WeightedMean;
const MEDIAN: AggregationRule = AggregationRule::Median;

#[test]
fn div_round_rounds_halves_away_from_zero() {
	assert_eq!(div_round(3, 2), 2);
	assert_eq!(div_round(-3, 2), -2);
	assert_eq!(div_round(5, 4), 1);
	assert_eq!(div_round(7, 4), 2);
	assert_eq!(div_round(-5, 4), -1);
	assert_eq!(div_round(-7, 4), -2);
	assert_eq!(div_round(0, 9), 0);
	assert_eq!(div_round(10, 5), 2);
}

#[test]
fn weighted_mean_by_hand() {
	// (1*10 + 3*20) / 4 = 17.5 -> 18; (1*-10 + 3*-20) / 4 = -17.5 -> -18; (1*1 + 3*0) / 4 -> 0.
	let v = vec![vec![10, -10, 1], vec![20, -20, 0]];
	assert_eq!(aggregate(&MEAN, &updates(&v, &[1, 3])), Ok(vec![18, -18, 0]));
	// Equal weights: the plain mean.
	assert_eq!(aggregate(&MEAN, &updates(&v, &[5, 5])), Ok(vec![15, -15, 1]));
	// Extremes do not overflow.
	let v = vec![vec![i32::MAX, i32::MIN], vec![i32::MAX, i32::MIN]];
	assert_eq!(aggregate(&MEAN, &updates(&v, &[u64::MAX, u64::MAX])), Ok(vec![i32::MAX, i32::MIN]));
}

#[test]
fn trimmed_mean_by_hand() {
	// Column 0: 1, 2, 3, 100, -50 -> drop -50 and 100 -> (1+2+3)/3 = 2.
	// Column 1: 4, 4, 5, 5, 5 -> drop a 4 and a 5 -> (4+5+5)/3 = 4.67 -> 5.
	let v = vec![vec![1, 4], vec![2, 4], vec![3, 5], vec![100, 5], vec![-50, 5]];
	let rule = AggregationRule::TrimmedMean { trim: 1 };
	assert_eq!(aggregate(&rule, &updates(&v, &[1; 5])), Ok(vec![2, 5]));
	// Weights do not matter to a trimmed mean.
	assert_eq!(aggregate(&rule, &updates(&v, &[1, 9, 1, 9, 1])), Ok(vec![2, 5]));
	let rule = AggregationRule::TrimmedMean { trim: 0 };
	assert_eq!(aggregate(&rule, &updates(&v, &[1; 5])), Ok(vec![11, 5]));
}

#[test]
fn median_by_hand() {
	let odd = vec![vec![5, -1], vec![1, -3], vec![9, 7]];
	assert_eq!(aggregate(&MEDIAN, &updates(&odd, &[1; 3])), Ok(vec![5, -1]));
	// Even: the mean of the two middle values, halves away from zero: (2+3)/2 -> 3, (-2-3)/2 -> -3.
	let even = vec![vec![1, -1], vec![2, -2], vec![3, -3], vec![100, -100]];
	assert_eq!(aggregate(&MEDIAN, &updates(&even, &[1; 4])), Ok(vec![3, -3]));
	let one = vec![vec![42]];
	assert_eq!(aggregate(&MEDIAN, &updates(&one, &[1])), Ok(vec![42]));
}

#[test]
fn multi_krum_leaves_out_the_outlier() {
	// Four close updates and one far away; f = 1, so each is scored by its 5 - 1 - 2 = 2
	// nearest neighbours, and the outlier scores worst.
	let v = vec![vec![10, 10], vec![11, 10], vec![10, 11], vec![12, 12], vec![1000, -1000]];
	let rule = AggregationRule::MultiKrum { f: 1, m: 3 };
	// Scores: #0: d(0,1)=1, d(0,2)=1 -> 2; #1: 1 + d(1,2)=2 -> 3; #2: 1 + 2 -> 3;
	// #3: d(3,1)=5, d(3,2)=5 -> 10; #4: huge. Keep #0, #1, #2 -> mean (31/3, 31/3) -> 10.
	assert_eq!(aggregate(&rule, &updates(&v, &[1; 5])), Ok(vec![10, 10]));
	// m = 1 is Krum: the single best update.
	let rule = AggregationRule::MultiKrum { f: 1, m: 1 };
	assert_eq!(aggregate(&rule, &updates(&v, &[1; 5])), Ok(vec![10, 10]));
	// Keeping all but f: the weighted mean of the four close ones.
	let rule = AggregationRule::MultiKrum { f: 1, m: 4 };
	assert_eq!(aggregate(&rule, &updates(&v, &[1, 1, 1, 1, 1])), Ok(vec![11, 11]));
}

#[test]
fn bad_inputs_are_refused() {
	assert_eq!(aggregate(&MEAN, &[]), Err(AggregateError::NoUpdates));
	let v = vec![vec![1, 2], vec![1]];
	assert_eq!(
		aggregate(&MEAN, &updates(&v, &[1, 1])),
		Err(AggregateError::LengthMismatch { index: 1, expected: 2, found: 1 })
	);
	let v = vec![vec![1], vec![2]];
	assert_eq!(aggregate(&MEAN, &updates(&v, &[0, 0])), Err(AggregateError::ZeroWeight));
	let rule = AggregationRule::TrimmedMean { trim: 1 };
	assert_eq!(
		aggregate(&rule, &updates(&v, &[1, 1])),
		Err(AggregateError::TooFewUpdates { needed: 2, got: 2 })
	);
	let v = vec![vec![1]; 4];
	let rule = AggregationRule::MultiKrum { f: 1, m: 1 };
	assert_eq!(
		aggregate(&rule, &updates(&v, &[1; 4])),
		Err(AggregateError::TooFewUpdates { needed: 4, got: 4 })
	);
	let v = vec![vec![1]; 5];
	for m in [0, 5] {
		let rule = AggregationRule::MultiKrum { f: 1, m };
		assert_eq!(
			aggregate(&rule, &updates(&v, &[1; 5])),
			Err(AggregateError::BadKeepCount { m: m as usize })
		);
	}
}

/// The rules written the plainest way, one coordinate at a time, for comparison.
fn naive(rule: &AggregationRule, v: &[Vec<i32>], w: &[u64]) -> Vec<i32> {
	let n = v.len();
	(0..v[0].len())
		.map(|k| {
			let mut column: Vec<i128> = v.iter().map(|u| u[k] as i128).collect();
			match *rule {
				AggregationRule::WeightedMean => {
					let sum: i128 = column.iter().zip(w).map(|(x, w)| x * *w as i128).sum();
					div_round(sum, w.iter().map(|w| *w as i128).sum())
				},
				AggregationRule::TrimmedMean { trim } => {
					column.sort();
					let t = trim as usize;
					div_round(column[t..n - t].iter().sum(), (n - 2 * t) as i128)
				},
				AggregationRule::Median => {
					column.sort();
					if n % 2 == 1 {
						column[n / 2]
					} else {
						div_round(column[n / 2 - 1] + column[n / 2], 2)
					}
				},
				AggregationRule::MultiKrum { .. } => unreachable!(),
			}
		})
		.map(|x| x as i32)
		.collect()
}

#[test]
fn parallel_chunks_match_the_plain_computation_on_random_inputs() {
	let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
	for dimension in [1, 7, 255, 257, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
		for n in [1, 2, 3, 5, 8, 13, 20] {
			// Full-range values, and small ones as quantized updates are.
			for bound in [i32::MAX, 1 << 20] {
				let v: Vec<Vec<i32>> = (0..n)
					.map(|_| (0..dimension).map(|_| rng.random_range(-bound..=bound)).collect())
					.collect();
				// Sample counts (the 64-bit path), and weights whose sum passes 2³¹ (the
				// 128-bit one).
				for max_weight in [1_000_000u64, u64::MAX / 32] {
					let w: Vec<u64> = (0..n).map(|_| rng.random_range(1..max_weight)).collect();
					let mut rules = vec![MEAN, MEDIAN];
					rules.extend(
						(1..=(n - 1) / 2).map(|t| AggregationRule::TrimmedMean { trim: t as u32 }),
					);
					for rule in rules {
						assert_eq!(
							aggregate(&rule, &updates(&v, &w)).unwrap(),
							naive(&rule, &v, &w),
							"{rule:?}, {n} updates of {dimension}, values within {bound}, weights below {max_weight}"
						);
					}
				}
			}
		}
	}
	// The edge between the paths, with extreme values: weights adding up to 2³¹ − 1 (the
	// largest total of the 64-bit path, its largest sums) and to 2³¹ (the 128-bit path).
	let v = vec![vec![i32::MIN, i32::MAX, -1, 1], vec![i32::MIN, i32::MAX, 0, 0]];
	for w in [[(1u64 << 31) - 2, 1], [(1u64 << 31) - 1, 1]] {
		assert_eq!(aggregate(&MEAN, &updates(&v, &w)).unwrap(), naive(&MEAN, &v, &w));
	}
}

/// Multi-Krum's one-pass distances select what pairwise distances, one pair at a time, select.
#[test]
fn multi_krum_matches_the_plain_pairwise_distances() {
	let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
	for dimension in [1, CHUNK + 3, 2 * CHUNK] {
		for bound in [i32::MAX, 1 << 24, 1 << 26] {
			let n = 9;
			let v: Vec<Vec<i32>> = (0..n)
				.map(|_| (0..dimension).map(|_| rng.random_range(-bound..=bound)).collect())
				.collect();
			let u = updates(&v, &[1; 9]);
			let pairs = krum::pairs(n);
			let plain: Vec<u128> = pairs
				.iter()
				.map(|&(i, j)| {
					v[i].iter()
						.zip(&v[j])
						.map(|(x, y)| ((*x as i128 - *y as i128).pow(2)) as u128)
						.sum()
				})
				.collect();
			for (f, m) in [(1, 1), (2, 4), (3, 6)] {
				assert_eq!(
					krum::select(&u, f, m).unwrap(),
					krum::choose(n, f, m, &pairs, plain.clone()),
					"{dimension} values within {bound}, f {f}, m {m}"
				);
			}
		}
	}
}

#[test]
fn norms_are_exact_integer_square_roots() {
	assert_eq!(norm(&[3, 4]), 5);
	assert_eq!(norm(&[1, 1]), 1, "√2 rounds down");
	assert_eq!(norm(&[2, 2, 2, 2]), 4);
	assert_eq!(norm(&[]), 0);
	// 4 · 2⁶² = 2⁶⁴ exactly, past any f64-free shortcut.
	assert_eq!(norm(&[i32::MIN; 4]), 1 << 32);
	assert_eq!(norm(&[i32::MAX, i32::MAX]), 3_037_000_498);
}

#[test]
fn clip_norms_by_hand() {
	// Norms 50, 5, 13, 17 -> lower median 13; percent 100 -> B = 13.
	let v = vec![vec![30, 40], vec![3, 4], vec![5, 12], vec![-8, 15], vec![-30, -40]];
	let clipped = clip_norms(&updates(&v[..4], &[1; 4]), 100);
	// 30·13/50 = 7.8 -> 7, 40·13/50 = 10.4 -> 10; 8·13/17 = 6.1 -> 6, 15·13/17 = 11.5 -> 11.
	assert_eq!(clipped, vec![vec![7, 10], vec![3, 4], vec![5, 12], vec![-6, 11]]);
	// Rounded toward zero for negative values too; norms 50, 5, 13, 17, 50 -> median 17; B 25.
	let clipped = clip_norms(&updates(&v, &[1; 5]), 150);
	// 30·25/50 = 15 exactly; -8, 15 (norm 17) is within the bound and kept.
	assert_eq!(clipped, vec![vec![15, 20], vec![3, 4], vec![5, 12], vec![-8, 15], vec![-15, -20]]);
	// Weights play no part; one update is its own median and is kept at any percent >= 100.
	assert_eq!(clip_norms(&updates(&v[..1], &[7]), 100), vec![vec![30, 40]]);
	// percent 0 switches clipping off; no updates, nothing to clip.
	assert_eq!(clip_norms(&updates(&v, &[1; 5]), 0), v);
	assert_eq!(clip_norms(&[], 150), Vec::<Vec<i32>>::new());
	// A median of zero norm (most updates empty) clips every other update to zero.
	let z = vec![vec![0, 0], vec![0, 0], vec![5, 5]];
	assert_eq!(clip_norms(&updates(&z, &[1; 3]), 300), vec![vec![0, 0]; 3]);
}

/// `n` random updates of realistic size: lengths spread over a factor of 20, and the last one
/// (a boosted poisoner's) ten times the largest.
fn random_updates(n: usize, dimension: usize, seed: u64) -> Vec<Vec<i32>> {
	let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
	(0..n)
		.map(|i| {
			let size: i32 = if i + 1 == n { 100_000 } else { rng.random_range(500..10_000) };
			(0..dimension).map(|_| rng.random_range(-size..=size)).collect()
		})
		.collect()
}

#[test]
fn clipping_bounds_every_norm_keeps_the_rest_and_is_idempotent() {
	for (n, dimension, seed) in [(5, 100, 1), (8, 2410, 2), (11, 1000, 3), (2, 50, 4)] {
		let v = random_updates(n, dimension, seed);
		let inputs = updates(&v, &vec![1; n]);
		let mut norms: Vec<u64> = v.iter().map(|u| norm(u)).collect();
		norms.sort_unstable();
		let bound = norms[(n - 1) / 2] * 150 / 100;
		let clipped = clip_norms(&inputs, 150);
		let mut changed = 0;
		for (before, after) in v.iter().zip(&clipped) {
			assert!(norm(after) <= bound, "clipped to at most the bound");
			if norm(before) <= bound {
				assert_eq!(before, after, "within the bound: kept bit for bit");
			} else {
				changed += 1;
				// Shrunk by one factor: the same direction, within rounding.
				assert!(norm(after) + (dimension as f64).sqrt() as u64 + 1 >= bound);
			}
		}
		assert!(changed > 0, "the test clips something");
		let again = clip_norms(&updates(&clipped, &vec![1; n]), 150);
		assert_eq!(again, clipped, "clipping twice changes nothing");
	}
}

#[test]
fn the_clipping_decision_does_not_depend_on_the_scale() {
	let v = random_updates(9, 500, 5);
	let decisions = |values: &[Vec<i32>]| -> Vec<bool> {
		let clipped = clip_norms(&updates(values, &[1; 9]), 150);
		values.iter().zip(&clipped).map(|(a, b)| a != b).collect()
	};
	let base = decisions(&v);
	assert!(base.iter().any(|c| *c) && base.iter().any(|c| !*c), "{base:?}");
	for factor in [3, 16, 101] {
		let scaled: Vec<Vec<i32>> =
			v.iter().map(|u| u.iter().map(|x| x * factor).collect()).collect();
		assert_eq!(decisions(&scaled), base, "× {factor}");
	}
}
