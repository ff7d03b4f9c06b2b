//! Evaluation on a validation set, and what an aggregator does with it in a round: score the
//! revealed updates ([`Validation::score`]) and aggregate the accepted ones
//! ([`Validation::aggregate`]).
//!
//! **Scores** (what the gate and rewards follow) are trust scores: each update's cosine
//! similarity to a reference update trained on the validation set (FLTrust; [`crate::score`]
//! and `docs/scoring.md`). They are computed in floats and may differ in the last digits
//! between aggregators; the chain takes each update's lower median over the aggregators and
//! fixes from it, in integers, which updates enter the model. **Aggregation** then runs on
//! exactly that set, in integers: norm bound, then the task's rule, bit-identical everywhere.

use burn::tensor::Device;
use cohort_primitives::{
	round::{RoundMetrics, MAX_ACCURACY},
	task::AggregationRule,
	Score,
};
use rayon::prelude::*;

use crate::{
	aggregate::{apply, clip_norms, AggregateError, Update},
	codec::dequantize,
	dataset::Dataset,
	model::{Architecture, ModelError},
	opencl::Aggregator,
	score::{class_counts, implied_labels, matched_sample, reference_update, trust_scores},
	train::{batch, check_data, TrainError, TrainingConfig},
};

/// Validation loss (mean cross-entropy) and accuracy (share of samples classified right).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
	/// Mean cross-entropy over the samples.
	pub loss: f32,
	/// Share of samples whose highest logit is their label, in `0..=1`.
	pub accuracy: f32,
}

impl Evaluation {
	/// The metrics as the chain keeps them: millionths, rounded to the nearest; the loss
	/// saturates at `u32::MAX` (a NaN loss reads as the worst), the accuracy at `MAX_ACCURACY`.
	pub fn metrics(&self) -> RoundMetrics {
		let micros = |x: f32, max: u32| {
			let m = (x as f64 * 1e6).round();
			if m.is_nan() {
				max
			} else {
				m.clamp(0.0, max as f64) as u32
			}
		};
		RoundMetrics {
			loss_micros: micros(self.loss, u32::MAX),
			// A NaN accuracy cannot come from `evaluate`; read it as nothing right.
			accuracy_micros: if self.accuracy.is_nan() {
				0
			} else {
				micros(self.accuracy, MAX_ACCURACY)
			},
		}
	}
}

/// Samples per forward pass while evaluating: bounds memory on large validation sets.
const EVAL_BATCH: usize = 1024;

/// Evaluates `parameters` on `data`.
pub fn evaluate(
	arch: &Architecture,
	parameters: &[f32],
	data: &Dataset,
	device: &Device,
) -> Result<Evaluation, ModelError> {
	check_data(arch, data)?;
	let network = arch.network(parameters, device)?;
	let loss_fn = burn::nn::loss::CrossEntropyLossConfig::new().init(device);
	let (mut loss, mut correct) = (0.0f64, 0usize);
	let indices: Vec<usize> = (0..data.len()).collect();
	for chunk in indices.chunks(EVAL_BATCH) {
		let (x, y) = batch(data, chunk, device);
		let logits = network.forward(x);
		let predicted = logits.clone().argmax(1).flatten::<1>(0, 1);
		correct += predicted.equal(y.clone()).int().sum().into_scalar::<i64>() as usize;
		loss += loss_fn.forward(logits, y).into_scalar::<f32>() as f64 * chunk.len() as f64;
	}
	let n = data.len().max(1) as f64;
	Ok(Evaluation { loss: (loss / n) as f32, accuracy: (correct as f64 / n) as f32 })
}

/// Why scores or an aggregate could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
	/// The model does not fit its parameters or the validation set.
	#[error(transparent)]
	Model(#[from] ModelError),
	/// The updates cannot be aggregated (none, mismatched lengths, too few for the rule).
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
	/// The reference update could not be trained.
	#[error(transparent)]
	Train(#[from] TrainError),
}

/// What scores and aggregates are measured against: a task's model, its fixed-point scale, and
/// the validation set, evaluated on `device`.
pub struct Validation<'a> {
	/// The task's model.
	pub arch: &'a Architecture,
	/// The task's fixed-point scale.
	pub scale: u32,
	/// The validation set (the one the task names by hash).
	pub data: &'a Dataset,
	/// Where training (of the reference) and evaluation run.
	pub device: &'a Device,
}

/// A round's outcome as an aggregator computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregated {
	/// The new global model, quantized.
	pub model: Vec<i32>,
	/// The new global model on the validation set.
	pub quality: Evaluation,
}

impl Validation<'_> {
	/// A quantized model on the validation set.
	pub fn evaluate(&self, model: &[i32]) -> Result<Evaluation, ModelError> {
		evaluate(self.arch, &dequantize(model, self.scale), self.data, self.device)
	}

	/// Each update's trust score ([`crate::score`]), in order: for each update, the validation
	/// samples matched to the labels it implies, a reference update trained on them from
	/// `global` with `training` (the task's parameters and this aggregator's own seed), and the
	/// update's cosine to that reference.
	///
	/// The updates are scored side by side on the machine's cores: each reference is a small
	/// training run that leaves cores idle, and each depends only on its own update, so the
	/// scores are those of scoring one after another.
	pub fn score(
		&self,
		global: &[i32],
		updates: &[&[i32]],
		training: &TrainingConfig,
	) -> Result<Vec<Score>, ScoreError> {
		let start = dequantize(global, self.scale);
		let before = class_counts(self.arch, &start, self.data, self.device)?;
		updates.par_iter().map(|update| self.score_one(&start, &before, update, training)).collect()
	}

	/// One update's trust score against the dequantized global model `start`, whose class
	/// counts on the validation set are `before`.
	fn score_one(
		&self,
		start: &[f32],
		before: &[usize],
		update: &[i32],
		training: &TrainingConfig,
	) -> Result<Score, ScoreError> {
		let mut moved = dequantize(update, self.scale);
		if moved.len() != start.len() {
			return Err(ModelError::WrongParameterCount {
				expected: start.len(),
				found: moved.len(),
			}
			.into());
		}
		moved.iter_mut().zip(start).for_each(|(m, g)| *m += g);
		let after = class_counts(self.arch, &moved, self.data, self.device)?;
		let counts = implied_labels(before, &after);
		let matched = matched_sample(self.data, &counts, training.seed);
		let reference = reference_update(self.arch, start, &matched, training, self.device)?;
		Ok(trust_scores(&reference, &[update])[0])
	}

	/// The next global model: `global` plus `rule` applied, on `aggregator` (OpenCL or the
	/// CPU, bit-identical), to the accepted `updates` (weighted by their samples) after
	/// [`clip_norms`] with `clip_norm_percent` (`0`: no clipping); and its quality on the
	/// validation set. Everything up to the model is integer arithmetic: every honest
	/// aggregator gets the same bytes.
	pub fn aggregate(
		&self,
		aggregator: &Aggregator,
		rule: &AggregationRule,
		clip_norm_percent: u32,
		global: &[i32],
		updates: &[Update],
	) -> Result<Aggregated, ScoreError> {
		let clipped = clip_norms(updates, clip_norm_percent);
		let inputs: Vec<Update> = clipped
			.iter()
			.zip(updates)
			.map(|(values, u)| Update { values, weight: u.weight })
			.collect();
		let model = apply(global, &aggregator.aggregate(rule, &inputs)?)?;
		let quality = self.evaluate(&model)?;
		Ok(Aggregated { model, quality })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{aggregate::aggregate, codec::quantize, model::tests::mlp, train::train};
	use cohort_primitives::task::Optimizer;

	#[test]
	fn evaluation_counts_right_answers() {
		// One input, two classes; logits (x, -x): class 0 when x > 0.
		let spec =
			cohort_primitives::ModelSpec::Mlp { input: 1, hidden: Default::default(), classes: 2 };
		let arch = Architecture::of(&spec).unwrap();
		let data = Dataset::new(vec![1.0, 2.0, -1.0, 3.0], vec![0, 0, 1, 1], 1, 2).unwrap();
		let e = evaluate(&arch, &[1.0, -1.0, 0.0, 0.0], &data, &Device::flex()).unwrap();
		assert_eq!(e.accuracy, 0.75);
		// Mean of ln(1 + e^{-2x}) for right answers, ln(1 + e^{2x}) for the wrong one.
		let expected = [
			(1.0f32 + (-2.0f32).exp()).ln(),
			(1.0 + (-4.0f32).exp()).ln(),
			(1.0 + (-2.0f32).exp()).ln(),
			(1.0 + 6.0f32.exp()).ln(),
		];
		assert!((e.loss - expected.iter().sum::<f32>() / 4.0).abs() < 1e-5, "{e:?}");
	}

	#[test]
	fn metrics_are_rounded_micros_and_saturate() {
		let m = |loss, accuracy| Evaluation { loss, accuracy }.metrics();
		assert_eq!(m(0.25, 0.5), RoundMetrics { loss_micros: 250_000, accuracy_micros: 500_000 });
		assert_eq!(m(1.234_567_8, 0.999_999_7).accuracy_micros, 1_000_000);
		assert_eq!(m(1.234_567_8, 0.0).loss_micros, 1_234_568);
		assert_eq!(
			m(1e10, 1.5),
			RoundMetrics { loss_micros: u32::MAX, accuracy_micros: 1_000_000 }
		);
		assert_eq!(
			m(f32::NAN, f32::NAN),
			RoundMetrics { loss_micros: u32::MAX, accuracy_micros: 0 }
		);
		assert_eq!(m(f32::INFINITY, -0.1).loss_micros, u32::MAX);
		assert_eq!(m(f32::INFINITY, -0.1).accuracy_micros, 0);
	}

	#[test]
	fn a_useful_update_scores_high_and_the_aggregate_is_the_clipped_weighted_mean() {
		let device = Device::flex();
		let (train_set, validation) = Dataset::bundled("digits").unwrap().split(20, 1);
		let arch = Architecture::of(&mlp()).unwrap();
		let scale = 1 << 16;
		let global = quantize(&arch.initial_parameters(3), scale).unwrap();
		let config = TrainingConfig {
			epochs: 2,
			batch_size: 32,
			optimizer: Optimizer::Sgd,
			learning_rate: 0.1,
			fedprox_mu: 0.0,
			dp: None,
			seed: 1,
		};
		let start = dequantize(&global, scale);
		let trained = train(&arch, &start, &train_set, &config, &device).unwrap();
		let useful = quantize(&trained.update, scale).unwrap();
		let useless = vec![0i32; useful.len()];
		let harmful: Vec<i32> = useful.iter().map(|v| -3 * v).collect();
		let check = Validation { arch: &arch, scale, data: &validation, device: &device };
		let scoring = TrainingConfig { seed: 7, ..config.clone() };
		let scores = check.score(&global, &[&useful, &useless, &harmful], &scoring).unwrap();
		// Trained on every digit, it points where the reference does; the zero update is
		// neutral; the same update reversed and tripled points away.
		assert!(scores[0] > 750_000, "{scores:?}");
		assert_eq!(scores[1], cohort_primitives::round::NEUTRAL_SCORE, "{scores:?}");
		assert!(scores[2] < 450_000, "{scores:?}");
		// Scored side by side, each update gets the score it gets alone.
		let alone: Vec<Score> = [&useful, &useless, &harmful]
			.iter()
			.flat_map(|u| check.score(&global, &[u.as_slice()], &scoring).unwrap())
			.collect();
		assert_eq!(scores, alone);

		// The useful update and a copy three times as long, weighted 100 and 50: clipped at
		// 150 % of the median norm, then the weighted mean.
		let long: Vec<i32> = useful.iter().map(|v| 3 * v).collect();
		let updates =
			[Update { values: &useful, weight: 100 }, Update { values: &long, weight: 50 }];
		let Aggregated { model, quality } = check
			.aggregate(&Aggregator::cpu(), &AggregationRule::WeightedMean, 150, &global, &updates)
			.unwrap();
		assert_eq!(quality, check.evaluate(&model).unwrap());
		let clipped = clip_norms(&updates, 150);
		assert_eq!(clipped[0], useful);
		assert!(crate::aggregate::norm(&clipped[1]) <= crate::aggregate::norm(&useful) * 3 / 2);
		let inputs = [
			Update { values: &clipped[0], weight: 100 },
			Update { values: &clipped[1], weight: 50 },
		];
		assert_eq!(
			model,
			apply(&global, &aggregate(&AggregationRule::WeightedMean, &inputs).unwrap()).unwrap()
		);
		let before = check.evaluate(&global).unwrap();
		assert!(quality.loss < before.loss, "{before:?} -> {quality:?}");
		assert_eq!(
			check.aggregate(&Aggregator::cpu(), &AggregationRule::Median, 150, &global, &[]),
			Err(ScoreError::Aggregate(AggregateError::NoUpdates))
		);
	}
}
