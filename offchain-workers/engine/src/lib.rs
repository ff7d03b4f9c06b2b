//! Cohort's ML engine, usable and tested without a chain.
//!
//! - [`dataset`]: labelled data in CSV and a compact binary form, and `smartcore`'s bundled
//!   datasets; [`partition`]: non-IID splits (label skew, Dirichlet) among simulated owners.
//! - [`model`]: burn networks (MLP, small CNN) built from a task's model specification, their
//!   flat parameter layout, and the seeded initial model.
//! - [`train`]: local training (SGD/Adam, FedProx, client-level DP) producing an update;
//!   [`evaluate`]: validation loss and accuracy, and an aggregator's round (score the updates,
//!   aggregate the accepted ones); [`score`]: trust scores against a reference update trained
//!   on the validation set (FLTrust); [`privacy`]: the ε a round of DP training costs (an RDP
//!   accountant of the sampled Gaussian mechanism), checked before training.
//! - [`export`]: a trained model as a safetensors file that PyTorch loads; [`import`]: such a
//!   file (PyTorch's own, too) back as a model description and parameters, to start a task from.
//! - [`codec`]: parameters ⇄ payloads. Training runs in `f32`; what is committed on chain is the
//!   quantized payload (fixed-point `i32` with the task's scale), so every later step is exact.
//! - [`aggregate`]: weighted mean (FedAvg), trimmed mean, coordinate-wise median and multi-Krum
//!   in integer arithmetic with one rounding rule, on all cores; [`opencl`]: the same rules as
//!   OpenCL kernels, bit-identical, used when a device is present; [`aggregate::clip_norms`]:
//!   the integer norm bound applied before them.
//! - [`attack`]: simulated poisoners; [`simulate`]: whole federated runs without a chain, with
//!   the chain's own gate and reward arithmetic.
//! - [`challenge`]: a compute provider's side of the chain's compute challenges (the seeded
//!   workload and its answer), its own benchmark, and the hardware it reports.

pub mod aggregate;
pub mod attack;
pub mod challenge;
pub mod codec;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod import;
pub mod model;
pub mod opencl;
pub mod partition;
pub mod privacy;
pub mod score;
pub mod simulate;
pub mod train;

pub use burn::tensor::Device;

/// The device training and evaluation run on: burn's `flex` CPU backend, or with the `wgpu`
/// feature and `COHORT_ML_DEVICE=wgpu`, the first GPU (or Vulkan software device) wgpu finds.
pub fn training_device() -> Device {
	let wants_wgpu = std::env::var("COHORT_ML_DEVICE").is_ok_and(|v| v == "wgpu");
	#[cfg(feature = "wgpu")]
	if wants_wgpu {
		return Device::wgpu(Default::default());
	}
	#[cfg(not(feature = "wgpu"))]
	if wants_wgpu {
		static ONCE: std::sync::Once = std::sync::Once::new();
		ONCE.call_once(|| {
			log::warn!(
				target: "cohort-ml",
				"COHORT_ML_DEVICE=wgpu, but this binary was built without the `wgpu` feature: \
				 training on the CPU"
			)
		});
	}
	Device::flex()
}

#[cfg(all(test, feature = "wgpu"))]
mod wgpu_tests;
