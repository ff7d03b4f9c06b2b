//! Following the chain through one node after another: the worker connects to the first node
//! of its list that answers, acts once per new best block, notes finalized heads, and when the
//! node goes away (or stops producing blocks) moves to the next one, round the list, for as long
//! as it runs. It never follows a node of another chain: the first node's genesis is the only
//! one it accepts afterwards.

use std::time::{Duration, Instant};

use codec::Encode;
use cohort_worker::{
	chain::{Balance, BlockNumber},
	Worker,
};
use futures::FutureExt;
use sp_core::{sr25519, H256};
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use tokio::{runtime::Handle, sync::watch};

use crate::{
	keys::WorkerKeystore,
	rpc::{Connection, RpcChain},
};

const LOG: &str = "cohort-worker";

/// How long connecting to a node may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two attempts once every node has failed.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Best blocks between two progress lines.
const PROGRESS_EVERY: BlockNumber = 10;

/// The demo task the worker creates once connected (`--demo-task`): its owner and specification.
pub type DemoTask = (sr25519::Public, cohort_primitives::TaskSpec<Balance, BlockNumber>);

/// Why serving through one node ended.
enum Ended {
	/// Asked to stop.
	Stopped,
	/// The node went away, or something it answered makes it unusable; try the next one.
	Lost(String),
}

/// What a worker follows the chain with.
pub struct Follower {
	pub runtime: Handle,
	pub nodes: Vec<String>,
	pub keystore: WorkerKeystore,
	pub worker: Worker,
	pub demo_task: Option<DemoTask>,
	/// Turns `true` when the worker must stop (SIGTERM, SIGINT).
	pub stop: watch::Receiver<bool>,
}

impl Follower {
	/// Serves the worker's keys until asked to stop.
	pub fn run(mut self) {
		let mut genesis: Option<H256> = None;
		let mut failures: u32 = 0;
		let mut next = 0;
		while !*self.stop.borrow() {
			let url = self.nodes[next % self.nodes.len()].clone();
			next += 1;
			let connection = match self.connect(&url) {
				Ok(connection) => connection,
				Err(e) => {
					log::warn!(target: LOG, "cannot connect to {url}: {e}");
					failures += 1;
					// Once round the whole list without success, wait a little longer each time.
					if (failures as usize).is_multiple_of(self.nodes.len()) {
						let rounds = failures / self.nodes.len() as u32;
						self.pause(Duration::from_millis(500 << rounds.min(5)).min(MAX_BACKOFF));
					}
					continue;
				},
			};
			let chain_genesis = connection.client.genesis_hash();
			match genesis {
				Some(expected) if expected != chain_genesis => {
					log::error!(
						target: LOG,
						"{url} serves another chain (genesis {chain_genesis:?}, not {expected:?}): \
						 skipped"
					);
					failures += 1;
					continue;
				},
				_ => genesis = Some(chain_genesis),
			}
			failures = 0;
			log::info!(target: LOG, "connected to {url}");
			match self.serve(&connection) {
				Ended::Stopped => break,
				Ended::Lost(why) => {
					log::warn!(target: LOG, "lost {url}: {why}; trying the next node")
				},
			}
		}
		log::info!(target: LOG, "stopped");
	}

	fn connect(&self, url: &str) -> Result<Connection, String> {
		self.runtime.block_on(async {
			tokio::time::timeout(CONNECT_TIMEOUT, Connection::open(url))
				.await
				.map_err(|_| format!("no answer in {} s", CONNECT_TIMEOUT.as_secs()))?
		})
	}

	/// Sleeps, unless asked to stop meanwhile.
	fn pause(&mut self, duration: Duration) {
		let mut stop = self.stop.clone();
		self.runtime.block_on(async {
			tokio::select! {
				_ = tokio::time::sleep(duration) => {},
				_ = stop.changed() => {},
			}
		});
	}

	/// Acts on every new best block the node announces, until it goes away or the worker stops.
	fn serve(&mut self, connection: &Connection) -> Ended {
		let rpc = &connection.rpc;
		let subscribed = self.runtime.block_on(async {
			let heads = rpc.chain_subscribe_new_heads().await?;
			let finalized = rpc.chain_subscribe_finalized_heads().await?;
			let head = rpc.chain_get_header(Some(rpc.chain_get_finalized_head().await?)).await?;
			Ok::<_, subxt::rpcs::Error>((heads, finalized, head.map_or(0, |h| h.number)))
		});
		let (mut heads, mut finalized, mut finalized_number) = match subscribed {
			Ok(subscriptions) => subscriptions,
			Err(e) => return Ended::Lost(format!("cannot follow its blocks: {e}")),
		};
		let mut block_time = None;
		let mut last_progress: Option<u64> = None;
		let mut last_head = Instant::now();
		let mut syncing_logged = false;
		let mut stop = self.stop.clone();
		loop {
			// A node that stops announcing blocks for long is as good as gone.
			let stall = block_time
				.map(|t: Duration| (t * 10).max(Duration::from_secs(60)))
				.unwrap_or(Duration::from_secs(60));
			let wait = stall.saturating_sub(last_head.elapsed());
			enum Next<H> {
				Best(Option<Result<H, subxt::rpcs::Error>>),
				Finalized(Option<Result<H, subxt::rpcs::Error>>),
				Stalled,
				Stop,
			}
			let next = self.runtime.block_on(async {
				tokio::select! {
					head = heads.next() => Next::Best(head),
					head = finalized.next() => Next::Finalized(head),
					_ = tokio::time::sleep(wait) => Next::Stalled,
					_ = stop.changed() => Next::Stop,
				}
			});
			let mut header = match next {
				Next::Stop => return Ended::Stopped,
				Next::Stalled => {
					return Ended::Lost(format!("no new block for {} s", stall.as_secs()))
				},
				Next::Finalized(Some(Ok(header))) => {
					finalized_number = header.number;
					continue;
				},
				Next::Best(Some(Ok(header))) => header,
				Next::Best(Some(Err(e))) | Next::Finalized(Some(Err(e))) => {
					return Ended::Lost(e.to_string())
				},
				Next::Best(None) | Next::Finalized(None) => {
					return Ended::Lost("the node closed the subscription".into())
				},
			};
			last_head = Instant::now();
			// Blocks announced while the worker was busy (a long training run): act once, on
			// the newest.
			while let Some(Some(Ok(newer))) =
				self.runtime.block_on(async { heads.next().now_or_never() })
			{
				header = newer;
			}
			// A node still catching up shows an old state: wait until it has caught up.
			match self.runtime.block_on(rpc.system_health()) {
				Ok(health) if health.is_syncing => {
					if !syncing_logged {
						log::info!(target: LOG, "{} is syncing: waiting for it", connection.url);
						syncing_logged = true;
					}
					continue;
				},
				Ok(_) => syncing_logged = false,
				Err(e) => return Ended::Lost(e.to_string()),
			}
			let hash = BlakeTwo256::hash(&header.encode());
			let number = header.number as BlockNumber;
			let slot = match block_time {
				Some(slot) => slot,
				None => match self.runtime.block_on(connection.block_time(hash)) {
					Ok(slot) => *block_time.insert(slot),
					Err(e) => return Ended::Lost(format!("cannot read the block time: {e}")),
				},
			};
			if last_progress.is_none_or(|n| header.number >= n + PROGRESS_EVERY as u64) {
				log::info!(
					target: LOG,
					"⛓  best #{number}, finalized #{finalized_number} ({})",
					connection.url
				);
				last_progress = Some(header.number);
			}
			let chain =
				match RpcChain::at(&self.runtime, connection, &self.keystore, hash, number, slot) {
					Ok(chain) => chain,
					Err(e) => return Ended::Lost(format!("cannot read block #{number}: {e}")),
				};
			if let Some((owner, spec)) = self.demo_task.take() {
				self.worker.create_demo_task(&chain, &owner, spec);
			}
			self.worker.on_block(&chain);
		}
	}
}
