//! burn's wgpu backend, where a Vulkan (or Metal, DX12) device exists: Mesa's lavapipe on a CPU
//! machine, the real GPU on one that has it. Built only with the `wgpu` feature.

use burn::tensor::Device;

use crate::{
	dataset::Dataset,
	evaluate::evaluate,
	model::{tests::mlp, Architecture},
	train::{train, TrainingConfig},
};

fn wgpu() -> Device {
	Device::wgpu(Default::default())
}

/// Whether a Vulkan driver is installed. Without one the test says so and passes, unless
/// `COHORT_REQUIRE_VULKAN=1` (set by `scripts/test.sh`, after `setup.sh` installed lavapipe).
fn vulkan() -> bool {
	let found = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d"]
		.iter()
		.filter_map(|d| std::fs::read_dir(d).ok())
		.any(|mut entries| entries.next().is_some());
	if !found {
		assert!(
			std::env::var("COHORT_REQUIRE_VULKAN").map_or(true, |v| v != "1"),
			"COHORT_REQUIRE_VULKAN=1 but no Vulkan driver is installed"
		);
		eprintln!("skipped: no Vulkan driver");
	}
	found
}

#[test]
fn wgpu_forward_matches_the_cpu_and_training_lowers_the_loss() {
	if !vulkan() {
		return;
	}
	let (train_set, validation) = Dataset::bundled("digits").unwrap().split(20, 1);
	let arch = Architecture::of(&mlp()).unwrap();
	let global = arch.initial_parameters(3);
	let on_cpu = evaluate(&arch, &global, &validation, &Device::flex()).unwrap();
	let on_gpu = evaluate(&arch, &global, &validation, &wgpu()).unwrap();
	assert!((on_cpu.loss - on_gpu.loss).abs() < 1e-3, "{on_cpu:?} vs {on_gpu:?}");
	assert_eq!(on_cpu.accuracy, on_gpu.accuracy);

	let config = TrainingConfig {
		epochs: 2,
		batch_size: 32,
		optimizer: cohort_primitives::task::Optimizer::Adam,
		learning_rate: 0.01,
		fedprox_mu: 0.1,
		dp: None,
		seed: 2,
	};
	let trained = train(&arch, &global, &train_set, &config, &wgpu()).unwrap();
	assert!(trained.epoch_losses[1] < trained.epoch_losses[0], "{trained:?}");
	let after: Vec<f32> = global.iter().zip(&trained.update).map(|(g, u)| g + u).collect();
	let after = evaluate(&arch, &after, &validation, &Device::flex()).unwrap();
	assert!(after.loss < on_cpu.loss && after.accuracy > 0.5, "{after:?}");
}
