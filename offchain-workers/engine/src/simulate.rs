//! Federated learning without a chain, with the worker's own code (as Flower's simulation
//! engine runs its strategies): simulated data owners train, poisoners poison, simulated
//! aggregators score, the score gate decides with the chain's own integer arithmetic
//! (`cohort_primitives::payout`), and the accepted updates are aggregated as on chain.
//!
//! Each round:
//!
//! 1. every owner trains from the global model on its part of the data (each with a seed of its
//!    own per round) and quantizes its update with the task's scale; a poisoner spoils its data
//!    or its update ([`Attack`]);
//! 2. each of `aggregators` aggregators scores every update against a reference trained on the
//!    validation set with a seed of its own ([`Validation::score`]); each update's score is the
//!    lower median over the aggregators ([`payout::update_scores`], as the chain takes it);
//! 3. the gate accepts updates scoring at least `min_score` and marks for a penalty those below
//!    `slash_below` (no gate: every update enters, unclipped, as in Flower's FedAvg);
//! 4. the accepted updates, weighted by their samples, are clipped and aggregated with the rule
//!    onto the global model ([`Validation::aggregate`]); if too few were accepted for the rule
//!    the round fails and the model stays, as on chain;
//! 5. the new model is evaluated on the validation set, and the round's trainer reward is split
//!    among the accepted updates in proportion to their scores
//!    ([`payout::proportional_shares`]).
//!
//! The validation set is a seeded hold-out of the dataset ([`Dataset::split`]); the rest is
//! split among the owners ([`Split`]). Owners `0..attackers.len()` are the poisoners.

use std::{fmt, str::FromStr};

use burn::tensor::Device;
use cohort_primitives::{
	payout::{proportional_shares, update_scores},
	task::{AggregationRule, ScoreGate},
	ModelSpec, Score,
};
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{
	aggregate::Update,
	attack::Attack,
	codec::{dequantize, quantize, CodecError},
	dataset::Dataset,
	evaluate::{Aggregated, Evaluation, ScoreError, Validation},
	model::{Architecture, ModelError},
	opencl::Aggregator,
	partition::{dirichlet, label_skew, PartitionError},
	train::{train, TrainError, TrainingConfig},
};

/// The gate `docs/scoring.md` recommends for label-skewed tasks like the dev chain's (measured
/// there with this simulator): an update enters the model when its score is at least 800 000,
/// i.e. its cosine to the reference matched to its labels is at least 0.6; below 700 000
/// (cosine below 0.4, far under every honest update measured) its trainer is penalised;
/// accepted updates longer than 1.5 × the median norm are scaled down to it.
pub const RECOMMENDED_GATE: ScoreGate =
	ScoreGate { min_score: 800_000, slash_below: 700_000, clip_norm_percent: 150 };

/// How the training data is cut among the owners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
	/// A seeded shuffle dealt out in turn: every owner sees every label.
	Iid,
	/// Each owner holds only this many labels ([`label_skew`]).
	LabelSkew(usize),
	/// Per label, owner shares drawn from a symmetric Dirichlet(α) ([`dirichlet`]).
	Dirichlet(f64),
}

/// `iid`, `label-skew:<labels per owner>`, `dirichlet:<alpha>`: the form `FromStr` reads.
impl fmt::Display for Split {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Split::Iid => write!(f, "iid"),
			Split::LabelSkew(k) => write!(f, "label-skew:{k}"),
			Split::Dirichlet(alpha) => write!(f, "dirichlet:{alpha}"),
		}
	}
}

impl FromStr for Split {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		match s.split_once(':') {
			None if s == "iid" => Ok(Split::Iid),
			Some(("label-skew", k)) => match k.parse::<usize>() {
				Ok(k) if k > 0 => Ok(Split::LabelSkew(k)),
				_ => Err(format!("labels per owner must be a positive integer, not {k:?}")),
			},
			Some(("dirichlet", a)) => match a.parse::<f64>() {
				Ok(a) if a.is_finite() && a > 0.0 => Ok(Split::Dirichlet(a)),
				_ => Err(format!("alpha must be a positive number, not {a:?}")),
			},
			_ => Err(format!(
				"unknown split {s:?} (there are: iid, label-skew:<labels>, dirichlet:<alpha>)"
			)),
		}
	}
}

/// Reads an aggregation rule as Flower names them: `fedavg` (the sample-weighted mean),
/// `median`, `trimmed-mean:<trim>`, `multi-krum:<f>:<m>`.
pub fn parse_rule(s: &str) -> Result<AggregationRule, String> {
	let number = |v: &str| v.parse::<u32>().map_err(|_| format!("{v:?} is not a count"));
	let parts: Vec<&str> = s.split(':').collect();
	match parts.as_slice() {
		["fedavg"] | ["weighted-mean"] => Ok(AggregationRule::WeightedMean),
		["median"] => Ok(AggregationRule::Median),
		["trimmed-mean", trim] => Ok(AggregationRule::TrimmedMean { trim: number(trim)? }),
		["multi-krum", f, m] => Ok(AggregationRule::MultiKrum { f: number(f)?, m: number(m)? }),
		_ => Err(format!(
			"unknown rule {s:?} (there are: fedavg, median, trimmed-mean:<trim>, multi-krum:<f>:<m>)"
		)),
	}
}

/// A rule in the form [`parse_rule`] reads.
pub fn rule_name(rule: &AggregationRule) -> String {
	match *rule {
		AggregationRule::WeightedMean => "fedavg".into(),
		AggregationRule::Median => "median".into(),
		AggregationRule::TrimmedMean { trim } => format!("trimmed-mean:{trim}"),
		AggregationRule::MultiKrum { f, m } => format!("multi-krum:{f}:{m}"),
	}
}

/// Everything a simulation needs.
#[derive(Debug, Clone)]
pub struct Simulation {
	/// The whole dataset: `validation_percent` of it is held out as the validation set.
	pub data: Dataset,
	/// The share of `data` held out for validation (scores and the reported accuracy).
	pub validation_percent: u8,
	/// The model every owner trains.
	pub model: ModelSpec,
	/// How many data owners take part in every round.
	pub owners: usize,
	/// How the training data is cut among them.
	pub split: Split,
	/// The task's aggregation rule.
	pub rule: AggregationRule,
	/// How many rounds to run.
	pub rounds: u32,
	/// Local training (its `seed` is replaced by one per owner and round).
	pub training: TrainingConfig,
	/// The fixed-point scale of updates and models.
	pub scale: u32,
	/// The poisoners: owner `i` runs `attackers[i]`.
	pub attackers: Vec<Attack>,
	/// The score gate; `None`: every update enters, unclipped (the undefended baseline).
	pub gate: Option<ScoreGate>,
	/// How many aggregators score each round (each with its own reference seed).
	pub aggregators: usize,
	/// What the trainers of a finalized round share (the trainers' part of a task's
	/// `reward_per_round`).
	pub reward: u128,
	/// Seeds the validation split, the owners' split, the initial model and every seed derived
	/// for training and scoring.
	pub seed: u64,
}

/// One round's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundReport {
	/// The round, from 1.
	pub round: u32,
	/// Each owner's score: the lower median of the aggregators' scores.
	pub scores: Vec<Score>,
	/// Whether each owner's update entered the model.
	pub accepted: Vec<bool>,
	/// Whether each owner would lose part of its bond (score below `slash_below`).
	pub slashed: Vec<bool>,
	/// What each owner was paid.
	pub paid: Vec<u128>,
	/// Too few updates were accepted for the rule: the model stayed and nobody was paid.
	pub failed: bool,
	/// The global model after the round, on the validation set.
	pub quality: Evaluation,
}

impl RoundReport {
	/// How many updates entered the model.
	pub fn accepted_count(&self) -> usize {
		self.accepted.iter().filter(|a| **a).count()
	}
}

/// What became of one owner over the whole simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerReport {
	/// Its attack, if it is a poisoner.
	pub attack: Option<Attack>,
	/// The samples it trains on.
	pub samples: usize,
	/// Its labels, ascending.
	pub labels: Vec<u32>,
	/// Everything it was paid.
	pub earned: u128,
	/// Rounds its update entered the model.
	pub rounds_accepted: u32,
	/// Rounds it was paid in.
	pub rounds_paid: u32,
	/// Rounds its score was below `slash_below`.
	pub rounds_slashed: u32,
	/// Its lowest and highest score.
	pub score_range: (Score, Score),
}

/// A whole simulation's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
	/// The initial model on the validation set.
	pub initial: Evaluation,
	/// Every round, in order.
	pub rounds: Vec<RoundReport>,
	/// Every owner, in order.
	pub owners: Vec<OwnerReport>,
}

/// Why a simulation could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulationError {
	/// The configuration cannot run (named in the message).
	#[error("{0}")]
	Config(String),
	#[error(transparent)]
	Model(#[from] ModelError),
	#[error(transparent)]
	Partition(#[from] PartitionError),
	#[error(transparent)]
	Train(#[from] TrainError),
	#[error(transparent)]
	Codec(#[from] CodecError),
	#[error(transparent)]
	Score(#[from] ScoreError),
}

/// A seed for `who` in `round`, well mixed from the simulation's (SplitMix64's finalizer), so
/// that owners and aggregators never share batch orders or noise.
fn derive_seed(seed: u64, round: u32, who: u64) -> u64 {
	let mut z = seed ^ ((round as u64) << 40) ^ who.wrapping_mul(0x9e37_79b9_7f4a_7c15);
	z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
	z ^ (z >> 31)
}

/// Aggregators' seeds are derived past every owner's.
const AGGREGATOR_SEEDS: u64 = 1 << 32;

impl Simulation {
	/// Runs every round, calling `on_round` after each (to print it as it comes).
	pub fn run(
		&self,
		aggregator: &Aggregator,
		device: &Device,
		mut on_round: impl FnMut(&RoundReport),
	) -> Result<Outcome, SimulationError> {
		let config = |why: String| Err(SimulationError::Config(why));
		if self.owners == 0 {
			return config("there must be at least one owner".into());
		}
		if self.attackers.len() > self.owners {
			return config(format!(
				"{} attackers but only {} owners",
				self.attackers.len(),
				self.owners
			));
		}
		if self.aggregators == 0 {
			return config("there must be at least one aggregator".into());
		}
		if let Some(gate) = self.gate.filter(|g| !g.is_valid()) {
			return config(format!(
				"the gate {gate:?} is not valid: slash_below ≤ min_score ≤ 1000000, clip ≥ 100"
			));
		}
		let arch = Architecture::of(&self.model)?;
		let (train_set, validation) = self.data.split(self.validation_percent, self.seed);
		if validation.is_empty() {
			return config("the validation set is empty: hold out a larger share".into());
		}
		let parts = match self.split {
			Split::Iid => {
				let mut order: Vec<usize> = (0..train_set.len()).collect();
				order.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed));
				let mut parts = vec![Vec::new(); self.owners];
				order.into_iter().enumerate().for_each(|(i, s)| parts[i % self.owners].push(s));
				parts
			},
			Split::LabelSkew(k) => label_skew(&train_set.labels, self.owners, k, self.seed)?,
			Split::Dirichlet(alpha) => dirichlet(&train_set.labels, self.owners, alpha, self.seed)?,
		};
		if let Some(owner) = parts.iter().position(|p| p.is_empty()) {
			return config(format!(
				"owner {owner} has no samples: use fewer owners or a larger Dirichlet alpha"
			));
		}
		let datasets: Vec<Dataset> = parts
			.iter()
			.enumerate()
			.map(|(i, p)| {
				let data = train_set.subset(p);
				match self.attackers.get(i) {
					Some(attack) => attack.poison_data(&data),
					None => data,
				}
			})
			.collect();

		let check = Validation { arch: &arch, scale: self.scale, data: &validation, device };
		let mut global = quantize(&arch.initial_parameters(self.seed), self.scale)?;
		let initial = check.evaluate(&global)?;
		let mut owners: Vec<OwnerReport> = parts
			.iter()
			.enumerate()
			.map(|(i, p)| {
				let mut labels: Vec<u32> = p.iter().map(|s| train_set.labels[*s]).collect();
				labels.sort_unstable();
				labels.dedup();
				OwnerReport {
					attack: self.attackers.get(i).copied(),
					samples: p.len(),
					labels,
					earned: 0,
					rounds_accepted: 0,
					rounds_paid: 0,
					rounds_slashed: 0,
					score_range: (Score::MAX, 0),
				}
			})
			.collect();
		let mut rounds = Vec::with_capacity(self.rounds as usize);

		for round in 1..=self.rounds {
			let start = dequantize(&global, self.scale);
			let mut updates = Vec::with_capacity(self.owners);
			for (i, data) in datasets.iter().enumerate() {
				let seed = derive_seed(self.seed, round, i as u64);
				let training = TrainingConfig { seed, ..self.training.clone() };
				let mut update = train(&arch, &start, data, &training, device)?.update;
				if let Some(attack) = self.attackers.get(i) {
					attack.poison_update(&mut update, seed);
				}
				updates.push(quantize(&update, self.scale)?);
			}
			let views: Vec<&[i32]> = updates.iter().map(Vec::as_slice).collect();
			let mut submissions = Vec::with_capacity(self.aggregators);
			for a in 0..self.aggregators {
				let seed = derive_seed(self.seed, round, AGGREGATOR_SEEDS + a as u64);
				let training = TrainingConfig { seed, ..self.training.clone() };
				submissions.push(check.score(&global, &views, &training)?);
			}
			let scores: Vec<Score> =
				update_scores(submissions.iter().map(Vec::as_slice), updates.len())
					.into_iter()
					.map(|s| s.expect("at least one aggregator scored"))
					.collect();
			let accepted: Vec<bool> =
				scores.iter().map(|s| self.gate.is_none_or(|g| g.accepts(*s))).collect();
			let slashed: Vec<bool> =
				scores.iter().map(|s| self.gate.is_some_and(|g| g.slashes(*s))).collect();
			let inputs: Vec<Update> = updates
				.iter()
				.zip(&datasets)
				.zip(&accepted)
				.filter(|(_, a)| **a)
				.map(|((values, data), _)| Update { values, weight: data.len() as u64 })
				.collect();
			let failed = !self.rule.works_with(inputs.len() as u32);
			let (quality, paid) = if failed {
				(check.evaluate(&global)?, vec![0; self.owners])
			} else {
				let clip = self.gate.map_or(0, |g| g.clip_norm_percent);
				let Aggregated { model, quality } =
					check.aggregate(aggregator, &self.rule, clip, &global, &inputs)?;
				global = model;
				let weights: Vec<Score> =
					scores.iter().zip(&accepted).map(|(s, a)| if *a { *s } else { 0 }).collect();
				(quality, proportional_shares(self.reward, &weights))
			};
			for (i, owner) in owners.iter_mut().enumerate() {
				owner.earned += paid[i];
				owner.rounds_accepted += accepted[i] as u32;
				owner.rounds_paid += (paid[i] > 0) as u32;
				owner.rounds_slashed += slashed[i] as u32;
				owner.score_range =
					(owner.score_range.0.min(scores[i]), owner.score_range.1.max(scores[i]));
			}
			let report = RoundReport { round, scores, accepted, slashed, paid, failed, quality };
			on_round(&report);
			rounds.push(report);
		}
		Ok(Outcome { initial, rounds, owners })
	}
}

/// The per-round table's header, matching [`RoundReport`]'s `Display`.
pub const ROUND_HEADER: &str =
	"round  accepted  rejected  accuracy     loss  scores (owner order, thousandths)";

/// One line of the per-round table.
impl fmt::Display for RoundReport {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let accepted = self.accepted_count();
		write!(
			f,
			"{:>5}  {:>8}  {:>8}  {:>7.2} %  {:>7.4}  ",
			self.round,
			accepted,
			self.accepted.len() - accepted,
			self.quality.accuracy * 100.0,
			self.quality.loss,
		)?;
		for (i, (s, a)) in self.scores.iter().zip(&self.accepted).enumerate() {
			let mark = if *a { ' ' } else { '✗' };
			write!(f, "{}{}{mark}", if i > 0 { " " } else { "" }, s / 1000)?;
		}
		if self.failed {
			write!(f, "  (failed: too few accepted for the rule; the model stays)")?;
		}
		Ok(())
	}
}

/// The owners' table: who they are, what they earned, how often they were paid and slashed.
impl fmt::Display for Outcome {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let rounds = self.rounds.len();
		writeln!(
			f,
			"owner  role               samples  labels          earned  paid in  accepted  slashed  scores (thousandths)"
		)?;
		for (i, o) in self.owners.iter().enumerate() {
			let role = o.attack.map_or("honest".to_string(), |a| format!("attacker {a}"));
			let labels = if o.labels.len() <= 4 {
				o.labels.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
			} else {
				format!("{} labels", o.labels.len())
			};
			writeln!(
				f,
				"{i:>5}  {role:<17}  {:>7}  {labels:<9}  {:>12}  {:>4}/{rounds:<3}  {:>4}/{rounds:<3}  {:>3}/{rounds:<3}  {}..{}",
				o.samples,
				o.earned,
				o.rounds_paid,
				o.rounds_accepted,
				o.rounds_slashed,
				o.score_range.0 / 1000,
				o.score_range.1 / 1000,
			)?;
		}
		if let Some(last) = self.rounds.last() {
			write!(
				f,
				"final model: accuracy {:.2} %, loss {:.4} (initial: {:.2} %, {:.4})",
				last.quality.accuracy * 100.0,
				last.quality.loss,
				self.initial.accuracy * 100.0,
				self.initial.loss,
			)?;
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::model::tests::mlp;
	use cohort_primitives::task::Optimizer;

	#[test]
	fn splits_and_rules_read_and_print_the_same_form() {
		for (text, split) in [
			("iid", Split::Iid),
			("label-skew:2", Split::LabelSkew(2)),
			("dirichlet:0.5", Split::Dirichlet(0.5)),
		] {
			assert_eq!(text.parse::<Split>(), Ok(split));
			assert_eq!(split.to_string(), text);
		}
		for bad in ["", "label-skew", "label-skew:0", "dirichlet:0", "dirichlet:x", "skew:2"] {
			assert!(bad.parse::<Split>().is_err(), "{bad:?}");
		}
		for (text, rule) in [
			("fedavg", AggregationRule::WeightedMean),
			("median", AggregationRule::Median),
			("trimmed-mean:2", AggregationRule::TrimmedMean { trim: 2 }),
			("multi-krum:1:3", AggregationRule::MultiKrum { f: 1, m: 3 }),
		] {
			assert_eq!(parse_rule(text), Ok(rule));
			assert_eq!(rule_name(&rule), text);
		}
		for bad in ["", "mean", "trimmed-mean", "trimmed-mean:x", "multi-krum:1"] {
			assert!(parse_rule(bad).is_err(), "{bad:?}");
		}
	}

	/// A short run on digits: four label-skewed owners, one of which sends −10 × its update.
	/// The gate keeps it out and unpaid (and marks it for a penalty), pays every honest owner,
	/// and the model improves.
	#[test]
	fn the_gate_keeps_a_poisoner_out_and_unpaid_while_the_model_improves() {
		let simulation = Simulation {
			data: Dataset::bundled("digits").unwrap(),
			validation_percent: 20,
			model: mlp(),
			owners: 4,
			split: Split::LabelSkew(3),
			rule: AggregationRule::WeightedMean,
			rounds: 3,
			training: TrainingConfig {
				epochs: 2,
				batch_size: 32,
				optimizer: Optimizer::Sgd,
				learning_rate: 0.1,
				fedprox_mu: 0.0,
				dp: None,
				seed: 0,
			},
			scale: 1 << 16,
			attackers: vec![Attack::Scale(-10.0)],
			gate: Some(RECOMMENDED_GATE),
			aggregators: 2,
			reward: 1_000_000,
			seed: 1,
		};
		let mut seen = 0;
		let outcome = simulation.run(&Aggregator::cpu(), &Device::flex(), |_| seen += 1).unwrap();
		assert_eq!(seen, 3);
		let attacker = &outcome.owners[0];
		assert_eq!((attacker.earned, attacker.rounds_accepted), (0, 0), "{outcome}");
		assert_eq!(attacker.rounds_slashed, 3, "{outcome}");
		for honest in &outcome.owners[1..] {
			assert!(honest.earned > 0 && honest.rounds_slashed == 0, "{outcome}");
		}
		let accuracy: Vec<f32> = outcome.rounds.iter().map(|r| r.quality.accuracy).collect();
		assert!(accuracy[2] > accuracy[0] && accuracy[0] > outcome.initial.accuracy, "{outcome}");
		assert!(outcome.rounds.iter().all(|r| !r.failed && r.paid[0] == 0));
		// Each round pays out the reward, but for what rounding leaves.
		for r in &outcome.rounds {
			let total: u128 = r.paid.iter().sum();
			assert!(total <= 1_000_000 && total > 999_990, "{r:?}");
		}
		let table = outcome.to_string();
		assert!(table.contains("attacker scale:-10"), "{table}");
	}

	#[test]
	fn bad_configurations_are_refused() {
		let base = Simulation {
			data: Dataset::bundled("iris").unwrap(),
			validation_percent: 20,
			model: ModelSpec::Mlp { input: 4, hidden: Default::default(), classes: 3 },
			owners: 2,
			split: Split::Iid,
			rule: AggregationRule::WeightedMean,
			rounds: 1,
			training: TrainingConfig {
				epochs: 1,
				batch_size: 8,
				optimizer: Optimizer::Sgd,
				learning_rate: 0.1,
				fedprox_mu: 0.0,
				dp: None,
				seed: 0,
			},
			scale: 1 << 16,
			attackers: vec![],
			gate: None,
			aggregators: 1,
			reward: 10,
			seed: 1,
		};
		let run = |s: Simulation| s.run(&Aggregator::cpu(), &Device::flex(), |_| {});
		assert!(run(base.clone()).is_ok());
		let bad = [
			Simulation { owners: 0, ..base.clone() },
			Simulation { attackers: vec![Attack::LabelFlip; 3], ..base.clone() },
			Simulation { aggregators: 0, ..base.clone() },
			Simulation {
				gate: Some(ScoreGate { min_score: 1, slash_below: 2, clip_norm_percent: 100 }),
				..base.clone()
			},
			Simulation { validation_percent: 0, ..base.clone() },
			Simulation { owners: 200, ..base.clone() },
		];
		for s in bad {
			assert!(matches!(run(s), Err(SimulationError::Config(_))));
		}
		assert!(matches!(
			run(Simulation { model: mlp(), ..base }),
			Err(SimulationError::Model(ModelError::WrongFeatureCount { .. }))
		));
	}
}
