//! Trust scores (FLTrust, Cao et al. 2021): how far each update points the way the validation
//! set says the model should go.
//!
//! An aggregator trains a *reference update* from the global model on the task's validation set
//! with the task's own training parameters ([`reference_update`]), and scores each revealed
//! update by its cosine similarity to it, mapped to `0..=MAX_SCORE` ([`trust_scores`]):
//!
//! `score = round((1 + cos(update, reference)) / 2 · MAX_SCORE)`
//!
//! so an update in the reference's direction scores `MAX_SCORE`, one orthogonal to it (random
//! noise, a zero update) `NEUTRAL_SCORE`, and one pointing against it (a sign-flipped or
//! negatively scaled update) less, down to `0`. The cosine ignores the update's length: an
//! update cannot raise its score by being large (the norm bound, `aggregate::clip_norms`,
//! deals with size). `docs/scoring.md` says why this score and not leave-one-out, and its limits.
//!
//! Scores are floats turned into integers once; aggregators with different reference seeds
//! or backends differ in the last digits, which is why the chain takes each update's median
//! over the aggregators and decides on that integer (DESIGN.md decision 10).

use burn::tensor::Device;
use cohort_primitives::{
	round::{MAX_SCORE, NEUTRAL_SCORE},
	Score,
};

use crate::{
	dataset::Dataset,
	model::Architecture,
	train::{train, TrainError, TrainingConfig},
};

/// FLTrust's server update: what `training` (its differential privacy ignored: the validation
/// set is the aggregator's own, and noise would only blur the reference) makes of `global` on
/// the validation set. `training.seed` orders the batches; aggregators use seeds of their own.
pub fn reference_update(
	arch: &Architecture,
	global: &[f32],
	validation: &Dataset,
	training: &TrainingConfig,
	device: &Device,
) -> Result<Vec<f32>, TrainError> {
	let config = TrainingConfig { dp: None, ..training.clone() };
	Ok(train(arch, global, validation, &config, device)?.update)
}

/// Each update's trust score against `reference` (module docs): `round((1 + cos) / 2 ·
/// MAX_SCORE)`, computed in `f64` on the quantized values (the cosine does not depend on the
/// fixed-point scale); `NEUTRAL_SCORE` when either norm is zero or the lengths differ.
pub fn trust_scores(reference: &[f32], updates: &[&[i32]]) -> Vec<Score> {
	let reference_norm = reference.iter().map(|r| (*r as f64).powi(2)).sum::<f64>().sqrt();
	updates
		.iter()
		.map(|update| {
			if update.len() != reference.len() {
				return NEUTRAL_SCORE;
			}
			let (mut dot, mut squares) = (0.0f64, 0.0f64);
			for (u, r) in update.iter().zip(reference) {
				let u = *u as f64;
				dot += u * *r as f64;
				squares += u * u;
			}
			let norms = squares.sqrt() * reference_norm;
			if !(norms > 0.0 && norms.is_finite()) {
				return NEUTRAL_SCORE;
			}
			let cos = (dot / norms).clamp(-1.0, 1.0);
			((1.0 + cos) / 2.0 * MAX_SCORE as f64).round() as Score
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		attack::Attack,
		codec::{dequantize, quantize},
		model::tests::mlp,
		partition::label_skew,
	};
	use cohort_primitives::task::{Optimizer, ScoreGate};

	#[test]
	fn same_direction_scores_max_opposite_zero_orthogonal_neutral() {
		let reference = [1.0f32, 2.0, 0.0, -0.5];
		let same = [2, 4, 0, -1];
		let opposite = [-20, -40, 0, 10];
		let orthogonal = [2, -1, 7, 0];
		let zero = [0, 0, 0, 0];
		let short = [1, 2];
		let scores = trust_scores(&reference, &[&same, &opposite, &orthogonal, &zero, &short]);
		assert_eq!(scores, vec![MAX_SCORE, 0, NEUTRAL_SCORE, NEUTRAL_SCORE, NEUTRAL_SCORE]);
		assert_eq!(trust_scores(&[0.0; 4], &[&same]), vec![NEUTRAL_SCORE]);
		// 60° apart: cos = 1/2, so 3/4 of the maximum; 120°: 1/4.
		let scores = trust_scores(&[1.0, 0.0], &[&[1, 0], &[1000, 1732], &[-1000, 1732]]);
		assert_eq!(scores[0], MAX_SCORE);
		assert!((scores[1] as i64 - 750_000).abs() < 100, "{scores:?}");
		assert!((scores[2] as i64 - 250_000).abs() < 100, "{scores:?}");
		// The score ignores the length.
		assert_eq!(trust_scores(&reference, &[&[2, 4, 0, -1], &[200, 400, 0, -100]])[1], MAX_SCORE);
	}

	/// The gate `docs/scoring.md` recommends, against every simulated attack, on digits split
	/// among 10 owners with 2 labels each: the honest owners' updates pass it, each attack's fails.
	#[test]
	fn honest_label_skewed_updates_pass_the_gate_and_attacks_do_not() {
		let device = Device::flex();
		let (train_set, validation) = Dataset::bundled("digits").unwrap().split(20, 1);
		let arch = Architecture::of(&mlp()).unwrap();
		let scale = 1 << 16;
		let global = quantize(&arch.initial_parameters(3), scale).unwrap();
		let start = dequantize(&global, scale);
		let config = |seed| TrainingConfig {
			epochs: 5,
			batch_size: 32,
			optimizer: Optimizer::Sgd,
			learning_rate: 0.1,
			fedprox_mu: 0.0,
			dp: None,
			seed,
		};
		let parts = label_skew(&train_set.labels, 10, 2, 1).unwrap();
		let gate = crate::simulate::RECOMMENDED_GATE;
		let reference = reference_update(&arch, &start, &validation, &config(99), &device).unwrap();
		let update = |owner: usize, attack: Option<Attack>| {
			let data = train_set.subset(&parts[owner]);
			let data = attack.map_or(data.clone(), |a| a.poison_data(&data));
			let mut update = train(&arch, &start, &data, &config(owner as u64), &device)
				.unwrap()
				.update;
			if let Some(a) = attack {
				a.poison_update(&mut update, owner as u64);
			}
			quantize(&update, scale).unwrap()
		};
		let honest: Vec<Vec<i32>> = (0..3).map(|o| update(o, None)).collect();
		let attacks = [Attack::Scale(-10.0), Attack::Noise(0.5), Attack::LabelFlip];
		let poisoned: Vec<Vec<i32>> =
			attacks.iter().enumerate().map(|(i, a)| update(3 + i, Some(*a))).collect();
		let all: Vec<&[i32]> = honest.iter().chain(&poisoned).map(|u| u.as_slice()).collect();
		let scores = trust_scores(&reference, &all);
		let ScoreGate { min_score, .. } = gate;
		for (o, s) in scores[..3].iter().enumerate() {
			assert!(gate.accepts(*s), "honest owner {o} scored {s} < {min_score}: {scores:?}");
		}
		for (a, s) in attacks.iter().zip(&scores[3..]) {
			assert!(!gate.accepts(*s), "{a} scored {s} ≥ {min_score}: {scores:?}");
		}
		assert!(gate.slashes(scores[3]), "a −10× update is slashed: {scores:?}");
	}
}
