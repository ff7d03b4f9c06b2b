//! The OpenCL kernels against the CPU rules, on random inputs of many sizes.
//!
//! Run on PoCL (Debian's `pocl-opencl-icd`) in CI. Without any OpenCL device these tests say so
//! and pass, unless `COHORT_REQUIRE_OPENCL=1` (set by `scripts/test.sh`), which makes a missing
//! device a failure.

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn device() -> Option<OpenCl> {
	match OpenCl::first() {
		Ok(cl) => Some(cl),
		Err(e) if std::env::var("COHORT_REQUIRE_OPENCL").is_ok_and(|v| v == "1") => {
			panic!("COHORT_REQUIRE_OPENCL=1 but there is no OpenCL device: {e}")
		},
		Err(e) => {
			eprintln!("skipped: no OpenCL device ({e})");
			None
		},
	}
}

/// `n` updates of `dimension` values: mostly small, some at the extremes of `i32`.
fn random(n: usize, dimension: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<i32>> {
	(0..n)
		.map(|_| {
			(0..dimension)
				.map(|_| match rng.random_range(0..20) {
					0 => i32::MAX - rng.random_range(0..3),
					1 => i32::MIN + rng.random_range(0..3),
					_ => rng.random_range(-70_000..70_000),
				})
				.collect()
		})
		.collect()
}

fn rules(n: usize) -> Vec<AggregationRule> {
	let mut rules = vec![AggregationRule::WeightedMean, AggregationRule::Median];
	for trim in 1..=((n as u32 - 1) / 2).min(2) {
		rules.push(AggregationRule::TrimmedMean { trim });
	}
	for f in 0..=1u32 {
		if n as u32 > 2 * f + 2 {
			rules.push(AggregationRule::MultiKrum { f, m: n as u32 - f });
			rules.push(AggregationRule::MultiKrum { f, m: 1 });
		}
	}
	rules
}

#[test]
fn opencl_is_bit_identical_to_the_cpu_on_random_inputs() {
	let Some(cl) = device() else { return };
	eprintln!("OpenCL device: {}", cl.device());
	let mut rng = ChaCha8Rng::seed_from_u64(11);
	let mut checked = 0;
	for (n, dimension) in
		[(1, 1), (2, 3), (3, 4095), (4, 4096), (5, 4097), (7, 1000), (9, 12_345), (16, 70_000)]
	{
		let values = random(n, dimension, &mut rng);
		// Weights up to 2^28 each: every total stays below the kernels' 2^32.
		let weights: Vec<u64> = (0..n).map(|_| rng.random_range(1..1 << 28)).collect();
		let updates: Vec<Update> =
			values.iter().zip(&weights).map(|(v, w)| Update { values: v, weight: *w }).collect();
		for rule in rules(n) {
			let cpu = aggregate::aggregate(&rule, &updates).unwrap();
			let gpu = cl.aggregate(&rule, &updates).unwrap();
			assert!(cpu == gpu, "{rule:?} on {n} x {dimension} differs");
			checked += 1;
		}
	}
	assert!(checked > 30);
}

#[test]
fn opencl_refuses_what_the_cpu_refuses_and_hands_back_what_it_cannot_take() {
	let Some(cl) = device() else { return };
	let a = vec![1, 2, 3];
	let b = vec![1, 2];
	let mismatched = [Update { values: &a, weight: 1 }, Update { values: &b, weight: 1 }];
	assert!(matches!(
		cl.aggregate(&AggregationRule::Median, &mismatched),
		Err(OpenClError::Aggregate(AggregateError::LengthMismatch { index: 1, .. }))
	));
	assert!(matches!(
		cl.aggregate(&AggregationRule::WeightedMean, &[]),
		Err(OpenClError::Aggregate(AggregateError::NoUpdates))
	));
	let zero = [Update { values: &a, weight: 0 }];
	assert!(matches!(
		cl.aggregate(&AggregationRule::WeightedMean, &zero),
		Err(OpenClError::Aggregate(AggregateError::ZeroWeight))
	));
	let heavy = [Update { values: &a, weight: 1 << 40 }, Update { values: &a, weight: 3 }];
	assert!(matches!(
		cl.aggregate(&AggregationRule::WeightedMean, &heavy),
		Err(OpenClError::Unsupported(_))
	));
	// The aggregator falls back to the CPU for it, with the CPU's answer.
	let aggregator = Aggregator { opencl: Some(cl) };
	assert_eq!(aggregator.aggregate(&AggregationRule::WeightedMean, &heavy), Ok(a.clone()));
	assert!(aggregator.backend().starts_with("OpenCL on "));
}
