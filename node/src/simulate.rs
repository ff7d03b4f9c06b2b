//! `cohort-node simulate`: federated learning without a chain, with the worker's own training,
//! scoring and aggregation code and the chain's own gate and reward arithmetic
//! (`cohort_ml::simulate`), as Flower's simulation engine runs its strategies. Prints a table per
//! round and what each owner earned; optionally draws the accuracy and loss per round as an SVG
//! chart. `docs/simulation.md` shows it on the bundled digits with and without poisoners.

use std::path::PathBuf;

use cohort_ml::{
	attack::Attack,
	dataset::Dataset,
	opencl::Aggregator,
	simulate::{
		colluding_count, parse_rule, rule_name, Scaling, Simulation, Split, RECOMMENDED_GATE,
		ROUND_HEADER,
	},
	train::TrainingConfig,
};
use cohort_primitives::{task::Optimizer, AggregationRule, ModelSpec, ScoreGate};

use cohort_worker::spec_file::SpecFile;

use crate::chart::{svg, Point};

/// `simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateCmd {
	/// A bundled dataset (`digits`, `iris`, `breast-cancer`) or a dataset file (`.csv`, or
	/// Cohort's binary format).
	#[arg(long, default_value = "digits", value_name = "NAME|FILE")]
	pub dataset: String,

	/// The share of the dataset held out as the validation set, in percent.
	#[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(1..100))]
	pub validation_percent: u8,

	/// The MLP's hidden layer sizes, comma-separated (empty: a linear model). Its input and
	/// output sizes come from the dataset.
	#[arg(long, default_value = "32", value_name = "SIZES")]
	pub hidden: String,

	/// Data owners (trainers), all taking part in every round.
	#[arg(long, default_value_t = 10)]
	pub owners: usize,

	/// How the training data is cut among the owners: `label-skew:<labels per owner>`,
	/// `dirichlet:<alpha>` or `iid`.
	#[arg(long, default_value = "label-skew:2", value_parser = clap::value_parser!(Split))]
	pub split: Split,

	/// How the owners' features are scaled before training: `pooled` (one scaling for the task,
	/// from every owner's statistics: what a task fixes with `federated.set_feature_scaling`),
	/// `own` (each owner standardizes with its own statistics: to measure why Cohort does not),
	/// or `none`. Default: `none` for the bundled `digits` and `iris` (their features share one
	/// unit already), `pooled` otherwise.
	#[arg(long, value_parser = clap::value_parser!(Scaling))]
	pub scaling: Option<Scaling>,

	/// The aggregation rule: `fedavg` (weighted by samples), `median`, `trimmed-mean:<trim>`,
	/// `multi-krum:<f>:<m>`.
	#[arg(long, default_value = "fedavg", value_parser = parse_rule)]
	pub rule: AggregationRule,

	/// Rounds to run.
	#[arg(long, default_value_t = 30)]
	pub rounds: u32,

	/// Local epochs per round.
	#[arg(long, default_value_t = 5)]
	pub epochs: u16,

	/// Mini-batch size.
	#[arg(long, default_value_t = 32)]
	pub batch_size: u16,

	/// `sgd` or `adam`.
	#[arg(long, default_value = "sgd", value_parser = parse_optimizer)]
	pub optimizer: Optimizer,

	/// The optimizer's learning rate.
	#[arg(long, default_value_t = 0.1)]
	pub learning_rate: f64,

	/// FedProx's μ (0: FedAvg's local training).
	#[arg(long, default_value_t = 0.0)]
	pub fedprox_mu: f64,

	/// Client-level differential privacy on every update: `<clip norm>:<noise multiplier>`.
	#[arg(long, value_name = "CLIP:NOISE", value_parser = parse_dp)]
	pub dp: Option<(f64, f64)>,

	/// The fixed-point scale of updates and models.
	#[arg(long, default_value_t = 1 << 16)]
	pub scale: u32,

	/// A poisoner's attack: `scale:<factor>` (e.g. `scale:-10`; `scale:0.01` is a free rider),
	/// `noise:<deviation>`, `label-flip`, `copy` (a coalition sending near-copies of one
	/// update), `inflate:<samples>` (flipped labels, claiming that many samples), `replay` (the
	/// last global change), `tuned:<share>` (the validation set's reference plus an orthogonal
	/// part that many times as long), `absent` (takes no part: the run with the attackers left
	/// out). Repeat for several; owners 0, 1, … are the poisoners.
	#[arg(long = "attack", value_name = "ATTACK", value_parser = clap::value_parser!(Attack))]
	pub attacks: Vec<Attack>,

	/// How many owners poison (default: one per `--attack`); the attacks are dealt to them in
	/// turn, so `--attack scale:-10 --attackers 2` makes two −10× poisoners.
	#[arg(long, requires = "attacks")]
	pub attackers: Option<usize>,

	/// Switch the score gate off: every update enters the model, unclipped and uncapped, and
	/// aggregators screen nothing (the undefended baseline, as Flower's FedAvg).
	#[arg(long, conflicts_with_all = [
		"accept_within", "accept_spread_percent", "slash_beyond", "slash_spread_percent",
		"min_score", "clip_norm_percent",
		"max_weight_percent", "copy_distance_micros", "min_norm_percent", "score_tolerance",
	])]
	pub no_gate: bool,

	/// The gate: an update enters the model only if its score (0..=1000000) is at most this far
	/// below its round's median score.
	#[arg(long, default_value_t = RECOMMENDED_GATE.accept_within)]
	pub accept_within: u32,

	/// The gate: the acceptance band in percent of the round's spread (the median distance of
	/// its scores from their median), where that is wider than --accept-within.
	#[arg(long, default_value_t = RECOMMENDED_GATE.accept_spread_percent)]
	pub accept_spread_percent: u32,

	/// The gate: an update scoring more than this below its round's median costs its trainer
	/// part of its bond.
	#[arg(long, default_value_t = RECOMMENDED_GATE.slash_beyond)]
	pub slash_beyond: u32,

	/// The gate: the penalty band in percent of the round's spread, where that is wider than
	/// --slash-beyond.
	#[arg(long, default_value_t = RECOMMENDED_GATE.slash_spread_percent)]
	pub slash_spread_percent: u32,

	/// The gate: whatever the round, an update scoring below this is not accepted.
	#[arg(long, default_value_t = RECOMMENDED_GATE.min_score)]
	pub min_score: u32,

	/// The gate: accepted updates longer than this percentage of their median norm are scaled
	/// down to it.
	#[arg(long, default_value_t = RECOMMENDED_GATE.clip_norm_percent)]
	pub clip_norm_percent: u32,

	/// The gate: no accepted update weighs more than this percentage of the round's total.
	#[arg(long, default_value_t = RECOMMENDED_GATE.max_weight_percent)]
	pub max_weight_percent: u32,

	/// The gate: an update whose direction is within this distance (millionths) of an earlier
	/// update's, or of the last global change, is a copy and scores 0.
	#[arg(long, default_value_t = RECOMMENDED_GATE.copy_distance_micros)]
	pub copy_distance_micros: u32,

	/// The gate: an update shorter than this percentage of the round's median norm is a free
	/// rider and scores 0.
	#[arg(long, default_value_t = RECOMMENDED_GATE.min_norm_percent)]
	pub min_norm_percent: u32,

	/// The gate: an aggregator scoring an update more than this outside the committee's scores
	/// for it (below their lower median, above their upper median) is penalised and unpaid.
	#[arg(long, default_value_t = RECOMMENDED_GATE.score_tolerance)]
	pub score_tolerance: u32,

	/// Simulated aggregators: each scores with a reference update of its own seed; each
	/// update's score is their lower median, as on chain.
	#[arg(long, default_value_t = 3)]
	pub aggregators: usize,

	/// The share of the aggregators (0 to 1) that collude with the attackers: they reveal 0 for
	/// every honest update and the best score for every attacker's.
	#[arg(long, default_value_t = 0.0)]
	pub colluding_aggregators: f64,

	/// What the trainers of each round share, in proportion to the scores of accepted updates.
	#[arg(long, default_value_t = 1_000_000)]
	pub reward: u128,

	/// Seeds the splits, the initial model, training and scoring.
	#[arg(long, default_value_t = 1)]
	pub seed: u64,

	/// Also draw validation accuracy and loss per round into this SVG file.
	#[arg(long, value_name = "FILE")]
	pub chart: Option<PathBuf>,

	/// Also write the task that runs this simulation on chain as a spec file (TOML, for
	/// `cohort-worker task new --spec`), and the held-out validation set it names beside it
	/// (`FILE.validation.cohd`, for the task's aggregators). Phases and pay are defaults to edit.
	#[arg(long, value_name = "FILE.toml")]
	pub write_spec: Option<PathBuf>,
}

fn parse_optimizer(s: &str) -> Result<Optimizer, String> {
	match s {
		"sgd" => Ok(Optimizer::Sgd),
		"adam" => Ok(Optimizer::Adam),
		other => Err(format!("unknown optimizer {other:?} (there are: sgd, adam)")),
	}
}

fn parse_dp(s: &str) -> Result<(f64, f64), String> {
	let number = |v: &str| match v.parse::<f64>() {
		Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
		_ => Err(format!("{v:?} is not a number ≥ 0")),
	};
	let (clip, noise) = s.split_once(':').ok_or("expected <clip norm>:<noise multiplier>")?;
	Ok((number(clip)?, number(noise)?))
}

impl SimulateCmd {
	/// The engine's simulation this command describes.
	pub fn simulation(&self) -> Result<Simulation, String> {
		let data = match Dataset::bundled(&self.dataset.replace('-', "_")) {
			Ok(data) => data,
			Err(_) => Dataset::load(std::path::Path::new(&self.dataset))
				.map_err(|e| format!("--dataset {}: {e}", self.dataset))?,
		};
		let hidden = self
			.hidden
			.split(',')
			.map(str::trim)
			.filter(|s| !s.is_empty())
			.map(|s| s.parse::<u32>().map_err(|_| format!("--hidden: {s:?} is not a size")))
			.collect::<Result<Vec<u32>, _>>()?
			.try_into()
			.map_err(|_| "--hidden: at most 8 layers".to_string())?;
		let count = self.attackers.unwrap_or(self.attacks.len());
		let gate = ScoreGate {
			accept_within: self.accept_within,
			accept_spread_percent: self.accept_spread_percent,
			slash_beyond: self.slash_beyond,
			slash_spread_percent: self.slash_spread_percent,
			min_score: self.min_score,
			clip_norm_percent: self.clip_norm_percent,
			max_weight_percent: self.max_weight_percent,
			copy_distance_micros: self.copy_distance_micros,
			min_norm_percent: self.min_norm_percent,
			score_tolerance: self.score_tolerance,
		};
		Ok(Simulation {
			model: ModelSpec::Mlp {
				input: data.feature_count as u32,
				hidden,
				classes: data.class_count as u32,
			},
			data,
			validation_percent: self.validation_percent,
			owners: self.owners,
			split: self.split,
			scaling: self.scaling.unwrap_or(Scaling::default_for(&self.dataset)),
			rule: self.rule,
			rounds: self.rounds,
			training: TrainingConfig {
				epochs: self.epochs,
				batch_size: self.batch_size,
				optimizer: self.optimizer,
				learning_rate: self.learning_rate,
				fedprox_mu: self.fedprox_mu,
				dp: self.dp,
				seed: 0,
			},
			scale: self.scale,
			attackers: self.attacks.iter().copied().cycle().take(count).collect(),
			gate: (!self.no_gate).then_some(gate),
			aggregators: self.aggregators,
			colluding_aggregators: colluding_count(self.colluding_aggregators, self.aggregators)
				.ok_or("--colluding-aggregators is a share of the aggregators, 0 to 1")?,
			reward: self.reward,
			seed: self.seed,
		})
	}

	/// Runs the simulation, printing as it goes, and writes the chart if asked.
	pub fn run(&self) -> Result<(), String> {
		let simulation = self.simulation()?;
		let aggregator = Aggregator::detect();
		let device = cohort_ml::training_device();
		let attackers = match simulation.attackers.is_empty() {
			true => "none".to_string(),
			false => simulation
				.attackers
				.iter()
				.enumerate()
				.map(|(i, a)| format!("owner {i}: {a}"))
				.collect::<Vec<_>>()
				.join(", "),
		};
		println!(
			"{} ({} samples, {}% held out for validation), {} owners, split {}, rule {}, {} rounds, \
			 {} epochs, batch {}, lr {}; aggregators {} ({} colluding), gate {}; attackers: {attackers}; \
			 aggregating on {}",
			self.dataset,
			simulation.data.len(),
			simulation.validation_percent,
			simulation.owners,
			simulation.split,
			rule_name(&simulation.rule),
			simulation.rounds,
			simulation.training.epochs,
			simulation.training.batch_size,
			simulation.training.learning_rate,
			simulation.aggregators,
			simulation.colluding_aggregators,
			simulation.gate.map_or("off".to_string(), |g| format!(
				"accept within {} or {} % of the spread of the median (at least {}), slash beyond \
				 {} or {} % of the spread, clip {} %, weight cap {} %, copies within {}, free \
				 riders under {} %, aggregators within {}",
				g.accept_within,
				g.accept_spread_percent,
				g.min_score,
				g.slash_beyond,
				g.slash_spread_percent,
				g.clip_norm_percent,
				g.max_weight_percent,
				g.copy_distance_micros,
				g.min_norm_percent,
				g.score_tolerance
			)),
			aggregator.backend(),
		);
		if let Some(path) = &self.write_spec {
			self.write_spec(&simulation, path)?;
		}
		println!("{ROUND_HEADER}");
		let outcome = simulation
			.run(&aggregator, &device, |report| println!("{report}"))
			.map_err(|e| e.to_string())?;
		println!("{outcome}");
		if let Some(path) = &self.chart {
			let points: Vec<Point> = std::iter::once(Point {
				round: 0,
				accuracy: outcome.initial.accuracy as f64,
				loss: outcome.initial.loss as f64,
			})
			.chain(outcome.rounds.iter().map(|r| Point {
				round: r.round,
				accuracy: r.quality.accuracy as f64,
				loss: r.quality.loss as f64,
			}))
			.collect();
			let title = format!(
				"{}: {} owners, {}, {}, attackers: {}, gate {}",
				self.dataset,
				simulation.owners,
				simulation.split,
				rule_name(&simulation.rule),
				simulation.attackers.len(),
				if simulation.gate.is_some() { "on" } else { "off" },
			);
			std::fs::write(path, svg(&title, &points))
				.map_err(|e| format!("{}: {e}", path.display()))?;
			println!("chart: {}", path.display());
		}
		Ok(())
	}
}

impl SimulateCmd {
	/// Writes the spec of the task that runs `simulation` to `path`, and its validation set
	/// beside it.
	fn write_spec(&self, simulation: &Simulation, path: &std::path::Path) -> Result<(), String> {
		// The ε a round spends of each dataset's budget: a simulation does not account for it,
		// so a DP task gets 1 to edit.
		let (file, validation) = SpecFile::of_simulation(simulation, 1.0);
		let text = file.to_toml().map_err(|e| e.to_string())?;
		let validation_path = path.with_extension("validation.cohd");
		std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
		std::fs::write(&validation_path, validation.to_bytes())
			.map_err(|e| format!("{}: {e}", validation_path.display()))?;
		println!(
			"spec: {} (validation set {:?}: {}, {} samples)",
			path.display(),
			file.validation_set,
			validation_path.display(),
			validation.len()
		);
		if simulation.scaling != Scaling::None {
			println!(
				"The simulation scales the features ({}): fix the task's scaling before its first \
				 round (cohort-worker task scaling, then federated.setFeatureScaling).",
				simulation.scaling
			);
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	#[derive(Parser)]
	struct Cli {
		#[command(flatten)]
		cmd: SimulateCmd,
	}

	fn parse(args: &[&str]) -> Result<Simulation, String> {
		let cli = Cli::try_parse_from(std::iter::once("simulate").chain(args.iter().copied()))
			.map_err(|e| e.to_string())?;
		cli.cmd.simulation()
	}

	#[test]
	fn write_spec_writes_the_task_and_the_validation_set_it_names() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("iris.toml");
		let cli = Cli::try_parse_from([
			"simulate",
			"--dataset",
			"iris",
			"--owners",
			"5",
			"--aggregators",
			"5",
			"--write-spec",
			path.to_str().unwrap(),
		])
		.unwrap();
		let simulation = cli.cmd.simulation().unwrap();
		cli.cmd.write_spec(&simulation, cli.cmd.write_spec.as_ref().unwrap()).unwrap();
		let file = SpecFile::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
		let validation =
			Dataset::from_bytes(&std::fs::read(dir.path().join("iris.validation.cohd")).unwrap())
				.unwrap();
		assert_eq!(file.validation_set, validation.hash());
		let spec = file.to_spec(std::time::Duration::from_secs(6)).unwrap();
		assert_eq!(spec.model, simulation.model);
		assert_eq!((spec.max_trainers, spec.aggregators, spec.quorum), (5, 5, 3));
	}

	#[test]
	fn defaults_are_the_acceptance_setting() {
		let s = parse(&[]).unwrap();
		assert_eq!(
			(s.data.len(), s.owners, s.split, s.rounds),
			(1797, 10, Split::LabelSkew(2), 30)
		);
		assert_eq!(
			s.model,
			ModelSpec::Mlp { input: 64, hidden: vec![32].try_into().unwrap(), classes: 10 }
		);
		assert_eq!(
			(s.training.epochs, s.training.batch_size, s.training.learning_rate),
			(5, 32, 0.1)
		);
		assert_eq!(s.gate, Some(RECOMMENDED_GATE));
		assert!(s.attackers.is_empty());
	}

	#[test]
	fn attackers_rules_and_the_gate_from_flags() {
		let s = parse(&["--attack", "scale:-10", "--attackers", "2", "--no-gate"]).unwrap();
		assert_eq!(s.attackers, vec![Attack::Scale(-10.0); 2]);
		assert_eq!(s.gate, None);
		let s = parse(&[
			"--attack",
			"noise:1",
			"--attack",
			"label-flip",
			"--attackers",
			"3",
			"--rule",
			"trimmed-mean:2",
			"--dataset",
			"breast-cancer",
			"--hidden",
			"",
			"--dp",
			"1:0.5",
			"--accept-within",
			"100000",
			"--attack",
			"copy",
		])
		.unwrap();
		assert_eq!(s.attackers, vec![Attack::Noise(1.0), Attack::LabelFlip, Attack::Copy]);
		assert_eq!(s.rule, AggregationRule::TrimmedMean { trim: 2 });
		assert_eq!(s.model, ModelSpec::Mlp { input: 30, hidden: Default::default(), classes: 2 });
		assert_eq!(s.training.dp, Some((1.0, 0.5)));
		assert_eq!(s.gate.unwrap().accept_within, 100_000);
		for bad in [
			&["--attack", "scale"][..],
			&["--attackers", "2"],
			&["--rule", "mean"],
			&["--split", "skew"],
			&["--no-gate", "--min-score", "1"],
			&["--no-gate", "--max-weight-percent", "50"],
			&["--dataset", "/nonexistent.csv"],
			&["--dp", "1"],
		] {
			assert!(parse(bad).is_err(), "{bad:?}");
		}
	}
}
