//! Engine throughput, printed next to a baseline measured the same way in the same run:
//!
//! - aggregation in GB/s of update bytes read, per rule, on the CPU (all cores) and on OpenCL
//!   (when a device is present), next to a plain memory copy of the same bytes;
//! - local training in samples per second (MLP and CNN on digits);
//! - judging: scoring one round of ten owners' updates next to those owners' training in the
//!   round, and a 30-round simulation of ten owners gated next to the same run ungated.
//!
//! `scripts/benchmark-ml.sh` runs it in the release profile (and times dev-chain rounds).

use std::time::{Duration, Instant};

use cohort_ml::{
	aggregate::{aggregate, Update},
	codec::quantize,
	dataset::Dataset,
	evaluate::Validation,
	model::Architecture,
	opencl::{Aggregator, OpenCl},
	simulate::{Scaling, Simulation, Split, RECOMMENDED_GATE},
	train::{train, TrainingConfig},
	Device,
};
use cohort_primitives::{task::Optimizer, AggregationRule, ModelSpec};
use rand::{Rng, SeedableRng};

/// The best of `runs` timings of `f`: the least disturbed by everything else on the machine.
fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
	(0..runs)
		.map(|_| {
			let t = Instant::now();
			f();
			t.elapsed()
		})
		.min()
		.expect("runs > 0")
}

fn gbps(bytes: usize, t: Duration) -> f64 {
	bytes as f64 / t.as_secs_f64() / 1e9
}

fn main() {
	let n: usize = std::env::var("UPDATES").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
	let dimension: usize =
		std::env::var("PARAMETERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1 << 20);
	let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
	let values: Vec<Vec<i32>> = (0..n)
		.map(|_| (0..dimension).map(|_| rng.random_range(-100_000..100_000)).collect())
		.collect();
	let updates: Vec<Update> =
		values.iter().map(|v| Update { values: v, weight: rng.random_range(1..1000) }).collect();
	let bytes = n * dimension * 4;
	println!(
		"aggregation of {n} updates x {dimension} parameters ({} MB read per run)",
		bytes / 1_000_000
	);
	println!("CPU threads: {}", rayon::current_num_threads());

	// The baseline: the same bytes copied, on one core and on all of them; the faster counts.
	let mut sink = vec![0i32; n * dimension];
	let one_core = best_of(9, || {
		for (i, v) in values.iter().enumerate() {
			sink[i * dimension..(i + 1) * dimension].copy_from_slice(v);
		}
		std::hint::black_box(&sink);
	});
	let all_cores = best_of(9, || {
		use rayon::prelude::*;
		sink.par_chunks_mut(dimension).zip(&values).for_each(|(to, from)| {
			to.par_chunks_mut(1 << 16)
				.zip(from.par_chunks(1 << 16))
				.for_each(|(to, from)| to.copy_from_slice(from))
		});
		std::hint::black_box(&sink);
	});
	let copy = one_core.min(all_cores);
	println!(
		"{:<28} {:>8.2} GB/s   (baseline: the same bytes copied; {:.2} GB/s on one core, {:.2} on all)",
		"memory copy",
		gbps(bytes, copy),
		gbps(bytes, one_core),
		gbps(bytes, all_cores),
	);
	let share = |t: Duration| 100.0 * copy.as_secs_f64() / t.as_secs_f64();

	let rules = [
		("weighted mean", AggregationRule::WeightedMean),
		("trimmed mean (trim 1)", AggregationRule::TrimmedMean { trim: 1 }),
		("median", AggregationRule::Median),
		("multi-Krum (f 1, m n-1)", AggregationRule::MultiKrum { f: 1, m: n as u32 - 1 }),
	];
	let opencl = OpenCl::preferred().map_err(|e| println!("OpenCL: none ({e})")).ok();
	if let Some(cl) = &opencl {
		let used =
			if Aggregator::detect().uses_opencl() { "used" } else { "not used: a CPU driver" };
		println!("OpenCL device: {} ({used} by the worker)", cl.device());
	}
	for (name, rule) in rules {
		let cpu = best_of(9, || {
			std::hint::black_box(aggregate(&rule, &updates).unwrap());
		});
		let line = format!(
			"{:<28} {:>8.2} GB/s CPU ({:>3.0} % of memory copy)",
			name,
			gbps(bytes, cpu),
			share(cpu)
		);
		match &opencl {
			Some(cl) => {
				let gpu = best_of(3, || {
					std::hint::black_box(cl.aggregate(&rule, &updates).unwrap());
				});
				println!(
					"{line}   {:>8.2} GB/s OpenCL (incl. transfers, {:>3.0} %)",
					gbps(bytes, gpu),
					share(gpu)
				);
			},
			None => println!("{line}"),
		}
	}

	let digits = Dataset::bundled("digits").unwrap();
	let device = Device::flex();
	let layers = |v: &[u32]| v.to_vec().try_into().unwrap();
	for (name, spec) in [
		("MLP 64-32-10", ModelSpec::Mlp { input: 64, hidden: layers(&[32]), classes: 10 }),
		(
			"CNN 8x8 [4, 8] 3x3",
			ModelSpec::Cnn {
				side: 8,
				channels: 1,
				filters: layers(&[4, 8]),
				kernel: 3,
				classes: 10,
			},
		),
	] {
		let arch = Architecture::of(&spec).unwrap();
		let global = arch.initial_parameters(1);
		let config = TrainingConfig {
			epochs: 2,
			batch_size: 32,
			optimizer: Optimizer::Sgd,
			learning_rate: 0.1,
			fedprox_mu: 0.0,
			dp: None,
			seed: 1,
		};
		let t = best_of(7, || {
			std::hint::black_box(train(&arch, &global, &digits, &config, &device).unwrap());
		});
		println!(
			"training {:<20} {:>10.0} samples/s (flex CPU backend, batch 32)",
			name,
			(digits.len() * config.epochs as usize) as f64 / t.as_secs_f64()
		);
	}

	// Judging: one round's scoring of ten owners' updates (the class references and the whole-set
	// reference, then a projection per update; cohort_ml::score) next to the ten owners'
	// training in that round, one after another as ten machines would each train once.
	let arch = Architecture::of(&ModelSpec::Mlp { input: 64, hidden: layers(&[32]), classes: 10 })
		.unwrap();
	let scale = 1 << 16;
	let global = arch.initial_parameters(1);
	let config = |seed| TrainingConfig {
		epochs: 5,
		batch_size: 32,
		optimizer: Optimizer::Sgd,
		learning_rate: 0.1,
		fedprox_mu: 0.0,
		dp: None,
		seed,
	};
	let owners = 10;
	let (train_set, validation) = digits.split(20, 1);
	let shards: Vec<Dataset> = (0..owners)
		.map(|o| train_set.subset(&(o..train_set.len()).step_by(owners).collect::<Vec<_>>()))
		.collect();
	let mut updates = Vec::new();
	let training = best_of(3, || {
		updates = shards
			.iter()
			.enumerate()
			.map(|(o, shard)| {
				let trained = train(&arch, &global, shard, &config(o as u64), &device).unwrap();
				quantize(&trained.update, scale).unwrap()
			})
			.collect();
	});
	let views: Vec<&[i32]> = updates.iter().map(Vec::as_slice).collect();
	let global = quantize(&global, scale).unwrap();
	let check = Validation { arch: &arch, scale, data: &validation, device: &device };
	let scoring = best_of(3, || {
		std::hint::black_box(
			check.score(&global, &views, &[], &config(99), &RECOMMENDED_GATE).unwrap(),
		);
	});
	println!(
		"scoring a round of {owners} updates  {:>10.3} s   (baseline: the {owners} owners' training, {:.3} s; {:.2}x of it)",
		scoring.as_secs_f64(),
		training.as_secs_f64(),
		scoring.as_secs_f64() / training.as_secs_f64(),
	);

	// A whole simulation, 30 rounds of ten label-skewed owners on digits, gated (three
	// aggregators scoring every round) next to the same run ungated.
	let simulation = |gate| Simulation {
		data: digits.clone(),
		validation_percent: 20,
		model: ModelSpec::Mlp { input: 64, hidden: layers(&[32]), classes: 10 },
		owners,
		split: Split::LabelSkew(2),
		scaling: Scaling::None,
		rule: AggregationRule::WeightedMean,
		rounds: 30,
		training: config(0),
		scale,
		attackers: Vec::new(),
		gate,
		aggregators: 3,
		colluding_aggregators: 0,
		reward: 1_000_000,
		seed: 1,
	};
	let timed = |gate| {
		let started = Instant::now();
		simulation(gate).run(&Aggregator::cpu(), &device, |_| {}).unwrap();
		started.elapsed()
	};
	let (gated, ungated) = (timed(Some(RECOMMENDED_GATE)), timed(None));
	println!(
		"simulation, 30 rounds, gated  {:>10.3} s   (baseline: the same run ungated, {:.3} s; {:.2}x)",
		gated.as_secs_f64(),
		ungated.as_secs_f64(),
		gated.as_secs_f64() / ungated.as_secs_f64(),
	);
}
