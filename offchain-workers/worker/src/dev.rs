//! Simulated data owners for a dev chain: one command shows federated learning working.
//!
//! The bundled digits dataset is cut (seeded) into a validation set (20%) and a training part,
//! which is split among [`OWNERS`] data owners with label skew ([`LABELS_PER_OWNER`] digits
//! each), so that no owner can learn every digit alone. Owner `i` holds dataset `i + 1`. The
//! owners and the aggregators sign with well-known dev keys, endowed in the dev genesis.

use cohort_ml::{dataset::Dataset, partition::label_skew};
use cohort_primitives::{
	task::{InitialModel, Optimizer, PhaseLengths, TrainingParams},
	AggregationRule, DatasetId, ModelSpec, TaskSpec,
};
use sp_core::H256;
use sp_runtime::Perbill;

use crate::chain::{Balance, BlockNumber};

use crate::{
	data::{DataDir, DataError},
	AutoJoin,
};

/// Simulated data owners (trainers).
pub const OWNERS: usize = 4;
/// Digits each owner holds.
pub const LABELS_PER_OWNER: usize = 3;
/// Seeds the validation cut and the owners' split.
pub const SPLIT_SEED: u64 = 2026;
/// A dev participant's bond, in the chain's smallest unit (10 COH at 12 decimals).
pub const DEV_BOND: u128 = 10_000_000_000_000;

/// The dev keys' secret URIs and what each does: owners on datasets 1..=4, then aggregators.
pub fn participants() -> Vec<(&'static str, AutoJoin)> {
	let owners = ["//Charlie", "//Dave", "//Eve", "//Ferdie"];
	let aggregators = ["//Alice//stash", "//Bob//stash", "//Charlie//stash"];
	owners
		.iter()
		.enumerate()
		.map(|(i, uri)| (*uri, AutoJoin::Trainer { dataset: i as DatasetId + 1, bond: DEV_BOND }))
		.chain(aggregators.iter().map(|uri| (*uri, AutoJoin::Aggregator { bond: DEV_BOND })))
		.collect()
}

/// The dev validation set: 20% of digits.
pub fn validation_set() -> Dataset {
	Dataset::bundled("digits").expect("digits is bundled").split(20, SPLIT_SEED).1
}

/// Writes the owners' datasets and the validation set into `data`; returns the validation
/// set's hash (what a task names in `validation_set`).
pub fn prepare(data: &mut DataDir) -> Result<H256, DataError> {
	let (train, validation) =
		Dataset::bundled("digits").expect("digits is bundled").split(20, SPLIT_SEED);
	let parts = label_skew(&train.labels, OWNERS, LABELS_PER_OWNER, SPLIT_SEED)
		.expect("owners and labels are positive");
	for (i, part) in parts.iter().enumerate() {
		data.write_dataset(i as DatasetId + 1, &train.subset(part))?;
	}
	data.write_validation(&validation)
}

/// The dev key that owns the demo task (`--ml-demo-task`).
pub const DEMO_OWNER: &str = "//Ferdie//stash";

/// The demo task: an MLP (64 → 32 → 10) on the simulated owners' digits, ten rounds.
pub fn demo_task(validation_set: H256) -> TaskSpec<Balance, BlockNumber> {
	TaskSpec {
		model: ModelSpec::Mlp {
			input: 64,
			hidden: vec![32].try_into().expect("one layer fits"),
			classes: 10,
		},
		initial_model: InitialModel::Seed(7),
		training: TrainingParams {
			epochs: 5,
			batch_size: 16,
			optimizer: Optimizer::Sgd,
			learning_rate_micros: 100_000,
			fedprox_mu_micros: None,
			dp: None,
		},
		scale: 1 << 16,
		aggregation: AggregationRule::WeightedMean,
		rounds: 10,
		min_trainers: OWNERS as u32,
		max_trainers: OWNERS as u32,
		aggregators: 2,
		quorum: 2,
		phases: PhaseLengths { commit: 20, reveal: 10, aggregate: 20 },
		max_payload_bytes: 64 * 1024,
		reward_per_round: 10 * DEV_BOND,
		aggregator_share: Perbill::from_percent(20),
		penalty: Perbill::from_percent(10),
		validation_set,
	}
}
