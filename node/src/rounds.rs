//! `cohort-node rounds`: a task's finished rounds as a table, and optionally as a chart.
//!
//! It asks a running node over JSON-RPC (`state_call` of `FederatedApi_round_history` with the
//! SCALE-encoded task id, the same call Polkadot.js makes for `api.call.federatedApi`), so it
//! needs no database of its own and works against any node of the chain.

use std::path::PathBuf;

use codec::{DecodeAll, Encode};
use cohort_primitives::{round::FailReason, Phase, RoundIndex, RoundSummary, TaskId};
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClientBuilder};
use sp_core::Bytes;

use crate::chart;
use cohort_worker::amount::coh;

/// The runtime API method `state_call` names.
pub const ROUND_HISTORY: &str = "FederatedApi_round_history";

/// A task's finished rounds, oldest first, as the runtime returns them.
pub type History = Vec<(RoundIndex, RoundSummary<u128, u32>)>;

/// `rounds`: print a task's finished rounds.
#[derive(Debug, clap::Args)]
pub struct RoundsCmd {
	/// The task.
	#[arg(long)]
	pub task: TaskId,

	/// The node's WebSocket JSON-RPC endpoint.
	#[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,

	/// Also draw validation accuracy and loss per round into this SVG file.
	#[arg(long, value_name = "FILE")]
	pub chart: Option<PathBuf>,
}

impl RoundsCmd {
	/// Fetches the history, prints the table, writes the chart if asked.
	pub fn run(&self) -> sc_cli::Result<()> {
		let runtime = sc_cli::build_runtime()?;
		let history = runtime.block_on(fetch(&self.url, self.task))?;
		print!("{}", table(self.task, &history));
		if let Some(path) = &self.chart {
			let points = points(&history);
			if points.is_empty() {
				return Err("no finalized round has metrics yet: no chart written".into());
			}
			let title =
				format!("Cohort task {}: the global model on the validation set", self.task);
			std::fs::write(path, chart::svg(&title, &points))
				.map_err(|e| format!("{}: {e}", path.display()))?;
			println!("chart: {}", path.display());
		}
		Ok(())
	}
}

/// A task's history from the node at `url`.
pub async fn fetch(url: &str, task: TaskId) -> Result<History, String> {
	let client = WsClientBuilder::default()
		.build(url)
		.await
		.map_err(|e| format!("cannot connect to {url}: {e}"))?;
	let bytes: Bytes = client
		.request("state_call", rpc_params![ROUND_HISTORY, Bytes(task.encode())])
		.await
		.map_err(|e| format!("{ROUND_HISTORY} at {url}: {e}"))?;
	decode(&bytes)
}

/// The runtime's answer, decoded: all of it, nothing left over.
pub fn decode(bytes: &[u8]) -> Result<History, String> {
	History::decode_all(&mut &bytes[..])
		.map_err(|e| format!("the node's round history does not decode ({e}): another runtime?"))
}

fn outcome(phase: &Phase) -> String {
	let reason = |r: &FailReason| match r {
		FailReason::NotEnoughCommits => "too few commits",
		FailReason::NotEnoughReveals => "too few reveals",
		FailReason::NotEnoughScores => "too few scores",
		FailReason::NotEnoughAccepted => "too few accepted",
		FailReason::NoQuorum => "no quorum",
		FailReason::Cancelled => "cancelled",
	};
	match phase {
		Phase::Finalized { .. } => "finalized".into(),
		Phase::Failed { reason: r } => format!("failed: {}", reason(r)),
		// A summary is only made of a closed round; say so if a runtime thinks otherwise.
		other => format!("{other:?}"),
	}
}

/// The table `rounds` prints: one line per round (rewards and royalties apart), then totals.
pub fn table(task: TaskId, history: &History) -> String {
	if history.is_empty() {
		return format!("task {task} has no finished rounds (yet, or no such task)\n");
	}
	let mut out = format!(
		"task {task}: {} finished rounds\n{:>5}  {:<24}  {:>8}  {:>8}  {:>10}  {:>8}  {:>20}  {:>20}\n",
		history.len(),
		"round",
		"outcome",
		"revealed",
		"accepted",
		"accuracy %",
		"loss",
		"paid (COH)",
		"royalties (COH)",
	);
	let (mut paid, mut royalties) = (0u128, 0u128);
	for (round, summary) in history {
		let (accuracy, loss) = match summary.metrics {
			Some(m) => (
				format!("{:.2}", m.accuracy_micros as f64 / 10_000.0),
				format!("{:.4}", m.loss_micros as f64 / 1_000_000.0),
			),
			None => ("-".into(), "-".into()),
		};
		paid = paid.saturating_add(summary.paid);
		royalties = royalties.saturating_add(summary.royalties);
		out += &format!(
			"{round:>5}  {:<24}  {:>8}  {:>8}  {accuracy:>10}  {loss:>8}  {:>20}  {:>20}\n",
			outcome(&summary.outcome),
			summary.updates,
			summary.accepted,
			coh(summary.paid),
			coh(summary.royalties),
		);
	}
	let finalized =
		history.iter().filter(|(_, s)| matches!(s.outcome, Phase::Finalized { .. })).count();
	out += &format!(
		"{finalized} of {} rounds finalized; paid {} COH in rewards and {} COH in royalties\n",
		history.len(),
		coh(paid),
		coh(royalties)
	);
	out
}

/// The chart's points: each finalized round with metrics, numbered by the rounds the model has
/// been through (round 0's aggregate is the model after 1 round).
pub fn points(history: &History) -> Vec<chart::Point> {
	history
		.iter()
		.filter_map(|(round, s)| {
			let m = s.metrics?;
			Some(chart::Point {
				round: round.saturating_add(1),
				accuracy: m.accuracy_micros as f64 / 1_000_000.0,
				loss: m.loss_micros as f64 / 1_000_000.0,
			})
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use cohort_primitives::RoundMetrics;
	use sp_core::H256;

	fn history() -> History {
		let finalized = |round: u32, accuracy_micros, loss_micros, paid, royalties| {
			(
				round,
				RoundSummary {
					outcome: Phase::Finalized { aggregate: H256::repeat_byte(round as u8) },
					started: 10 * round,
					updates: 5,
					accepted: 4,
					metrics: Some(RoundMetrics { loss_micros, accuracy_micros }),
					paid,
					royalties,
				},
			)
		};
		vec![
			finalized(0, 412_500, 2_103_400, 10_000_000_000_000, 200_000_000_000),
			(
				1,
				RoundSummary {
					outcome: Phase::Failed { reason: FailReason::NotEnoughReveals },
					started: 10,
					updates: 2,
					accepted: 0,
					metrics: None,
					paid: 0,
					royalties: 0,
				},
			),
			finalized(2, 782_500, 700_000, 1_500_000_000_001, 100_000_000_002),
		]
	}

	#[test]
	fn the_history_decodes_from_its_scale_bytes_and_nothing_else() {
		let bytes = history().encode();
		assert_eq!(decode(&bytes).unwrap(), history());
		assert!(decode(&bytes[..bytes.len() - 1]).is_err(), "torn");
		assert!(decode(&[&bytes[..], &[0]].concat()).is_err(), "trailing bytes");
		assert_eq!(decode(&[0]).unwrap(), History::new());
	}

	#[test]
	fn the_table_shows_each_round_in_percent_and_coh() {
		let table = table(3, &history());
		let lines: Vec<&str> = table.lines().collect();
		assert_eq!(lines.len(), 1 + 1 + 3 + 1, "{table}");
		assert!(lines[0].starts_with("task 3: 3 finished rounds"));
		for column in
			["round", "outcome", "revealed", "accepted", "accuracy %", "loss", "paid", "royalties"]
		{
			assert!(lines[1].contains(column), "{column}: {table}");
		}
		let row: Vec<&str> = lines[2].split_whitespace().collect();
		assert_eq!(
			row,
			["0", "finalized", "5", "4", "41.25", "2.1034", "10.000000000000", "0.200000000000"]
		);
		assert!(lines[3].contains("failed: too few reveals"), "{table}");
		let row: Vec<&str> = lines[3].split_whitespace().collect();
		assert_eq!(row[row.len() - 6..], ["2", "0", "-", "-", "0.000000000000", "0.000000000000"]);
		let row: Vec<&str> = lines[4].split_whitespace().collect();
		assert_eq!(
			row,
			["2", "finalized", "5", "4", "78.25", "0.7000", "1.500000000001", "0.100000000002"]
		);
		assert_eq!(
			lines[5],
			"2 of 3 rounds finalized; paid 11.500000000001 COH in rewards and 0.300000000002 COH \
			 in royalties"
		);
		assert!(super::table(9, &History::new()).contains("no finished rounds"));
	}

	#[test]
	fn the_chart_has_each_round_with_metrics_counted_from_one() {
		let points = points(&history());
		assert_eq!(
			points,
			vec![
				chart::Point { round: 1, accuracy: 0.4125, loss: 2.1034 },
				chart::Point { round: 3, accuracy: 0.7825, loss: 0.7 },
			]
		);
	}

	/// The whole path through JSON-RPC: a server that answers `state_call` as a node does,
	/// and checks it is asked for the right method and task.
	#[test]
	fn fetch_asks_the_node_for_the_round_history_of_the_task() {
		use jsonrpsee::{server::Server, RpcModule};
		let runtime = sc_cli::build_runtime().unwrap();
		let history = runtime.block_on(async {
			let mut module = RpcModule::new(());
			module
				.register_method("state_call", |params, _, _| {
					let (method, data): (String, Bytes) = params.parse()?;
					let answer = match (method.as_str(), TaskId::decode_all(&mut &data[..])) {
						(ROUND_HISTORY, Ok(3)) => history(),
						_ => History::new(),
					};
					Ok::<_, jsonrpsee::types::ErrorObjectOwned>(Bytes(answer.encode()))
				})
				.unwrap();
			let server = Server::builder().build("127.0.0.1:0").await.unwrap();
			let url = format!("ws://{}", server.local_addr().unwrap());
			let handle = server.start(module);
			let fetched = (fetch(&url, 3).await, fetch(&url, 4).await);
			handle.stop().unwrap();
			fetched
		});
		assert_eq!(history.0.unwrap(), self::history());
		assert_eq!(history.1.unwrap(), History::new());
		let unreachable = runtime.block_on(fetch("ws://127.0.0.1:1", 3));
		assert!(unreachable.unwrap_err().contains("cannot connect"));
	}
}
