//! The aggregation rules as OpenCL kernels (`kernels.cl`), bit-identical to the CPU's, and the
//! [`Aggregator`] that uses them when an OpenCL device is present and the CPU otherwise.
//!
//! The kernels work in 64-bit integers, so the OpenCL path takes inputs whose sums fit them —
//! total weight below 2³² for the weighted mean (and multi-Krum's mean), at most 64 updates for
//! the trimmed mean and median — and hands anything else to the CPU, as it does on any OpenCL
//! error. Either way the bytes are the same.

use cohort_primitives::task::AggregationRule;
use ocl::{
	enums::{DeviceInfo, DeviceInfoResult},
	flags::MemFlags,
	Buffer, Context, Device, Kernel, Platform, Program, Queue,
};

use crate::aggregate::{self, krum, AggregateError, Update};

const KERNELS: &str = include_str!("kernels.cl");
/// Must match `MAX_UPDATES` in `kernels.cl`.
const MAX_UPDATES: usize = 64;
/// Must match `DISTANCE_BLOCK` in `kernels.cl`.
const DISTANCE_BLOCK: usize = 4096;
/// Work items per block of multi-Krum's distances: a size every OpenCL GPU and CPU driver
/// takes (two NVIDIA warps, one AMD wavefront). Must match `DISTANCE_GROUP` in `kernels.cl`.
const DISTANCE_GROUP: usize = 64;

/// Why the OpenCL path did not produce an aggregate.
#[derive(Debug, thiserror::Error)]
pub enum OpenClError {
	/// The input is wrong; the CPU would refuse it too.
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
	/// The input is right but beyond the kernels' 64-bit arithmetic.
	#[error("beyond the OpenCL kernels: {0}")]
	Unsupported(&'static str),
	#[error("OpenCL: {0}")]
	Ocl(String),
}

impl From<ocl::Error> for OpenClError {
	fn from(e: ocl::Error) -> Self {
		OpenClError::Ocl(e.to_string())
	}
}

/// One OpenCL device with the kernels built for it.
pub struct OpenCl {
	queue: Queue,
	program: Program,
	device: String,
	cpu_driver: bool,
	/// Whether the device reads host memory directly (a CPU driver, an integrated GPU): then
	/// the updates' host buffer is the device's, with no copy.
	unified: bool,
}

/// Runs `f`, then puts back the SIGINT and SIGTERM dispositions from before it. OpenCL drivers
/// may load LLVM (PoCL does), which installs one-shot handlers for both that end the process by
/// raising the signal again; a host that installs its own handlers afterwards (the node, the
/// standalone worker, through tokio) chains to them and dies instead of stopping cleanly.
fn keeping_signal_handlers<R>(f: impl FnOnce() -> R) -> R {
	const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];
	// SAFETY: `sigaction` only reads the current dispositions into zeroed locals here, and puts
	// the same values back below; no handler of ours runs.
	let saved = SIGNALS.map(|signal| unsafe {
		let mut old: libc::sigaction = std::mem::zeroed();
		(libc::sigaction(signal, std::ptr::null(), &mut old) == 0).then_some(old)
	});
	let result = f();
	for (signal, old) in SIGNALS.iter().zip(saved) {
		if let Some(old) = old {
			// SAFETY: a disposition this process had a moment ago.
			unsafe { libc::sigaction(*signal, &old, std::ptr::null_mut()) };
		}
	}
	result
}

/// Every OpenCL platform, or none. `Platform::list` panics where the loader finds no platform
/// (after retrying for 10 s), so the count is asked once first.
pub fn platforms() -> Vec<Platform> {
	keeping_signal_handlers(platforms_inner)
}

fn platforms_inner() -> Vec<Platform> {
	let mut count = 0;
	// SAFETY: a count query, with no output array, into a local.
	let status = unsafe { ocl::ffi::clGetPlatformIDs(0, std::ptr::null_mut(), &mut count) };
	if status != 0 || count == 0 {
		return Vec::new();
	}
	ocl::core::get_platform_ids().map(Platform::list_from_core).unwrap_or_default()
}

/// [`rank`] of a GPU.
pub(crate) const GPU: u8 = 0;
/// [`rank`] of a CPU driver.
pub(crate) const CPU_DRIVER: u8 = 3;

/// How much an OpenCL device is preferred for aggregation, lowest first: GPUs, then
/// accelerators, then anything else, CPU drivers (PoCL, say) last.
pub(crate) fn rank(device: &Device) -> u8 {
	use ocl::{
		enums::{DeviceInfo, DeviceInfoResult},
		flags::DeviceType,
	};
	match device.info(DeviceInfo::Type) {
		Ok(DeviceInfoResult::Type(t)) if t.contains(DeviceType::GPU) => GPU,
		Ok(DeviceInfoResult::Type(t)) if t.contains(DeviceType::ACCELERATOR) => 1,
		Ok(DeviceInfoResult::Type(t)) if t.contains(DeviceType::CPU) => CPU_DRIVER,
		_ => 2,
	}
}

impl OpenCl {
	/// The preferred device ([`rank`]: a GPU before a CPU driver; the first found among
	/// equals), or the first whose name contains `COHORT_OPENCL_DEVICE` when that is set.
	pub fn preferred() -> Result<Self, OpenClError> {
		keeping_signal_handlers(Self::preferred_inner)
	}

	fn preferred_inner() -> Result<Self, OpenClError> {
		let wanted = std::env::var("COHORT_OPENCL_DEVICE").ok().filter(|w| !w.is_empty());
		let mut best: Option<(u8, Platform, Device)> = None;
		for platform in platforms() {
			let Ok(devices) = Device::list_all(platform) else { continue };
			for device in devices {
				if let Some(wanted) = &wanted {
					if device.name().is_ok_and(|n| n.contains(wanted.as_str())) {
						return Self::on(platform, device);
					}
					continue;
				}
				let rank = rank(&device);
				if best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
					best = Some((rank, platform, device));
				}
			}
		}
		match (best, wanted) {
			(Some((_, platform, device)), _) => Self::on(platform, device),
			(None, Some(wanted)) => {
				Err(OpenClError::Ocl(format!("no OpenCL device named like {wanted:?}")))
			},
			(None, None) => Err(OpenClError::Ocl("no OpenCL device found".into())),
		}
	}

	fn on(platform: Platform, device: Device) -> Result<Self, OpenClError> {
		let context = Context::builder().platform(platform).devices(device).build()?;
		let queue = Queue::new(&context, device, None)?;
		let program = Program::builder().src(KERNELS).devices(device).build(&context)?;
		let name = format!("{} ({})", device.name()?, platform.name()?);
		let unified = matches!(
			device.info(DeviceInfo::HostUnifiedMemory),
			Ok(DeviceInfoResult::HostUnifiedMemory(true))
		);
		Ok(Self { queue, program, device: name, cpu_driver: rank(&device) == CPU_DRIVER, unified })
	}

	/// Whether the device is a CPU driver (PoCL, say): the same cores the native CPU path
	/// runs on, through a slower path.
	pub fn is_cpu_driver(&self) -> bool {
		self.cpu_driver
	}

	/// The device's and platform's names.
	pub fn device(&self) -> &str {
		&self.device
	}

	/// Aggregates `updates` with `rule`, as [`aggregate::aggregate`] does.
	pub fn aggregate(
		&self,
		rule: &AggregationRule,
		updates: &[Update],
	) -> Result<Vec<i32>, OpenClError> {
		let dimension = aggregate::check(updates)?;
		if dimension == 0 {
			// Nothing to upload (OpenCL has no empty buffers): the CPU's answer, errors and all.
			return Ok(aggregate::aggregate(rule, updates)?);
		}
		match *rule {
			AggregationRule::WeightedMean => {
				let weights: Vec<u64> = updates.iter().map(|u| u.weight).collect();
				// Checked before anything is uploaded.
				let total = check_total(&weights)?;
				self.weighted_mean(&self.upload(updates, dimension)?, &weights, total, dimension)
			},
			AggregationRule::TrimmedMean { trim } => {
				let trim = trim as usize;
				if updates.len() <= 2 * trim {
					return Err(AggregateError::TooFewUpdates {
						needed: 2 * trim,
						got: updates.len(),
					}
					.into());
				}
				self.trimmed_mean(updates, dimension, trim)
			},
			AggregationRule::Median => {
				self.trimmed_mean(updates, dimension, (updates.len() - 1) / 2)
			},
			AggregationRule::MultiKrum { f, m } => {
				let (f, m) = (f as usize, m as usize);
				krum::check_counts(updates.len(), f, m)?;
				let pairs = krum::pairs(updates.len());
				// Uploaded once: the distances and the mean of the kept updates read the same
				// device buffer.
				let values = self.upload(updates, dimension)?;
				let distances = self.squared_distances(&values, dimension, &pairs)?;
				let kept = krum::choose(updates.len(), f, m, &pairs, distances);
				// The others weigh 0 in the mean: `0 · x` adds nothing, so the sums are those of
				// the kept updates alone.
				let mut weights = vec![0; updates.len()];
				for i in kept {
					weights[i] = updates[i].weight;
				}
				let total = check_total(&weights)?;
				self.weighted_mean(&values, &weights, total, dimension)
			},
		}
	}

	/// All updates in one device buffer, update `i` at `i * dimension`, uploaded once for every
	/// kernel of a rule. They are written straight into host memory the driver allocated
	/// (page-locked on a discrete GPU, so the transfer is one DMA at the bus's speed, with no
	/// staging copy by the driver); a device with unified memory reads that buffer in place,
	/// any other gets one copy of it in its own memory.
	fn upload(&self, updates: &[Update], dimension: usize) -> Result<Buffer<i32>, OpenClError> {
		let len = updates.len() * dimension;
		let host = Buffer::<i32>::builder()
			.queue(self.queue.clone())
			.flags(MemFlags::new().alloc_host_ptr().read_only().host_write_only())
			.len(len)
			.build()?;
		{
			// SAFETY: the mapping is written only within its `len` values and unmapped before
			// any kernel reads the buffer (same in-order queue).
			let mut map = unsafe { host.map().write_invalidate().enq()? };
			for (to, u) in map.chunks_exact_mut(dimension).zip(updates) {
				to.copy_from_slice(u.values);
			}
			map.unmap().enq()?;
		}
		if self.unified {
			return Ok(host);
		}
		let device = Buffer::<i32>::builder()
			.queue(self.queue.clone())
			.flags(MemFlags::new().read_only().host_no_access())
			.len(len)
			.build()?;
		host.copy(&device, None, None).enq()?;
		Ok(device)
	}

	/// A read-only device copy of `data`.
	fn input<T: ocl::OclPrm>(&self, data: &[T]) -> Result<Buffer<T>, OpenClError> {
		Ok(Buffer::<T>::builder()
			.queue(self.queue.clone())
			.flags(MemFlags::new().read_only())
			.len(data.len())
			.copy_host_slice(data)
			.build()?)
	}

	/// Runs `kernel` and reads its output `out` back.
	fn run<T: ocl::OclPrm>(&self, kernel: Kernel, out: &Buffer<T>) -> Result<Vec<T>, OpenClError> {
		// SAFETY: every kernel here reads and writes only within the lengths of the buffers it
		// is given, for work items within its global size (checked in `kernels.cl`).
		unsafe { kernel.enq()? };
		let mut result = vec![T::default(); out.len()];
		out.read(&mut result).enq()?;
		Ok(result)
	}

	fn output<T: ocl::OclPrm>(&self, len: usize) -> Result<Buffer<T>, OpenClError> {
		Ok(Buffer::<T>::builder()
			.queue(self.queue.clone())
			.flags(MemFlags::new().write_only())
			.len(len)
			.build()?)
	}

	/// `Σ wᵢ·xᵢ / Σ wᵢ` over the uploaded `values`, one weight per update; `total` is
	/// [`check_total`]'s.
	fn weighted_mean(
		&self,
		values: &Buffer<i32>,
		weights: &[u64],
		total: u64,
		dimension: usize,
	) -> Result<Vec<i32>, OpenClError> {
		let n = weights.len();
		let weights = self.input(weights)?;
		let out = self.output::<i32>(dimension)?;
		let kernel = Kernel::builder()
			.program(&self.program)
			.name("weighted_mean")
			.queue(self.queue.clone())
			.global_work_size(dimension)
			.arg(values)
			.arg(&weights)
			.arg(n as u32)
			.arg(dimension as u64)
			.arg(total as i64)
			.arg(&out)
			.build()?;
		self.run(kernel, &out)
	}

	fn trimmed_mean(
		&self,
		updates: &[Update],
		dimension: usize,
		trim: usize,
	) -> Result<Vec<i32>, OpenClError> {
		if updates.len() > MAX_UPDATES {
			return Err(OpenClError::Unsupported("more than 64 updates for a trimmed mean"));
		}
		let values = self.upload(updates, dimension)?;
		let out = self.output::<i32>(dimension)?;
		let kernel = Kernel::builder()
			.program(&self.program)
			.name("trimmed_mean")
			.queue(self.queue.clone())
			.global_work_size(dimension)
			.arg(&values)
			.arg(updates.len() as u32)
			.arg(dimension as u64)
			.arg(trim as u32)
			.arg(&out)
			.build()?;
		self.run(kernel, &out)
	}

	/// Multi-Krum's squared distances of the `pairs` of uploaded updates. A work group of
	/// `DISTANCE_GROUP` items per block of `DISTANCE_BLOCK` coordinates and pair: neighbouring
	/// items read neighbouring coordinates (coalesced), and a million coordinates make
	/// `pairs × 256 × 64` items, enough to fill a GPU.
	fn squared_distances(
		&self,
		values: &Buffer<i32>,
		dimension: usize,
		pairs: &[(usize, usize)],
	) -> Result<Vec<u128>, OpenClError> {
		if pairs.is_empty() {
			return Ok(Vec::new());
		}
		let blocks = dimension.div_ceil(DISTANCE_BLOCK);
		let index = |pick: fn(&(usize, usize)) -> usize| {
			self.input(&pairs.iter().map(|p| pick(p) as u32).collect::<Vec<u32>>())
		};
		let (first, second) = (index(|p| p.0)?, index(|p| p.1)?);
		let (lo, hi) =
			(self.output::<u64>(pairs.len() * blocks)?, self.output::<u64>(pairs.len() * blocks)?);
		let kernel = Kernel::builder()
			.program(&self.program)
			.name("squared_distances")
			.queue(self.queue.clone())
			.global_work_size([blocks * DISTANCE_GROUP, pairs.len()])
			.local_work_size([DISTANCE_GROUP, 1])
			.arg(values)
			.arg(&first)
			.arg(&second)
			.arg(dimension as u64)
			.arg(blocks as u64)
			.arg(&lo)
			.arg(&hi)
			.arg_local::<u64>(DISTANCE_GROUP)
			.arg_local::<u64>(DISTANCE_GROUP)
			.build()?;
		let lo_host = self.run(kernel, &lo)?;
		let mut hi_host = vec![0u64; hi.len()];
		hi.read(&mut hi_host).enq()?;
		Ok((0..pairs.len())
			.map(|p| {
				(p * blocks..(p + 1) * blocks)
					.map(|i| ((hi_host[i] as u128) << 64) | lo_host[i] as u128)
					.sum()
			})
			.collect())
	}
}

/// `Σ weights`, checked for the kernels: not zero (the CPU refuses it too) and below 2³², so
/// that every partial sum of the weighted mean stays below 2⁶³.
fn check_total(weights: &[u64]) -> Result<u64, OpenClError> {
	let total: u128 = weights.iter().map(|w| *w as u128).sum();
	if total == 0 {
		return Err(AggregateError::ZeroWeight.into());
	}
	if total >= 1 << 32 {
		return Err(OpenClError::Unsupported("total weight of 2^32 or more"));
	}
	Ok(total as u64)
}

/// Aggregates on OpenCL when a device is present, on all CPU cores otherwise (or for inputs the
/// kernels do not take, or after an OpenCL error). The result is the same either way.
pub struct Aggregator {
	opencl: Option<OpenCl>,
}

impl Aggregator {
	/// The CPU only.
	pub fn cpu() -> Self {
		Self { opencl: None }
	}

	/// OpenCL on the preferred device ([`OpenCl::preferred`]) when there is one and it is
	/// not a CPU driver; else the CPU, whose native path is faster than an OpenCL CPU driver
	/// on the same cores (`scripts/benchmark-ml.sh` prints both). `COHORT_OPENCL=0` always
	/// takes the CPU, `COHORT_OPENCL=1` takes OpenCL even on a CPU driver.
	pub fn detect() -> Self {
		Self::chosen(std::env::var("COHORT_OPENCL").ok().as_deref())
	}

	/// [`Self::detect`] with `COHORT_OPENCL` set to `choice`.
	fn chosen(choice: Option<&str>) -> Self {
		if choice == Some("0") {
			return Self::cpu();
		}
		match OpenCl::preferred() {
			Ok(cl) if cl.is_cpu_driver() && choice != Some("1") => {
				log::info!(
					target: "cohort-ml",
					"aggregating on the CPU: the OpenCL device {} is a CPU driver, slower than \
					 the native path (COHORT_OPENCL=1 uses it anyway)",
					cl.device()
				);
				Self::cpu()
			},
			Ok(cl) => Self { opencl: Some(cl) },
			Err(e) => {
				log::info!(target: "cohort-ml", "aggregating on the CPU: {e}");
				Self::cpu()
			},
		}
	}

	/// Whether aggregation runs on OpenCL.
	pub fn uses_opencl(&self) -> bool {
		self.opencl.is_some()
	}

	/// Where aggregation runs, for logs.
	pub fn backend(&self) -> String {
		match &self.opencl {
			Some(cl) => format!("OpenCL on {}", cl.device()),
			None => format!("CPU ({} threads)", rayon::current_num_threads()),
		}
	}

	/// Aggregates `updates` with `rule` (see [`aggregate::aggregate`]).
	pub fn aggregate(
		&self,
		rule: &AggregationRule,
		updates: &[Update],
	) -> Result<Vec<i32>, AggregateError> {
		if let Some(cl) = &self.opencl {
			match cl.aggregate(rule, updates) {
				Ok(result) => return Ok(result),
				Err(OpenClError::Aggregate(e)) => return Err(e),
				Err(OpenClError::Unsupported(why)) => {
					log::debug!(target: "cohort-ml", "aggregating on the CPU: {why}")
				},
				Err(e) => log::warn!(target: "cohort-ml", "aggregating on the CPU: {e}"),
			}
		}
		aggregate::aggregate(rule, updates)
	}
}

#[cfg(test)]
mod tests;
