//! `cohort-node dataset inspect`: what a data owner lists is what is really on its disk.
//!
//! It reads a dataset file with the engine's loader (`.csv`, or Cohort's binary form `COHD`;
//! `cohort_ml::dataset`), derives its schema (features, classes, samples, tabular or image) and
//! its content commitment (`cohort_ml::dataset::Dataset::commitment`: the BLAKE2-256 of the
//! binary form the worker keeps in its data directory, or with `--shards N` the Merkle root of
//! the hashes of `N` contiguous shards, each in binary form), prints them, and can write the
//! argument of the data market's `list_dataset` call as JSON, in the shape `@polkadot/api`
//! takes for `api.tx.dataMarket.listDataset(listing)` and `cohort-worker dataset list` reads
//! back (`cohort_worker::listing_json` has the shape).

use std::path::{Path, PathBuf};

use cohort_ml::dataset::Dataset;
use cohort_primitives::{
	dataset::{
		ContentCommitment, DatasetDescription, DatasetName, Licence, Modality,
		MAX_DATASET_DESCRIPTION, MAX_DATASET_NAME,
	},
	scaling::MAX_SCALED_FEATURES,
	DatasetListing, DatasetSchema, Epsilon,
};
use cohort_runtime::{Balance, BlockNumber};
use sp_core::H256;

pub use cohort_worker::listing_json::{to_json, Listing};

/// `dataset`: a data owner's tools.
#[derive(Debug, clap::Subcommand)]
pub enum DatasetCmd {
	/// Reads a dataset file (`.csv`, or Cohort's binary form), prints its schema and content
	/// commitment, and can write the data market's `list_dataset` argument for it as JSON.
	Inspect(InspectCmd),
}

impl DatasetCmd {
	pub fn run(&self) -> Result<(), String> {
		match self {
			Self::Inspect(cmd) => cmd.run(),
		}
	}
}

/// An image's shape, `SIDExSIDExCHANNELS` on the command line (square images only, as the
/// chain's `Modality::Image` has one side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
	pub side: u32,
	pub channels: u32,
}

impl std::str::FromStr for ImageShape {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		let bad = || format!("{s:?}: expected SIDExSIDExCHANNELS, e.g. 8x8x1 or 28x28x3");
		let parts: Vec<u32> = s
			.split('x')
			.map(|p| p.trim().parse::<u32>())
			.collect::<Result<_, _>>()
			.map_err(|_| bad())?;
		match parts[..] {
			[a, b, channels] if a == b && a > 0 && channels > 0 => Ok(Self { side: a, channels }),
			[a, b, _] if a != b => Err(format!("{s:?}: images are square ({a} ≠ {b})")),
			_ => Err(bad()),
		}
	}
}

/// `dataset inspect`.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectCmd {
	/// The dataset: `.csv` (features, then an integer label, per line) or any other name for
	/// Cohort's binary form.
	#[arg(value_name = "FILE")]
	pub file: PathBuf,

	/// Commit to the dataset cut into this many contiguous shards (the Merkle root of their
	/// hashes), so that each shard can be checked on its own.
	#[arg(long, value_name = "N")]
	pub shards: Option<u32>,

	/// The listing's name (at most 64 bytes). Default: the file's name without its extension.
	#[arg(long, value_name = "S")]
	pub name: Option<String>,

	/// The listing's description (at most 512 bytes).
	#[arg(long, value_name = "S", default_value = "")]
	pub description: String,

	/// The royalty per accepted update, in the smallest unit (10⁻¹² COH).
	#[arg(long, value_name = "PLANCK", default_value_t = 0)]
	pub royalty: Balance,

	/// Also sell access: the price of a grant, in the smallest unit. Without it the licence is
	/// `FederatedOnly`.
	#[arg(long, value_name = "PLANCK", requires = "access_period")]
	pub access_price: Option<Balance>,

	/// How many blocks an access grant lasts.
	#[arg(long, value_name = "BLOCKS", requires = "access_price")]
	pub access_period: Option<BlockNumber>,

	/// The total ε the data may spend in differentially private tasks, in millionths
	/// (1000000 = ε of 1). Without it: no privacy accounting.
	#[arg(long, value_name = "EPS_MICROS")]
	pub privacy_budget: Option<Epsilon>,

	/// The samples are square images, flattened channel-last: `SIDExSIDExCHANNELS` (e.g.
	/// `8x8x1`); the feature count must be side·side·channels. Default: tabular.
	#[arg(long, value_name = "SIDExSIDExCHANNELS")]
	pub image: Option<ImageShape>,

	/// The number of classes the data is labelled from (`0..N`), when the file does not show it:
	/// a CSV shard holding only some of a task's labels reads as fewer classes than the task's
	/// model has. The commitment is then to the binary form with `N` classes (write it with
	/// `--binary-out`, and give the worker that file).
	#[arg(long, value_name = "N")]
	pub classes: Option<u32>,

	/// Write the binary form the commitment is to here: the file the owner's worker trains on
	/// (`<data dir>/datasets/<dataset id>.cohd`).
	#[arg(long, value_name = "FILE.cohd")]
	pub binary_out: Option<PathBuf>,

	/// Write the `list_dataset` call's argument here as JSON (for `@polkadot/api`).
	#[arg(long, value_name = "FILE.json")]
	pub args_out: Option<PathBuf>,

	/// Write the dataset's per-feature statistics here as JSON: the `stats` argument of
	/// `dataMarket.stateFeatureStats` (each feature's mean and standard deviation, in
	/// millionths), what task owners pool into a task's feature scaling.
	#[arg(long, value_name = "FILE.json")]
	pub stats_out: Option<PathBuf>,
}

/// What a file holds, as a listing states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
	pub data: Dataset,
	pub schema: DatasetSchema,
	pub content: ContentCommitment,
	/// Each shard's sample count and hash (with `--shards`).
	pub shards: Vec<(usize, H256)>,
}

impl InspectCmd {
	pub fn run(&self) -> Result<(), String> {
		let inspected = inspect_as(&self.file, self.shards, self.image, self.classes)?;
		print!("{}", summary(&self.file, &inspected));
		if let Some(out) = &self.binary_out {
			std::fs::write(out, inspected.data.to_bytes())
				.map_err(|e| format!("{}: {e}", out.display()))?;
		}
		if !inspected.schema.is_valid() {
			println!(
				"note: the chain refuses this schema (it needs a feature, two classes and a sample)"
			);
		}
		if let Some(out) = &self.args_out {
			let listing = self.listing(&inspected)?;
			let text = serde_json::to_string_pretty(&to_json(&listing))
				.map_err(|e| format!("cannot write JSON: {e}"))?;
			std::fs::write(out, text + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
			println!("list_dataset argument: {}", out.display());
		}
		if let Some(out) = &self.stats_out {
			let stats = inspected.data.feature_stats();
			if stats.len() > MAX_SCALED_FEATURES as usize {
				return Err(format!(
					"{} features: the chain keeps the statistics of at most {MAX_SCALED_FEATURES}",
					stats.len()
				));
			}
			let text =
				serde_json::to_string(&stats).map_err(|e| format!("cannot write JSON: {e}"))?;
			std::fs::write(out, text + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
			println!("state_feature_stats argument: {}", out.display());
		}
		Ok(())
	}

	/// The listing the options state for `inspected`; refused if the chain would refuse it
	/// for its sizes (name, description, schema).
	pub fn listing(&self, inspected: &Inspected) -> Result<Listing, String> {
		if !inspected.schema.is_valid() {
			return Err(format!(
				"the chain refuses the schema {:?}: it needs a feature, two classes and a sample",
				inspected.schema
			));
		}
		let name = match &self.name {
			Some(name) => name.clone(),
			None => {
				self.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
			},
		};
		let name = DatasetName::try_from(name.into_bytes())
			.map_err(|b| format!("the name is {} bytes, at most {MAX_DATASET_NAME}", b.len()))?;
		let description = DatasetDescription::try_from(self.description.clone().into_bytes())
			.map_err(|b| {
				format!("the description is {} bytes, at most {MAX_DATASET_DESCRIPTION}", b.len())
			})?;
		let licence = match (self.access_price, self.access_period) {
			(Some(price), Some(period)) => Licence::Access { price, period },
			(None, None) => Licence::FederatedOnly,
			_ => return Err("--access-price and --access-period go together".into()),
		};
		Ok(DatasetListing {
			name,
			description,
			schema: inspected.schema,
			content: inspected.content,
			licence,
			royalty: self.royalty,
			privacy_budget: self.privacy_budget,
		})
	}
}

/// Reads `path` with the engine's loader and derives its schema and commitment (module docs).
pub fn inspect(
	path: &Path,
	shards: Option<u32>,
	image: Option<ImageShape>,
) -> Result<Inspected, String> {
	inspect_as(path, shards, image, None)
}

/// [`inspect`], with the data labelled from `classes` classes when given (at least one more
/// than the largest label).
pub fn inspect_as(
	path: &Path,
	shards: Option<u32>,
	image: Option<ImageShape>,
	classes: Option<u32>,
) -> Result<Inspected, String> {
	let mut data = Dataset::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
	if let Some(classes) = classes {
		data = Dataset::new(data.features, data.labels, data.feature_count, classes as usize)
			.map_err(|e| format!("--classes {classes}: {e}"))?;
	}
	let schema = schema(&data, image)?;
	let content = data.commitment(shards).map_err(|e| format!("{}: {e}", path.display()))?;
	let shards = match shards {
		Some(n) => data
			.shards(n as usize)
			.map_err(|e| e.to_string())?
			.iter()
			.map(|s| (s.len(), s.hash()))
			.collect(),
		None => Vec::new(),
	};
	Ok(Inspected { data, schema, content, shards })
}

/// The schema of `data`: its feature count, class count (one more than the largest label for
/// CSV, the header's for the binary form) and sample count; an image if `image` says so and
/// its sizes give the feature count.
pub fn schema(data: &Dataset, image: Option<ImageShape>) -> Result<DatasetSchema, String> {
	let count = |what: &str, n: usize| {
		u32::try_from(n).map_err(|_| format!("{n} {what} do not fit a listing"))
	};
	let features = count("features", data.feature_count)?;
	let modality = match image {
		None => Modality::Tabular,
		Some(ImageShape { side, channels }) => {
			let pixels = (side as u64) * (side as u64) * (channels as u64);
			if pixels != features as u64 {
				return Err(format!(
					"--image {side}x{side}x{channels} is {pixels} features, but the samples have {features}"
				));
			}
			Modality::Image { side, channels }
		},
	};
	Ok(DatasetSchema {
		features,
		classes: count("classes", data.class_count)?,
		samples: count("samples", data.len())?,
		modality,
	})
}

/// What `inspect` prints.
pub fn summary(path: &Path, inspected: &Inspected) -> String {
	let s = &inspected.schema;
	let modality = match s.modality {
		Modality::Tabular => "tabular".to_string(),
		Modality::Image { side, channels } => format!("image {side}×{side}×{channels}"),
	};
	let mut out = format!(
		"file:       {}\nsamples:    {}\nfeatures:   {}\nclasses:    {}\nmodality:   {modality}\n",
		path.display(),
		s.samples,
		s.features,
		s.classes,
	);
	match inspected.content {
		ContentCommitment::File(hash) => {
			out += &format!("commitment: {hash:?} (BLAKE2-256 of the binary form)\n")
		},
		ContentCommitment::Shards { root, shards } => {
			out += &format!("commitment: {root:?} (Merkle root of {shards} shards)\n");
			for (i, (samples, hash)) in inspected.shards.iter().enumerate() {
				out += &format!("  shard {i}: {samples} samples, {hash:?}\n");
			}
		},
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;
	use cohort_primitives::dataset::merkle_root;
	use serde_json::{json, Value};

	/// The node's command line, with `dataset` the subcommand.
	#[derive(Debug, clap::Parser)]
	struct Cli {
		#[command(subcommand)]
		dataset: DatasetCmd,
	}

	fn parse(args: &[&str]) -> Result<InspectCmd, clap::Error> {
		let all = ["cohort-node", "inspect"].iter().chain(args).copied();
		Cli::try_parse_from(all).map(|cli| match cli.dataset {
			DatasetCmd::Inspect(cmd) => cmd,
		})
	}

	/// Six samples of four features (a 2×2 image), labels 0..3.
	const CSV: &str = "# a small dataset\n\
		0.5,1,0,0.25,0\n\
		1,0,0,1,1\n\
		0,0.75,1,0,2\n\
		1,1,1,1,0\n\n\
		0,0,0,0,1\n\
		0.125,0.5,0.5,0.125,2\n";

	fn csv_file(dir: &Path) -> PathBuf {
		let path = dir.join("small.csv");
		std::fs::write(&path, CSV).unwrap();
		path
	}

	fn blake2(bytes: &[u8]) -> H256 {
		<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(bytes)
	}

	#[test]
	fn the_commitment_is_the_hash_of_what_the_worker_writes() {
		let dir = tempfile::tempdir().unwrap();
		let path = csv_file(dir.path());
		let inspected = inspect(&path, None, None).unwrap();
		let data = Dataset::from_csv(CSV).unwrap();
		// The worker keeps a trainer's dataset as `to_bytes` (`DataDir::write_dataset`).
		let mut worker_dir = cohort_worker::data::DataDir::open(dir.path()).unwrap();
		worker_dir.write_dataset(7, &data).unwrap();
		let written = std::fs::read(dir.path().join("datasets/7.cohd")).unwrap();
		assert_eq!(inspected.content, ContentCommitment::File(blake2(&written)));
		assert_eq!(
			inspected.schema,
			DatasetSchema { features: 4, classes: 3, samples: 6, modality: Modality::Tabular }
		);
		// The binary file the worker wrote inspects to the same commitment.
		let again = inspect(&dir.path().join("datasets/7.cohd"), None, None).unwrap();
		assert_eq!(again.content, inspected.content);
		let text = summary(&path, &inspected);
		assert!(text.contains(&format!("{:?}", blake2(&written))), "{text}");
		assert!(text.contains("samples:    6") && text.contains("classes:    3"), "{text}");
	}

	#[test]
	fn the_shards_root_is_the_merkle_root_of_the_shard_hashes() {
		let dir = tempfile::tempdir().unwrap();
		let path = csv_file(dir.path());
		let data = Dataset::from_csv(CSV).unwrap();
		for n in 1..=6u32 {
			let inspected = inspect(&path, Some(n), None).unwrap();
			// Contiguous and even: shard i holds samples i·6/n .. (i+1)·6/n.
			let hashes: Vec<H256> = (0..n as usize)
				.map(|i| {
					let range: Vec<usize> =
						(i * 6 / n as usize..(i + 1) * 6 / n as usize).collect();
					blake2(&data.subset(&range).to_bytes())
				})
				.collect();
			let root = merkle_root(&hashes).unwrap();
			assert_eq!(inspected.content, ContentCommitment::Shards { root, shards: n });
			assert_eq!(inspected.shards.iter().map(|(_, h)| *h).collect::<Vec<_>>(), hashes);
			assert_eq!(inspected.shards.iter().map(|(s, _)| s).sum::<usize>(), 6);
		}
		assert!(inspect(&path, Some(0), None).is_err());
		assert!(inspect(&path, Some(7), None).is_err(), "more shards than samples");
	}

	/// The listing back from its JSON, as `cohort-worker dataset list` reads it, with exactly
	/// the keys `@polkadot/api` expects.
	fn from_json(v: &Value) -> Listing {
		let keys = |v: &Value| {
			let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
			k.sort();
			k
		};
		assert_eq!(
			keys(v),
			["content", "description", "licence", "name", "privacyBudget", "royalty", "schema"]
		);
		assert_eq!(keys(&v["schema"]), ["classes", "features", "modality", "samples"]);
		cohort_worker::listing_json::from_json(v).unwrap()
	}

	#[test]
	fn the_stats_argument_is_each_features_mean_and_deviation_in_millionths() {
		let dir = tempfile::tempdir().unwrap();
		let path = csv_file(dir.path());
		let out = dir.path().join("stats.json");
		let cmd = parse(&[path.to_str().unwrap(), "--stats-out", out.to_str().unwrap()]).unwrap();
		cmd.run().unwrap();
		let stated: Vec<cohort_primitives::scaling::FeatureStats> =
			serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
		let data = inspect(&path, None, None).unwrap().data;
		assert_eq!(stated, data.feature_stats());
		assert_eq!(stated.len(), data.feature_count);
		let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
		assert!(v[0]["mean"].is_i64() && v[0]["deviation"].is_u64(), "{v}");
	}

	#[test]
	fn the_json_argument_round_trips_with_camel_case_keys() {
		let dir = tempfile::tempdir().unwrap();
		let path = csv_file(dir.path());
		let out = dir.path().join("listing.json");
		let path_s = path.to_str().unwrap();
		let out_s = out.to_str().unwrap();

		// Defaults: the file's name, federated only, no budget, one file.
		let cmd = parse(&[path_s, "--args-out", out_s]).unwrap();
		cmd.run().unwrap();
		let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
		let listing = cmd.listing(&inspect(&path, None, None).unwrap()).unwrap();
		assert_eq!(from_json(&v), listing);
		assert_eq!(v["name"], "small");
		assert_eq!(v["licence"], "FederatedOnly");
		assert_eq!(v["schema"]["modality"], "Tabular");
		assert_eq!(v["royalty"], "0");
		assert!(v["privacyBudget"].is_null());
		assert!(v["content"]["File"].as_str().unwrap().starts_with("0x"));

		// Everything stated; a balance past 2⁵³ stays exact as a string.
		let cmd = parse(&[
			path_s,
			"--shards",
			"4",
			"--name",
			"owner one's pixels",
			"--description",
			"0xnot hex",
			"--royalty",
			"12345678901234567890",
			"--access-price",
			"1000000000000",
			"--access-period",
			"600",
			"--privacy-budget",
			"8000000",
			"--image",
			"2x2x1",
			"--args-out",
			out_s,
		])
		.unwrap();
		cmd.run().unwrap();
		let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
		let inspected = inspect(&path, Some(4), cmd.image).unwrap();
		let listing = cmd.listing(&inspected).unwrap();
		assert_eq!(from_json(&v), listing);
		assert_eq!(v["name"], "owner one's pixels");
		assert_eq!(v["description"], "0x3078_6e6f_7420_6865_78".replace('_', ""));
		assert_eq!(v["royalty"], "12345678901234567890");
		assert_eq!(v["licence"]["Access"]["price"], "1000000000000");
		assert_eq!(v["licence"]["Access"]["period"], 600);
		assert_eq!(v["privacyBudget"], 8_000_000);
		assert_eq!(v["schema"]["modality"]["Image"], json!({ "side": 2, "channels": 1 }));
		assert_eq!(v["content"]["Shards"]["shards"], 4);

		// A price needs a period, a name fits its bound.
		assert!(parse(&[path_s, "--access-price", "1"]).is_err());
		let long = "n".repeat(MAX_DATASET_NAME as usize + 1);
		let cmd = parse(&[path_s, "--name", &long, "--args-out", out_s]).unwrap();
		assert!(cmd.run().unwrap_err().contains("at most 64"));
	}

	#[test]
	fn the_node_takes_the_subcommand() {
		use clap::CommandFactory;
		Cli::command().debug_assert();
		let cli = crate::cli::Cli::try_parse_from([
			"cohort-node",
			"dataset",
			"inspect",
			"owner.csv",
			"--shards",
			"2",
		])
		.unwrap();
		let Some(crate::cli::Subcommand::Dataset(DatasetCmd::Inspect(cmd))) = cli.subcommand else {
			panic!("{:?}", cli.subcommand)
		};
		assert_eq!((cmd.file, cmd.shards), (PathBuf::from("owner.csv"), Some(2)));
	}

	#[test]
	fn a_wrong_image_shape_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let path = csv_file(dir.path());
		let path_s = path.to_str().unwrap();
		// 4 features: 2×2×1 fits; 2×2×3, 3×3×1 do not; 2×1×2 is not square; 2x2 lacks channels.
		assert!(inspect(&path, None, Some("2x2x1".parse().unwrap())).is_ok());
		for wrong in ["2x2x3", "3x3x1"] {
			let err = inspect(&path, None, Some(wrong.parse().unwrap())).unwrap_err();
			assert!(err.contains("but the samples have 4"), "{err}");
			let cmd = parse(&[path_s, "--image", wrong]).unwrap();
			assert!(cmd.run().is_err());
		}
		for malformed in ["2x1x2", "2x2", "0x0x1", "2x2x0", "axbxc", "2x2x1x1"] {
			assert!(parse(&[path_s, "--image", malformed]).is_err(), "{malformed}");
		}
		// A single class: the chain refuses the schema, so no listing is written.
		let one = dir.path().join("one.csv");
		std::fs::write(&one, "1,2,0\n3,4,0\n").unwrap();
		let out = dir.path().join("one.json");
		let cmd = parse(&[one.to_str().unwrap(), "--args-out", out.to_str().unwrap()]).unwrap();
		assert!(cmd.run().unwrap_err().contains("two classes"));
		assert!(!out.exists());
	}

	#[test]
	fn classes_label_a_shard_with_the_tasks_classes_and_the_binary_out_is_what_is_committed() {
		let dir = tempfile::tempdir().unwrap();
		let csv = dir.path().join("shard.csv");
		std::fs::write(&csv, "1,2,0\n3,4,1\n5,6,2\n").unwrap();
		let plain = inspect(&csv, None, None).unwrap();
		assert_eq!(plain.schema.classes, 3, "a CSV shows the labels it has");
		let ten = inspect_as(&csv, None, None, Some(10)).unwrap();
		assert_eq!(ten.schema.classes, 10);
		assert_ne!(ten.content, plain.content, "the class count is part of the binary form");
		assert!(inspect_as(&csv, None, None, Some(2)).is_err(), "label 2 needs 3 classes");

		let binary = dir.path().join("7.cohd");
		let cmd = parse(&[
			csv.to_str().unwrap(),
			"--classes",
			"10",
			"--binary-out",
			binary.to_str().unwrap(),
		])
		.unwrap();
		cmd.run().unwrap();
		let written = inspect(&binary, None, None).unwrap();
		assert_eq!(written.content, ten.content, "the worker's file is the committed one");
		assert_eq!(written.schema, ten.schema);
	}
}
