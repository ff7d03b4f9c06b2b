//! Simulated data owners for a dev chain: one command shows federated learning working.
//!
//! The bundled digits dataset is cut (seeded) into a validation set (20%) and a training part,
//! which is split among [`OWNERS`] data owners with label skew ([`LABELS_PER_OWNER`] digits
//! each), so that no owner can learn every digit alone. Owner `i` holds dataset `i + 1`. The
//! owners and the aggregators sign with well-known dev keys, endowed in the dev genesis, which
//! also lists every dev dataset in the data market with the content commitment of the file
//! [`prepare`] writes (a node test checks that the two agree).
//!
//! With `--ml-dev-cheaters`, two more dev keys join: a trainer that copies another's commitment
//! and update, and an aggregator that copies another's scores and result ([`cheaters`]); the
//! chain refuses both, and the demo task is shaped so that the honest ones still finish every
//! round.
//!
//! With `--ml-dev-poisoners <attack>,…`, one more data owner joins per attack ([`poisoners`]),
//! on a label-skewed shard of its own: it trains, commits and reveals like an honest owner, but
//! what it reveals is poisoned (scaled, noised, or trained on flipped labels). The aggregators'
//! scores must keep it out of the model, and the chain slashes it.
//!
//! Three dev keys are compute providers ([`PROVIDERS`]): the worker registers an offer for each
//! ([`provider_terms`]), then sends their heartbeats and answers (and verifies) their challenges.

use cohort_ml::{attack::Attack, dataset::Dataset, partition::label_skew};
use cohort_primitives::{
	compute::OfferTerms,
	dataset::DatasetRules,
	task::{InitialModel, Optimizer, PhaseLengths, TrainingParams},
	AggregationRule, DatasetId, ModelSpec, ScoreGate, TaskSpec,
};
use sp_core::H256;
use sp_runtime::Perbill;

use crate::chain::{Balance, BlockNumber, Terms};

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
/// Seeds the poisoners' split of the same training part (another label-skewed cut, so that each
/// poisoner holds data like an honest owner's, and the honest owners' data is the same with or
/// without poisoners).
pub const POISONER_SPLIT_SEED: u64 = SPLIT_SEED + 1;
/// The dev keys of the poisoners, in the order of `--ml-dev-poisoners`: sp-keyring's numeric
/// accounts (`Sr25519Keyring::numeric(1)`, …), since every well-known dev account already has
/// a part. The dev genesis must endow them.
pub const POISONER_URIS: [&str; 4] = ["//1", "//2", "//3", "//4"];
/// One COH in the chain's smallest unit (12 decimals).
pub const COH: Balance = 1_000_000_000_000;
/// A dev participant's bond: 100 COH, above what the demo task asks of either role (the
/// chain's minimum grows with the reward a round pays and shrinks with the penalty).
pub const DEV_BOND: Balance = 100 * COH;
/// What the demo task pays per finalized round: 10 COH.
pub const DEMO_REWARD: Balance = 10 * COH;
/// The most royalty the demo task pays per accepted update: half a COH, what the dev chain's
/// datasets ask.
pub const DEMO_MAX_ROYALTY: Balance = COH / 2;

/// A dev key: its secret URI, what it joins, and how it behaves.
#[derive(Debug, Clone, PartialEq)]
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

/// The dev compute providers: the aggregators `//Alice//stash` and `//Bob//stash`, and
/// `//Ferdie//stash` (the demo task's owner), which does nothing else. Three registered workers,
/// so that a challenge of any one has the two others to verify it: the runtime's quorum is two,
/// and the chain challenges nobody while fewer than three are registered. The dev genesis
/// endows them; registering bonds [`DEV_OFFER_BOND`] of compute-provider stake from the free
/// balance.
pub const PROVIDERS: [&str; 3] = ["//Alice//stash", "//Bob//stash", "//Ferdie//stash"];

/// A dev provider's price per slot per block: a thousandth of a COH (10⁹ plancks). A provider
/// with a running lease sends a heartbeat every ten blocks (half the runtime's two-minute
/// interval), about 0.005 COH of fees each, so a slot at this price pays about twice its
/// heartbeats; a day of one slot (14 400 blocks) costs 14.4 COH, the ten-block minimum 0.01 COH.
pub const DEV_OFFER_PRICE: Balance = COH / 1_000;
/// A dev provider's bond: 10 COH, the runtime's least (`MinBond`).
pub const DEV_OFFER_BOND: Balance = 10 * COH;
/// The longest dev lease: a day of 6-second blocks.
pub const DEV_OFFER_MAX_BLOCKS: BlockNumber = 14_400;

/// What each dev provider offers: two slots at [`DEV_OFFER_PRICE`], leases of 10 blocks (a
/// minute) to [`DEV_OFFER_MAX_BLOCKS`], bonding [`DEV_OFFER_BOND`].
pub fn provider_terms() -> Terms {
	OfferTerms {
		slots: 2,
		price: DEV_OFFER_PRICE,
		min_blocks: 10,
		max_blocks: DEV_OFFER_MAX_BLOCKS,
		bond: DEV_OFFER_BOND,
	}
}

/// The dataset the copier joins with: a copy of owner 1's file, listed at genesis by the copier
/// as its own (the chain cannot tell; the copier never trains on it). It cannot join with owner
/// 1's listing: the data market refuses.
pub const COPIER_DATASET: DatasetId = 9;

/// The dev cheaters (`--ml-dev-cheaters`): a copying trainer (on [`COPIER_DATASET`], which it
/// never reads), a lazy copying aggregator, and a colluding aggregator that reveals 0 for every
/// update (`//Colluder`, endowed and staked by the dev genesis).
pub fn cheaters() -> Vec<DevKey> {
	vec![
		DevKey {
			uri: "//Dave//stash",
			auto_join: AutoJoin::Trainer { dataset: COPIER_DATASET, bond: DEV_BOND },
			behaviour: Behaviour::CopyingTrainer,
		},
		DevKey {
			uri: "//Eve//stash",
			auto_join: AutoJoin::Aggregator { bond: DEV_BOND },
			behaviour: Behaviour::LazyAggregator,
		},
		DevKey {
			uri: "//Colluder",
			auto_join: AutoJoin::Aggregator { bond: DEV_BOND },
			behaviour: Behaviour::ColludingAggregator,
		},
	]
}

/// The dev poisoners (`--ml-dev-poisoners`): one data owner per attack, on datasets
/// `OWNERS + 1`, `OWNERS + 2`, …, signing with [`POISONER_URIS`]. At most that many.
pub fn poisoners(attacks: &[Attack]) -> Result<Vec<DevKey>, String> {
	if let Some(attack) = attacks.iter().find(|a| !a.plays_alone()) {
		return Err(format!(
			"a dev poisoner cannot play {attack}: it plays scale, noise and label-flip (the other \
			 attacks need the round around them, and exist in the simulator)"
		));
	}
	if attacks.len() > POISONER_URIS.len() {
		return Err(format!(
			"{} poisoners asked for, the dev chain has keys for {}",
			attacks.len(),
			POISONER_URIS.len()
		));
	}
	Ok(attacks
		.iter()
		.zip(POISONER_URIS)
		.enumerate()
		.map(|(i, (attack, uri))| DevKey {
			uri,
			auto_join: AutoJoin::Trainer { dataset: poisoner_dataset(i), bond: DEV_BOND },
			behaviour: Behaviour::Poisoner(*attack),
		})
		.collect())
}

/// The dataset of the `i`-th poisoner (from 0).
pub fn poisoner_dataset(i: usize) -> DatasetId {
	(OWNERS + 1 + i) as DatasetId
}

/// The dev validation set: 20% of digits.
pub fn validation_set() -> Dataset {
	Dataset::bundled("digits").expect("digits is bundled").split(20, SPLIT_SEED).1
}

/// Every dev dataset by id: the owners' shards (1..=4), then one per poisoner key (5..=8), then
/// the copier's copy of owner 1's ([`COPIER_DATASET`]).
pub fn datasets() -> Vec<(DatasetId, Dataset)> {
	let (train, _) = Dataset::bundled("digits").expect("digits is bundled").split(20, SPLIT_SEED);
	let owners = label_skew(&train.labels, OWNERS, LABELS_PER_OWNER, SPLIT_SEED)
		.expect("owners and labels are positive");
	// Cut like the owners' (another seed): a poisoner's shard looks like an honest owner's.
	let poisoners = label_skew(&train.labels, OWNERS, LABELS_PER_OWNER, POISONER_SPLIT_SEED)
		.expect("owners and labels are positive");
	let poisoners = (0..POISONER_URIS.len()).map(|i| (poisoner_dataset(i), &poisoners[i % OWNERS]));
	let copier = core::iter::once((COPIER_DATASET, &owners[0]));
	let owners = owners.iter().enumerate().map(|(i, part)| (i as DatasetId + 1, part));
	owners.chain(poisoners).chain(copier).map(|(id, part)| (id, train.subset(part))).collect()
}

/// Writes the owners' datasets, the copier's, `poisoners` poisoners' datasets and the
/// validation set into `data`; returns the validation set's hash (what a task names in
/// `validation_set`).
pub fn prepare(data: &mut DataDir, poisoners: usize) -> Result<H256, DataError> {
	let poisoner_ids: Vec<_> = (0..poisoners).map(poisoner_dataset).collect();
	for (id, shard) in datasets() {
		if id <= OWNERS as DatasetId || id == COPIER_DATASET || poisoner_ids.contains(&id) {
			data.write_dataset(id, &shard)?;
		}
	}
	data.write_validation(&validation_set())
}

/// The dev key that owns the demo task (`--ml-demo-task`).
pub const DEMO_OWNER: &str = "//Ferdie//stash";

/// The demo task's score gate: the one `docs/scoring.md` recommends, measured with the
/// simulator. An update enters the model if it points at least a little the way the
/// aggregators' reference update does (cosine ≥ 0.1), its trainer is slashed if it points away
/// (cosine < −0.1), and accepted updates are clipped to 1.5 × their median norm.
pub const DEMO_GATE: ScoreGate = cohort_ml::simulate::RECOMMENDED_GATE;
/// The most samples an update of the demo task may claim: above every digits shard.
pub const DEMO_MAX_SAMPLES: u32 = 2_000;

/// The demo task: an MLP (64 → 32 → 10) on the simulated owners' digits, ten rounds, FedAvg
/// weighted by samples behind [`DEMO_GATE`].
///
/// Every trainer is selected in every round: the four owners, the copier (`cheaters`) and the
/// `poisoners`; the four honest owners suffice. Without cheaters, all three aggregators are
/// selected and two must agree: a public task (a committee of at least three), whose work earns
/// emission. With them: all five, of whom three must agree (the lazy
/// one never does validly; the colluder's scores stray, its aggregate may agree). Every honest
/// participant finishes every round.
pub fn demo_task(
	validation_set: H256,
	cheaters: bool,
	poisoners: usize,
) -> TaskSpec<Balance, BlockNumber> {
	let max_trainers = OWNERS as u32 + cheaters as u32 + poisoners as u32;
	let (aggregators, quorum) = if cheaters { (5, 3) } else { (3, 2) };
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
		gate: DEMO_GATE,
		max_samples: DEMO_MAX_SAMPLES,
		rounds: 10,
		min_trainers: OWNERS as u32,
		max_trainers,
		aggregators,
		quorum,
		// Each phase closes early once everyone has acted; these bound a stalled one.
		phases: PhaseLengths {
			commit: 20,
			reveal: 10,
			score: 20,
			score_reveal: 10,
			aggregate: 20,
			aggregate_reveal: 10,
		},
		max_payload_bytes: 64 * 1024,
		reward_per_round: DEMO_REWARD,
		aggregator_share: Perbill::from_percent(20),
		penalty: Perbill::from_percent(10),
		validation_set,
		datasets: DatasetRules {
			max_royalty: DEMO_MAX_ROYALTY,
			min_reputation: 0,
			allowlist: Default::default(),
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_demo_task_leaves_room_for_the_cheaters_only_when_they_are_on() {
		let honest = demo_task(H256::zero(), false, 0);
		assert_eq!((honest.min_trainers, honest.max_trainers), (4, 4));
		assert_eq!((honest.aggregators, honest.quorum), (3, 2));
		assert!(honest.gate.is_valid());
		let with = demo_task(H256::zero(), true, 0);
		let honest_aggregators = participants()
			.iter()
			.filter(|k| matches!(k.auto_join, AutoJoin::Aggregator { .. }))
			.count() as u32;
		// Every honest owner and the copier are selected; the honest owners alone suffice.
		assert_eq!(with.max_trainers as usize, OWNERS + 1);
		assert_eq!(with.min_trainers as usize, OWNERS);
		// Every aggregator is selected (3 honest, the lazy one and the colluder); the honest
		// ones reach quorum.
		assert_eq!(with.aggregators, honest_aggregators + 2);
		assert!(with.quorum <= honest_aggregators && with.quorum * 2 > with.aggregators);
		assert!(cheaters().iter().all(|c| c.behaviour != Behaviour::Honest));
	}

	#[test]
	fn the_providers_are_three_distinct_keys_two_of_them_aggregators() {
		let mut uris = PROVIDERS.to_vec();
		uris.sort_unstable();
		uris.dedup();
		assert_eq!(uris.len(), 3, "a challenge of one needs two others to verify it");
		let aggregators: Vec<_> = participants()
			.into_iter()
			.filter(|k| matches!(k.auto_join, AutoJoin::Aggregator { .. }))
			.map(|k| k.uri)
			.collect();
		assert_eq!(PROVIDERS.iter().filter(|uri| aggregators.contains(uri)).count(), 2);
		assert!(PROVIDERS.contains(&DEMO_OWNER));
		let terms = provider_terms();
		assert!(terms.slots > 0 && terms.min_blocks > 0 && terms.min_blocks <= terms.max_blocks);
		assert!(terms.bond <= DEV_BOND, "a provider's bond is no more than a participant's");
	}

	#[test]
	fn every_poisoner_is_selected_on_a_shard_of_its_own_and_the_honest_owners_suffice() {
		let attacks: Vec<Attack> =
			["scale:-10", "label-flip"].iter().map(|a| a.parse().unwrap()).collect();
		let keys = poisoners(&attacks).unwrap();
		assert_eq!(keys.len(), 2);
		assert_eq!(keys[1].behaviour, Behaviour::Poisoner(attacks[1]));
		let datasets: Vec<_> = participants()
			.iter()
			.chain(&keys)
			.filter_map(|k| match k.auto_join {
				AutoJoin::Trainer { dataset, .. } => Some(dataset),
				_ => None,
			})
			.collect();
		assert_eq!(datasets, vec![1, 2, 3, 4, 5, 6], "one dataset each");
		let uris: Vec<_> = participants().iter().chain(&cheaters()).map(|k| k.uri).collect();
		assert!(keys.iter().all(|k| !uris.contains(&k.uri) && k.uri != DEMO_OWNER));

		let spec = demo_task(H256::zero(), true, 2);
		assert_eq!(spec.max_trainers as usize, OWNERS + 1 + 2, "everyone is selected");
		assert_eq!(spec.min_trainers as usize, OWNERS, "the honest owners alone suffice");
		assert!(spec.max_samples >= 1_000 && spec.gate.is_valid());
		assert!(poisoners(&vec![attacks[0]; POISONER_URIS.len() + 1]).is_err());
		// The simulator's attacks that need the round around them are refused, not played as
		// something else.
		for attack in [Attack::Copy, Attack::Replay, Attack::Tuned(1.2), Attack::Inflate(9)] {
			assert!(poisoners(&[attack]).unwrap_err().contains("cannot play"), "{attack}");
		}

		// The poisoners' shards are written, label-skewed, and the honest owners' data does
		// not change with them.
		let dir = tempfile::tempdir().unwrap();
		let mut data = DataDir::open(dir.path()).unwrap();
		let validation = prepare(&mut data, 0).unwrap();
		let honest = data.dataset(1).unwrap().clone();
		assert!(data.dataset(poisoner_dataset(0)).is_err());
		assert_eq!(prepare(&mut data, 2).unwrap(), validation);
		assert_eq!(*data.dataset(1).unwrap(), honest);
		for i in 0..2 {
			let shard = data.dataset(poisoner_dataset(i)).unwrap();
			let mut labels = shard.labels.clone();
			labels.sort_unstable();
			labels.dedup();
			assert!(!shard.is_empty() && labels.len() == LABELS_PER_OWNER, "{labels:?}");
		}
	}
}
