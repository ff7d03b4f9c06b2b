//! Compute challenges: the seeded workload a compute provider aggregates to show the chain how
//! fast it is, the worker's own benchmark of it, and what hardware the worker reports.
//!
//! # The answer to a challenge `{seed, size}`
//!
//! `size` must be between 1 and [`MAX_CHALLENGE_SIZE`]. The workload is [`CHALLENGE_UPDATES`]
//! (8) updates of `size` values each. The values come from one ChaCha20 keystream keyed by the
//! 32-byte `seed` (`rand_chacha`'s `ChaCha20Rng::from_seed(seed)`: 20 rounds, stream 0, block
//! counter from 0 — for these lengths the same keystream as RFC 8439's ChaCha20 with that key,
//! nonce 0 and counter 0), read as consecutive little-endian `u32` words `w₀, w₁, …`: value `j`
//! of update `i` (both from 0) is `(w[i·size + j] >> 11) − 2²⁰`, a uniform integer in
//! `[−2²⁰, 2²⁰)`. Update `i` has weight `i + 1`. The aggregate is the engine's integer weighted
//! mean ([`AggregationRule::WeightedMean`]): per coordinate `Σ (i+1)·xᵢ / 36`, rounded to the
//! nearest integer with halves away from zero ([`div_round`](crate::aggregate::div_round)). The
//! answer is the BLAKE2b-256 hash (unkeyed, 32-byte digest) of the aggregate's `size` values as
//! little-endian `i32`s, concatenated.
//!
//! The values are small enough that no sum comes near overflowing 64 bits, so the OpenCL kernels
//! take the workload as the CPU does, and both give the same answer.

use std::time::{Duration, Instant};

use cohort_primitives::{
	compute::{Backends, Gpu, Hardware, CHALLENGE_UPDATES, MAX_CHALLENGE_SIZE},
	task::AggregationRule,
};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::{
	aggregate::{AggregateError, Update},
	opencl::Aggregator,
};

/// Values are drawn from `[−VALUE_BOUND, VALUE_BOUND)`.
const VALUE_BOUND: i32 = 1 << 20;

/// Why a challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
	/// The size is 0 or above [`MAX_CHALLENGE_SIZE`].
	#[error("a challenge has 1 to {MAX_CHALLENGE_SIZE} values per update, not {0}")]
	BadSize(u32),
	/// The aggregation failed (it does not on a well-formed workload).
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
}

/// A challenge's workload: [`CHALLENGE_UPDATES`] updates of `size` values (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
	/// The updates' values, update `i` at index `i`.
	pub values: Vec<Vec<i32>>,
}

impl Workload {
	/// The updates as the aggregation rules take them: update `i` weighted `i + 1`.
	pub fn updates(&self) -> Vec<Update<'_>> {
		self.values.iter().zip(1u64..).map(|(values, weight)| Update { values, weight }).collect()
	}
}

/// The workload of challenge `{seed, size}` (see the module docs).
pub fn workload(seed: &[u8; 32], size: u32) -> Result<Workload, ChallengeError> {
	if size == 0 || size > MAX_CHALLENGE_SIZE {
		return Err(ChallengeError::BadSize(size));
	}
	let mut rng = ChaCha20Rng::from_seed(*seed);
	let values = (0..CHALLENGE_UPDATES)
		.map(|_| (0..size).map(|_| (rng.next_u32() >> 11) as i32 - VALUE_BOUND).collect())
		.collect();
	Ok(Workload { values })
}

/// The answer to challenge `{seed, size}`, aggregated on the CPU (see the module docs).
pub fn answer(seed: &[u8; 32], size: u32) -> Result<[u8; 32], ChallengeError> {
	answer_with(&Aggregator::cpu(), seed, size)
}

/// The answer to challenge `{seed, size}`, aggregated by `aggregator` (on OpenCL where it has a
/// device): the same bytes as [`answer`].
pub fn answer_with(
	aggregator: &Aggregator,
	seed: &[u8; 32],
	size: u32,
) -> Result<[u8; 32], ChallengeError> {
	let workload = workload(seed, size)?;
	let aggregate = aggregator.aggregate(&AggregationRule::WeightedMean, &workload.updates())?;
	Ok(digest(&aggregate))
}

/// BLAKE2b-256 of the values as little-endian `i32`s.
fn digest(aggregate: &[i32]) -> [u8; 32] {
	let bytes: Vec<u8> = aggregate.iter().flat_map(|v| v.to_le_bytes()).collect();
	sp_crypto_hashing::blake2_256(&bytes)
}

/// The seed the benchmark answers.
const BENCHMARK_SEED: [u8; 32] = [0x42; 32];
/// The benchmark grows its challenge until one answer takes this long.
const BENCHMARK_MIN_TIME: Duration = Duration::from_millis(50);

/// The worker's own benchmark on the CPU: [`benchmark_score_with`] the CPU aggregator.
pub fn benchmark_score() -> u32 {
	benchmark_score_with(&Aggregator::cpu())
}

/// The worker's own benchmark with `aggregator`, in thousands of values aggregated per second
/// (the chain's `measured_score`, from microseconds rather than milliseconds), at least 1.
///
/// It answers challenges of a fixed seed, doubling the size from 1024 until one answer (workload
/// generation, aggregation and hash, as a real challenge) takes at least 50 ms or the size
/// reaches [`MAX_CHALLENGE_SIZE`], then takes the best of three answers at that size.
pub fn benchmark_score_with(aggregator: &Aggregator) -> u32 {
	let time = |size| {
		let start = Instant::now();
		let answered = answer_with(aggregator, &BENCHMARK_SEED, size);
		debug_assert!(answered.is_ok());
		start.elapsed()
	};
	let mut size = 1024;
	let mut best = time(size);
	while best < BENCHMARK_MIN_TIME && size < MAX_CHALLENGE_SIZE {
		size = (size * 2).min(MAX_CHALLENGE_SIZE);
		best = time(size);
	}
	for _ in 0..2 {
		best = best.min(time(size));
	}
	let values = u128::from(size) * u128::from(CHALLENGE_UPDATES);
	// Values per microsecond × 1000 = thousands of values per second.
	let score = values * 1000 / best.as_micros().max(1);
	score.clamp(1, u128::from(u32::MAX)) as u32
}

/// The most GPUs [`Hardware`] lists.
const MAX_GPUS: usize = 8;
/// The longest GPU name [`Gpu`] holds, in bytes.
const MAX_GPU_MODEL_LEN: usize = 64;

/// The worker's hardware:
///
/// - `cores`: [`std::thread::available_parallelism`] (1 if unknown, at most `u16::MAX`);
/// - `memory_mib`: `MemTotal` of `/proc/meminfo` (0 if unreadable);
/// - `gpus`: the OpenCL devices of type GPU, every platform's (name cut to 64 bytes at a
///   character boundary, global memory), at most 8; wgpu's adapters are not listed (wgpu does not
///   report a device's memory, and the same GPU would appear twice);
/// - `backends`: the CPU; OpenCL where [`Aggregator::detect`] would use it (an OpenCL device
///   that is not a CPU driver, or any with `COHORT_OPENCL=1`; none with `COHORT_OPENCL=0`); wgpu
///   if the `wgpu` feature is compiled in.
pub fn detect_hardware() -> Hardware {
	let cores = std::thread::available_parallelism()
		.map_or(1, |n| n.get())
		.min(usize::from(u16::MAX)) as u16;
	let memory_mib = std::fs::read_to_string("/proc/meminfo")
		.ok()
		.and_then(|meminfo| mem_total_mib(&meminfo))
		.unwrap_or(0);
	let (gpus, devices, cpu_drivers) = opencl_gpus();
	let mut backends = Backends::CPU;
	let opencl = match std::env::var("COHORT_OPENCL").ok().as_deref() {
		Some("0") => false,
		Some("1") => devices + cpu_drivers > 0,
		_ => devices > 0,
	};
	if opencl {
		backends |= Backends::OPENCL;
	}
	if cfg!(feature = "wgpu") {
		backends |= Backends::WGPU;
	}
	let gpus = gpus.into_iter().take(MAX_GPUS).collect::<Vec<_>>();
	Hardware {
		cores,
		memory_mib,
		gpus: gpus.try_into().expect("at most MAX_GPUS; qed"),
		backends: Backends(backends),
	}
}

/// `MemTotal` of a `/proc/meminfo` text, in MiB (saturating at `u32::MAX`).
fn mem_total_mib(meminfo: &str) -> Option<u32> {
	let line = meminfo.lines().find_map(|line| line.strip_prefix("MemTotal:"))?;
	let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
	Some((kib / 1024).min(u64::from(u32::MAX)) as u32)
}

/// The OpenCL GPUs of every platform, how many OpenCL devices are not CPU drivers, and how many
/// are.
fn opencl_gpus() -> (Vec<Gpu>, usize, usize) {
	use ocl::{
		enums::{DeviceInfo, DeviceInfoResult},
		Device,
	};
	let mut gpus = Vec::new();
	let (mut devices, mut cpu_drivers) = (0, 0);
	for platform in crate::opencl::platforms() {
		let Ok(found) = Device::list_all(platform) else { continue };
		for device in found {
			let rank = crate::opencl::rank(&device);
			if rank == crate::opencl::CPU_DRIVER {
				cpu_drivers += 1;
			} else {
				devices += 1;
			}
			if rank != crate::opencl::GPU {
				continue;
			}
			let memory = match device.info(DeviceInfo::GlobalMemSize) {
				Ok(DeviceInfoResult::GlobalMemSize(bytes)) => bytes >> 20,
				_ => 0,
			};
			let name = device.name().unwrap_or_default();
			gpus.push(Gpu {
				model: truncate(name.trim(), MAX_GPU_MODEL_LEN)
					.as_bytes()
					.to_vec()
					.try_into()
					.expect("cut to the bound; qed"),
				memory_mib: memory.min(u64::from(u32::MAX)) as u32,
			});
		}
	}
	(gpus, devices, cpu_drivers)
}

/// The longest prefix of `s` of at most `max` bytes that ends at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
	let mut end = s.len().min(max);
	while !s.is_char_boundary(end) {
		end -= 1;
	}
	&s[..end]
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::aggregate;

	const SEED: [u8; 32] = [7; 32];

	fn hex(bytes: &[u8]) -> String {
		bytes.iter().map(|b| format!("{b:02x}")).collect()
	}

	#[test]
	fn answers_are_deterministic_and_depend_on_seed_and_size() {
		let a = answer(&SEED, 1000).unwrap();
		assert_eq!(a, answer(&SEED, 1000).unwrap());
		assert_ne!(a, answer(&[8; 32], 1000).unwrap());
		assert_ne!(a, answer(&SEED, 999).unwrap());
		assert_ne!(a, answer(&SEED, 1001).unwrap());
	}

	#[test]
	fn sizes_out_of_bounds_are_refused() {
		assert_eq!(answer(&SEED, 0), Err(ChallengeError::BadSize(0)));
		let over = MAX_CHALLENGE_SIZE + 1;
		assert_eq!(answer(&SEED, over), Err(ChallengeError::BadSize(over)));
		assert_eq!(workload(&SEED, 1).unwrap().values.len(), CHALLENGE_UPDATES as usize);
	}

	/// Golden vectors from an independent Python computation of the module docs' definition:
	/// the keystream from OpenSSL's ChaCha20 (through the `cryptography` package, key = seed,
	/// 16-byte counter and nonce all zero), `(w >> 11) − 2²⁰`, weights `i + 1`, the mean rounded
	/// half away from zero with Python's integers, and `hashlib.blake2b(digest_size=32)`. The
	/// zero seed's first word, 0xade0b876, is RFC 8439's zero-key keystream.
	#[test]
	fn answers_match_an_independent_reference() {
		let zero = workload(&[0; 32], 1).unwrap();
		assert_eq!(zero.values[0], [(0xade0b876u32 >> 11) as i32 - VALUE_BOUND]);
		assert_eq!(zero.values[0], [375_831]);
		assert_eq!(zero.values[1], [133_054]);
		assert_eq!(
			hex(&answer(&[0; 32], 1).unwrap()),
			"cc6f8fc2ecd06bf22056e0f3c0661234b6d253b2b6e27be6395a11be1b9a944e"
		);

		let counting: [u8; 32] = core::array::from_fn(|i| i as u8);
		let w = workload(&counting, 5).unwrap();
		assert_eq!(w.values[0][..3], [-23_169, -179_400, -73_609]);
		assert_eq!(w.values[1][..2], [626_011, -421_959]);
		let mean = aggregate::aggregate(&AggregationRule::WeightedMean, &w.updates()).unwrap();
		assert_eq!(mean, [-125_469, -295_154, 184_479, -143_082, 400_417]);
		assert_eq!(
			hex(&answer(&counting, 5).unwrap()),
			"dac8ae23ed29bec72b151f351dc27c44bb2b9f18b7aaabd4d32ea320559ced5c"
		);

		let w = workload(&SEED, 1000).unwrap();
		assert_eq!(w.values[0][..3], [-60_864, -508_203, 478_270]);
		assert_eq!(
			hex(&answer(&SEED, 1000).unwrap()),
			"c85b39c005780710bc5934090c7c46134b4f25c439711c4d9993860002f7cdf9"
		);
	}

	/// The answer recomputed naively: a serial i128 weighted mean with its own rounding (half
	/// away from zero as `sign · ⌊(2|n| + d) / 2d⌋`), not the engine's `div_round`.
	#[test]
	fn answers_match_a_naive_weighted_mean() {
		for (seed, size) in [([1u8; 32], 1), ([2; 32], 17), ([3; 32], 4097), ([4; 32], 10_000)] {
			let w = workload(&seed, size).unwrap();
			for row in &w.values {
				assert!(row.iter().all(|v| (-VALUE_BOUND..VALUE_BOUND).contains(v)));
			}
			let total: i128 = (1..=i128::from(CHALLENGE_UPDATES)).sum();
			let mean: Vec<i32> = (0..size as usize)
				.map(|j| {
					let n: i128 =
						w.values.iter().zip(1i128..).map(|(row, wt)| wt * i128::from(row[j])).sum();
					let rounded = (2 * n.abs() + total) / (2 * total);
					(n.signum() * rounded) as i32
				})
				.collect();
			assert_eq!(answer(&seed, size).unwrap(), digest(&mean), "{size}");
		}
	}

	/// Where an OpenCL device exists (PoCL in CI), its kernels give the same answer as the CPU.
	#[test]
	fn opencl_answers_like_the_cpu() {
		let cl = match crate::opencl::OpenCl::preferred() {
			Ok(cl) => cl,
			Err(e) if std::env::var("COHORT_REQUIRE_OPENCL").is_ok_and(|v| v == "1") => {
				panic!("COHORT_REQUIRE_OPENCL=1 but there is no OpenCL device: {e}")
			},
			Err(e) => {
				eprintln!("skipped: no OpenCL device ({e})");
				return;
			},
		};
		for (seed, size) in [([5u8; 32], 1), ([6; 32], 4097), ([9; 32], 100_000)] {
			let w = workload(&seed, size).unwrap();
			let on_device = cl.aggregate(&AggregationRule::WeightedMean, &w.updates()).unwrap();
			assert_eq!(digest(&on_device), answer(&seed, size).unwrap(), "{size}");
		}
		let detected = Aggregator::detect();
		assert_eq!(answer_with(&detected, &SEED, 1000), answer(&SEED, 1000));
	}

	#[test]
	fn the_benchmark_scores_something() {
		let score = benchmark_score();
		eprintln!("benchmark: {score} thousand values per second");
		assert!(score >= 1);
	}

	#[test]
	fn hardware_is_detected() {
		let hardware = detect_hardware();
		eprintln!("{hardware:?}");
		assert!(hardware.cores >= 1);
		assert!(hardware.backends.covers(Backends(Backends::CPU)));
		assert!(hardware.backends.is_valid());
		assert_eq!(hardware.backends.covers(Backends(Backends::WGPU)), cfg!(feature = "wgpu"));
		if cfg!(target_os = "linux") {
			assert!(hardware.memory_mib > 0, "Linux has /proc/meminfo");
		}
		for gpu in &hardware.gpus {
			assert!(core::str::from_utf8(&gpu.model).is_ok());
		}
	}

	#[test]
	fn meminfo_and_names_are_read_carefully() {
		assert_eq!(mem_total_mib("MemTotal:       16384000 kB\nMemFree: 1 kB\n"), Some(16_000));
		assert_eq!(mem_total_mib("MemFree: 1 kB\n"), None);
		assert_eq!(truncate("abc", 64), "abc");
		// "é" is two bytes: a cut inside it backs off to the character before.
		assert_eq!(truncate("aé", 2), "a");
		assert_eq!(truncate(&"x".repeat(70), 64).len(), 64);
	}
}
