//! Evaluation on a validation set, and each update's contribution score.
//!
//! **Contribution score** (what rewards follow): leave-one-out on the round's aggregate. With
//! `L` the validation loss of the global model plus the aggregate of every update, and `Lᵢ` that
//! of the global model plus the aggregate without update `i`, update `i` scores
//! `clamp((Lᵢ − L) / Lᵢ, 0, 1) · MAX_SCORE`: the share of the loss that would come back without
//! it. An update that makes the aggregate worse, or changes nothing, scores zero. Where the
//! task's rule cannot run on one update fewer (trimmed mean, multi-Krum at their minimum), both
//! sides use the weighted mean. Scores are computed in `f32` and may differ in the last digits
//! between aggregators; the chain takes the median of the agreeing aggregators' scores.

use burn::tensor::Device;
use cohort_primitives::{round::MAX_SCORE, task::AggregationRule, Score};

use crate::{
	aggregate::{aggregate, apply, AggregateError, Update},
	codec::dequantize,
	dataset::Dataset,
	model::{Architecture, ModelError},
	opencl::Aggregator,
	train::{batch, check_data},
};

/// Validation loss (mean cross-entropy) and accuracy (share of samples classified right).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
	pub loss: f32,
	pub accuracy: f32,
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

/// Why scores could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
	#[error(transparent)]
	Model(#[from] ModelError),
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
}

/// What contribution scores are measured against: a task's model, its fixed-point scale, and the
/// validation set, evaluated on `device`.
pub struct Validation<'a> {
	pub arch: &'a Architecture,
	pub scale: u32,
	pub data: &'a Dataset,
	pub device: &'a Device,
}

/// A round's outcome as an aggregator computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregated {
	/// The new global model, quantized.
	pub model: Vec<i32>,
	/// Each update's contribution score, in the order of the updates.
	pub scores: Vec<Score>,
	/// The new global model on the validation set.
	pub quality: Evaluation,
}

impl Validation<'_> {
	/// A quantized model on the validation set.
	fn evaluate(&self, model: &[i32]) -> Result<Evaluation, ModelError> {
		evaluate(self.arch, &dequantize(model, self.scale), self.data, self.device)
	}

	fn loss(&self, model: &[i32]) -> Result<f32, ModelError> {
		Ok(self.evaluate(model)?.loss)
	}

	/// The round's new global model (`global` plus the aggregate of `updates` with `rule`, on
	/// `aggregator`), each update's contribution score (module docs), and how the new model
	/// does on the validation set.
	pub fn aggregate_and_score(
		&self,
		aggregator: &Aggregator,
		rule: &AggregationRule,
		global: &[i32],
		updates: &[Update],
	) -> Result<Aggregated, ScoreError> {
		let model = apply(global, &aggregator.aggregate(rule, updates)?)?;
		let quality = self.evaluate(&model)?;
		// `aggregate` refused an empty round above, so there is at least one update.
		let all_rule = if rule.works_with(updates.len() as u32 - 1) {
			*rule
		} else {
			AggregationRule::WeightedMean
		};
		let loss_all = if all_rule == *rule {
			quality.loss
		} else {
			self.loss(&apply(global, &aggregate(&all_rule, updates)?)?)?
		};
		let mut scores = Vec::with_capacity(updates.len());
		for i in 0..updates.len() {
			let others: Vec<Update> =
				updates.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, u)| *u).collect();
			let without = if others.is_empty() {
				global.to_vec()
			} else {
				apply(global, &aggregate(&all_rule, &others)?)?
			};
			let loss_without = self.loss(&without)?;
			let share = ((loss_without - loss_all) / loss_without).clamp(0.0, 1.0);
			let share = if share.is_finite() { share } else { 0.0 };
			scores.push((share as f64 * MAX_SCORE as f64).round() as Score);
		}
		Ok(Aggregated { model, scores, quality })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		codec::quantize,
		model::tests::mlp,
		train::{train, TrainingConfig},
	};
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
	fn useful_updates_score_above_useless_ones() {
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
		let updates =
			[Update { values: &useful, weight: 100 }, Update { values: &useless, weight: 100 }];
		let check = Validation { arch: &arch, scale, data: &validation, device: &device };
		let Aggregated { model, scores, quality } = check
			.aggregate_and_score(
				&Aggregator::cpu(),
				&AggregationRule::WeightedMean,
				&global,
				&updates,
			)
			.unwrap();
		assert_eq!(quality, check.evaluate(&model).unwrap());
		assert_eq!(
			model,
			apply(&global, &aggregate(&AggregationRule::WeightedMean, &updates).unwrap()).unwrap()
		);
		assert!(scores[0] > 100_000, "{scores:?}");
		assert_eq!(scores[1], 0, "{scores:?}");
	}
}
