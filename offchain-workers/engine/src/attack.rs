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
}

impl Attack {
	/// The data the poisoner trains on: `LabelFlip` flips every label; the other attacks train
	/// honestly (a clone).
	pub fn poison_data(&self, data: &Dataset) -> Dataset {
		let mut poisoned = data.clone();
		if let Attack::LabelFlip = self {
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
			Attack::LabelFlip => {},
		}
	}
}

/// `scale:-10`, `noise:0.5`, `label-flip`: the form [`Attack`]'s `FromStr` reads.
impl fmt::Display for Attack {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Attack::Scale(factor) => write!(f, "scale:{factor}"),
			Attack::Noise(deviation) => write!(f, "noise:{deviation}"),
			Attack::LabelFlip => write!(f, "label-flip"),
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
			Some(("scale", v)) => Ok(Attack::Scale(number(v)?)),
			Some(("noise", v)) => match number(v)? {
				d if d >= 0.0 => Ok(Attack::Noise(d)),
				d => Err(format!("a standard deviation is at least 0, not {d}")),
			},
			_ => Err(format!(
				"unknown attack {s:?} (there are: scale:<factor>, noise:<deviation>, label-flip)"
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
		] {
			assert_eq!(text.parse::<Attack>(), Ok(attack));
			assert_eq!(attack.to_string(), text);
		}
		for bad in ["", "scale", "scale:x", "scale:inf", "noise:-1", "flip", "label-flip:1"] {
			assert!(bad.parse::<Attack>().is_err(), "{bad:?}");
		}
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
