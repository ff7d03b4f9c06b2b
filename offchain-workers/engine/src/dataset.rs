//! Labelled datasets: a data owner's local data in two file formats, and the datasets bundled
//! with `smartcore` for demos and tests. Nothing is downloaded.
//!
//! **CSV** (`.csv`): one sample per line, its features as decimal numbers, then its label (an
//! integer from 0) as the last field; fields separated by commas; blank lines and lines starting
//! with `#` are ignored; no header.
//!
//! **Binary** (`.cohd`), little-endian: the magic `COHD`, a version byte (1), the sample count
//! (`u32`), the feature count (`u32`), the class count (`u16`), then every sample's features as
//! `f32`, row by row, then every label as `u16`. A validation set is named on chain by the
//! BLAKE2-256 of this encoding ([`Dataset::hash`]), and a dataset listed on the data market by
//! the same hash or by the Merkle root of its shards' hashes ([`Dataset::commitment`]).

use cohort_primitives::{
	dataset::{merkle_root, ContentCommitment},
	scaling::{FeatureStats, STATS_UNIT},
};
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sp_core::H256;

/// Samples with `features` values each and a label below `classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
	/// Row-major: sample `i` is `features[i * feature_count..(i + 1) * feature_count]`.
	pub features: Vec<f32>,
	pub labels: Vec<u32>,
	pub feature_count: usize,
	pub class_count: usize,
}

/// Why a dataset could not be read or made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DatasetError {
	#[error("line {line}: {reason}")]
	Csv { line: usize, reason: String },
	#[error("not a Cohort binary dataset (bad magic or version)")]
	BadMagic,
	#[error("the binary dataset is {found} bytes, its header says {expected}")]
	BadLength { expected: usize, found: usize },
	#[error("sample {index} has label {label}, but there are {classes} classes")]
	LabelOutOfRange { index: usize, label: u32, classes: usize },
	#[error("feature {index} is not a finite number")]
	NotFinite { index: usize },
	#[error("a dataset needs at least one feature and one class")]
	Empty,
	#[error("unknown bundled dataset {0:?} (there are: digits, iris, breast_cancer)")]
	UnknownBundled(String),
	#[error("{0}")]
	Io(String),
	#[error("{what} is {value}, more than the binary format holds ({max})")]
	TooLarge { what: &'static str, value: usize, max: usize },
	#[error("the task's feature scaling has {scaling} entries, the dataset {features} features")]
	Scaling { scaling: usize, features: usize },
	#[error("cannot cut {samples} samples into {shards} shards (1 to one per sample)")]
	Shards { shards: usize, samples: usize },
}

const MAGIC: &[u8; 4] = b"COHD";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 4 + 4 + 2;

impl Dataset {
	/// A dataset, checked: every label below `class_count`, every feature finite.
	pub fn new(
		features: Vec<f32>,
		labels: Vec<u32>,
		feature_count: usize,
		class_count: usize,
	) -> Result<Self, DatasetError> {
		if feature_count == 0 || class_count == 0 {
			return Err(DatasetError::Empty);
		}
		let expected = labels.len() * feature_count;
		if features.len() != expected {
			return Err(DatasetError::BadLength { expected, found: features.len() });
		}
		if let Some(index) = features.iter().position(|f| !f.is_finite()) {
			return Err(DatasetError::NotFinite { index });
		}
		if let Some(index) = labels.iter().position(|l| *l as usize >= class_count) {
			return Err(DatasetError::LabelOutOfRange {
				index,
				label: labels[index],
				classes: class_count,
			});
		}
		Ok(Self { features, labels, feature_count, class_count })
	}

	pub fn len(&self) -> usize {
		self.labels.len()
	}

	pub fn is_empty(&self) -> bool {
		self.labels.is_empty()
	}

	/// Sample `i`'s features.
	pub fn sample(&self, i: usize) -> &[f32] {
		&self.features[i * self.feature_count..(i + 1) * self.feature_count]
	}

	/// The samples at `indices`, in that order.
	pub fn subset(&self, indices: &[usize]) -> Self {
		let mut features = Vec::with_capacity(indices.len() * self.feature_count);
		indices.iter().for_each(|i| features.extend_from_slice(self.sample(*i)));
		Self {
			features,
			labels: indices.iter().map(|i| self.labels[*i]).collect(),
			feature_count: self.feature_count,
			class_count: self.class_count,
		}
	}

	/// A seeded shuffle cut in two: `(train, validation)`, the validation part holding
	/// `validation_percent`% of the samples (rounded down).
	pub fn split(&self, validation_percent: u8, seed: u64) -> (Self, Self) {
		let mut order: Vec<usize> = (0..self.len()).collect();
		order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
		let cut = self.len() * validation_percent.min(100) as usize / 100;
		let (validation, train) = order.split_at(cut);
		(self.subset(train), self.subset(validation))
	}

	/// Reads the CSV format (module docs). `class_count` is one more than the largest label.
	pub fn from_csv(text: &str) -> Result<Self, DatasetError> {
		let mut features = Vec::new();
		let mut labels = Vec::new();
		let mut feature_count = None;
		for (number, line) in text.lines().enumerate() {
			let line = line.trim();
			if line.is_empty() || line.starts_with('#') {
				continue;
			}
			let csv = |reason: String| DatasetError::Csv { line: number + 1, reason };
			let fields: Vec<&str> = line.split(',').map(str::trim).collect();
			let (label, values) = fields.split_last().expect("split always yields a field");
			if values.is_empty() {
				return Err(csv("a sample needs at least one feature and a label".into()));
			}
			match feature_count {
				None => feature_count = Some(values.len()),
				Some(n) if n != values.len() => {
					return Err(csv(format!("{} features, earlier lines have {n}", values.len())))
				},
				Some(_) => {},
			}
			for value in values {
				let v: f32 =
					value.parse().map_err(|_| csv(format!("{value:?} is not a number")))?;
				if !v.is_finite() {
					return Err(csv(format!("{value:?} is not a finite number")));
				}
				features.push(v);
			}
			labels.push(
				label.parse::<u32>().map_err(|_| csv(format!("label {label:?} is not a class")))?,
			);
		}
		let classes = labels.iter().max().map_or(0, |m| *m as usize + 1);
		Self::new(features, labels, feature_count.unwrap_or(0), classes)
	}

	/// Writes the CSV format.
	pub fn to_csv(&self) -> String {
		let mut out = String::new();
		for (i, label) in self.labels.iter().enumerate() {
			for f in self.sample(i) {
				out.push_str(&f.to_string());
				out.push(',');
			}
			out.push_str(&label.to_string());
			out.push('\n');
		}
		out
	}

	/// Reads the binary format (module docs).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, DatasetError> {
		if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC || bytes[4] != VERSION {
			return Err(DatasetError::BadMagic);
		}
		let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
		let (samples, feature_count) = (u32_at(5), u32_at(9));
		let classes = u16::from_le_bytes([bytes[13], bytes[14]]) as usize;
		let expected = samples
			.checked_mul(feature_count)
			.and_then(|n| n.checked_mul(4))
			.and_then(|n| n.checked_add(samples * 2 + HEADER_LEN))
			.unwrap_or(usize::MAX);
		if bytes.len() != expected {
			return Err(DatasetError::BadLength { expected, found: bytes.len() });
		}
		let body = &bytes[HEADER_LEN..];
		let (values, labels) = body.split_at(samples * feature_count * 4);
		let features =
			values.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
		let labels =
			labels.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]) as u32).collect();
		Self::new(features, labels, feature_count, classes)
	}

	/// Writes the binary format.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::with_capacity(HEADER_LEN + self.features.len() * 4 + self.len() * 2);
		out.extend_from_slice(MAGIC);
		out.push(VERSION);
		out.extend_from_slice(&(self.len() as u32).to_le_bytes());
		out.extend_from_slice(&(self.feature_count as u32).to_le_bytes());
		out.extend_from_slice(&(self.class_count as u16).to_le_bytes());
		self.features.iter().for_each(|f| out.extend_from_slice(&f.to_le_bytes()));
		self.labels.iter().for_each(|l| out.extend_from_slice(&(*l as u16).to_le_bytes()));
		out
	}

	/// BLAKE2-256 of the binary encoding: how a task names its validation set.
	pub fn hash(&self) -> H256 {
		H256(sp_crypto_hashing::blake2_256(&self.to_bytes()))
	}

	/// Checks that the binary format holds this dataset exactly: the sample and feature counts
	/// fit a `u32`, the class count (and so every label) a `u16`.
	pub fn check_binary(&self) -> Result<(), DatasetError> {
		let limits = [
			("the sample count", self.len(), u32::MAX as usize),
			("the feature count", self.feature_count, u32::MAX as usize),
			("the class count", self.class_count, u16::MAX as usize),
		];
		match limits.into_iter().find(|(_, value, max)| value > max) {
			Some((what, value, max)) => Err(DatasetError::TooLarge { what, value, max }),
			None => Ok(()),
		}
	}

	/// The dataset cut into `n` contiguous shards in sample order, as even as can be: shard `i`
	/// holds samples `i·len/n .. (i+1)·len/n` (rounded down), and every shard keeps the whole
	/// dataset's feature and class counts. `n` must be between 1 and the sample count.
	pub fn shards(&self, n: usize) -> Result<Vec<Self>, DatasetError> {
		if n == 0 || n > self.len() {
			return Err(DatasetError::Shards { shards: n, samples: self.len() });
		}
		let bound = |i: usize| i * self.len() / n;
		Ok((0..n).map(|i| self.subset(&(bound(i)..bound(i + 1)).collect::<Vec<_>>())).collect())
	}

	/// What a data-market listing commits this dataset to: with `shards` `None`, the BLAKE2-256
	/// of its binary form ([`Self::hash`]); with `Some(n)`, the Merkle root
	/// ([`merkle_root`]) of the BLAKE2-256 of each of its `n` [`Self::shards`] in binary form.
	pub fn commitment(&self, shards: Option<u32>) -> Result<ContentCommitment, DatasetError> {
		self.check_binary()?;
		let Some(n) = shards else { return Ok(ContentCommitment::File(self.hash())) };
		let hashes: Vec<H256> = self.shards(n as usize)?.iter().map(Self::hash).collect();
		let root = merkle_root(&hashes).expect("at least one shard");
		Ok(ContentCommitment::Shards { root, shards: n })
	}

	/// Reads a file: `.csv` as CSV, anything else as the binary format.
	pub fn load(path: &std::path::Path) -> Result<Self, DatasetError> {
		let io = |e: std::io::Error| DatasetError::Io(format!("{}: {e}", path.display()));
		if path.extension().is_some_and(|e| e == "csv") {
			Self::from_csv(&std::fs::read_to_string(path).map_err(io)?)
		} else {
			Self::from_bytes(&std::fs::read(path).map_err(io)?)
		}
	}

	/// A dataset bundled with `smartcore`: `digits` (8×8 images, 10 classes, pixels scaled from
	/// 0..16 to 0..1), `iris` (4 features, 3 classes) or `breast_cancer` (30 features, 2 classes,
	/// raw: its features run from 0.001 to 4,254, and a model trained by SGD on them learns
	/// nothing until a task's feature scaling ([`Self::scaled`]) brings them to one range).
	pub fn bundled(name: &str) -> Result<Self, DatasetError> {
		use smartcore::dataset;
		let (features, feature_count, labels, scale) = match name {
			"digits" => {
				let d = dataset::digits::load_dataset();
				let labels = d.target.iter().map(|t| *t as u32).collect();
				(d.data, d.num_features, labels, 1.0 / 16.0)
			},
			"iris" => {
				let d = dataset::iris::load_dataset();
				(d.data, d.num_features, d.target, 1.0)
			},
			"breast_cancer" => {
				let d = dataset::breast_cancer::load_dataset();
				(d.data, d.num_features, d.target, 1.0)
			},
			other => return Err(DatasetError::UnknownBundled(other.into())),
		};
		let classes = labels.iter().max().map_or(0, |m| *m as usize + 1);
		let features = features.iter().map(|x| x * scale).collect();
		Self::new(features, labels, feature_count, classes)
	}

	/// Each feature's mean and standard deviation over the samples, in the chain's integer form
	/// (millionths, rounded to nearest): what a data owner states with its listing.
	pub fn feature_stats(&self) -> Vec<FeatureStats> {
		let n = self.len().max(1) as f64;
		let unit = STATS_UNIT as f64;
		(0..self.feature_count)
			.map(|f| {
				let column = || (0..self.len()).map(|i| self.sample(i)[f] as f64);
				let mean = column().sum::<f64>() / n;
				let deviation = (column().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
				// `as` saturates: a feature beyond ±9.2 × 10¹² states the bound.
				FeatureStats {
					mean: (mean * unit).round() as i64,
					deviation: (deviation * unit).round() as u64,
				}
			})
			.collect()
	}

	/// The dataset in a task's feature scaling: each feature `x` becomes
	/// `(x − mean) / deviation` (a deviation of 0 makes it 0). What every trainer does to its data
	/// and every aggregator to the validation set, so that all see one feature space.
	pub fn scaled(&self, scaling: &[FeatureStats]) -> Result<Self, DatasetError> {
		if scaling.len() != self.feature_count {
			return Err(DatasetError::Scaling {
				scaling: scaling.len(),
				features: self.feature_count,
			});
		}
		let unit = STATS_UNIT as f64;
		let mut data = self.clone();
		for (i, x) in data.features.iter_mut().enumerate() {
			let FeatureStats { mean, deviation } = scaling[i % self.feature_count];
			*x = if deviation == 0 {
				0.0
			} else {
				((*x as f64 - mean as f64 / unit) / (deviation as f64 / unit)) as f32
			};
		}
		Ok(data)
	}

	/// Every feature standardized with the dataset's own statistics ([`Self::feature_stats`]
	/// pooled from this one dataset).
	pub fn standardized(&self) -> Self {
		self.scaled(&self.feature_stats()).expect("a scaling of this dataset's own features")
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn small() -> Dataset {
		Dataset::new(vec![0.5, -1.0, 2.25, 3.0, 0.0, 1e-3], vec![1, 0, 2], 2, 3).unwrap()
	}

	#[test]
	fn csv_and_binary_round_trip() {
		let d = small();
		assert_eq!(Dataset::from_csv(&d.to_csv()).unwrap(), d);
		assert_eq!(Dataset::from_bytes(&d.to_bytes()).unwrap(), d);
		let text = "# pixels then label\n\n1, 2, 0\n3,4,1\n";
		let d = Dataset::from_csv(text).unwrap();
		assert_eq!(
			(d.features, d.labels, d.feature_count, d.class_count),
			(vec![1.0, 2.0, 3.0, 4.0], vec![0, 1], 2, 2)
		);
	}

	#[test]
	fn shards_are_contiguous_even_and_committed_by_their_merkle_root() {
		let d = Dataset::bundled("iris").unwrap();
		let shards = d.shards(4).unwrap();
		assert_eq!(shards.iter().map(Dataset::len).collect::<Vec<_>>(), vec![37, 38, 37, 38]);
		assert!(shards.iter().all(|s| (s.feature_count, s.class_count) == (4, 3)));
		let joined = shards.iter().fold(Vec::new(), |mut v, s| {
			v.extend_from_slice(&s.labels);
			v
		});
		assert_eq!(joined, d.labels, "in order, nothing lost");
		assert_eq!(d.shards(1).unwrap(), vec![d.clone()]);
		assert_eq!(d.shards(0), Err(DatasetError::Shards { shards: 0, samples: 150 }));
		assert_eq!(d.shards(151), Err(DatasetError::Shards { shards: 151, samples: 150 }));

		let file = sp_crypto_hashing::blake2_256(&d.to_bytes());
		assert_eq!(d.commitment(None), Ok(ContentCommitment::File(H256(file))));
		let hashes: Vec<H256> =
			shards.iter().map(|s| H256(sp_crypto_hashing::blake2_256(&s.to_bytes()))).collect();
		assert_eq!(
			d.commitment(Some(4)),
			Ok(ContentCommitment::Shards { root: merkle_root(&hashes).unwrap(), shards: 4 })
		);
		// One shard: the root is that shard's hash, which is the whole file's.
		assert_eq!(
			d.commitment(Some(1)),
			Ok(ContentCommitment::Shards { root: H256(file), shards: 1 })
		);
		assert!(d.commitment(Some(0)).is_err());
		let wide = Dataset::new(vec![0.0; 2], vec![0, 70_000], 1, 70_001).unwrap();
		assert!(matches!(wide.commitment(None), Err(DatasetError::TooLarge { .. })));
	}

	#[test]
	fn csv_rejections_name_the_line() {
		let err = |t: &str| Dataset::from_csv(t).unwrap_err();
		assert!(matches!(err("1,2,0\n1,0\n"), DatasetError::Csv { line: 2, .. }));
		assert!(matches!(err("1,x,0\n"), DatasetError::Csv { line: 1, .. }));
		assert!(matches!(err("1,2,-1\n"), DatasetError::Csv { line: 1, .. }));
		assert!(matches!(err("1,inf,0\n"), DatasetError::Csv { line: 1, .. }));
		assert!(matches!(err("3\n"), DatasetError::Csv { line: 1, .. }));
		assert_eq!(err(""), DatasetError::Empty);
	}

	#[test]
	fn binary_rejections() {
		let bytes = small().to_bytes();
		assert_eq!(Dataset::from_bytes(&bytes[..3]), Err(DatasetError::BadMagic));
		let mut wrong_version = bytes.clone();
		wrong_version[4] = 2;
		assert_eq!(Dataset::from_bytes(&wrong_version), Err(DatasetError::BadMagic));
		assert!(matches!(
			Dataset::from_bytes(&bytes[..bytes.len() - 1]),
			Err(DatasetError::BadLength { .. })
		));
		let mut bad_label = bytes.clone();
		let at = bad_label.len() - 2;
		bad_label[at] = 7;
		assert!(matches!(
			Dataset::from_bytes(&bad_label),
			Err(DatasetError::LabelOutOfRange { index: 2, label: 7, classes: 3 })
		));
		let mut nan = bytes;
		nan[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&f32::NAN.to_le_bytes());
		assert_eq!(Dataset::from_bytes(&nan), Err(DatasetError::NotFinite { index: 0 }));
	}

	#[test]
	fn bundled_digits_is_the_uci_set() {
		let d = Dataset::bundled("digits").unwrap();
		assert_eq!((d.len(), d.feature_count, d.class_count), (1797, 64, 10));
		assert!(d.features.iter().all(|x| (0.0..=1.0).contains(x)));
		assert!(Dataset::bundled("mnist").is_err());
		assert_eq!(Dataset::bundled("iris").unwrap().class_count, 3);
	}

	#[test]
	fn standardized_features_have_mean_zero_and_deviation_one() {
		let d = Dataset::new(vec![1.0, 5.0, 3.0, 5.0, 5.0, 5.0], vec![0, 1, 0], 2, 2).unwrap();
		let s = d.standardized();
		assert_eq!(s.labels, d.labels);
		let column = |f: usize| (0..3).map(|i| s.sample(i)[f] as f64).collect::<Vec<_>>();
		let (mean, sq) = (
			column(0).iter().sum::<f64>() / 3.0,
			column(0).iter().map(|x| x * x).sum::<f64>() / 3.0,
		);
		assert!(mean.abs() < 1e-6 && (sq - 1.0).abs() < 1e-5, "{:?}", column(0));
		assert_eq!(column(1), vec![0.0; 3], "a constant feature becomes 0");
		let cancer = Dataset::bundled("breast_cancer").unwrap();
		let largest = |d: &Dataset| d.features.iter().fold(0.0f32, |m, x| m.max(x.abs()));
		assert!(largest(&cancer) > 4_000.0, "bundled raw: {}", largest(&cancer));
		assert!(largest(&cancer.standardized()) < 15.0, "{}", largest(&cancer.standardized()));
	}

	#[test]
	fn stated_statistics_are_millionths_and_a_task_scaling_applies_them() {
		let d = Dataset::new(vec![1.0, 5.0, 3.0, 5.0, 5.0, 5.0], vec![0, 1, 0], 2, 2).unwrap();
		let stats = d.feature_stats();
		// Feature 0: 1, 3, 5 → mean 3, deviation √(8/3) = 1.632993.
		assert_eq!(stats[0], FeatureStats { mean: 3_000_000, deviation: 1_632_993 });
		assert_eq!(stats[1], FeatureStats { mean: 5_000_000, deviation: 0 });
		// Another dataset scaled with these: the task's one scaling, not its own.
		let other = Dataset::new(vec![3.0, 7.0, 6.0, 5.0], vec![0, 1], 2, 2).unwrap();
		let scaled = other.scaled(&stats).unwrap();
		assert!((scaled.sample(1)[0] - 3.0 / 1.632993).abs() < 1e-5, "{:?}", scaled.sample(1));
		assert_eq!(scaled.sample(0), &[0.0, 0.0], "centred on the task's mean; constant is 0");
		assert_eq!(
			other.scaled(&stats[..1]),
			Err(DatasetError::Scaling { scaling: 1, features: 2 })
		);
	}

	#[test]
	fn split_is_seeded_and_covers_every_sample() {
		let d = Dataset::bundled("iris").unwrap();
		let (train, validation) = d.split(20, 7);
		assert_eq!((train.len(), validation.len()), (120, 30));
		assert_eq!(d.split(20, 7), (train.clone(), validation.clone()));
		assert_ne!(d.split(20, 8).1, validation);
		let mut sums: Vec<f32> =
			[&train, &validation].iter().flat_map(|p| p.features.iter().copied()).collect();
		let mut all = d.features.clone();
		sums.sort_by(f32::total_cmp);
		all.sort_by(f32::total_cmp);
		assert_eq!(sums, all);
		assert_eq!(d.hash(), Dataset::from_bytes(&d.to_bytes()).unwrap().hash());
	}
}
