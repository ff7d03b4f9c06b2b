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
//! 2. each of `aggregators` aggregators screens the round for copies, replays of the last global
//!    change and free riders, and scores every other update against a reference trained on the
//!    validation set with a seed of its own ([`Validation::score`]); the first
//!    `colluding_aggregators` of them then reveal 0 for honest updates and the best score for
//!    poisoned ones;
//! 3. the committee decides with the chain's own arithmetic ([`decide`]): each update's score
//!    is the lower median over the aggregators, judged against the round's median score —
//!    accepted on the lower medians, penalised on the upper medians — and aggregators far from
//!    the committee's scores strayed (no gate: every update enters, unclipped and uncapped, as
//!    in Flower's FedAvg);
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
	committee::{decide, Decision},
	judgement::Verdict,
	payout::proportional_shares,
	round::MAX_SCORE,
	scaling::{pool, FeatureStats},
	task::{AggregationRule, ScoreGate},
	ModelSpec, Score,
};
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{
	aggregate::Update,
	attack::{with_orthogonal, Attack},
	codec::{dequantize, quantize, CodecError},
	dataset::{Dataset, DatasetError},
	evaluate::{Aggregated, Evaluation, ScoreError, Validation},
	model::{Architecture, ModelError},
	opencl::Aggregator,
	partition::{dirichlet, label_skew, PartitionError},
	train::{train, TrainError, TrainingConfig},
};

/// The gate `docs/scoring.md` recommends, for every task (measured there with this simulator
/// over datasets, splits, differential privacy and seeds): an update enters the model when its
/// score is at most 50 000 below its round's median score, or four times the round's spread
/// where that is more (and at least 300 000, cosine −0.4, whatever the round); more than
/// 350 000 below, or ten times the spread, its trainer is penalised; accepted updates longer
/// than 1.5 × their median norm are scaled down to it; no update weighs more than the median
/// update (however many samples it claims); updates whose direction is within 0.1 % of another's (or of the last global change)
/// are copies, and updates under 5 % of the median norm are free riders; an aggregator scoring
/// an update more than 300 000 outside the committee's scores for it strayed.
pub const RECOMMENDED_GATE: ScoreGate = ScoreGate {
	accept_within: 50_000,
	accept_spread_percent: 400,
	slash_beyond: 350_000,
	slash_spread_percent: 1_000,
	min_score: 300_000,
	clip_norm_percent: 150,
	max_weight_percent: 100,
	copy_distance_micros: 1_000,
	min_norm_percent: 5,
	score_tolerance: 300_000,
};

/// Without a gate (the undefended baseline) aggregators screen nothing: no copies, no free
/// riders, only the trust score.
const SCREENING_OFF: ScoreGate =
	ScoreGate { copy_distance_micros: 0, min_norm_percent: 0, ..RECOMMENDED_GATE };

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

/// How the owners' features are scaled before training, and the validation set before it
/// scores and evaluates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
	/// Features as they are.
	None,
	/// One scaling for the task, pooled from every owner's statistics
	/// ([`cohort_primitives::scaling::pool`]): what a task owner fixes on chain with
	/// `federated.set_feature_scaling`, and the worker applies.
	Pooled,
	/// Each owner standardizes with its own statistics (the validation set with the pooled
	/// ones). Not what Cohort does: here to measure why not.
	Own,
}

impl Scaling {
	/// What a dataset is simulated with unless told: as they are for the bundled `digits` and
	/// `iris` (their features share one unit already), pooled for anything else (the bundled
	/// `breast-cancer`'s features run from 0.001 to 4,254).
	pub fn default_for(dataset: &str) -> Self {
		match dataset.replace('-', "_").as_str() {
			"digits" | "iris" => Scaling::None,
			_ => Scaling::Pooled,
		}
	}

	/// The owners' shards and the validation set in this scaling.
	pub fn apply(
		self,
		shards: Vec<Dataset>,
		validation: Dataset,
	) -> Result<(Vec<Dataset>, Dataset), DatasetError> {
		if self == Scaling::None {
			return Ok((shards, validation));
		}
		let stats: Vec<Vec<FeatureStats>> = shards.iter().map(Dataset::feature_stats).collect();
		let stated: Vec<&[FeatureStats]> = stats.iter().map(Vec::as_slice).collect();
		let pooled = pool(&stated).ok_or(DatasetError::Empty)?;
		let shards = match self {
			Scaling::Own => shards.iter().map(Dataset::standardized).collect(),
			_ => shards.iter().map(|d| d.scaled(&pooled)).collect::<Result<_, _>>()?,
		};
		Ok((shards, validation.scaled(&pooled)?))
	}
}

impl fmt::Display for Scaling {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			Scaling::None => "none",
			Scaling::Pooled => "pooled",
			Scaling::Own => "own",
		})
	}
}

impl FromStr for Scaling {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		match s {
			"none" => Ok(Scaling::None),
			"pooled" => Ok(Scaling::Pooled),
			"own" => Ok(Scaling::Own),
			other => Err(format!("unknown scaling {other:?} (there are: none, pooled, own)")),
		}
	}
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
	/// How the owners' features are scaled.
	pub scaling: Scaling,
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
	/// How many of them collude with the poisoners (the first ones): they reveal 0 for every
	/// honest update and `MAX_SCORE` for every poisoned one, to slash the honest owners and let
	/// the poisoners in.
	pub colluding_aggregators: usize,
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
	/// Whether each owner would lose part of its bond (score more than the gate's
	/// `slash_beyond` below the round's median).
	pub slashed: Vec<bool>,
	/// What each owner was paid.
	pub paid: Vec<u128>,
	/// Whether each aggregator's scores strayed from the committee's (it is penalised and
	/// unpaid).
	pub strayed: Vec<bool>,
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
	/// Rounds it would have been penalised in.
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
	/// How many aggregators (the first ones) colluded with the poisoners.
	pub colluding_aggregators: usize,
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
	#[error(transparent)]
	Dataset(#[from] DatasetError),
}

/// A seed for `who` in `round`, well mixed from the simulation's (SplitMix64's finalizer), so
/// that owners and aggregators never share batch orders or noise.
fn derive_seed(seed: u64, round: u32, who: u64) -> u64 {
	let mut z = seed ^ ((round as u64) << 40) ^ who.wrapping_mul(0x9e37_79b9_7f4a_7c15);
	z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
	z ^ (z >> 31)
}

/// How many of `aggregators` collude when `share` of them do (a share of aggregator stake, the
/// committee drawn in proportion to it): rounded to the nearest, half up. `None` for a share
/// outside `0..=1`.
pub fn colluding_count(share: f64, aggregators: usize) -> Option<usize> {
	(0.0..=1.0).contains(&share).then(|| (share * aggregators as f64 + 0.5).floor() as usize)
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
		if self.colluding_aggregators > self.aggregators {
			return config(format!(
				"{} colluding aggregators but only {} aggregators",
				self.colluding_aggregators, self.aggregators
			));
		}
		if let Some(gate) = self.gate.filter(|g| !g.is_valid()) {
			return config(format!(
				"the gate {gate:?} is not valid: accept_within ≤ slash_beyond ≤ 1000000, \
				 min_score ≤ 1000000, clip ≥ 100, weight cap 1..=100 %, copy distance ≤ \
				 1000000, free-rider norm ≤ 100 %"
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
		let shards: Vec<Dataset> = parts.iter().map(|p| train_set.subset(p)).collect();
		// Scaled as the worker does: the task's scaling first, then a poisoner's own changes.
		let (shards, validation) = self.scaling.apply(shards, validation)?;
		let datasets: Vec<Dataset> = shards
			.into_iter()
			.enumerate()
			.map(|(i, data)| match self.attackers.get(i) {
				Some(attack) => attack.poison_data(&data),
				None => data,
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

		// The last round's change of the global model: aggregators screen replays of it, and a
		// replaying poisoner sends it.
		let mut last_change: Option<Vec<i32>> = None;
		// Owners who take part (an `Absent` one never does: the run without it).
		let present: Vec<usize> =
			(0..self.owners).filter(|i| self.attackers.get(*i) != Some(&Attack::Absent)).collect();
		let attack_of = |i: usize| self.attackers.get(i).copied();
		for round in 1..=self.rounds {
			let start = dequantize(&global, self.scale);
			let mut updates = Vec::with_capacity(present.len());
			for &i in &present {
				let seed = derive_seed(self.seed, round, i as u64);
				let training = TrainingConfig { seed, ..self.training.clone() };
				let update = match attack_of(i) {
					Some(Attack::Replay) => {
						updates.push(last_change.clone().unwrap_or_else(|| vec![0; global.len()]));
						continue;
					},
					Some(Attack::Tuned(factor)) => {
						let reference = TrainingConfig { dp: None, ..training };
						let r = crate::score::reference_update(
							&arch,
							&start,
							&validation,
							&reference,
							device,
						)?;
						with_orthogonal(&r, factor, seed)
					},
					attack => {
						let mut update =
							train(&arch, &start, &datasets[i], &training, device)?.update;
						if let Some(attack) = attack {
							attack.poison_update(&mut update, seed);
						}
						update
					},
				};
				updates.push(quantize(&update, self.scale)?);
			}
			// A coalition of copiers trains once: every later copier sends the first one's
			// update with one low bit flipped.
			let copiers: Vec<usize> = (0..present.len())
				.filter(|k| attack_of(present[*k]) == Some(Attack::Copy))
				.collect();
			if let Some((first, rest)) = copiers.split_first() {
				for (n, k) in rest.iter().enumerate() {
					let mut copy = updates[*first].clone();
					let at = n % copy.len().max(1);
					if let Some(v) = copy.get_mut(at) {
						*v ^= 1;
					}
					updates[*k] = copy;
				}
			}
			let views: Vec<&[i32]> = updates.iter().map(Vec::as_slice).collect();
			let history: Vec<&[i32]> = last_change.iter().map(Vec::as_slice).collect();
			let gate = self.gate.unwrap_or(SCREENING_OFF);
			let mut submissions = Vec::with_capacity(self.aggregators);
			for a in 0..self.aggregators {
				let seed = derive_seed(self.seed, round, AGGREGATOR_SEEDS + a as u64);
				let training = TrainingConfig { seed, ..self.training.clone() };
				submissions.push(check.score(&global, &views, &history, &training, &gate)?);
			}
			// Colluding aggregators reveal what helps the poisoners, whatever they computed.
			for submission in submissions.iter_mut().take(self.colluding_aggregators) {
				for (score, i) in submission.iter_mut().zip(&present) {
					*score = if attack_of(*i).is_some() { MAX_SCORE } else { 0 };
				}
			}
			let views: Vec<&[Score]> = submissions.iter().map(Vec::as_slice).collect();
			let Decision { scores: present_scores, verdicts, strayed } =
				decide(&views, updates.len(), &gate);
			let verdicts = match &self.gate {
				Some(_) => verdicts,
				None => vec![Verdict { accepted: true, slashed: false }; present_scores.len()],
			};
			let inputs: Vec<Update> = updates
				.iter()
				.zip(&present)
				.zip(&verdicts)
				.filter(|(_, v)| v.accepted)
				.map(|((values, i), _)| Update {
					values,
					weight: attack_of(*i).map_or(datasets[*i].len() as u64, |a| {
						a.claimed_samples(datasets[*i].len())
					}),
				})
				.collect();
			let failed = !self.rule.works_with(inputs.len() as u32);
			let (quality, present_paid) = if failed {
				last_change = None;
				(check.evaluate(&global)?, vec![0; present.len()])
			} else {
				let Aggregated { model, quality } = check.aggregate(
					aggregator,
					&self.rule,
					self.gate.as_ref(),
					&global,
					&inputs,
				)?;
				last_change =
					Some(model.iter().zip(&global).map(|(n, o)| n.wrapping_sub(*o)).collect());
				global = model;
				let weights: Vec<Score> = present_scores
					.iter()
					.zip(&verdicts)
					.map(|(s, v)| if v.accepted { *s } else { 0 })
					.collect();
				(quality, proportional_shares(self.reward, &weights))
			};
			// Back to every owner: the absent are unscored, unpaid and never penalised.
			let (mut scores, mut accepted, mut slashed, mut paid) = (
				vec![0; self.owners],
				vec![false; self.owners],
				vec![false; self.owners],
				vec![0; self.owners],
			);
			for (k, &i) in present.iter().enumerate() {
				scores[i] = present_scores[k];
				accepted[i] = verdicts[k].accepted;
				slashed[i] = verdicts[k].slashed;
				paid[i] = present_paid[k];
			}
			for &i in &present {
				let owner = &mut owners[i];
				owner.earned += paid[i];
				owner.rounds_accepted += accepted[i] as u32;
				owner.rounds_paid += (paid[i] > 0) as u32;
				owner.rounds_slashed += slashed[i] as u32;
				owner.score_range =
					(owner.score_range.0.min(scores[i]), owner.score_range.1.max(scores[i]));
			}
			let report =
				RoundReport { round, scores, accepted, slashed, paid, strayed, failed, quality };
			on_round(&report);
			rounds.push(report);
		}
		Ok(Outcome { initial, rounds, owners, colluding_aggregators: self.colluding_aggregators })
	}
}

/// What the honest owners and the poisoners got out of a whole simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tally {
	/// Times an honest owner was penalised.
	pub honest_slashes: u32,
	/// Rounds in which an honest owner was paid, over all honest owners.
	pub honest_rounds_paid: u32,
	/// Rounds the honest owners took part in, all together.
	pub honest_rounds: u32,
	/// The smallest share of its rounds any honest owner was paid in (`1` without one).
	pub worst_paid_share: f64,
	/// What the honest owners earned, all together.
	pub honest_earned: u128,
	/// What the poisoners earned, all together.
	pub attacker_earned: u128,
	/// Times an honest aggregator's scores strayed from the committee's (it was penalised).
	pub honest_aggregators_strayed: u32,
	/// Rounds in which the colluding aggregators' scores strayed, over all colluders.
	pub colluders_strayed: u32,
}

impl Outcome {
	/// The honest owners' and the poisoners' totals over the first `rounds` rounds (all of
	/// them when there are fewer), so that one long run also answers for its shorter prefix.
	pub fn tally(&self, rounds: usize) -> Tally {
		let rounds = &self.rounds[..rounds.min(self.rounds.len())];
		let honest: Vec<usize> =
			(0..self.owners.len()).filter(|i| self.owners[*i].attack.is_none()).collect();
		let count = |i: usize, f: &dyn Fn(&RoundReport) -> bool| {
			rounds.iter().filter(|r| f(r) && r.paid.len() > i).count() as u32
		};
		let paid_rounds = |i: usize| count(i, &|r| r.paid[i] > 0);
		let earned = |i: usize| rounds.iter().map(|r| r.paid[i]).sum::<u128>();
		Tally {
			honest_slashes: honest.iter().map(|i| count(*i, &|r| r.slashed[*i])).sum(),
			honest_rounds_paid: honest.iter().map(|i| paid_rounds(*i)).sum(),
			honest_rounds: (rounds.len() * honest.len()) as u32,
			worst_paid_share: honest
				.iter()
				.map(|i| paid_rounds(*i) as f64 / rounds.len().max(1) as f64)
				.fold(1.0, f64::min),
			honest_earned: honest.iter().map(|i| earned(*i)).sum(),
			attacker_earned: (0..self.owners.len())
				.filter(|i| self.owners[*i].attack.is_some())
				.map(earned)
				.sum(),
			honest_aggregators_strayed: rounds
				.iter()
				.map(|r| r.strayed.iter().skip(self.colluding_aggregators).filter(|s| **s).count())
				.sum::<usize>() as u32,
			colluders_strayed: rounds
				.iter()
				.map(|r| r.strayed.iter().take(self.colluding_aggregators).filter(|s| **s).count())
				.sum::<usize>() as u32,
		}
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
			// An absent owner was never scored.
			let range = match o.score_range {
				(low, high) if low <= high => format!("{}..{}", low / 1000, high / 1000),
				_ => "-".to_string(),
			};
			writeln!(
				f,
				"{i:>5}  {role:<17}  {:>7}  {labels:<9}  {:>12}  {:>4}/{rounds:<3}  {:>4}/{rounds:<3}  {:>3}/{rounds:<3}  {range}",
				o.samples,
				o.earned,
				o.rounds_paid,
				o.rounds_accepted,
				o.rounds_slashed,
			)?;
		}
		let t = self.tally(self.rounds.len());
		writeln!(
			f,
			"honest owners: slashed {} times; paid in {} of {} owner-rounds ({:.1} %), the least paid owner in {:.1} % of its rounds; earned {}, poisoners earned {}",
			t.honest_slashes,
			t.honest_rounds_paid,
			t.honest_rounds,
			100.0 * t.honest_rounds_paid as f64 / t.honest_rounds.max(1) as f64,
			100.0 * t.worst_paid_share,
			t.honest_earned,
			t.attacker_earned,
		)?;
		writeln!(
			f,
			"aggregators: honest ones strayed {} times; the {} colluding strayed in {} of {} aggregator-rounds",
			t.honest_aggregators_strayed,
			self.colluding_aggregators,
			t.colluders_strayed,
			self.colluding_aggregators * self.rounds.len(),
		)?;
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
	/// The gate keeps it out and unpaid, pays every honest owner and penalises none, and the
	/// model improves.
	#[test]
	fn the_gate_keeps_a_poisoner_out_and_unpaid_while_the_model_improves() {
		let simulation = Simulation {
			data: Dataset::bundled("digits").unwrap(),
			validation_percent: 20,
			model: mlp(),
			owners: 4,
			split: Split::LabelSkew(3),
			scaling: Scaling::None,
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
			colluding_aggregators: 0,
			reward: 1_000_000,
			seed: 1,
		};
		let mut seen = 0;
		let outcome = simulation.run(&Aggregator::cpu(), &Device::flex(), |_| seen += 1).unwrap();
		assert_eq!(seen, 3);
		let attacker = &outcome.owners[0];
		assert_eq!((attacker.earned, attacker.rounds_accepted), (0, 0), "{outcome}");
		// Reversed, it scores near neutral: penalised in the rounds it lands under 550_000.
		assert!(attacker.score_range.1 < 700_000, "{outcome}");
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
		assert_eq!(outcome.tally(3).honest_aggregators_strayed, 0, "{outcome}");

		// One of three aggregators bought: it reveals 0 for the honest owners and the best
		// score for the poisoner. The committee's medians are the honest aggregators': nothing
		// changes for the owners, and the bought one strays every round.
		let bought = Simulation { aggregators: 3, colluding_aggregators: 1, ..simulation.clone() }
			.run(&Aggregator::cpu(), &Device::flex(), |_| {})
			.unwrap();
		assert_eq!(bought.owners[0].earned, 0, "{bought}");
		let t = bought.tally(3);
		assert_eq!(t.honest_slashes, 0, "{bought}");
		assert_eq!(t.honest_rounds_paid, t.honest_rounds, "{bought}");
		assert_eq!((t.colluders_strayed, t.honest_aggregators_strayed), (3, 0), "{bought}");
	}

	/// Breast cancer as it is bundled (raw features up to 4,254), five owners each holding
	/// one class, behind the recommended gate: with the task's pooled scaling the model learns
	/// and no honest owner is penalised; raw, or with each owner's own standardization (which
	/// moves every one-class owner's features to mean 0, so the classes look alike), it does
	/// much worse.
	#[test]
	fn one_scaling_per_task_makes_raw_features_learnable_where_each_owners_own_does_not() {
		let run = |scaling| {
			let cancer = Dataset::bundled("breast_cancer").unwrap();
			Simulation {
				model: ModelSpec::Mlp { input: 30, hidden: Default::default(), classes: 2 },
				data: cancer,
				validation_percent: 20,
				owners: 5,
				split: Split::LabelSkew(1),
				scaling,
				rule: AggregationRule::WeightedMean,
				rounds: 5,
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
				attackers: Vec::new(),
				gate: Some(RECOMMENDED_GATE),
				aggregators: 3,
				colluding_aggregators: 0,
				reward: 1_000_000,
				seed: 3,
			}
			.run(&Aggregator::cpu(), &Device::flex(), |_| {})
			.unwrap()
		};
		let accuracy = |o: &Outcome| o.rounds.last().unwrap().quality.accuracy;
		let (pooled, own, raw) = (run(Scaling::Pooled), run(Scaling::Own), run(Scaling::None));
		eprintln!("pooled {pooled}\nown {own}\nraw {raw}");
		assert!(accuracy(&pooled) > 0.85, "{pooled}");
		assert_eq!(pooled.tally(5).honest_slashes, 0, "{pooled}");
		for worse in [&own, &raw] {
			assert!(accuracy(worse) < accuracy(&pooled) - 0.1, "{worse}");
		}
	}

	#[test]
	fn bad_configurations_are_refused() {
		let base = Simulation {
			data: Dataset::bundled("iris").unwrap(),
			validation_percent: 20,
			model: ModelSpec::Mlp { input: 4, hidden: Default::default(), classes: 3 },
			owners: 2,
			split: Split::Iid,
			scaling: Scaling::None,
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
			colluding_aggregators: 0,
			reward: 10,
			seed: 1,
		};
		let run = |s: Simulation| s.run(&Aggregator::cpu(), &Device::flex(), |_| {});
		assert!(run(base.clone()).is_ok());
		let bad = [
			Simulation { owners: 0, ..base.clone() },
			Simulation { attackers: vec![Attack::LabelFlip; 3], ..base.clone() },
			Simulation { aggregators: 0, ..base.clone() },
			Simulation { colluding_aggregators: 2, ..base.clone() },
			Simulation {
				gate: Some(ScoreGate { accept_within: 2, slash_beyond: 1, ..RECOMMENDED_GATE }),
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
