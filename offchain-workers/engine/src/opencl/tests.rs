//! The OpenCL kernels against the CPU rules, on random inputs of many sizes.
//!
//! Run on PoCL (Debian's `pocl-opencl-icd`) in CI. Without any OpenCL device these tests say so
//! and pass, unless `COHORT_REQUIRE_OPENCL=1` (set by `scripts/test.sh`), which makes a missing
//! device a failure.

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn device() -> Option<OpenCl> {
	match OpenCl::preferred() {
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

/// The two ways the updates reach the device — read in place where it shares the host's
/// memory (PoCL, an integrated GPU), copied once into its own memory elsewhere (a discrete GPU)
/// — give the CPU's bytes. The copy is forced here so that a CPU driver runs it too.
#[test]
fn both_ways_of_uploading_give_the_cpus_bytes() {
	let Some(mut cl) = device() else { return };
	let mut rng = ChaCha8Rng::seed_from_u64(13);
	let values = random(6, 9_000, &mut rng);
	let updates: Vec<Update> =
		values.iter().map(|v| Update { values: v, weight: rng.random_range(1..1000) }).collect();
	for unified in [true, false] {
		cl.unified = unified;
		for rule in rules(updates.len()) {
			assert_eq!(
				cl.aggregate(&rule, &updates).unwrap(),
				aggregate::aggregate(&rule, &updates).unwrap(),
				"{rule:?}, unified memory: {unified}"
			);
		}
	}
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
	// Updates without coordinates: nothing to upload, the CPU's answer.
	let empty = [Update { values: &[], weight: 1 }, Update { values: &[], weight: 2 }];
	assert_eq!(cl.aggregate(&AggregationRule::Median, &empty).unwrap(), Vec::<i32>::new());
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

/// A GPU is used; a CPU driver (PoCL in CI) is not, unless asked for: the native CPU path is
/// faster on the same cores. `COHORT_OPENCL=0` never uses OpenCL.
#[test]
fn the_aggregator_prefers_the_native_cpu_path_to_a_cpu_driver() {
	let Some(cl) = device() else { return };
	assert_eq!(Aggregator::chosen(None).uses_opencl(), !cl.is_cpu_driver(), "{}", cl.device());
	assert!(Aggregator::chosen(Some("1")).uses_opencl());
	assert!(!Aggregator::chosen(Some("0")).uses_opencl());
	assert!(Aggregator::chosen(Some("0")).backend().starts_with("CPU"));
}

/// A round's accepted set as aggregators compute it: clipped to 150 % of the median norm, then
/// each rule with the updates' sample counts as weights, applied onto a global model. OpenCL
/// and the CPU must give the same model bytes, or the aggregators would not agree.
#[test]
fn the_clipped_sample_weighted_aggregate_is_bit_identical() {
	let Some(cl) = device() else { return };
	let mut rng = ChaCha8Rng::seed_from_u64(12);
	for (n, dimension) in [(1, 10), (4, 2410), (7, 5000), (10, 4097)] {
		let mut values: Vec<Vec<i32>> = (0..n)
			.map(|_| (0..dimension).map(|_| rng.random_range(-70_000..70_000)).collect())
			.collect();
		// One long update (a boosted poisoner the gate let through), so that the clip bites.
		values[n - 1].iter_mut().for_each(|v| *v *= 10);
		let samples: Vec<u64> = (0..n).map(|_| rng.random_range(20..2000)).collect();
		let global: Vec<i32> = (0..dimension).map(|_| rng.random_range(-50_000..50_000)).collect();
		let accepted: Vec<Update> =
			values.iter().zip(&samples).map(|(v, w)| Update { values: v, weight: *w }).collect();
		let clipped = aggregate::clip_norms(&accepted, 150);
		assert!(n == 1 || clipped[n - 1] != values[n - 1], "the long update is clipped");
		let inputs: Vec<Update> =
			clipped.iter().zip(&samples).map(|(v, w)| Update { values: v, weight: *w }).collect();
		for rule in rules(n) {
			let cpu = aggregate::apply(&global, &aggregate::aggregate(&rule, &inputs).unwrap());
			let gpu = aggregate::apply(&global, &cl.aggregate(&rule, &inputs).unwrap());
			assert!(cpu.unwrap() == gpu.unwrap(), "{rule:?} on {n} x {dimension} differs");
		}
	}

	// And through the aggregator's own entry point, on a real model and validation set.
	let data = crate::dataset::Dataset::bundled("digits").unwrap().subset(&[0, 1, 2, 3, 4]);
	let arch = crate::model::Architecture::of(&crate::model::tests::mlp()).unwrap();
	let device = burn::tensor::Device::flex();
	let check =
		crate::evaluate::Validation { arch: &arch, scale: 1 << 16, data: &data, device: &device };
	let dimension = arch.parameter_count();
	let global = crate::codec::quantize(&arch.initial_parameters(1), 1 << 16).unwrap();
	let mut values: Vec<Vec<i32>> =
		(0..6).map(|_| (0..dimension).map(|_| rng.random_range(-3_000..3_000)).collect()).collect();
	values[0].iter_mut().for_each(|v| *v *= -10);
	let samples = [144u64, 150, 139, 160, 12, 1000];
	let accepted: Vec<Update> =
		values.iter().zip(&samples).map(|(v, w)| Update { values: v, weight: *w }).collect();
	let on_opencl = Aggregator { opencl: Some(cl) };
	for rule in rules(accepted.len()) {
		// The recommended gate: clipped at 150 % of the median norm, weights at the median.
		let gate = Some(&crate::simulate::RECOMMENDED_GATE);
		let cpu = check.aggregate(&Aggregator::cpu(), &rule, gate, &global, &accepted).unwrap();
		let gpu = check.aggregate(&on_opencl, &rule, gate, &global, &accepted).unwrap();
		assert!(cpu.model == gpu.model, "{rule:?} differs");
		assert_eq!(cpu.quality, gpu.quality);
	}
}
