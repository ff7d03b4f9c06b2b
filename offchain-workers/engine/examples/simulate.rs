//! The simulator without the node, for measuring in the release profile of the engine alone:
//!
//! ```sh
//! cargo run --release -p cohort-ml --example simulate -- --owners 10 --split label-skew:2 \
//!     --rounds 30 --attack scale:-10 --attackers 2
//! ```
//!
//! It takes a subset of `cohort-node simulate`'s flags (same names, same defaults): `--dataset`,
//! `--owners`, `--split`, `--scaling`, `--rule`, `--rounds`, `--epochs`, `--batch-size`, `--learning-rate`,
//! `--fedprox-mu`, `--dp`, `--attack` (repeatable), `--attackers`, `--no-gate`, the gate's
//! `--accept-within`, `--accept-spread-percent`, `--slash-beyond`, `--slash-spread-percent`,
//! `--min-score`, `--clip-norm-percent`,
//! `--max-weight-percent`, `--copy-distance-micros`, `--min-norm-percent`, `--aggregators`,
//! `--reward`, `--seed`. `cohort-node simulate` is the
//! command a person runs; this is the same engine call.

use cohort_ml::{
	attack::Attack,
	dataset::Dataset,
	opencl::Aggregator,
	simulate::{
		colluding_count, parse_rule, Scaling, Simulation, Split, RECOMMENDED_GATE, ROUND_HEADER,
	},
	train::TrainingConfig,
};
use cohort_primitives::{task::Optimizer, AggregationRule, ModelSpec};

fn main() -> Result<(), String> {
	let mut args = std::env::args().skip(1);
	let mut dataset = "digits".to_string();
	let mut simulation = Simulation {
		data: Dataset::bundled("digits").map_err(|e| e.to_string())?,
		validation_percent: 20,
		model: ModelSpec::Mlp { input: 64, hidden: vec![32].try_into().unwrap(), classes: 10 },
		owners: 10,
		split: Split::LabelSkew(2),
		scaling: Scaling::None,
		rule: AggregationRule::WeightedMean,
		rounds: 30,
		training: TrainingConfig {
			epochs: 5,
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
		seed: 1,
	};
	let (mut attacks, mut attackers) = (Vec::<Attack>::new(), None);
	let mut hidden_sizes: Option<Vec<u32>> = None;
	let mut gate = RECOMMENDED_GATE;
	let mut no_gate = false;
	let mut checkpoints = Vec::<usize>::new();
	let mut colluding = 0.0f64;
	let mut scaling: Option<Scaling> = None;
	let number = |v: Option<String>| -> Result<f64, String> {
		v.ok_or("a flag needs a value")?.parse::<f64>().map_err(|e| e.to_string())
	};
	while let Some(flag) = args.next() {
		match flag.as_str() {
			"--dataset" => dataset = args.next().ok_or("--dataset needs a value")?,
			"--owners" => simulation.owners = number(args.next())? as usize,
			"--split" => simulation.split = args.next().ok_or("--split needs a value")?.parse()?,
			"--scaling" => scaling = Some(args.next().ok_or("--scaling needs a value")?.parse()?),
			"--rule" => simulation.rule = parse_rule(&args.next().ok_or("--rule needs a value")?)?,
			"--rounds" => simulation.rounds = number(args.next())? as u32,
			"--epochs" => simulation.training.epochs = number(args.next())? as u16,
			"--batch-size" => simulation.training.batch_size = number(args.next())? as u16,
			"--learning-rate" => simulation.training.learning_rate = number(args.next())?,
			"--dp" => {
				let v = args.next().ok_or("--dp needs clip:noise")?;
				let (c, n) = v.split_once(':').ok_or("--dp needs clip:noise")?;
				simulation.training.dp =
					Some((c.parse().map_err(|_| "bad clip")?, n.parse().map_err(|_| "bad noise")?));
			},
			"--attack" => attacks.push(args.next().ok_or("--attack needs a value")?.parse()?),
			"--attackers" => attackers = Some(number(args.next())? as usize),
			"--no-gate" => no_gate = true,
			"--accept-within" => gate.accept_within = number(args.next())? as u32,
			"--slash-beyond" => gate.slash_beyond = number(args.next())? as u32,
			"--accept-spread-percent" => gate.accept_spread_percent = number(args.next())? as u32,
			"--slash-spread-percent" => gate.slash_spread_percent = number(args.next())? as u32,
			"--min-score" => gate.min_score = number(args.next())? as u32,
			"--clip-norm-percent" => gate.clip_norm_percent = number(args.next())? as u32,
			"--max-weight-percent" => gate.max_weight_percent = number(args.next())? as u32,
			"--copy-distance-micros" => gate.copy_distance_micros = number(args.next())? as u32,
			"--min-norm-percent" => gate.min_norm_percent = number(args.next())? as u32,
			"--score-tolerance" => gate.score_tolerance = number(args.next())? as u32,
			"--fedprox-mu" => simulation.training.fedprox_mu = number(args.next())?,
			"--aggregators" => simulation.aggregators = number(args.next())? as usize,
			"--reward" => simulation.reward = number(args.next())? as u128,
			"--seed" => simulation.seed = number(args.next())? as u64,
			"--hidden" => {
				let sizes = args.next().ok_or("--hidden needs sizes")?;
				let hidden: Vec<u32> = sizes
					.split(',')
					.filter(|s| !s.is_empty())
					.map(|s| s.parse::<u32>().map_err(|e| e.to_string()))
					.collect::<Result<_, _>>()?;
				hidden_sizes = Some(hidden);
			},
			"--colluding-aggregators" => colluding = number(args.next())?,
			"--tally-at" => checkpoints.push(number(args.next())? as usize),
			other => return Err(format!("unknown flag {other}")),
		}
	}
	if dataset != "digits" {
		simulation.data = Dataset::bundled(&dataset.replace('-', "_"))
			.or_else(|_| Dataset::load(std::path::Path::new(&dataset)))
			.map_err(|e| e.to_string())?;
	}
	simulation.scaling = scaling.unwrap_or(Scaling::default_for(&dataset));
	simulation.model = ModelSpec::Mlp {
		input: simulation.data.feature_count as u32,
		hidden: hidden_sizes.unwrap_or(vec![32]).try_into().map_err(|_| "at most 8 layers")?,
		classes: simulation.data.class_count as u32,
	};
	let count = attackers.unwrap_or(attacks.len());
	if count > 0 && attacks.is_empty() {
		return Err("--attackers needs --attack".into());
	}
	simulation.attackers = attacks.iter().copied().cycle().take(count).collect();
	simulation.gate = (!no_gate).then_some(gate);
	simulation.colluding_aggregators = colluding_count(colluding, simulation.aggregators)
		.ok_or("--colluding-aggregators is a share of the aggregators, 0 to 1")?;
	println!("{ROUND_HEADER}");
	let started = std::time::Instant::now();
	let outcome = simulation
		.run(&Aggregator::detect(), &cohort_ml::training_device(), |r| println!("{r}"))
		.map_err(|e| e.to_string())?;
	println!("{outcome}");
	// One line per checkpoint, for scripts (scripts/simulate-matrix.sh).
	for at in checkpoints.into_iter().filter(|k| (1..=outcome.rounds.len()).contains(k)) {
		let t = outcome.tally(at);
		println!(
			"tally rounds={at} accuracy={:.2} honest_slashes={} honest_paid={}/{} worst_paid={:.3} honest_earned={} attacker_earned={} honest_aggregators_strayed={} colluders_strayed={}",
			outcome.rounds[at - 1].quality.accuracy * 100.0,
			t.honest_slashes,
			t.honest_rounds_paid,
			t.honest_rounds,
			t.worst_paid_share,
			t.honest_earned,
			t.attacker_earned,
			t.honest_aggregators_strayed,
			t.colluders_strayed,
		);
	}
	println!("({:.1} s)", started.elapsed().as_secs_f32());
	Ok(())
}
