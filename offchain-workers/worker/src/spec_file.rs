//! A task's specification as its owner writes it: a TOML file in the units people use — COH,
//! percent, seconds, learning rates as decimals — turned into the chain's `TaskSpec` (plancks,
//! `Perbill`, blocks, millionths) by [`SpecFile::to_spec`]. Whether the spec is acceptable, and
//! what it holds, is the chain's to say (`FederatedApi::quote_task`); this only converts, and
//! refuses what cannot be converted (an unknown field, a share above 100 %, an amount finer than
//! a planck).
//!
//! ```toml
//! rounds = 10
//! validation_set = "0x…"          # BLAKE2-256 of the validation set
//! initial_model = { seed = 7 }    # or { hash = "0x…" }: a model its owner publishes
//! max_samples = 2000
//! aggregation = "fedavg"          # median, trimmed-mean:<trim>, multi-krum:<f>:<m>
//!
//! [model.Mlp]
//! input = 64
//! hidden = [32]
//! classes = 10
//!
//! [training]
//! epochs = 5
//! batch_size = 16
//! optimizer = "sgd"               # or "adam"
//! learning_rate = 0.1
//!
//! [participants]
//! min_trainers = 4
//! max_trainers = 4
//! aggregators = 3
//! quorum = 2
//!
//! [phases]                        # seconds, rounded up to whole blocks
//! commit = 120
//! reveal = 60
//! score = 120
//! score_reveal = 60
//! aggregate = 120
//! aggregate_reveal = 60
//!
//! [pay]
//! reward_per_round = "10"         # COH
//! aggregator_share = 20           # percent of each round's reward
//! penalty = 10                    # percent of a bond
//! max_royalty = "0.5"             # COH per accepted update
//! ```
//!
//! Optional: `scale` (default 65,536), `max_payload_bytes` (default: the model's payload),
//! `training.fedprox_mu`, `[training.privacy]` (`clip_norm`, `noise_multiplier`, `epsilon`),
//! `[gate]` (any field of the score gate, in the chain's own units; the rest as
//! `docs/scoring.md` recommends), `[datasets]` (`min_reputation`, `allowlist`).

use std::time::Duration;

use cohort_ml::{
	dataset::Dataset,
	simulate::{parse_rule, rule_name, Simulation, RECOMMENDED_GATE},
};
use cohort_primitives::{
	dataset::DatasetRules,
	round::MAX_SCORE,
	task::{DpParams, InitialModel, Optimizer, PhaseLengths, TrainingParams},
	DatasetId, ModelSpec, PayloadHeader, ScoreGate, TaskSpec,
};
use serde::{Deserialize, Serialize};
use sp_core::H256;
use sp_runtime::Perbill;

use crate::{
	amount::parse_coh,
	chain::{Balance, BlockNumber},
};

/// Why a spec file cannot become a `TaskSpec`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecFileError {
	/// Not TOML, or not the fields a spec has (the parser's message says where).
	#[error("{0}")]
	Parse(String),
	/// A value that has no counterpart on chain.
	#[error("{field}: {reason}")]
	Value { field: &'static str, reason: String },
}

fn bad(field: &'static str, reason: impl Into<String>) -> SpecFileError {
	SpecFileError::Value { field, reason: reason.into() }
}

/// A spec file (module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
	pub rounds: u32,
	pub validation_set: H256,
	pub initial_model: StartFile,
	#[serde(default = "default_scale")]
	pub scale: u32,
	pub max_samples: u32,
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub max_payload_bytes: Option<u32>,
	#[serde(default = "default_rule")]
	pub aggregation: String,
	pub model: ModelSpec,
	pub training: TrainingFile,
	pub participants: ParticipantsFile,
	pub phases: PhasesFile,
	pub pay: PayFile,
	#[serde(default)]
	pub gate: GateFile,
	#[serde(default)]
	pub datasets: DatasetsFile,
}

fn default_scale() -> u32 {
	1 << 16
}

fn default_rule() -> String {
	"fedavg".into()
}

/// Where the model starts: a seed every worker builds the same model from, or the hash of a
/// model its owner publishes (`federated.publish_initial_model`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum StartFile {
	Seed(u64),
	Hash(H256),
}

/// How each trainer trains in a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingFile {
	pub epochs: u16,
	pub batch_size: u16,
	/// `sgd` or `adam`.
	pub optimizer: String,
	pub learning_rate: f64,
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub fedprox_mu: Option<f64>,
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub privacy: Option<PrivacyFile>,
}

/// Client-level differential privacy: each update clipped to `clip_norm` and noised with
/// `noise_multiplier × clip_norm`; each round spends `epsilon` of each dataset's budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyFile {
	pub clip_norm: f64,
	pub noise_multiplier: f64,
	pub epsilon: f64,
}

/// Who takes part in each round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsFile {
	pub min_trainers: u32,
	pub max_trainers: u32,
	pub aggregators: u32,
	pub quorum: u32,
}

/// The most each phase of a round may last, in seconds (phases close early once everyone has
/// acted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhasesFile {
	pub commit: f64,
	pub reveal: f64,
	pub score: f64,
	pub score_reveal: f64,
	pub aggregate: f64,
	pub aggregate_reveal: f64,
}

/// What the task pays and what it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayFile {
	/// COH per finalized round.
	pub reward_per_round: Coh,
	/// Percent of each round's reward for the agreeing aggregators.
	pub aggregator_share: f64,
	/// Percent of a bond lost for an offence.
	pub penalty: f64,
	/// The most royalty, in COH, an accepted update pays its dataset.
	pub max_royalty: Coh,
}

/// An amount of COH: a string (`"0.5"`, exact to the planck) or a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Coh {
	Text(String),
	Integer(u64),
	Number(f64),
}

impl Coh {
	fn plancks(&self, field: &'static str) -> Result<Balance, SpecFileError> {
		let text = match self {
			Coh::Text(s) => s.clone(),
			Coh::Integer(n) => n.to_string(),
			// Rust prints the shortest decimal that reads back as the same float: `0.1`.
			Coh::Number(x) => x.to_string(),
		};
		parse_coh(&text).map_err(|e| bad(field, e))
	}
}

/// Any field of the score gate, in the chain's units (scores in millionths); the others as
/// recommended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateFile {
	#[serde(skip_serializing_if = "Option::is_none")]
	pub accept_within: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub accept_spread_percent: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub slash_beyond: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub slash_spread_percent: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub min_score: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub clip_norm_percent: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub max_weight_percent: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub copy_distance_micros: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub min_norm_percent: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub score_tolerance: Option<u32>,
}

/// The most permissive gate the chain takes: every update accepted that scores above 0,
/// nothing clipped, capped, screened or penalised (what an ungated simulation amounts to).
const NO_GATE: ScoreGate = ScoreGate {
	accept_within: MAX_SCORE,
	accept_spread_percent: 0,
	slash_beyond: MAX_SCORE,
	slash_spread_percent: 0,
	min_score: 0,
	clip_norm_percent: u32::MAX,
	max_weight_percent: u32::MAX,
	copy_distance_micros: 0,
	min_norm_percent: 0,
	score_tolerance: MAX_SCORE,
};

impl From<ScoreGate> for GateFile {
	/// Every field stated.
	fn from(g: ScoreGate) -> Self {
		GateFile {
			accept_within: Some(g.accept_within),
			accept_spread_percent: Some(g.accept_spread_percent),
			slash_beyond: Some(g.slash_beyond),
			slash_spread_percent: Some(g.slash_spread_percent),
			min_score: Some(g.min_score),
			clip_norm_percent: Some(g.clip_norm_percent),
			max_weight_percent: Some(g.max_weight_percent),
			copy_distance_micros: Some(g.copy_distance_micros),
			min_norm_percent: Some(g.min_norm_percent),
			score_tolerance: Some(g.score_tolerance),
		}
	}
}

impl GateFile {
	/// `base` with the fields this file states.
	fn over(&self, base: ScoreGate) -> ScoreGate {
		ScoreGate {
			accept_within: self.accept_within.unwrap_or(base.accept_within),
			accept_spread_percent: self.accept_spread_percent.unwrap_or(base.accept_spread_percent),
			slash_beyond: self.slash_beyond.unwrap_or(base.slash_beyond),
			slash_spread_percent: self.slash_spread_percent.unwrap_or(base.slash_spread_percent),
			min_score: self.min_score.unwrap_or(base.min_score),
			clip_norm_percent: self.clip_norm_percent.unwrap_or(base.clip_norm_percent),
			max_weight_percent: self.max_weight_percent.unwrap_or(base.max_weight_percent),
			copy_distance_micros: self.copy_distance_micros.unwrap_or(base.copy_distance_micros),
			min_norm_percent: self.min_norm_percent.unwrap_or(base.min_norm_percent),
			score_tolerance: self.score_tolerance.unwrap_or(base.score_tolerance),
		}
	}
}

/// What the datasets trainers join with must meet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetsFile {
	#[serde(default)]
	pub min_reputation: u32,
	#[serde(default)]
	pub allowlist: Vec<DatasetId>,
}

/// `x` millionths, rounded to the nearest; refused when negative, not finite or too large.
fn micros(field: &'static str, x: f64) -> Result<u32, SpecFileError> {
	let m = (x * 1e6).round();
	if !(0.0..=u32::MAX as f64).contains(&m) {
		return Err(bad(field, format!("{x} is out of range")));
	}
	Ok(m as u32)
}

/// A percentage as a `Perbill`, rounded to the nearest part.
fn percent(field: &'static str, x: f64) -> Result<Perbill, SpecFileError> {
	if !(0.0..=100.0).contains(&x) {
		return Err(bad(field, format!("{x} is not a percentage between 0 and 100")));
	}
	Ok(Perbill::from_parts((x * 1e7).round() as u32))
}

/// What a simulation cannot say about a task, as `--write-spec` writes it: the owner edits these.
const WRITTEN_PHASES: PhasesFile = PhasesFile {
	commit: 120.0,
	reveal: 60.0,
	score: 120.0,
	score_reveal: 60.0,
	aggregate: 120.0,
	aggregate_reveal: 60.0,
};

/// The head of a written spec file.
const WRITTEN_HEADER: &str = "\
# A Cohort task spec written by `cohort-node simulate --write-spec`: the simulated model, training,
# rule, gate, rounds, trainers and aggregators. The phases and the pay are defaults a simulation
# cannot choose: edit them. `validation_set` is the hash of the simulation's held-out set, written
# beside this file; the task's aggregators must hold it. Check and price it with
# `cohort-worker task new --spec FILE --base-path DIR --dry-run`.
";

impl SpecFile {
	/// The task that runs `simulation` on chain: the same model, training (its differential
	/// privacy with `epsilon` a round), rule, gate, scale and rounds, the simulation's owners as
	/// its trainers (all of them needed), its aggregators with a majority quorum, its seed as the
	/// initial model's, and its held-out set (returned, for the aggregators) as the validation
	/// set; phases and pay are defaults for the owner to edit.
	pub fn of_simulation(simulation: &Simulation, epsilon: f64) -> (SpecFile, Dataset) {
		let (train, validation) =
			simulation.data.split(simulation.validation_percent, simulation.seed);
		let t = &simulation.training;
		let owners = simulation.owners as u32;
		let aggregators = simulation.aggregators as u32;
		let file = SpecFile {
			rounds: simulation.rounds,
			validation_set: validation.hash(),
			initial_model: StartFile::Seed(simulation.seed),
			scale: simulation.scale,
			// No owner holds more than the training part.
			max_samples: train.len() as u32,
			max_payload_bytes: None,
			aggregation: rule_name(&simulation.rule),
			model: simulation.model.clone(),
			training: TrainingFile {
				epochs: t.epochs,
				batch_size: t.batch_size,
				optimizer: match t.optimizer {
					Optimizer::Sgd => "sgd".into(),
					Optimizer::Adam => "adam".into(),
				},
				learning_rate: t.learning_rate,
				fedprox_mu: (t.fedprox_mu > 0.0).then_some(t.fedprox_mu),
				privacy: t.dp.map(|(clip_norm, noise_multiplier)| PrivacyFile {
					clip_norm,
					noise_multiplier,
					epsilon,
				}),
			},
			participants: ParticipantsFile {
				min_trainers: owners,
				max_trainers: owners,
				aggregators,
				quorum: aggregators / 2 + 1,
			},
			phases: WRITTEN_PHASES,
			pay: PayFile {
				reward_per_round: Coh::Text("10".into()),
				aggregator_share: 20.0,
				penalty: 10.0,
				max_royalty: Coh::Text("0.5".into()),
			},
			// Without a gate the chain's most permissive one: every update scoring above 0.
			gate: simulation.gate.unwrap_or(NO_GATE).into(),
			datasets: DatasetsFile::default(),
		};
		(file, validation)
	}

	/// The file's text, with a header saying where it came from and what to edit.
	pub fn to_toml(&self) -> Result<String, SpecFileError> {
		let body = toml::to_string(self).map_err(|e| SpecFileError::Parse(e.to_string()))?;
		Ok(format!("{WRITTEN_HEADER}\n{body}"))
	}

	/// Reads a spec file's text.
	pub fn parse(text: &str) -> Result<Self, SpecFileError> {
		toml::from_str(text).map_err(|e| SpecFileError::Parse(e.to_string()))
	}

	/// The chain's `TaskSpec`, with phases in blocks of `block_time` (each rounded up, at least
	/// one block).
	pub fn to_spec(
		&self,
		block_time: Duration,
	) -> Result<TaskSpec<Balance, BlockNumber>, SpecFileError> {
		let blocks = |field: &'static str, seconds: f64| -> Result<BlockNumber, SpecFileError> {
			blocks_for(seconds, block_time).map_err(|e| bad(field, e))
		};
		let p = &self.phases;
		let phases = PhaseLengths {
			commit: blocks("phases.commit", p.commit)?,
			reveal: blocks("phases.reveal", p.reveal)?,
			score: blocks("phases.score", p.score)?,
			score_reveal: blocks("phases.score_reveal", p.score_reveal)?,
			aggregate: blocks("phases.aggregate", p.aggregate)?,
			aggregate_reveal: blocks("phases.aggregate_reveal", p.aggregate_reveal)?,
		};
		let t = &self.training;
		let optimizer = match t.optimizer.as_str() {
			"sgd" => Optimizer::Sgd,
			"adam" => Optimizer::Adam,
			other => {
				return Err(bad("training.optimizer", format!("{other:?} is not sgd or adam")))
			},
		};
		let dp = match &t.privacy {
			None => None,
			Some(d) => Some(DpParams {
				clip_norm_micros: micros("training.privacy.clip_norm", d.clip_norm)?,
				noise_multiplier_micros: micros(
					"training.privacy.noise_multiplier",
					d.noise_multiplier,
				)?,
				epsilon_micros: micros("training.privacy.epsilon", d.epsilon)?,
			}),
		};
		let training = TrainingParams {
			epochs: t.epochs,
			batch_size: t.batch_size,
			optimizer,
			learning_rate_micros: micros("training.learning_rate", t.learning_rate)?,
			fedprox_mu_micros: t
				.fedprox_mu
				.map(|mu| micros("training.fedprox_mu", mu))
				.transpose()?,
			dp,
		};
		let max_payload_bytes = match self.max_payload_bytes {
			Some(n) => n,
			None => self
				.model
				.parameter_count()
				.and_then(PayloadHeader::payload_len)
				.and_then(|n| u32::try_from(n).ok())
				.ok_or_else(|| bad("model", "the model has no parameters, or too many"))?,
		};
		let gate = self.gate.over(RECOMMENDED_GATE);
		let allowlist = self.datasets.allowlist.clone().try_into().map_err(|v: Vec<_>| {
			bad("datasets.allowlist", format!("{} datasets are more than a task may name", v.len()))
		})?;
		Ok(TaskSpec {
			model: self.model.clone(),
			initial_model: match self.initial_model {
				StartFile::Seed(seed) => InitialModel::Seed(seed),
				StartFile::Hash(hash) => InitialModel::Hash(hash),
			},
			training,
			scale: self.scale,
			aggregation: parse_rule(&self.aggregation).map_err(|e| bad("aggregation", e))?,
			gate,
			max_samples: self.max_samples,
			rounds: self.rounds,
			min_trainers: self.participants.min_trainers,
			max_trainers: self.participants.max_trainers,
			aggregators: self.participants.aggregators,
			quorum: self.participants.quorum,
			phases,
			max_payload_bytes,
			reward_per_round: self.pay.reward_per_round.plancks("pay.reward_per_round")?,
			aggregator_share: percent("pay.aggregator_share", self.pay.aggregator_share)?,
			penalty: percent("pay.penalty", self.pay.penalty)?,
			validation_set: self.validation_set,
			datasets: DatasetRules {
				max_royalty: self.pay.max_royalty.plancks("pay.max_royalty")?,
				min_reputation: self.datasets.min_reputation,
				allowlist,
			},
		})
	}
}

/// A length in seconds as whole blocks of `block_time`: rounded up, at least one block.
pub fn blocks_for(seconds: f64, block_time: Duration) -> Result<BlockNumber, String> {
	let block = block_time.as_secs_f64();
	if block <= 0.0 {
		return Err("the chain reports no block time".into());
	}
	if !seconds.is_finite() || seconds <= 0.0 {
		return Err(format!("{seconds} is not a positive number of seconds"));
	}
	let n = (seconds / block).ceil();
	if n > BlockNumber::MAX as f64 {
		return Err(format!("{seconds} s is too long"));
	}
	Ok((n as BlockNumber).max(1))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::dev::{demo_task, DEMO_MAX_ROYALTY, DEMO_REWARD};

	/// The demo task of the dev chain, as its owner would write it (the example
	/// `docs/examples/task.toml` holds, with the digits validation set's hash).
	const DEMO: &str = include_str!("../../../docs/examples/task.toml");

	#[test]
	fn the_example_file_is_the_dev_chains_demo_task() {
		let file = SpecFile::parse(DEMO).unwrap();
		// Six-second blocks: 120 s is 20 blocks, 60 s 10.
		let spec = file.to_spec(Duration::from_secs(6)).unwrap();
		assert_eq!(file.validation_set, crate::dev::validation_set().hash());
		assert_eq!(spec, demo_task(file.validation_set, false, 0));
		assert_eq!(
			(spec.reward_per_round, spec.datasets.max_royalty),
			(DEMO_REWARD, DEMO_MAX_ROYALTY)
		);
		// Two-second blocks: three times as many blocks per phase; a fraction rounds up.
		let fast = file.to_spec(Duration::from_secs(2)).unwrap();
		assert_eq!((fast.phases.commit, fast.phases.reveal), (60, 30));
		let odd = file.to_spec(Duration::from_secs(7)).unwrap();
		assert_eq!((odd.phases.commit, odd.phases.reveal), (18, 9));
	}

	#[test]
	fn units_convert_exactly_and_what_has_no_counterpart_is_refused() {
		let with = |edit: &str, with: &str| DEMO.replacen(edit, with, 1);
		let six = Duration::from_secs(6);
		let spec = |text: &str| SpecFile::parse(text).and_then(|f| f.to_spec(six));
		// Amounts to the planck, as strings or numbers; percentages to the billionth.
		let s =
			spec(&with("reward_per_round = \"10\"", "reward_per_round = 0.000000000001")).unwrap();
		assert_eq!(s.reward_per_round, 1);
		let s = spec(&with("aggregator_share = 20", "aggregator_share = 12.5")).unwrap();
		assert_eq!(s.aggregator_share, Perbill::from_parts(125_000_000));
		// DP and FedProx in millionths.
		let s = spec(&with(
			"learning_rate = 0.1",
			"learning_rate = 0.1\nfedprox_mu = 0.01\n\n[training.privacy]\nclip_norm = 1.0\n\
			 noise_multiplier = 0.5\nepsilon = 8",
		))
		.unwrap();
		assert_eq!(s.training.fedprox_mu_micros, Some(10_000));
		let dp = s.training.dp.unwrap();
		assert_eq!((dp.clip_norm_micros, dp.noise_multiplier_micros), (1_000_000, 500_000));
		// A gate field overrides the recommended value; the others stay.
		let s = spec(&format!("{DEMO}\n[gate]\naccept_within = 30000\n")).unwrap();
		assert_eq!(s.gate, ScoreGate { accept_within: 30_000, ..RECOMMENDED_GATE });
		// Refusals name the field.
		let refused = |text: String, field: &str| {
			let e = spec(&text).unwrap_err().to_string();
			assert!(e.contains(field), "{e}");
		};
		refused(
			with("reward_per_round = \"10\"", "reward_per_round = \"0.0000000000001\""),
			"pay.reward_per_round",
		);
		refused(with("penalty = 10", "penalty = 120"), "pay.penalty");
		refused(with("commit = 120", "commit = 0"), "phases.commit");
		refused(with("optimizer = \"sgd\"", "optimizer = \"lion\""), "training.optimizer");
		refused(with("aggregation = \"fedavg\"", "aggregation = \"mean\""), "aggregation");
		refused(with("rounds = 10", "rounds = 10\nround = 3"), "unknown field");
		refused(with("learning_rate = 0.1", "learning_rate = -0.1"), "training.learning_rate");
	}

	#[test]
	fn a_simulation_written_as_a_spec_reads_back_as_the_simulated_task() {
		let mut simulation = cohort_ml::simulate::Simulation {
			data: Dataset::bundled("iris").unwrap(),
			validation_percent: 20,
			model: ModelSpec::Mlp { input: 4, hidden: vec![8].try_into().unwrap(), classes: 3 },
			owners: 5,
			split: cohort_ml::simulate::Split::Iid,
			scaling: cohort_ml::simulate::Scaling::None,
			rule: cohort_primitives::AggregationRule::TrimmedMean { trim: 1 },
			rounds: 30,
			training: cohort_ml::train::TrainingConfig {
				epochs: 3,
				batch_size: 8,
				optimizer: Optimizer::Adam,
				learning_rate: 0.01,
				fedprox_mu: 0.1,
				dp: Some((1.0, 0.5)),
				seed: 0,
			},
			scale: 1 << 12,
			attackers: Vec::new(),
			gate: Some(RECOMMENDED_GATE),
			aggregators: 4,
			colluding_aggregators: 0,
			reward: 1_000_000,
			seed: 9,
		};
		let (file, validation) = SpecFile::of_simulation(&simulation, 2.5);
		let text = file.to_toml().unwrap();
		assert!(text.starts_with("# A Cohort task spec written by"), "{text}");
		let spec = SpecFile::parse(&text).unwrap().to_spec(Duration::from_secs(6)).unwrap();
		assert_eq!(spec.model, simulation.model);
		assert_eq!(spec.initial_model, InitialModel::Seed(9));
		assert_eq!(spec.validation_set, validation.hash());
		assert_eq!(validation.len(), 30, "20 % of iris's 150");
		assert_eq!(spec.max_samples, 120);
		assert_eq!(spec.aggregation, simulation.rule);
		assert_eq!(spec.gate, RECOMMENDED_GATE);
		assert_eq!((spec.rounds, spec.scale), (30, 1 << 12));
		assert_eq!((spec.min_trainers, spec.max_trainers), (5, 5));
		assert_eq!((spec.aggregators, spec.quorum), (4, 3), "a majority of four");
		let t = spec.training;
		assert_eq!((t.epochs, t.batch_size, t.optimizer), (3, 8, Optimizer::Adam));
		assert_eq!((t.learning_rate_micros, t.fedprox_mu_micros), (10_000, Some(100_000)));
		assert_eq!(
			t.dp,
			Some(DpParams {
				clip_norm_micros: 1_000_000,
				noise_multiplier_micros: 500_000,
				epsilon_micros: 2_500_000
			})
		);
		assert_eq!(spec.phases.commit, 20);
		assert_eq!(spec.reward_per_round, 10 * 10u128.pow(12));
		// Ungated, the chain's most permissive gate: it is valid, and scores nothing out.
		simulation.gate = None;
		let (file, _) = SpecFile::of_simulation(&simulation, 2.5);
		let spec = SpecFile::parse(&file.to_toml().unwrap())
			.unwrap()
			.to_spec(Duration::from_secs(6))
			.unwrap();
		assert!(spec.gate.is_valid(), "{:?}", spec.gate);
		assert_eq!((spec.gate.min_score, spec.gate.copy_distance_micros), (0, 0));
		assert_eq!(spec.gate, NO_GATE);
	}
}
