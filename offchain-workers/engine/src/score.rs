//! Trust scores (after FLTrust, Cao et al. 2021): how far each update points where honest
//! training on the validation set would take the model, whatever the update's label mix.
//!
//! For a round an aggregator
//!
//! 1. screens the updates ([`screen`]): near-copies of one another, replays of the last global
//!    change and free riders (slivers of an update) score 0, whatever they point at;
//! 2. trains reference updates from the global model with the task's own training parameters
//!    ([`class_references`], [`reference_update`]): one per class, on the validation samples
//!    of that class — what an honest owner of only that class would send — and one on the whole
//!    set (FLTrust's server update);
//! 3. scores every other update by its cosine to the closest non-negative mix of the
//!    references ([`cone_scores`], by non-negative least squares), mapped to `0..=MAX_SCORE`:
//!    `score = round((1 + cos) / 2 · MAX_SCORE)`.
//!
//! To first order, training on a mix of classes moves a model by the same mix of the moves of
//! training on each class, so an honest owner of any label mix (two digits, one class of a
//! binary task, everything) lies close to the cone the references span and scores near
//! `MAX_SCORE`; an update trained on flipped labels moves its true classes' features towards
//! other classes, which no mix of honest moves does, and scores lower; noise is orthogonal to
//! the cone (`NEUTRAL_SCORE`); an update pointing away from every reference scores its best
//! cosine to one of them, below `NEUTRAL_SCORE`. The cosine ignores the update's length: an
//! update cannot raise its score by being large (the norm bound, `aggregate::clip_norms`, and
//! the weight cap deal with size).
//!
//! Scores are floats turned into integers once; aggregators with different reference seeds or
//! backends differ in the last digits, which is why the chain takes each update's median over
//! the aggregators and judges that integer against its round (`cohort_primitives::judgement`).
//! `docs/scoring.md` has the measurements, the reasons, and the known limits.

use burn::tensor::Device;
use cohort_primitives::{
	round::{MAX_SCORE, NEUTRAL_SCORE},
	task::ScoreGate,
	Score,
};
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::{
	aggregate::norm,
	dataset::Dataset,
	model::Architecture,
	train::{train, TrainError, TrainingConfig},
};

/// FLTrust's server update: what `training` (its differential privacy ignored: the validation
/// set is the aggregator's own, and noise would only blur the reference) makes of `global` on
/// `validation` (the whole set, or a [`matched_sample`] of it). `training.seed` orders the
/// batches; aggregators use seeds of their own.
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

/// `counts[c]` validation samples of each class `c` (repeating a class's samples in a seeded
/// order when it has fewer): the validation set as an owner with that label distribution would
/// hold it. Classes without validation samples are left out; if nothing is left, the whole set.
pub fn matched_sample(validation: &Dataset, counts: &[usize], seed: u64) -> Dataset {
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let mut chosen = Vec::new();
	for (class, count) in counts.iter().enumerate() {
		let mut members: Vec<usize> =
			(0..validation.len()).filter(|i| validation.labels[*i] as usize == class).collect();
		if members.is_empty() || *count == 0 {
			continue;
		}
		members.shuffle(&mut rng);
		chosen.extend((0..*count).map(|j| members[j % members.len()]));
	}
	if chosen.is_empty() {
		return validation.clone();
	}
	validation.subset(&chosen)
}

/// One reference update per class: what an honest owner holding only class `c` would send,
/// trained from `global` with `training` (no differential privacy, the seed mixed with the
/// class) on the validation samples of class `c`, repeated in a seeded order to `samples` of
/// them. `None` for a class without validation samples. The classes are trained side by side.
pub fn class_references(
	arch: &Architecture,
	global: &[f32],
	validation: &Dataset,
	training: &TrainingConfig,
	samples: usize,
	device: &Device,
) -> Result<Vec<Option<Vec<f32>>>, TrainError> {
	(0..validation.class_count)
		.into_par_iter()
		.map(|class| {
			let mut counts = vec![0; validation.class_count];
			counts[class] = samples.max(1);
			if !validation.labels.iter().any(|l| *l as usize == class) {
				return Ok(None);
			}
			let data = matched_sample(validation, &counts, training.seed ^ class as u64);
			let config = TrainingConfig {
				seed: training.seed.wrapping_add(class as u64),
				..training.clone()
			};
			reference_update(arch, global, &data, &config, device).map(Some)
		})
		.collect()
}

/// Each update's score against the references: the cosine between the update and the closest
/// mix of references with non-negative weights (its projection on their cone, by non-negative
/// least squares), mapped to `0..=MAX_SCORE` as `round((1 + cos) / 2 · MAX)`. An honest owner's
/// update, whatever its label mix, is close to such a mix (to first order, training on a mix of
/// classes moves the model by the mix of the per-class moves); an update trained on flipped
/// labels moves the rows of its true classes' features towards other classes, which no mix
/// produces; noise is orthogonal to the cone (`NEUTRAL_SCORE`); an update pointing away from
/// every reference projects to nothing and scores its best cosine to any of them, below
/// `NEUTRAL_SCORE`. (A reversed honest update usually lands a little above `NEUTRAL_SCORE`:
/// some single class's reference points a little its way. Its reverse would fit the cone
/// better, but so does the reverse of an honest owner's update in a binary task, whose two
/// class references point roughly against each other, so the sign cannot be judged that way.)
/// `NEUTRAL_SCORE` for a zero update, no references, or a length that does not match.
pub fn cone_scores(references: &[Vec<f32>], updates: &[&[i32]]) -> Vec<Score> {
	let c = references.len();
	let gram: Vec<f64> = (0..c * c)
		.map(|k| {
			let (i, j) = (k / c, k % c);
			references[i].iter().zip(&references[j]).map(|(a, b)| *a as f64 * *b as f64).sum()
		})
		.collect();
	updates
		.iter()
		.map(|u| {
			if c == 0 || references.iter().any(|r| r.len() != u.len()) {
				return NEUTRAL_SCORE;
			}
			let uu: f64 = u.iter().map(|x| (*x as f64).powi(2)).sum();
			if uu.is_nan() || uu <= 0.0 {
				return NEUTRAL_SCORE;
			}
			let b: Vec<f64> = references
				.iter()
				.map(|r| r.iter().zip(u.iter()).map(|(a, x)| *a as f64 * *x as f64).sum())
				.collect();
			let w = nnls(&gram, &b, c);
			let fit: f64 =
				(0..c).map(|i| (0..c).map(|j| w[i] * gram[i * c + j] * w[j]).sum::<f64>()).sum();
			let cos = if fit > 0.0 {
				b.iter().zip(&w).map(|(b, w)| b * w).sum::<f64>() / (uu.sqrt() * fit.sqrt())
			} else {
				(0..c)
					.filter(|i| gram[i * c + i] > 0.0)
					.map(|i| b[i] / (uu.sqrt() * gram[i * c + i].sqrt()))
					.fold(-1.0, f64::max)
			};
			if !cos.is_finite() {
				return NEUTRAL_SCORE;
			}
			((1.0 + cos.clamp(-1.0, 1.0)) / 2.0 * MAX_SCORE as f64).round() as Score
		})
		.collect()
}

/// `argmin ‖Rw − u‖², w ≥ 0` from the Gram matrix `G = RᵀR` (`c × c`, row-major) and
/// `b = Rᵀu`, by cyclic coordinate descent (the problem is convex; a few hundred sweeps over
/// a handful of classes settle it to far below a score's last digit).
fn nnls(gram: &[f64], b: &[f64], c: usize) -> Vec<f64> {
	let mut w = vec![0.0f64; c];
	for _ in 0..500 {
		let mut moved = 0.0f64;
		for i in 0..c {
			let g = gram[i * c + i];
			if g <= 0.0 {
				continue;
			}
			let residual = b[i] - (0..c).map(|j| gram[i * c + j] * w[j]).sum::<f64>();
			let next = (w[i] + residual / g).max(0.0);
			moved = moved.max((next - w[i]).abs() * g.sqrt());
			w[i] = next;
		}
		if moved == 0.0 {
			break;
		}
	}
	w
}

/// Why an aggregator scores an update 0 before any reference is trained: it is not a
/// contribution of its own, whatever direction it points in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
	/// Its direction is within the gate's `copy_distance_micros` of another update of the round
	/// (this index): one of a group of copies, perhaps with a low bit flipped, a new header or a
	/// new length. Commit-reveal keeps anyone from copying an honest update of the same round,
	/// so such a group is a coalition that trained once and wants to be paid many times: every
	/// member scores 0, the first as well, and the coalition earns nothing.
	Copy(usize),
	/// Its direction is within `copy_distance_micros` of a past update or global change the
	/// aggregator was given (this index in the history): a replay of public work.
	Replay(usize),
	/// It is shorter than the gate's `min_norm_percent` of the round's median update norm: a
	/// free rider sending a sliver of some update.
	FreeRider,
}

/// The distance between two updates' directions, `‖a/‖a‖ − b/‖b‖‖ = √(2 − 2 cos)`, in `0..=2`;
/// `None` when either is zero or their lengths differ. It ignores length, so a copy scaled down
/// is as close as a copy.
pub fn direction_distance(a: &[i32], b: &[i32]) -> Option<f64> {
	let squares = |v: &[i32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
	distance_of(a, squares(a), b, squares(b))
}

/// [`direction_distance`] of `a` and `b` given their squared norms `aa` and `bb`.
fn distance_of(a: &[i32], aa: f64, b: &[i32], bb: f64) -> Option<f64> {
	if a.len() != b.len() {
		return None;
	}
	let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
	let norms = (aa * bb).sqrt();
	(norms > 0.0 && norms.is_finite()).then(|| (2.0 - 2.0 * (dot / norms).clamp(-1.0, 1.0)).sqrt())
}

/// What an aggregator finds among a round's `updates` before scoring them (see [`Finding`]):
/// copies of an earlier update of the round, replays of `history` (the last global change and
/// any past updates it holds), and free riders, against the gate's thresholds. Free riders are
/// measured against the upper median norm of the updates that are neither copies nor replays,
/// so that slivers cannot drag the median down.
pub fn screen(updates: &[&[i32]], history: &[&[i32]], gate: &ScoreGate) -> Vec<Option<Finding>> {
	let limit = gate.copy_distance_micros as f64 / 1e6;
	// Each vector's squared norm once, not once per pair.
	let squares = |v: &&[i32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
	let (own_squares, past_squares): (Vec<f64>, Vec<f64>) =
		(updates.iter().map(squares).collect(), history.iter().map(squares).collect());
	// A threshold of 0 switches the copy check off (identical vectors are at distance 0).
	let close = |a: &[i32], aa: f64, b: &[i32], bb: f64| {
		limit > 0.0 && distance_of(a, aa, b, bb).is_some_and(|d| d <= limit)
	};
	let mut findings: Vec<Option<Finding>> = updates
		.iter()
		.enumerate()
		.map(|(i, u)| {
			let uu = own_squares[i];
			if let Some(j) = (0..i).find(|j| close(u, uu, updates[*j], own_squares[*j])) {
				return Some(Finding::Copy(j));
			}
			(0..history.len())
				.find(|h| close(u, uu, history[*h], past_squares[*h]))
				.map(Finding::Replay)
		})
		.collect();
	// The first of a group is a copy too.
	for i in 0..findings.len() {
		if let Some(Finding::Copy(j)) = findings[i] {
			if findings[j].is_none() {
				findings[j] = Some(Finding::Copy(i));
			}
		}
	}
	let norms: Vec<u64> = updates.iter().map(|u| norm(u)).collect();
	let mut own: Vec<u64> =
		norms.iter().zip(&findings).filter(|(_, f)| f.is_none()).map(|(n, _)| *n).collect();
	own.sort_unstable();
	if let Some(median) = own.get(own.len() / 2).copied() {
		for (finding, n) in findings.iter_mut().zip(&norms) {
			if finding.is_none()
				&& (*n as u128) * 100 < median as u128 * gate.min_norm_percent as u128
			{
				*finding = Some(Finding::FreeRider);
			}
		}
	}
	findings
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
	use cohort_primitives::{judgement::judge, task::Optimizer};

	#[test]
	fn an_update_in_the_cone_scores_max_away_from_it_low_and_noise_neutral() {
		// Two class references in three dimensions, and the whole-set one (their sum).
		let references = vec![vec![1.0f32, 0.0, 0.0], vec![0.0, 1.0, 0.0], vec![1.0, 1.0, 0.0]];
		let mix = [3, 1, 0]; // any non-negative mix is in the cone
		let one_class = [0, 5, 0];
		let orthogonal = [0, 0, 7];
		let against = [-2, -1, 0]; // a reversed mix
		let zero = [0, 0, 0];
		let short = [1, 2];
		let scores =
			cone_scores(&references, &[&mix, &one_class, &orthogonal, &against, &zero, &short]);
		assert_eq!(scores[..3], [MAX_SCORE, MAX_SCORE, NEUTRAL_SCORE]);
		// Away from every reference: its best cosine, that to the second reference, −1/√5.
		let best = (1.0 - 1.0 / 5f64.sqrt()) / 2.0 * MAX_SCORE as f64;
		assert!((scores[3] as f64 - best).abs() < 2.0, "{scores:?}");
		assert_eq!(scores[4..], [NEUTRAL_SCORE, NEUTRAL_SCORE]);
		// Half in the cone, half out: 45°, cos = 1/√2.
		let half = cone_scores(&references, &[&[1, 0, 1]])[0];
		assert!((half as f64 - (1.0 + 0.5f64.sqrt()) / 2.0 * 1e6).abs() < 2.0, "{half}");
		// The score ignores the length; no references: neutral.
		assert_eq!(cone_scores(&references, &[&[300, 100, 0]]), vec![MAX_SCORE]);
		assert_eq!(cone_scores(&[], &[&mix]), vec![NEUTRAL_SCORE]);
	}

	#[test]
	fn matched_samples_hold_the_asked_counts_of_each_class() {
		let data =
			Dataset::new((0..6).map(|x| x as f32).collect(), vec![0, 1, 1, 2, 2, 2], 1, 3).unwrap();
		let matched = matched_sample(&data, &[0, 5, 1], 7);
		let mut labels = matched.labels.clone();
		labels.sort();
		assert_eq!(labels, vec![1, 1, 1, 1, 1, 2]);
		// Cycled in a seeded order: one class-1 sample three times, the other twice.
		assert!(matched.features.contains(&1.0) && matched.features.contains(&2.0));
		assert_eq!(matched, matched_sample(&data, &[0, 5, 1], 7));
		// Nothing asked, or only absent classes: the whole set.
		assert_eq!(matched_sample(&data, &[0, 0, 0], 7), data);
	}

	const GATE: ScoreGate = crate::simulate::RECOMMENDED_GATE;

	/// A few thousand coordinates of seeded noise: an update-like vector.
	fn vector(seed: u64) -> Vec<i32> {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		(0..4_000).map(|_| rand::Rng::random_range(&mut rng, -3_000..3_000)).collect()
	}

	#[test]
	fn near_copies_of_one_update_are_all_found_and_other_updates_are_not() {
		let (a, b) = (vector(1), vector(2));
		// A low bit flipped; the same values under a new header (the screen sees values only);
		// a copy with 0.05 % of noise.
		let mut one_bit = a.clone();
		one_bit[17] ^= 1;
		let reheaded = a.clone();
		let noisy: Vec<i32> = a.iter().zip(vector(3)).map(|(x, n)| x + n / 2_000).collect();
		let found = screen(&[&a, &b, &one_bit, &reheaded, &noisy], &[], &GATE);
		assert_eq!(
			found,
			vec![
				Some(Finding::Copy(2)),
				None,
				Some(Finding::Copy(0)),
				Some(Finding::Copy(0)),
				Some(Finding::Copy(0))
			]
		);
		// Half a copy plus as much again of another direction is no copy (nor are unrelated
		// updates): the distance is about 0.7, far above 1 %.
		let mixed: Vec<i32> = a.iter().zip(&b).map(|(x, y)| x / 2 + y / 2).collect();
		assert_eq!(screen(&[&a, &mixed], &[], &GATE), vec![None, None]);
	}

	#[test]
	fn replays_and_slivers_are_found() {
		let (a, b, c) = (vector(1), vector(2), vector(3));
		// The last global change, replayed under a new header, scaled down.
		let change = vector(9);
		let replay: Vec<i32> = change.iter().map(|x| x / 2).collect();
		// 0.01 × an honest-looking update: a free rider, whatever its direction.
		let sliver: Vec<i32> = b.iter().map(|x| x / 100).collect();
		let found = screen(&[&a, &replay, &sliver, &c, &b], &[&change], &GATE);
		assert_eq!(
			found,
			vec![None, Some(Finding::Replay(0)), Some(Finding::FreeRider), None, None]
		);
		// Slivers cannot drag the median norm down: six of them beside three real updates.
		let mut updates: Vec<&[i32]> = vec![&sliver; 6];
		updates.extend([a.as_slice(), c.as_slice(), change.as_slice()]);
		let found = screen(&updates, &[], &GATE);
		assert!(found[..6]
			.iter()
			.all(|f| *f == Some(Finding::FreeRider) || matches!(f, Some(Finding::Copy(_)))));
		assert_eq!(&found[6..], &[None, None, None]);
		// With the screen off (thresholds 0), nothing is found.
		let off = ScoreGate { copy_distance_micros: 0, min_norm_percent: 0, ..GATE };
		assert_eq!(screen(&[&a, &a.clone(), &sliver], &[], &off), vec![None; 3]);
	}

	/// The gate `docs/scoring.md` recommends, against the attacks a poisoner plays alone and an
	/// update tuned against the references, on digits split as on the dev chain (owners with 3
	/// labels each), in the first round: the honest owners' updates pass it, each attack's
	/// fails, and the −10× and noise updates are penalised (judged against the round, as the
	/// chain judges).
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
		let parts = label_skew(&train_set.labels, 10, 3, 1).unwrap();
		let gate = crate::simulate::RECOMMENDED_GATE;
		let check =
			crate::evaluate::Validation { arch: &arch, scale, data: &validation, device: &device };
		let update = |owner: usize, attack: Option<Attack>| {
			let data = train_set.subset(&parts[owner]);
			let data = attack.map_or(data.clone(), |a| a.poison_data(&data));
			let mut update =
				train(&arch, &start, &data, &config(owner as u64), &device).unwrap().update;
			if let Some(a) = attack {
				a.poison_update(&mut update, owner as u64);
			}
			quantize(&update, scale).unwrap()
		};
		let honest: Vec<Vec<i32>> = (0..7).map(|o| update(o, None)).collect();
		let attacks = [Attack::Scale(-10.0), Attack::Noise(0.5), Attack::LabelFlip];
		let mut poisoned: Vec<Vec<i32>> =
			attacks.iter().enumerate().map(|(i, a)| update(7 + i, Some(*a))).collect();
		// Tuned against the references: FLTrust's server update on the validation set (which
		// the attacker holds), plus 1.2 times its length in an orthogonal direction; its cosine
		// to that reference is 0.64, which a fixed gate at cosine 0.6 (800_000) let through.
		let server = reference_update(&arch, &start, &validation, &config(5), &device).unwrap();
		let tuned = crate::attack::with_orthogonal(&server, 1.2, 5);
		poisoned.push(quantize(&tuned, scale).unwrap());
		let all: Vec<&[i32]> = honest.iter().chain(&poisoned).map(|u| u.as_slice()).collect();
		let scores = check.score(&global, &all, &[], &config(99), &gate).unwrap();
		eprintln!("scores (7 honest, −10×, noise, label flip, tuned): {scores:?}");
		let verdicts = judge(&scores, &gate);
		for (o, v) in verdicts[..7].iter().enumerate() {
			assert!(v.accepted && !v.slashed, "honest owner {o}: {v:?}, {scores:?}");
		}
		for (a, v) in
			attacks.iter().map(ToString::to_string).chain(["tuned".into()]).zip(&verdicts[7..])
		{
			assert!(!v.accepted, "{a} accepted: {scores:?}");
		}
		assert!(verdicts[7].slashed && verdicts[8].slashed, "{scores:?}");
		assert!(scores[10] >= 800_000, "the tuned update passes a fixed cosine gate: {scores:?}");
	}
}
