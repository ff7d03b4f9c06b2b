//! Local training from a global model: SGD or Adam, epochs over seeded mini-batches, FedProx's
//! proximal term, and optional client-level differential privacy on the update.
//!
//! The result is the *update*: the trained parameters minus the global ones. With DP, the update
//! is clipped to an L2 norm `C` and Gaussian noise `N(0, (σ·C)²)` is added to every coordinate
//! (the Gaussian mechanism of DP-FedAvg, McMahan et al. 2018). What a round costs in ε is
//! [`privacy`](crate::privacy)'s to say, and [`TrainingConfig::from_params`] refuses a task whose
//! stated ε does not cover it.

use burn::{
	module::Module,
	nn::loss::CrossEntropyLossConfig,
	optim::{AdamConfig, GradientsParams, SgdConfig},
	tensor::{Device, Int, Tensor, TensorData},
};
use cohort_primitives::task::{Optimizer, TrainingParams};
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::{
	dataset::Dataset,
	model::{Architecture, ModelError},
	privacy::{self, PrivacyError},
};

/// How to train, in real numbers (the chain stores millionths: [`TrainingConfig::from_params`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingConfig {
	pub epochs: u16,
	pub batch_size: u16,
	pub optimizer: Optimizer,
	pub learning_rate: f64,
	/// FedProx's μ: the loss gains `μ/2 · ‖w − w_global‖²`. Zero is FedAvg.
	pub fedprox_mu: f64,
	/// `(clip norm C, noise multiplier σ)`.
	pub dp: Option<(f64, f64)>,
	/// Seeds the batch order and the DP noise. For real DP the noise seed must be secret: the
	/// worker draws it from the OS.
	pub seed: u64,
}

impl TrainingConfig {
	/// The training a task's `params` ask for. Refused ([`PrivacyError`]) when the task asks
	/// for DP whose noise costs more ε per round than the task states, or that has no noise or
	/// no clipping ([`privacy::check_round`]): a worker does not train then.
	pub fn from_params(params: &TrainingParams, seed: u64) -> Result<Self, PrivacyError> {
		if let Some(dp) = &params.dp {
			privacy::check_round(dp)?;
		}
		Ok(Self::unchecked(params, seed))
	}

	/// The training a task's `params` ask for without its DP, as an aggregator trains the
	/// reference update it scores against: on its own validation set, which is never released
	/// (and [`score`](crate::score) drops DP anyway).
	pub fn reference(params: &TrainingParams, seed: u64) -> Self {
		Self { dp: None, ..Self::unchecked(params, seed) }
	}

	/// `params` in real numbers, unchecked.
	fn unchecked(params: &TrainingParams, seed: u64) -> Self {
		let micros = |m: u32| m as f64 / 1e6;
		Self {
			epochs: params.epochs,
			batch_size: params.batch_size,
			optimizer: params.optimizer,
			learning_rate: micros(params.learning_rate_micros),
			fedprox_mu: params.fedprox_mu_micros.map_or(0.0, micros),
			dp: params
				.dp
				.map(|dp| (micros(dp.clip_norm_micros), micros(dp.noise_multiplier_micros))),
			seed,
		}
	}
}

/// What local training produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
	/// Trained parameters minus the global ones (clipped and noised under DP).
	pub update: Vec<f32>,
	/// Samples trained on: the update's weight in the weighted mean.
	pub samples: u64,
	/// Mean training loss of each epoch (cross-entropy, without the proximal term).
	pub epoch_losses: Vec<f32>,
}

/// Why training could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
	#[error(transparent)]
	Model(#[from] ModelError),
	#[error("there is no data to train on")]
	NoData,
	#[error("epochs and batch size must be positive")]
	ZeroEpochsOrBatch,
	#[error("training diverged (the loss is not finite)")]
	Diverged,
}

/// Checks that `data` fits `arch`.
pub(crate) fn check_data(arch: &Architecture, data: &Dataset) -> Result<(), ModelError> {
	if data.feature_count != arch.inputs {
		return Err(ModelError::WrongFeatureCount {
			expected: arch.inputs,
			found: data.feature_count,
		});
	}
	if data.class_count > arch.classes {
		return Err(ModelError::WrongClassCount { model: arch.classes, data: data.class_count });
	}
	Ok(())
}

/// A batch of samples as tensors on `device`.
pub(crate) fn batch(
	data: &Dataset,
	indices: &[usize],
	device: &Device,
) -> (Tensor<2>, Tensor<1, Int>) {
	let mut features = Vec::with_capacity(indices.len() * data.feature_count);
	indices.iter().for_each(|i| features.extend_from_slice(data.sample(*i)));
	let labels: Vec<i64> = indices.iter().map(|i| data.labels[*i] as i64).collect();
	(
		Tensor::from_data(TensorData::new(features, [indices.len(), data.feature_count]), device),
		Tensor::from_data(TensorData::new(labels, [indices.len()]), device),
	)
}

/// Trains from `global` on `data` (module docs). `device` is the backend to train on (burn's
/// `flex` CPU backend, or `wgpu` with the feature); autodiff is added here.
pub fn train(
	arch: &Architecture,
	global: &[f32],
	data: &Dataset,
	config: &TrainingConfig,
	device: &Device,
) -> Result<Trained, TrainError> {
	check_data(arch, data)?;
	if data.is_empty() {
		return Err(TrainError::NoData);
	}
	if config.epochs == 0 || config.batch_size == 0 {
		return Err(TrainError::ZeroEpochsOrBatch);
	}
	let device = device.clone().autodiff();
	let mut model = arch.network(global, &device)?;
	let anchor: Vec<Tensor<1>> = arch
		.network(global, &device)?
		.parameter_tensors()
		.into_iter()
		.map(|t| t.detach())
		.collect();
	let mut optimizer = match config.optimizer {
		Optimizer::Sgd => SgdConfig::new().init(),
		Optimizer::Adam => AdamConfig::new().init(),
	};
	let loss_fn = CrossEntropyLossConfig::new().init(&device);
	let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
	let mut order: Vec<usize> = (0..data.len()).collect();
	let mut epoch_losses = Vec::with_capacity(config.epochs as usize);

	let batch_size = config.batch_size as usize;
	for _ in 0..config.epochs {
		order.shuffle(&mut rng);
		// The epoch's samples in its order, on the device at once; each batch is a slice of
		// them, and the losses stay on the device until the epoch ends: no transfer and no
		// wait for the device per batch (what a GPU needs to stay busy).
		let (epoch_x, epoch_y) = batch(data, &order, &device);
		let mut total: Option<Tensor<1>> = None;
		let mut batches = 0usize;
		for start in (0..order.len()).step_by(batch_size) {
			let end = (start + batch_size).min(order.len());
			let x = epoch_x.clone().narrow(0, start, end - start);
			let y = epoch_y.clone().narrow(0, start, end - start);
			let loss = loss_fn.forward(model.forward(x), y);
			let detached = loss.clone().detach();
			total = Some(match total {
				Some(sum) => sum + detached,
				None => detached,
			});
			batches += 1;
			let objective = if config.fedprox_mu > 0.0 {
				let proximal = model
					.parameter_tensors()
					.into_iter()
					.zip(&anchor)
					.map(|(w, w0)| (w - w0.clone()).powi_scalar(2).sum())
					.reduce(|a, b| a + b)
					.expect("a model has parameters");
				loss + proximal.mul_scalar(config.fedprox_mu / 2.0)
			} else {
				loss
			};
			let grads = GradientsParams::from_grads(objective.backward(), &model);
			model = optimizer.step(config.learning_rate, model, grads);
		}
		let total = total.map_or(0.0, |t| t.into_scalar::<f32>() as f64);
		let mean = (total / batches as f64) as f32;
		if !mean.is_finite() {
			return Err(TrainError::Diverged);
		}
		epoch_losses.push(mean);
	}

	let trained = model.valid().parameters();
	let mut update: Vec<f32> = trained.iter().zip(global).map(|(w, g)| w - g).collect();
	if let Some((clip, noise)) = config.dp {
		privatize(&mut update, clip, noise, &mut rng);
	}
	if update.iter().any(|u| !u.is_finite()) {
		return Err(TrainError::Diverged);
	}
	Ok(Trained { update, samples: data.len() as u64, epoch_losses })
}

/// Clips `update` to L2 norm `clip`, then adds `N(0, (noise·clip)²)` to every coordinate.
pub fn privatize(update: &mut [f32], clip: f64, noise: f64, rng: &mut ChaCha8Rng) {
	let norm = update.iter().map(|u| (*u as f64).powi(2)).sum::<f64>().sqrt();
	if norm > clip {
		let factor = (clip / norm) as f32;
		update.iter_mut().for_each(|u| *u *= factor);
	}
	if noise > 0.0 && clip > 0.0 {
		let normal = Normal::new(0.0, noise * clip).expect("a positive, finite deviation");
		update.iter_mut().for_each(|u| *u += normal.sample(rng) as f32);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::evaluate::evaluate;
	use crate::model::tests::{cnn, mlp};

	fn config(optimizer: Optimizer, lr: f64) -> TrainingConfig {
		TrainingConfig {
			epochs: 3,
			batch_size: 32,
			optimizer,
			learning_rate: lr,
			fedprox_mu: 0.0,
			dp: None,
			seed: 5,
		}
	}

	#[test]
	fn training_lowers_the_loss_with_sgd_and_adam_on_mlp_and_cnn() {
		let device = Device::flex();
		let (train_set, validation) = Dataset::bundled("digits").unwrap().split(20, 1);
		for spec in [mlp(), cnn()] {
			let arch = Architecture::of(&spec).unwrap();
			let global = arch.initial_parameters(3);
			let before = evaluate(&arch, &global, &validation, &device).unwrap();
			for (optimizer, lr) in [(Optimizer::Sgd, 0.1), (Optimizer::Adam, 0.01)] {
				let trained =
					train(&arch, &global, &train_set, &config(optimizer, lr), &device).unwrap();
				assert_eq!(trained.samples, train_set.len() as u64);
				assert!(trained.epoch_losses[2] < trained.epoch_losses[0], "{trained:?}");
				let after: Vec<f32> =
					global.iter().zip(&trained.update).map(|(g, u)| g + u).collect();
				let after = evaluate(&arch, &after, &validation, &device).unwrap();
				assert!(
					after.loss < before.loss,
					"{spec:?} {optimizer:?}: {before:?} -> {after:?}"
				);
				// Chance is 0.1.
				assert!(after.accuracy > 0.3, "{spec:?} {optimizer:?}: {after:?}");
			}
		}
	}

	#[test]
	fn fedprox_keeps_the_model_closer_to_the_global_one() {
		let device = Device::flex();
		let data = Dataset::bundled("digits").unwrap();
		let arch = Architecture::of(&mlp()).unwrap();
		let global = arch.initial_parameters(3);
		let norm = |t: &Trained| t.update.iter().map(|u| u * u).sum::<f32>().sqrt();
		let plain = train(&arch, &global, &data, &config(Optimizer::Sgd, 0.1), &device).unwrap();
		let prox = TrainingConfig { fedprox_mu: 1.0, ..config(Optimizer::Sgd, 0.1) };
		let prox = train(&arch, &global, &data, &prox, &device).unwrap();
		assert!(norm(&prox) < norm(&plain), "{} !< {}", norm(&prox), norm(&plain));
	}

	#[test]
	fn dp_clips_to_the_norm_and_adds_seeded_noise() {
		let mut update = vec![3.0f32, 4.0];
		privatize(&mut update, 1.0, 0.0, &mut ChaCha8Rng::seed_from_u64(0));
		assert_eq!(update, vec![0.6, 0.8]);
		let mut small = vec![0.3f32, 0.4];
		privatize(&mut small, 1.0, 0.0, &mut ChaCha8Rng::seed_from_u64(0));
		assert_eq!(small, vec![0.3, 0.4]);

		let noisy = |seed| {
			let mut u = vec![0.0f32; 10_000];
			privatize(&mut u, 2.0, 0.5, &mut ChaCha8Rng::seed_from_u64(seed));
			u
		};
		let u = noisy(1);
		assert_eq!(u, noisy(1));
		assert_ne!(u, noisy(2));
		// Standard deviation σ·C = 1.
		let sd = (u.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / u.len() as f64).sqrt();
		assert!((sd - 1.0).abs() < 0.05, "{sd}");
	}

	#[test]
	fn training_refuses_data_that_does_not_fit() {
		let device = Device::flex();
		let arch = Architecture::of(&cnn()).unwrap();
		let global = arch.initial_parameters(0);
		let iris = Dataset::bundled("iris").unwrap();
		let c = config(Optimizer::Sgd, 0.1);
		assert_eq!(
			train(&arch, &global, &iris, &c, &device),
			Err(TrainError::Model(ModelError::WrongFeatureCount { expected: 64, found: 4 }))
		);
		let empty = Dataset::bundled("digits").unwrap().subset(&[]);
		assert_eq!(train(&arch, &global, &empty, &c, &device), Err(TrainError::NoData));
		let zero = TrainingConfig { epochs: 0, ..c };
		let digits = Dataset::bundled("digits").unwrap();
		assert_eq!(
			train(&arch, &global, &digits, &zero, &device),
			Err(TrainError::ZeroEpochsOrBatch)
		);
	}

	#[test]
	fn a_task_whose_stated_epsilon_does_not_cover_its_noise_is_refused() {
		use cohort_primitives::task::DpParams;
		let dp = |noise_multiplier_micros, epsilon_micros| DpParams {
			clip_norm_micros: 2_000_000,
			noise_multiplier_micros,
			epsilon_micros,
		};
		let params = |dp| TrainingParams {
			epochs: 2,
			batch_size: 16,
			optimizer: Optimizer::Adam,
			learning_rate_micros: 10_000,
			fedprox_mu_micros: Some(1_000),
			dp: Some(dp),
		};
		let needed = privacy::round_epsilon_micros(1_100_000).unwrap();
		let config = TrainingConfig::from_params(&params(dp(1_100_000, needed)), 9).unwrap();
		assert_eq!(
			config,
			TrainingConfig {
				epochs: 2,
				batch_size: 16,
				optimizer: Optimizer::Adam,
				learning_rate: 0.01,
				fedprox_mu: 0.001,
				dp: Some((2.0, 1.1)),
				seed: 9,
			}
		);
		assert!(matches!(
			TrainingConfig::from_params(&params(dp(1_100_000, needed - 1)), 9),
			Err(PrivacyError::EpsilonTooLarge { .. })
		));
		assert_eq!(
			TrainingConfig::from_params(&params(dp(0, u32::MAX)), 9),
			Err(PrivacyError::ZeroNoise)
		);
		// The reference an aggregator scores against trains without DP, whatever the task says.
		let reference = TrainingConfig::reference(&params(dp(0, 0)), 9);
		assert_eq!(reference, TrainingConfig { dp: None, ..config.clone() });
		let no_dp = TrainingParams { dp: None, ..params(dp(0, 0)) };
		assert_eq!(TrainingConfig::from_params(&no_dp, 9), Ok(reference));
	}
}
