//! Simulated data owners for a dev chain: one command shows federated learning working.
//!
//! The bundled digits dataset is cut (seeded) into a validation set (20%) and a training part,
//! which is split among [`OWNERS`] data owners with label skew ([`LABELS_PER_OWNER`] digits
//! each), so that no owner can learn every digit alone. Owner `i` holds dataset `i + 1`. The
//! owners and the aggregators sign with well-known dev keys, endowed in the dev genesis.
//!
//! With `--ml-dev-cheaters`, two more dev keys join: a trainer that copies another's commitment
//! and update, and an aggregator that copies another's result ([`cheaters`]); the chain refuses
//! both, and the demo task is shaped so that the honest ones still finish every round.

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
	AutoJoin, Behaviour,
};

/// Simulated data owners (trainers).
pub const OWNERS: usize = 4;
/// Digits each owner holds.
pub const LABELS_PER_OWNER: usize = 3;
/// Seeds the validation cut and the owners' split.
pub const SPLIT_SEED: u64 = 2026;
/// One COH in the chain's smallest unit (12 decimals).
pub const COH: Balance = 1_000_000_000_000;
/// A dev participant's bond: 100 COH, above what the demo task asks of either role (the
/// chain's minimum grows with the reward a round pays and shrinks with the penalty).
pub const DEV_BOND: Balance = 100 * COH;
/// What the demo task pays per finalized round: 10 COH.
pub const DEMO_REWARD: Balance = 10 * COH;

/// A dev key: its secret URI, what it joins, and how it behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevKey {
	pub uri: &'static str,
	pub auto_join: AutoJoin,
	pub behaviour: Behaviour,
}

/// The honest dev keys: owners on datasets 1..=4, then aggregators.
pub fn participants() -> Vec<DevKey> {
	let owners = ["//Charlie", "//Dave", "//Eve", "//Ferdie"];
	let aggregators = ["//Alice//stash", "//Bob//stash", "//Charlie//stash"];
	let honest = |uri, auto_join| DevKey { uri, auto_join, behaviour: Behaviour::Honest };
	owners
		.iter()
		.enumerate()
		.map(|(i, uri)| {
			honest(*uri, AutoJoin::Trainer { dataset: i as DatasetId + 1, bond: DEV_BOND })
		})
		.chain(aggregators.iter().map(|uri| honest(*uri, AutoJoin::Aggregator { bond: DEV_BOND })))
		.collect()
}

/// The dev cheaters (`--ml-dev-cheaters`): a copying trainer (on dataset 1, which it never
/// reads) and a lazy copying aggregator.
pub fn cheaters() -> Vec<DevKey> {
	vec![
		DevKey {
			uri: "//Dave//stash",
			auto_join: AutoJoin::Trainer { dataset: 1, bond: DEV_BOND },
			behaviour: Behaviour::CopyingTrainer,
		},
		DevKey {
			uri: "//Eve//stash",
			auto_join: AutoJoin::Aggregator { bond: DEV_BOND },
			behaviour: Behaviour::LazyAggregator,
		},
	]
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
///
/// Without cheaters: the four owners in every round, two of the three aggregators, both must
/// agree. With them (`cheaters`): five trainers, of whom four must reveal (the copier never
/// does validly), and four aggregators, of whom three must agree (the lazy one never does):
/// every honest participant still finishes every round.
pub fn demo_task(validation_set: H256, cheaters: bool) -> TaskSpec<Balance, BlockNumber> {
	let (max_trainers, aggregators, quorum) =
		if cheaters { (OWNERS as u32 + 1, 4, 3) } else { (OWNERS as u32, 2, 2) };
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
		max_trainers,
		aggregators,
		quorum,
		phases: PhaseLengths { commit: 20, reveal: 10, aggregate: 20, aggregate_reveal: 10 },
		max_payload_bytes: 64 * 1024,
		reward_per_round: DEMO_REWARD,
		aggregator_share: Perbill::from_percent(20),
		penalty: Perbill::from_percent(10),
		validation_set,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_demo_task_leaves_room_for_the_cheaters_only_when_they_are_on() {
		let honest = demo_task(H256::zero(), false);
		assert_eq!((honest.min_trainers, honest.max_trainers), (4, 4));
		assert_eq!((honest.aggregators, honest.quorum), (2, 2));
		let with = demo_task(H256::zero(), true);
		let honest_aggregators = participants()
			.iter()
			.filter(|k| matches!(k.auto_join, AutoJoin::Aggregator { .. }))
			.count() as u32;
		// Every honest owner and the copier are selected; the honest owners alone suffice.
		assert_eq!(with.max_trainers as usize, OWNERS + 1);
		assert_eq!(with.min_trainers as usize, OWNERS);
		// Every aggregator is selected (3 honest + the lazy one); the honest ones reach quorum.
		assert_eq!(with.aggregators, honest_aggregators + 1);
		assert!(with.quorum <= honest_aggregators && with.quorum * 2 > with.aggregators);
		assert!(cheaters().iter().all(|c| c.behaviour != Behaviour::Honest));
	}
}
