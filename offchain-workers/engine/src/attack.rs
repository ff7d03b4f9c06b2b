//! Simulated poisoners: the model-poisoning attacks a score gate must stop, for the simulator
//! (`simulate`) and the dev chain's malicious owners. Each is what a data owner could do with
//! its own worker; none needs anything the chain would notice before the scores.

use std::{fmt, str::FromStr};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::dataset::Dataset;

/// How a poisoner spoils its update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attack {
	/// Sends `factor` × its honest update (`-10`: a boosted sign flip, which drags a plain mean
	/// away from where every honest update points).
	Scale(f32),
	/// Sends Gaussian noise of this standard deviation per coordinate instead of an update.
	Noise(f32),
	/// Trains on its data with every label `y` replaced by `classes − 1 − y`.
	LabelFlip,
	/// A coalition that trains once: the first `copy` poisoner trains honestly, every later one
	/// sends that update with one low bit flipped (a near-copy: new bytes, new hash).
	Copy,
	/// Trains on flipped labels (as `LabelFlip`) and claims this many samples, to weigh more
	/// in the weighted mean.
	Inflate(u32),
	/// Sends the last round's change of the global model (public, in the blocks) instead of
	/// training; in the first round, nothing (zeros).
	Replay,
	/// Holds the validation set: trains FLTrust's reference on it from the global model and
	/// adds a random direction orthogonal to it, this many times the reference's length (room
	/// for anything, a backdoor say, that a cosine to the reference would let through).
	Tuned(f32),
	/// Takes no part at all (the simulator's run "with the attackers left out").
	Absent,
}

impl Attack {
	/// The data the poisoner trains on: `LabelFlip` and `Inflate` flip every label; the other
	/// attacks train honestly (a clone).
	pub fn poison_data(&self, data: &Dataset) -> Dataset {
		let mut poisoned = data.clone();
		if let Attack::LabelFlip | Attack::Inflate(_) = self {
			let last = data.class_count as u32 - 1;
			poisoned.labels.iter_mut().for_each(|y| *y = last - *y);
		}
		poisoned
	}

	/// Spoils a trained update in place: `Scale` multiplies it, `Noise` replaces it with noise
	/// drawn with `seed`; `LabelFlip` leaves it (its harm is in the data).
	pub fn poison_update(&self, update: &mut [f32], seed: u64) {
		match *self {
			Attack::Scale(factor) => update.iter_mut().for_each(|u| *u *= factor),
			Attack::Noise(deviation) => {
				let mut rng = ChaCha8Rng::seed_from_u64(seed);
				// A negative or non-finite deviation is refused by `FromStr`; here it sends zeros.
				match Normal::new(0.0, deviation as f64) {
					Ok(normal) => {
						update.iter_mut().for_each(|u| *u = normal.sample(&mut rng) as f32)
					},
					Err(_) => update.iter_mut().for_each(|u| *u = 0.0),
				}
			},
			// The others' harm is in their data, or needs the round (the simulator makes them).
			Attack::LabelFlip
			| Attack::Copy
			| Attack::Inflate(_)
			| Attack::Replay
			| Attack::Tuned(_)
			| Attack::Absent => {},
		}
	}

	/// Whether a poisoner can play it alone, from its own data and update (a dev chain's
	/// poisoner can); the others need the round's other updates, the validation set or the
	/// simulator's bookkeeping, and exist in the simulator only.
	pub fn plays_alone(&self) -> bool {
		matches!(self, Attack::Scale(_) | Attack::Noise(_) | Attack::LabelFlip)
	}

	/// The samples the poisoner claims, given those it holds.
	pub fn claimed_samples(&self, held: usize) -> u64 {
		match *self {
			Attack::Inflate(samples) => samples as u64,
			_ => held as u64,
		}
	}
}

/// `u` plus a random direction orthogonal to it, `factor` times its length (seeded).
pub fn with_orthogonal(u: &[f32], factor: f32, seed: u64) -> Vec<f32> {
	let mut v = vec![0.0f32; u.len()];
	Attack::Noise(1.0).poison_update(&mut v, seed);
	let uu: f64 = u.iter().map(|x| (*x as f64).powi(2)).sum();
	if uu > 0.0 {
		let along: f64 = u.iter().zip(&v).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>() / uu;
		v.iter_mut().zip(u).for_each(|(b, a)| *b -= (along * *a as f64) as f32);
	}
	let vv: f64 = v.iter().map(|x| (*x as f64).powi(2)).sum();
	let stretch = if vv > 0.0 { factor as f64 * (uu / vv).sqrt() } else { 0.0 };
	u.iter().zip(&v).map(|(a, b)| a + (stretch * *b as f64) as f32).collect()
}

/// `scale:-10`, `noise:0.5`, `label-flip`: the form [`Attack`]'s `FromStr` reads.
impl fmt::Display for Attack {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Attack::Scale(factor) => write!(f, "scale:{factor}"),
			Attack::Noise(deviation) => write!(f, "noise:{deviation}"),
			Attack::LabelFlip => write!(f, "label-flip"),
			Attack::Copy => write!(f, "copy"),
			Attack::Inflate(samples) => write!(f, "inflate:{samples}"),
			Attack::Replay => write!(f, "replay"),
			Attack::Tuned(factor) => write!(f, "tuned:{factor}"),
			Attack::Absent => write!(f, "absent"),
		}
	}
}

impl FromStr for Attack {
	type Err = String;

	/// Reads `scale:<factor>`, `noise:<standard deviation ≥ 0>` or `label-flip`.
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let number = |v: &str| {
			v.parse::<f32>()
				.ok()
				.filter(|x| x.is_finite())
				.ok_or_else(|| format!("{v:?} is not a finite number"))
		};
		match s.split_once(':') {
			None if s == "label-flip" => Ok(Attack::LabelFlip),
			None if s == "copy" => Ok(Attack::Copy),
			None if s == "replay" => Ok(Attack::Replay),
			None if s == "absent" => Ok(Attack::Absent),
			Some(("inflate", v)) => v
				.parse::<u32>()
				.ok()
				.filter(|n| *n > 0)
				.map(Attack::Inflate)
				.ok_or_else(|| format!("{v:?} is not a positive sample count")),
			Some(("tuned", v)) => match number(v)? {
				f if f >= 0.0 => Ok(Attack::Tuned(f)),
				f => Err(format!("an orthogonal share is at least 0, not {f}")),
			},
			Some(("scale", v)) => Ok(Attack::Scale(number(v)?)),
			Some(("noise", v)) => match number(v)? {
				d if d >= 0.0 => Ok(Attack::Noise(d)),
				d => Err(format!("a standard deviation is at least 0, not {d}")),
			},
			_ => Err(format!(
				"unknown attack {s:?} (there are: scale:<factor>, noise:<deviation>, label-flip, \
				 copy, inflate:<samples>, replay, tuned:<orthogonal share>, absent)"
			)),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn attacks_read_and_print_the_same_form() {
		for (text, attack) in [
			("scale:-10", Attack::Scale(-10.0)),
			("scale:2.5", Attack::Scale(2.5)),
			("noise:0.5", Attack::Noise(0.5)),
			("label-flip", Attack::LabelFlip),
			("copy", Attack::Copy),
			("inflate:10000", Attack::Inflate(10_000)),
			("replay", Attack::Replay),
			("tuned:1.2", Attack::Tuned(1.2)),
			("absent", Attack::Absent),
		] {
			assert_eq!(text.parse::<Attack>(), Ok(attack));
			assert_eq!(attack.to_string(), text);
		}
		for bad in [
			"",
			"scale",
			"scale:x",
			"scale:inf",
			"noise:-1",
			"flip",
			"label-flip:1",
			"inflate:0",
			"inflate:-3",
			"tuned:-1",
			"copy:2",
		] {
			assert!(bad.parse::<Attack>().is_err(), "{bad:?}");
		}
	}

	#[test]
	fn the_orthogonal_part_is_orthogonal_and_as_long_as_asked() {
		let u = vec![1.0f32, 2.0, -0.5, 0.0, 3.0, 1.5];
		let t = with_orthogonal(&u, 1.2, 9);
		let v: Vec<f64> = t.iter().zip(&u).map(|(t, u)| (*t - *u) as f64).collect();
		let dot: f64 = v.iter().zip(&u).map(|(v, u)| v * *u as f64).sum();
		let (vv, uu) = (
			v.iter().map(|x| x * x).sum::<f64>(),
			u.iter().map(|x| (*x as f64).powi(2)).sum::<f64>(),
		);
		assert!(dot.abs() < 1e-4, "{dot}");
		assert!((vv.sqrt() / uu.sqrt() - 1.2).abs() < 1e-4);
		assert_eq!(Attack::Inflate(10_000).claimed_samples(300), 10_000);
		assert_eq!(Attack::Copy.claimed_samples(300), 300);
	}

	#[test]
	fn poisons_do_what_they_say() {
		let data = Dataset::new(vec![0.0, 1.0, 2.0], vec![0, 1, 2], 1, 3).unwrap();
		assert_eq!(Attack::LabelFlip.poison_data(&data).labels, vec![2, 1, 0]);
		assert_eq!(Attack::LabelFlip.poison_data(&data).features, data.features);
		assert_eq!(Attack::Scale(-10.0).poison_data(&data), data);

		let mut update = vec![1.0f32, -0.5];
		Attack::Scale(-10.0).poison_update(&mut update, 0);
		assert_eq!(update, vec![-10.0, 5.0]);
		Attack::LabelFlip.poison_update(&mut update, 0);
		assert_eq!(update, vec![-10.0, 5.0]);

		let noise = |seed| {
			let mut u = vec![1.0f32; 10_000];
			Attack::Noise(0.5).poison_update(&mut u, seed);
			u
		};
		let u = noise(1);
		assert_eq!(u, noise(1));
		assert_ne!(u, noise(2));
		let mean = u.iter().map(|x| *x as f64).sum::<f64>() / u.len() as f64;
		let sd =
			(u.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / u.len() as f64).sqrt();
		assert!(mean.abs() < 0.02 && (sd - 0.5).abs() < 0.02, "mean {mean}, sd {sd}");
	}
}
