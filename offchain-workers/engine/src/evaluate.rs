//! Evaluation on a validation set, and what an aggregator does with it in a round: score the
//! revealed updates ([`Validation::score`]) and aggregate the accepted ones
//! ([`Validation::aggregate`]).
//!
//! **Scores** (what the gate and rewards follow) are trust scores: each update's cosine
//! similarity to the closest mix of reference updates trained on the validation set, one per
//! class and one on the whole set (after FLTrust; [`crate::score`] and `docs/scoring.md`), or 0
//! for a copy, a replay or a free rider. They are computed in floats and may differ in the last
//! digits between aggregators; the chain takes each update's lower median over the aggregators
//! and judges it, in integers, against the round's median score. **Aggregation** then runs on
//! exactly the accepted set, in integers: weight cap, norm bound, then the task's rule,
//! bit-identical everywhere.

use burn::tensor::Device;
use cohort_primitives::{
	judgement::capped_weights,
	round::{RoundMetrics, MAX_ACCURACY},
	task::{AggregationRule, ScoreGate},
	Score,
};

use crate::{
	aggregate::{apply, clip_norms, AggregateError, Update},
	codec::dequantize,
	dataset::Dataset,
	model::{Architecture, ModelError},
	opencl::Aggregator,
	score::{class_references, cone_scores, reference_update, screen},
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

	/// Each update's score, in order. First the round is screened ([`screen`]): copies of
	/// another update, replays of `history` (the last global change, past updates) and free
	/// riders score 0. Every other update is scored against references trained from `global`
	/// with `training` (the task's parameters and this aggregator's own seed): one per class of
	/// the validation set, on that class's samples, and one on the whole set
	/// ([`references`](Self::references)); its score is its cosine to the closest non-negative
	/// mix of them ([`cone_scores`]).
	pub fn score(
		&self,
		global: &[i32],
		updates: &[&[i32]],
		history: &[&[i32]],
		training: &TrainingConfig,
		gate: &ScoreGate,
	) -> Result<Vec<Score>, ScoreError> {
		let findings = screen(updates, history, gate);
		let references = self.references(&dequantize(global, self.scale), training)?;
		let scores = cone_scores(&references, updates);
		Ok(scores.into_iter().zip(findings).map(|(s, f)| if f.is_some() { 0 } else { s }).collect())
	}

	/// The references a round is scored against, from the dequantized global model `start`:
	/// what an honest owner of each single class would send ([`class_references`], each on the
	/// class's validation samples), and what an owner of the whole validation set would send
	/// (FLTrust's server update). They are trained side by side on the machine's cores; their
	/// cost does not grow with the number of updates.
	pub fn references(
		&self,
		start: &[f32],
		training: &TrainingConfig,
	) -> Result<Vec<Vec<f32>>, ScoreError> {
		let per_class = self.data.len() / self.data.class_count.max(1);
		let (classes, whole) = rayon::join(
			|| class_references(self.arch, start, self.data, training, per_class, self.device),
			|| reference_update(self.arch, start, self.data, training, self.device),
		);
		let mut references: Vec<Vec<f32>> = classes?.into_iter().flatten().collect();
		references.push(whole?);
		Ok(references)
	}

	/// The next global model: `global` plus `rule` applied, on `aggregator` (OpenCL or the
	/// CPU, bit-identical), to the accepted `updates` after the task's `gate` bounds them (no
	/// gate: as they are): each weight capped at the gate's `max_weight_percent` of the total
	/// ([`capped_weights`]), each norm at its `clip_norm_percent` of the median
	/// ([`clip_norms`]); and its quality on the validation set. Everything up to the model is
	/// integer arithmetic: every honest aggregator gets the same bytes.
	pub fn aggregate(
		&self,
		aggregator: &Aggregator,
		rule: &AggregationRule,
		gate: Option<&ScoreGate>,
		global: &[i32],
		updates: &[Update],
	) -> Result<Aggregated, ScoreError> {
		let mut weights: Vec<u64> = updates.iter().map(|u| u.weight).collect();
		if let Some(g) = gate {
			weights = capped_weights(&weights, g.max_weight_percent);
		}
		let clipped = clip_norms(updates, gate.map_or(0, |g| g.clip_norm_percent));
		let inputs: Vec<Update> =
			clipped.iter().zip(weights).map(|(values, weight)| Update { values, weight }).collect();
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
		let gate = crate::simulate::RECOMMENDED_GATE;
		let score = |updates: &[&[i32]]| check.score(&global, updates, &[], &scoring, &gate);
		let scores = score(&[&useful, &harmful]).unwrap();
		// Trained on every digit, it points where the references do; the same update reversed
		// and tripled does not (some single class's reference points a little its way, so it
		// lands near neutral rather than near 0).
		assert!(scores[0] > 900_000, "{scores:?}");
		assert!(scores[1] < 600_000, "{scores:?}");
		// Scored side by side, each update gets the score it gets alone.
		let alone: Vec<Score> =
			[&useful, &harmful].iter().flat_map(|u| score(&[u.as_slice()]).unwrap()).collect();
		assert_eq!(scores, alone);
		// Alone, the zero update is neutral; beside a real one it is a free rider. A near-copy
		// of the useful update (a low bit flipped) makes both copies: both score 0.
		assert_eq!(score(&[&useless]).unwrap(), vec![cohort_primitives::round::NEUTRAL_SCORE]);
		let mut copy = useful.clone();
		copy[0] ^= 1;
		assert_eq!(score(&[&harmful, &useless]).unwrap(), vec![alone[1], 0]);
		assert_eq!(score(&[&useful, &harmful, &copy]).unwrap(), vec![0, alone[1], 0]);

		// The useful update and a copy three times as long, weighted 100 and 50: clipped at
		// 150 % of the median norm, then the weighted mean (the weights capped at the median's,
		// the lower one: both 50).
		let long: Vec<i32> = useful.iter().map(|v| 3 * v).collect();
		let updates =
			[Update { values: &useful, weight: 100 }, Update { values: &long, weight: 50 }];
		let Aggregated { model, quality } = check
			.aggregate(
				&Aggregator::cpu(),
				&AggregationRule::WeightedMean,
				Some(&gate),
				&global,
				&updates,
			)
			.unwrap();
		assert_eq!(quality, check.evaluate(&model).unwrap());
		let clipped = clip_norms(&updates, 150);
		assert_eq!(clipped[0], useful);
		assert!(crate::aggregate::norm(&clipped[1]) <= crate::aggregate::norm(&useful) * 3 / 2);
		let inputs = [
			Update { values: &clipped[0], weight: 50 },
			Update { values: &clipped[1], weight: 50 },
		];
		assert_eq!(
			model,
			apply(&global, &aggregate(&AggregationRule::WeightedMean, &inputs).unwrap()).unwrap()
		);
		let before = check.evaluate(&global).unwrap();
		assert!(quality.loss < before.loss, "{before:?} -> {quality:?}");
		assert_eq!(
			check.aggregate(
				&Aggregator::cpu(),
				&AggregationRule::Median,
				Some(&gate),
				&global,
				&[]
			),
			Err(ScoreError::Aggregate(AggregateError::NoUpdates))
		);
	}
}
