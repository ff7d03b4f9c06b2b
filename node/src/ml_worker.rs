//! Hosts the ML worker (`cohort-worker`) in the node: the [`Chain`] it needs, over this node's
//! client, keystore and transaction pool, and the task that runs it on every new best block.

use std::{path::PathBuf, sync::Arc};

use codec::{Decode, Encode};
use cohort_primitives::api::{FederatedApi, Membership};
use cohort_runtime::{opaque::Block, AccountId, RuntimeCall, UncheckedExtrinsic};
use cohort_worker::{
	chain::{BlockNumber, Payload, Task, WorkerDuty},
	data::DataDir,
	Action, AutoJoin, Chain, ChainError, Participant, Worker, WORKER_KEY_TYPE,
};
use futures::{FutureExt, StreamExt};
use pallet_federated::{Call as FederatedCall, JoinAs};
use sc_client_api::{BlockBackend, BlockchainEvents};
use sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::sr25519;
use sp_keystore::KeystorePtr;

use crate::service::FullClient;

/// How the node runs the worker (`--ml-worker`).
#[derive(Debug, Clone)]
pub struct MlWorkerOptions {
	pub data_dir: PathBuf,
	/// Simulated data owners with dev keys (`--dev`).
	pub simulate_owners: bool,
	/// Create a demo task on the simulated owners' data if the chain has none (`--ml-demo-task`).
	pub demo_task: bool,
}

type Pool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

struct NodeChain {
	client: Arc<FullClient>,
	pool: Arc<Pool>,
	keystore: KeystorePtr,
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

	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError> {
		self.client.runtime_api().duties(self.best(), who.clone()).map_err(err)
	}

	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError> {
		self.client.runtime_api().memberships(self.best(), who.clone()).map_err(err)
	}

	fn task(&self, task: u32) -> Result<Option<Task>, ChainError> {
		self.client.runtime_api().task(self.best(), task).map_err(err)
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
			RuntimeCall::Federated(FederatedCall::submit_aggregate {
				payload: Some(payload),
				..
			}) => payload.into_inner(),
			_ => return Err(err("the extrinsic carries no payload")),
		};
		if cohort_ml::codec::payload_hash(&bytes) != at.hash {
			return Err(err("the payload does not match its hash"));
		}
		Ok(bytes)
	}

	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<(), ChainError> {
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
			Action::Aggregate { task, round, aggregate, scores, payload } => {
				FederatedCall::submit_aggregate {
					task,
					round,
					aggregate,
					scores: scores.try_into().map_err(|_| err("too many scores"))?,
					payload: payload.map(bounded).transpose()?,
				}
				.into()
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
		futures::executor::block_on(self.pool.submit_one(self.best(), TransactionSource::Local, xt))
			.map(|_| ())
			.map_err(err)
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
		let validation = cohort_worker::dev::prepare(&mut data).map_err(|e| e.to_string())?;
		for (uri, auto_join) in cohort_worker::dev::participants() {
			let public = keystore
				.sr25519_generate_new(WORKER_KEY_TYPE, Some(uri))
				.map_err(|e| e.to_string())?;
			let name = match &auto_join {
				AutoJoin::Trainer { dataset, .. } => format!("owner {dataset} ({uri})"),
				AutoJoin::Aggregator { .. } => format!("aggregator {uri}"),
			};
			participants.push(Participant { public, name, auto_join: Some(auto_join) });
		}
		if options.demo_task {
			let public = keystore
				.sr25519_generate_new(WORKER_KEY_TYPE, Some(cohort_worker::dev::DEMO_OWNER))
				.map_err(|e| e.to_string())?;
			demo_owner = Some((public, cohort_worker::dev::demo_task(validation)));
		}
	}
	for public in keystore.sr25519_public_keys(WORKER_KEY_TYPE) {
		if !participants.iter().any(|p| p.public == public)
			&& demo_owner.as_ref().is_none_or(|(o, _)| *o != public)
		{
			let name = sp_core::crypto::Ss58Codec::to_ss58check(&AccountId::from(public));
			participants.push(Participant { public, name, auto_join: None });
		}
	}
	let aggregator = cohort_ml::opencl::Aggregator::detect();
	let mut worker = Worker::new(participants, data, aggregator)?;
	let chain = NodeChain { client: client.clone(), pool, keystore };

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
