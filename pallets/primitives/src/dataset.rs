//! A dataset as the data market lists it: what it holds (schema), what it is (a content
//! commitment the owner's file can be checked against), on what terms it may be used (licence,
//! royalty, privacy budget), and what the chain records of its use (lineage).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

use crate::{DatasetId, ModelSpec, RoundIndex, Score, TaskId};

/// A differential-privacy ε in millionths (1_000_000 = ε of 1).
pub type Epsilon = u32;

/// The δ every ε on chain is stated for: (ε, 10⁻⁵)-differential privacy.
pub const PRIVACY_DELTA: f64 = 1e-5;

/// The longest dataset name, in bytes (UTF-8).
pub const MAX_DATASET_NAME: u32 = 64;
/// The longest dataset description, in bytes (UTF-8).
pub const MAX_DATASET_DESCRIPTION: u32 = 512;
/// The most datasets a task's allowlist names.
pub const MAX_DATASET_ALLOWLIST: u32 = 16;

/// A dataset's name.
pub type DatasetName = BoundedVec<u8, ConstU32<MAX_DATASET_NAME>>;
/// A dataset's description.
pub type DatasetDescription = BoundedVec<u8, ConstU32<MAX_DATASET_DESCRIPTION>>;

/// What one sample is.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Modality {
	/// A row of `features` numbers.
	Tabular,
	/// A `side`×`side` image with `channels` channels, flattened channel-last into `features`.
	Image { side: u32, channels: u32 },
}

/// The shape of a dataset: what a model trained on it must take in and put out.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSchema {
	/// Numbers per sample.
	pub features: u32,
	/// Distinct labels (labels are `0..classes`).
	pub classes: u32,
	/// Samples in the dataset: the most an update trained on it may claim.
	pub samples: u32,
	pub modality: Modality,
}

impl DatasetSchema {
	/// Whether the sizes are positive and an image's sizes give its feature count.
	pub fn is_valid(&self) -> bool {
		let image_fits = match self.modality {
			Modality::Tabular => true,
			Modality::Image { side, channels } => side
				.checked_mul(side)
				.and_then(|p| p.checked_mul(channels))
				.is_some_and(|f| f == self.features),
		};
		self.features > 0 && self.classes >= 2 && self.samples > 0 && image_fits
	}

	/// Whether a model of this spec can train on the dataset: same input size and classes, and
	/// a convolutional model needs images of its side and channels.
	pub fn fits(&self, model: &ModelSpec) -> bool {
		match model {
			ModelSpec::Mlp { input, classes, .. } => {
				*input == self.features && *classes == self.classes
			},
			ModelSpec::Cnn { side, channels, classes, .. } => {
				*classes == self.classes
					&& self.modality == Modality::Image { side: *side, channels: *channels }
			},
		}
	}
}

/// What the listing commits the owner's data to. A buyer (or an auditor) checks the file they
/// receive against it; `cohort-node dataset inspect` prints it for a file.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum ContentCommitment {
	/// The BLAKE2-256 of the engine's binary dataset form (`COHD`) of the whole dataset.
	File(H256),
	/// The [`merkle_root`] of the BLAKE2-256 hashes of `shards` shards, each in binary form, so
	/// that a shard can be checked on its own.
	Shards { root: H256, shards: u32 },
}

/// The root of a binary Merkle tree over `leaves` (BLAKE2-256 of the two children's
/// concatenation; an odd node is carried up unchanged). `None` for no leaves.
pub fn merkle_root(leaves: &[H256]) -> Option<H256> {
	let mut level: alloc::vec::Vec<H256> = leaves.to_vec();
	if level.is_empty() {
		return None;
	}
	while level.len() > 1 {
		level = level
			.chunks(2)
			.map(|pair| match pair {
				[a, b] => {
					let mut both = [0u8; 64];
					both[..32].copy_from_slice(a.as_bytes());
					both[32..].copy_from_slice(b.as_bytes());
					BlakeTwo256::hash(&both)
				},
				[a] => *a,
				_ => unreachable!("chunks of two"),
			})
			.collect();
	}
	level.first().copied()
}

/// How a dataset may be used.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Licence<Balance, BlockNumber> {
	/// Only inside federated tasks, by the owner's own worker (or one it authorised): the data
	/// never leaves the owner's machine.
	FederatedOnly,
	/// Also sold: a buyer pays `price` to the owner for a grant of `period` blocks, and the
	/// owner delivers the file off chain, which the buyer checks against the commitment.
	Access { price: Balance, period: BlockNumber },
}

/// Everything an owner states when listing a dataset.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct DatasetListing<Balance, BlockNumber> {
	pub name: DatasetName,
	pub description: DatasetDescription,
	pub schema: DatasetSchema,
	pub content: ContentCommitment,
	pub licence: Licence<Balance, BlockNumber>,
	/// Paid to the owner for each of its updates a round accepts into a model.
	pub royalty: Balance,
	/// The total ε the owner allows its data to spend in differentially private tasks; `None`:
	/// no privacy accounting (the dataset may then also join tasks without DP).
	pub privacy_budget: Option<Epsilon>,
}

/// Where a listing is in its life.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum DatasetStatus {
	/// It may join tasks and be bought.
	Listed,
	/// The owner paused it: no new joins or grants; tasks it is in go on.
	Paused,
	/// The owner delisted it; the record (and its deposit) goes once no task uses it.
	Delisted,
}

/// A dataset as the chain keeps it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct DatasetInfo<AccountId, Balance, BlockNumber> {
	pub owner: AccountId,
	pub listing: DatasetListing<Balance, BlockNumber>,
	pub status: DatasetStatus,
	/// Held from the owner for the storage the listing uses (grows with its delegates).
	pub deposit: Balance,
	/// Workers the owner authorised to train on it.
	pub delegates: u32,
	/// Features whose statistics the owner stated (0: none stated).
	pub stated_features: u32,
	/// Tasks it is in now (joined and not left).
	pub tasks: u32,
	/// The ε spent so far (at most the budget).
	pub privacy_spent: Epsilon,
	/// A moving average of the scores its updates earned (`None`: never scored).
	pub reputation: Option<Score>,
	/// Rounds whose model it entered, and the royalties it earned there.
	pub rounds: u32,
	pub royalties: Balance,
	pub listed: BlockNumber,
}

impl<AccountId, Balance, BlockNumber> DatasetInfo<AccountId, Balance, BlockNumber> {
	/// The ε it may still spend (`None`: unlimited).
	pub fn privacy_left(&self) -> Option<Epsilon> {
		self.listing.privacy_budget.map(|b| b.saturating_sub(self.privacy_spent))
	}
}

/// What a task asks of the datasets its trainers join with.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct DatasetRules<Balance> {
	/// The most the task pays in royalty per accepted update: a dataset priced above it cannot
	/// join. The task's budget holds this much per selected trainer per round on top of the
	/// rewards, so royalties are always covered.
	pub max_royalty: Balance,
	/// A dataset whose reputation is below this cannot join (0: any, including new ones).
	pub min_reputation: Score,
	/// Only these datasets may join (empty: any).
	pub allowlist: BoundedVec<DatasetId, ConstU32<MAX_DATASET_ALLOWLIST>>,
}

/// What the data market fixes when a trainer joins a task with a dataset. The terms hold for
/// the trainer's whole stay in the task, whatever the owner changes later.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct DatasetTerms<AccountId, Balance> {
	/// Who is paid the royalty.
	pub owner: AccountId,
	/// Paid per accepted update.
	pub royalty: Balance,
	/// The most samples an update trained on the dataset may claim.
	pub samples: u32,
}

/// One accepted update of a finalized round and the dataset behind it: a line of lineage.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct DatasetUse<AccountId, Balance> {
	pub dataset: DatasetId,
	pub owner: AccountId,
	pub trainer: AccountId,
	/// The update's score.
	pub score: Score,
	/// The royalty paid to the owner for it.
	pub royalty: Balance,
}

/// Which datasets trained one round of a task's model.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct RoundLineage<AccountId, Balance> {
	pub round: RoundIndex,
	pub datasets: alloc::vec::Vec<DatasetUse<AccountId, Balance>>,
}

/// A dataset's part in one task.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct TaskUse<Balance> {
	/// Still in the task (its trainer has not left).
	pub active: bool,
	/// Rounds whose model it entered.
	pub rounds: u32,
	/// Royalties it earned in the task.
	pub royalties: Balance,
}

/// One task a dataset has trained (or is in).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct DatasetTask<Balance> {
	pub task: TaskId,
	pub usage: TaskUse<Balance>,
}

/// Where every reputation starts, in millionths: what an account or a dataset with no judged
/// work is taken to have earned. Half the best score, so that a first round moves it only an
/// eighth of the way (a party cannot make itself reputable with one round it arranged).
pub const NEUTRAL_REPUTATION: Score = 500_000;

/// Moves a reputation towards a new score: an exponential moving average with weight 1/8 for
/// the new score, starting from [`NEUTRAL_REPUTATION`]. Integer, rounded down. From neutral,
/// scores of 1,000,000 reach 700,000 in 4 rounds, scores of 900,000 in 6, and scores of 700,000
/// never do.
pub fn next_reputation(reputation: Option<Score>, score: Score) -> Score {
	let r = reputation.unwrap_or(NEUTRAL_REPUTATION);
	((r as u64 * 7 + score as u64) / 8) as Score
}

#[cfg(test)]
mod tests {
	use super::*;

	fn mlp(input: u32, classes: u32) -> ModelSpec {
		ModelSpec::Mlp { input, hidden: BoundedVec::truncate_from(alloc::vec![8]), classes }
	}

	#[test]
	fn a_schema_fits_models_of_its_shape_only() {
		let digits =
			DatasetSchema { features: 64, classes: 10, samples: 300, modality: Modality::Tabular };
		assert!(digits.is_valid());
		assert!(digits.fits(&mlp(64, 10)));
		assert!(!digits.fits(&mlp(63, 10)));
		assert!(!digits.fits(&mlp(64, 9)));
		let cnn = ModelSpec::Cnn {
			side: 8,
			channels: 1,
			filters: BoundedVec::truncate_from(alloc::vec![4]),
			kernel: 3,
			classes: 10,
		};
		assert!(!digits.fits(&cnn), "a CNN needs images");
		let images = DatasetSchema { modality: Modality::Image { side: 8, channels: 1 }, ..digits };
		assert!(images.is_valid() && images.fits(&cnn) && images.fits(&mlp(64, 10)));
		assert!(!DatasetSchema { modality: Modality::Image { side: 8, channels: 3 }, ..digits }
			.is_valid());
		assert!(!DatasetSchema { samples: 0, ..digits }.is_valid());
		assert!(!DatasetSchema { classes: 1, ..digits }.is_valid());
	}

	#[test]
	fn merkle_root_pairs_and_carries_odd_nodes() {
		let h = |b: u8| H256([b; 32]);
		assert_eq!(merkle_root(&[]), None);
		assert_eq!(merkle_root(&[h(1)]), Some(h(1)));
		let mut both = [0u8; 64];
		both[..32].copy_from_slice(&[1; 32]);
		both[32..].copy_from_slice(&[2; 32]);
		let pair = BlakeTwo256::hash(&both);
		assert_eq!(merkle_root(&[h(1), h(2)]), Some(pair));
		let mut top = [0u8; 64];
		top[..32].copy_from_slice(pair.as_bytes());
		top[32..].copy_from_slice(&[3; 32]);
		assert_eq!(merkle_root(&[h(1), h(2), h(3)]), Some(BlakeTwo256::hash(&top)));
	}

	#[test]
	fn reputation_is_a_moving_average_from_neutral() {
		assert_eq!(next_reputation(None, 900_000), 550_000);
		assert_eq!(next_reputation(None, 0), 437_500);
		assert_eq!(next_reputation(Some(800_000), 0), 700_000);
		assert_eq!(next_reputation(Some(800_000), 800_000), 800_000);
		// How many rounds of one score it takes from neutral to reach 700,000.
		let rounds_to = |score| {
			let mut r = None;
			for round in 1..=100 {
				r = Some(next_reputation(r, score));
				if r >= Some(700_000) {
					return Some(round);
				}
			}
			None
		};
		assert_eq!(rounds_to(1_000_000), Some(4));
		assert_eq!(rounds_to(900_000), Some(6));
		assert_eq!(rounds_to(700_000), None);
		let mut r = None;
		for _ in 0..100 {
			r = Some(next_reputation(r, 1_000_000));
		}
		assert!(r.unwrap() <= 1_000_000);
	}
}
