//! Hosts the ML worker (`cohort-worker`) in the node: the [`Chain`] it needs, over this node's
//! client, keystore and transaction pool, and the task that runs it on every new best block.

use std::{path::PathBuf, sync::Arc, time::Duration};

use codec::{Decode, Encode};
use cohort_primitives::{
	api::{ComputeLeaseApi, FederatedApi, Membership},
	RoundIndex, TaskId,
};
use cohort_runtime::{
	opaque::Block, AccountId, Hash, RuntimeCall, RuntimeError, RuntimeEvent, UncheckedExtrinsic,
};
use cohort_worker::{
	chain::{
		AggregatorView, BlockNumber, ComputeOffer, ComputeWorkerDuty, Payload, Task, TrainerView,
		WorkerDuty,
	},
	data::DataDir,
	Action, AutoJoin, Behaviour, Chain, ChainError, Outcome, Participant, RoundView, Worker,
	WORKER_KEY_TYPE,
};
use futures::{FutureExt, StreamExt};
use pallet_compute_lease::Call as ComputeLeaseCall;
use pallet_federated::{Call as FederatedCall, JoinAs};
use sc_client_api::{BlockBackend, BlockchainEvents, StorageProvider};
use sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, storage::StorageKey, H256};
use sp_io::hashing::twox_128;
use sp_keystore::KeystorePtr;
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _},
	DispatchError,
};

use crate::service::FullClient;

/// How the node runs the worker (`--ml-worker`).
#[derive(Debug, Clone)]
pub struct MlWorkerOptions {
	pub data_dir: PathBuf,
	/// Simulated data owners with dev keys (`--dev`).
	pub simulate_owners: bool,
	/// Create a demo task on the simulated owners' data if the chain has none (`--ml-demo-task`).
	pub demo_task: bool,
	/// Add the dev cheaters: a copying trainer and a lazy copying aggregator
	/// (`--ml-dev-cheaters`, with `--dev` only).
	pub cheaters: bool,
	/// Add one poisoning data owner per attack (`--ml-dev-poisoners`, with `--dev` only).
	pub poisoners: Vec<cohort_ml::attack::Attack>,
}

type Pool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

struct NodeChain {
	client: Arc<FullClient>,
	pool: Arc<Pool>,
	keystore: KeystorePtr,
	/// The Aura slot: the time between blocks.
	block_time: Duration,
}

/// The runtime's name for a dispatch error, as the metadata has it: `Federated::CommitmentMismatch`
/// for a pallet's error, the error itself otherwise (`BadOrigin`, `Token(FundsUnavailable)`).
pub fn error_name(error: DispatchError) -> String {
	match RuntimeError::from_dispatch_error(error) {
		// `RuntimeError`'s debug form is `Pallet(Variant)`; a pallet error's is its name.
		Some(e) => {
			let debug = format!("{e:?}");
			match debug.split_once('(') {
				Some((pallet, variant)) => format!("{pallet}::{}", variant.trim_end_matches(')')),
				None => debug,
			}
		},
		None => format!("{error:?}"),
	}
}

/// The storage key of `System::Events`.
fn events_key() -> StorageKey {
	StorageKey([twox_128(b"System"), twox_128(b"Events")].concat())
}

fn err(e: impl std::fmt::Display) -> ChainError {
	ChainError(e.to_string())
}

impl NodeChain {
	fn best(&self) -> <Block as sp_runtime::traits::Block>::Hash {
		self.client.info().best_hash
	}

	/// The account's next nonce: its state nonce, past every ready transaction of its own in
	/// the pool (as `system_accountNextIndex` does).
	fn next_nonce(&self, who: &AccountId) -> Result<u32, ChainError> {
		use frame_system_rpc_runtime_api::AccountNonceApi;
		let mut nonce =
			self.client.runtime_api().account_nonce(self.best(), who.clone()).map_err(err)?;
		for tx in self.pool.ready() {
			if tx.provides().first() == Some(&(who.clone(), nonce).encode()) {
				nonce += 1;
			}
		}
		Ok(nonce)
	}
}

impl Chain for NodeChain {
	fn best_number(&self) -> BlockNumber {
		self.client.info().best_number
	}

	fn block_time(&self) -> Duration {
		self.block_time
	}

	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError> {
		self.client.runtime_api().duties(self.best(), who.clone()).map_err(err)
	}

	fn compute_duties(&self, who: &AccountId) -> Result<Vec<ComputeWorkerDuty>, ChainError> {
		self.client.runtime_api().compute_duties(self.best(), who.clone()).map_err(err)
	}

	fn offer(&self, who: &AccountId) -> Result<Option<ComputeOffer>, ChainError> {
		self.client.runtime_api().offer(self.best(), who.clone()).map_err(err)
	}

	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError> {
		self.client.runtime_api().memberships(self.best(), who.clone()).map_err(err)
	}

	fn task(&self, task: TaskId) -> Result<Option<Task>, ChainError> {
		self.client.runtime_api().task(self.best(), task).map_err(err)
	}

	fn round(&self, task: TaskId, round: RoundIndex) -> Result<Option<RoundView>, ChainError> {
		let Some(record) =
			self.client.runtime_api().round(self.best(), task, round).map_err(err)?
		else {
			return Ok(None);
		};
		let trainers = record
			.trainers
			.into_iter()
			.map(|t| TrainerView {
				who: t.who,
				commitment: t.commitment,
				update: t.update,
				score: t.score,
				accepted: t.accepted,
			})
			.collect();
		let aggregators = record
			.aggregators
			.into_iter()
			.map(|a| AggregatorView {
				who: a.who,
				score_commitment: a.score_commitment,
				scores: a.scores.map(|s| s.into_inner()),
				commitment: a.commitment,
				revealed: a.submission.map(|s| (s.aggregate, s.metrics)),
			})
			.collect();
		Ok(Some(RoundView { trainers, aggregators }))
	}

	fn payload(&self, at: &Payload) -> Result<Vec<u8>, ChainError> {
		let hash = self
			.client
			.block_hash(at.block)
			.map_err(err)?
			.ok_or_else(|| err(format!("no block {}", at.block)))?;
		let body = self
			.client
			.block_body(hash)
			.map_err(err)?
			.ok_or_else(|| err(format!("block {} has no body here (pruned?)", at.block)))?;
		let opaque = body.get(at.extrinsic_index as usize).ok_or_else(|| {
			err(format!("block {} has no extrinsic {}", at.block, at.extrinsic_index))
		})?;
		let xt = UncheckedExtrinsic::decode(&mut &opaque.encode()[..]).map_err(err)?;
		let bytes = match xt.function {
			RuntimeCall::Federated(FederatedCall::reveal_update { update, .. }) => {
				update.into_inner()
			},
			RuntimeCall::Federated(FederatedCall::reveal_aggregate {
				payload: Some(payload),
				..
			}) => payload.into_inner(),
			_ => return Err(err("the extrinsic carries no payload")),
		};
		if cohort_ml::codec::payload_hash(&bytes) != at.payload_hash {
			return Err(err("the payload does not match its hash"));
		}
		Ok(bytes)
	}

	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<H256, ChainError> {
		let bounded = |v: Vec<u8>| v.try_into().map_err(|_| err("payload too large"));
		let call: RuntimeCall = match action {
			Action::CreateTask { spec } => FederatedCall::create_task { spec }.into(),
			Action::Join { task, dataset, bond } => FederatedCall::join {
				task,
				role: match dataset {
					Some(dataset) => JoinAs::Trainer { dataset },
					None => JoinAs::Aggregator,
				},
				bond,
			}
			.into(),
			Action::Commit { task, round, commitment } => {
				FederatedCall::commit_update { task, round, commitment }.into()
			},
			Action::Reveal { task, round, update, salt } => {
				FederatedCall::reveal_update { task, round, update: bounded(update)?, salt }.into()
			},
			Action::CommitScores { task, round, commitment } => {
				FederatedCall::commit_scores { task, round, commitment }.into()
			},
			Action::RevealScores { task, round, scores, salt } => FederatedCall::reveal_scores {
				task,
				round,
				scores: scores.try_into().map_err(|_| err("too many scores"))?,
				salt,
			}
			.into(),
			Action::CommitAggregate { task, round, commitment } => {
				FederatedCall::commit_aggregate { task, round, commitment }.into()
			},
			Action::RevealAggregate { task, round, aggregate, metrics, salt, payload } => {
				FederatedCall::reveal_aggregate {
					task,
					round,
					aggregate,
					metrics,
					salt,
					payload: payload.map(bounded).transpose()?,
				}
				.into()
			},
			Action::RegisterOffer { hardware, claimed_score, terms } => {
				ComputeLeaseCall::register_offer { hardware, claimed_score, terms }.into()
			},
			Action::Heartbeat => ComputeLeaseCall::heartbeat {}.into(),
			Action::CommitChallenge { id, commitment } => {
				ComputeLeaseCall::commit_challenge { challenge: id, commitment }.into()
			},
			Action::RevealChallenge { id, answer, salt } => {
				ComputeLeaseCall::reveal_challenge { challenge: id, answer, salt }.into()
			},
		};
		let nonce = self.next_nonce(&AccountId::from(*signer))?;
		let keystore = self.keystore.clone();
		let xt = crate::extrinsic::create_extrinsic_signed_by(
			&*self.client,
			*signer,
			|payload| keystore.sr25519_sign(WORKER_KEY_TYPE, signer, payload).ok().flatten(),
			call,
			nonce,
		)
		.ok_or_else(|| err("the keystore cannot sign with this key"))?;
		let xt =
			sp_runtime::OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).map_err(err)?;
		// The same hash `outcomes` computes for the extrinsics of a block body.
		let hash = BlakeTwo256::hash_of(&xt);
		futures::executor::block_on(self.pool.submit_one(
			self.best(),
			TransactionSource::Local,
			xt,
		))
		.map_err(err)?;
		Ok(hash)
	}

	fn outcomes(&self, number: BlockNumber) -> Result<Option<Vec<Outcome>>, ChainError> {
		let Some(hash) = self.client.block_hash(number).map_err(err)? else { return Ok(None) };
		let body = self
			.client
			.block_body(hash)
			.map_err(err)?
			.ok_or_else(|| err(format!("block {number} has no body here (pruned?)")))?;
		let events = match self.client.storage(hash, &events_key()).map_err(err)? {
			Some(data) => {
				Vec::<frame_system::EventRecord<RuntimeEvent, Hash>>::decode(&mut &data.0[..])
					.map_err(|e| err(format!("the events of block {number}: {e}")))?
			},
			None => Vec::new(),
		};
		let failed = |index: usize| {
			events.iter().find_map(|record| match &record.event {
				RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
					dispatch_error,
					..
				}) if record.phase == frame_system::Phase::ApplyExtrinsic(index as u32) => {
					Some(error_name(*dispatch_error))
				},
				_ => None,
			})
		};
		Ok(Some(
			body.iter()
				.enumerate()
				.map(|(i, xt)| Outcome { extrinsic: BlakeTwo256::hash_of(xt), error: failed(i) })
				.collect(),
		))
	}
}

/// A dev key's name in the worker's logs: what it is, and its secret URI.
fn dev_name(key: &cohort_worker::dev::DevKey) -> String {
	let uri = key.uri;
	match (&key.auto_join, &key.behaviour) {
		(_, Behaviour::CopyingTrainer) => format!("copying trainer ({uri})"),
		(_, Behaviour::LazyAggregator) => format!("lazy aggregator ({uri})"),
		(AutoJoin::Trainer { dataset, .. }, Behaviour::Poisoner(attack)) => {
			format!("poisoner {dataset} {attack} ({uri})")
		},
		(AutoJoin::Trainer { dataset, .. }, _) => format!("owner {dataset} ({uri})"),
		(AutoJoin::Aggregator { .. }, _) => format!("aggregator {uri}"),
	}
}

/// Starts the worker as a task of the node (off the import path: a blocking task of its own),
/// acting once per new best block.
pub fn spawn(
	options: MlWorkerOptions,
	client: Arc<FullClient>,
	pool: Arc<Pool>,
	keystore: KeystorePtr,
	task_manager: &sc_service::TaskManager,
) -> Result<(), String> {
	let mut data = DataDir::open(&options.data_dir).map_err(|e| e.to_string())?;
	let mut participants = Vec::new();
	let mut demo_owner = None;
	if options.simulate_owners {
		let validation = cohort_worker::dev::prepare(&mut data, options.poisoners.len())
			.map_err(|e| e.to_string())?;
		let cheaters = options.cheaters.then(cohort_worker::dev::cheaters).unwrap_or_default();
		let poisoners = cohort_worker::dev::poisoners(&options.poisoners)?;
		for key in cohort_worker::dev::participants().into_iter().chain(cheaters).chain(poisoners) {
			let uri = key.uri;
			let public = keystore
				.sr25519_generate_new(WORKER_KEY_TYPE, Some(uri))
				.map_err(|e| e.to_string())?;
			let name = dev_name(&key);
			participants.push(Participant {
				public,
				name,
				auto_join: Some(key.auto_join),
				behaviour: key.behaviour,
				provider: None,
			});
		}
		// The dev compute providers: two of the aggregators, and a key that does nothing else.
		for uri in cohort_worker::dev::PROVIDERS {
			let public = keystore
				.sr25519_generate_new(WORKER_KEY_TYPE, Some(uri))
				.map_err(|e| e.to_string())?;
			let terms = Some(cohort_worker::dev::provider_terms());
			match participants.iter_mut().find(|p| p.public == public) {
				Some(p) => p.provider = terms,
				None => participants.push(Participant {
					provider: terms,
					..Participant::new(public, format!("provider {uri}"))
				}),
			}
		}
		if options.demo_task {
			let public = keystore
				.sr25519_generate_new(WORKER_KEY_TYPE, Some(cohort_worker::dev::DEMO_OWNER))
				.map_err(|e| e.to_string())?;
			let spec = cohort_worker::dev::demo_task(
				validation,
				options.cheaters,
				options.poisoners.len(),
			);
			demo_owner = Some((public, spec));
		}
	}
	for public in keystore.sr25519_public_keys(WORKER_KEY_TYPE) {
		if !participants.iter().any(|p| p.public == public)
			&& demo_owner.as_ref().is_none_or(|(o, _)| *o != public)
		{
			let name = sp_core::crypto::Ss58Codec::to_ss58check(&AccountId::from(public));
			participants.push(Participant::new(public, name));
		}
	}
	let aggregator = cohort_ml::opencl::Aggregator::detect();
	let mut worker = Worker::new(participants, data, aggregator)?;
	let slot =
		sc_consensus_aura::slot_duration::<sp_consensus_aura::sr25519::AuthorityId, _, _>(&*client)
			.map_err(|e| format!("the Aura slot duration: {e}"))?;
	let block_time = Duration::from_millis(slot.as_millis());
	let chain = NodeChain { client: client.clone(), pool, keystore, block_time };

	task_manager.spawn_handle().spawn_blocking("ml-worker", Some("ml-worker"), async move {
		let mut blocks = client.import_notification_stream();
		let mut last = None;
		while let Some(block) = blocks.next().await {
			if !block.is_new_best {
				continue;
			}
			// Work queued behind a long training run: act once, on the newest block.
			while let Some(Some(_)) = blocks.next().now_or_never() {}
			let now = chain.best_number();
			if last == Some(now) {
				continue;
			}
			last = Some(now);
			if let Some((owner, spec)) = demo_owner.take() {
				worker.create_demo_task(&chain, &owner, spec);
			}
			worker.on_block(&chain);
		}
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dispatch_errors_are_named_as_in_the_metadata() {
		let mismatch = pallet_federated::Error::<cohort_runtime::Runtime>::CommitmentMismatch;
		assert_eq!(error_name(mismatch.into()), "Federated::CommitmentMismatch");
		let funds = pallet_balances::Error::<cohort_runtime::Runtime>::InsufficientBalance;
		assert_eq!(error_name(funds.into()), "Balances::InsufficientBalance");
		assert_eq!(error_name(DispatchError::BadOrigin), "BadOrigin");
	}

	/// Every dev key the worker signs with (owners, aggregators, cheaters, poisoners, the demo
	/// task's owner, the compute providers) must hold COH in the dev genesis: joining and
	/// offering compute bond it.
	#[test]
	fn every_dev_key_is_endowed_in_the_dev_genesis() {
		use sp_core::{crypto::Ss58Codec, Pair};
		let preset = cohort_runtime::genesis_config_presets::get_preset(
			&sp_genesis_builder::DEV_RUNTIME_PRESET.into(),
		)
		.expect("the dev preset");
		let genesis: serde_json::Value = serde_json::from_slice(&preset).unwrap();
		let endowed: Vec<AccountId> = genesis["balances"]["balances"]
			.as_array()
			.expect("endowed accounts")
			.iter()
			.map(|entry| {
				let address = entry[0].as_str().expect("an address");
				AccountId::from_ss58check_with_version(address).expect("an SS58 address").0
			})
			.collect();
		let attacks = vec!["scale:-10".parse().unwrap(); cohort_worker::dev::POISONER_URIS.len()];
		let uris: Vec<&str> = cohort_worker::dev::participants()
			.into_iter()
			.chain(cohort_worker::dev::cheaters())
			.chain(cohort_worker::dev::poisoners(&attacks).unwrap())
			.map(|k| k.uri)
			.chain([cohort_worker::dev::DEMO_OWNER])
			.chain(cohort_worker::dev::PROVIDERS)
			.collect();
		for uri in uris {
			let account = AccountId::from(sr25519::Pair::from_string(uri, None).unwrap().public());
			assert!(endowed.contains(&account), "{uri} is not endowed in the dev genesis");
		}
	}

	#[test]
	fn dev_keys_are_named_by_what_they_do() {
		let attacks = ["label-flip".parse().unwrap()];
		let poisoner = &cohort_worker::dev::poisoners(&attacks).unwrap()[0];
		assert_eq!(dev_name(poisoner), "poisoner 5 label-flip (//1)");
		assert_eq!(dev_name(&cohort_worker::dev::participants()[0]), "owner 1 (//Charlie)");
	}

	#[test]
	fn the_events_key_is_system_events() {
		// twox_128("System") ++ twox_128("Events"), as every Substrate client knows it.
		assert_eq!(
			format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&events_key().0)),
			"0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
		);
	}
}
