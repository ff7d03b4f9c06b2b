//! Hosts the ML worker (`cohort-worker`) in the node: the [`Chain`] it needs, over this node's
//! client, keystore and transaction pool, and the task that runs it on every new best block.

use std::{path::PathBuf, sync::Arc, time::Duration};

use codec::{Decode, Encode};
use cohort_primitives::{
	api::{ComputeLeaseApi, DataMarketApi, FederatedApi, IncentivesApi, Membership, Rewards},
	compute::LeaseId,
	scaling::FeatureStats,
	DatasetId, RoundIndex, TaskId,
};
use cohort_runtime::{
	opaque::Block, AccountId, Hash, RuntimeCall, RuntimeError, RuntimeEvent, UncheckedExtrinsic,
};
use cohort_worker::{
	chain::{
		BlockNumber, ComputeLease, ComputeOffer, ComputeWorkerDuty, DatasetView, Payload, Task,
		WorkerDuty,
	},
	data::DataDir,
	setup::{DevOptions, Served},
	Action, Chain, ChainError, Outcome, RoundView, Worker, WORKER_KEY_TYPE,
};
use futures::{FutureExt, StreamExt};
use pallet_compute_lease::Call as ComputeLeaseCall;
use pallet_federated::{Call as FederatedCall, JoinAs};
use pallet_incentives::Call as IncentivesCall;
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
	/// Add the dev cheaters: a copying trainer, a lazy copying aggregator and a colluding
	/// aggregator (`--ml-dev-cheaters`, with `--dev` only).
	pub cheaters: bool,
	/// Add one poisoning data owner per attack (`--ml-dev-poisoners`, with `--dev` only).
	pub poisoners: Vec<cohort_ml::attack::Attack>,
	/// When the keys' rewards are claimed (`--ml-claim-after-eras`).
	pub claim_after: cohort_worker::ClaimAfter,
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

/// The runtime call an action of the worker becomes.
fn runtime_call(action: Action) -> Result<RuntimeCall, ChainError> {
	let bounded = |v: Vec<u8>| v.try_into().map_err(|_| err("payload too large"));
	Ok(match action {
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
		Action::Leave { task } => FederatedCall::leave { task }.into(),
		Action::Settle { lease } => ComputeLeaseCall::settle { lease }.into(),
		Action::Claim { who, era, role } => IncentivesCall::claim { who, era, role }.into(),
	})
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

	fn lease(&self, lease: LeaseId) -> Result<Option<ComputeLease>, ChainError> {
		self.client.runtime_api().lease(self.best(), lease).map_err(err)
	}

	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError> {
		self.client.runtime_api().memberships(self.best(), who.clone()).map_err(err)
	}

	fn task(&self, task: TaskId) -> Result<Option<Task>, ChainError> {
		self.client.runtime_api().task(self.best(), task).map_err(err)
	}

	fn feature_scaling(&self, task: TaskId) -> Result<Option<Vec<FeatureStats>>, ChainError> {
		self.client.runtime_api().feature_scaling(self.best(), task).map_err(err)
	}

	fn dataset(&self, id: DatasetId) -> Result<Option<DatasetView>, ChainError> {
		self.client.runtime_api().dataset(self.best(), id).map_err(err)
	}

	fn pending_rewards(&self, who: &AccountId) -> Result<Rewards<u128>, ChainError> {
		self.client.runtime_api().pending_rewards(self.best(), who.clone()).map_err(err)
	}

	fn round(&self, task: TaskId, round: RoundIndex) -> Result<Option<RoundView>, ChainError> {
		let record = self.client.runtime_api().round(self.best(), task, round).map_err(err)?;
		Ok(record.map(RoundView::from))
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
			RuntimeCall::Federated(FederatedCall::publish_initial_model { model, .. }) => {
				model.into_inner()
			},
			_ => return Err(err("the extrinsic carries no payload")),
		};
		if cohort_ml::codec::payload_hash(&bytes) != at.payload_hash {
			return Err(err("the payload does not match its hash"));
		}
		Ok(bytes)
	}

	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<H256, ChainError> {
		let call = runtime_call(action)?;
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
	let dev = options.simulate_owners.then(|| DevOptions {
		only: None,
		demo_task: options.demo_task,
		cheaters: options.cheaters,
		poisoners: options.poisoners.clone(),
	});
	let add_dev = |uri: &str| {
		keystore.sr25519_generate_new(WORKER_KEY_TYPE, Some(uri)).map_err(|e| e.to_string())
	};
	let Served { participants, demo_task: mut demo_owner } = cohort_worker::setup::participants(
		&mut data,
		dev.as_ref(),
		add_dev,
		keystore.sr25519_public_keys(WORKER_KEY_TYPE),
	)?;
	let aggregator = cohort_ml::opencl::Aggregator::detect();
	let mut worker = Worker::new(participants, data, aggregator)?.with_claims(options.claim_after);
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
		let all = cohort_worker::setup::DevOptions {
			cheaters: true,
			poisoners: attacks,
			..Default::default()
		};
		let uris = cohort_worker::setup::dev_uris(&all)
			.unwrap()
			.into_iter()
			.chain([cohort_worker::dev::DEMO_OWNER]);
		for uri in uris {
			let account = AccountId::from(sr25519::Pair::from_string(uri, None).unwrap().public());
			assert!(endowed.contains(&account), "{uri} is not endowed in the dev genesis");
		}
	}

	#[test]
	fn the_events_key_is_system_events() {
		// twox_128("System") ++ twox_128("Events"), as every Substrate client knows it.
		assert_eq!(
			format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&events_key().0)),
			"0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
		);
	}

	/// The standalone worker encodes its calls by name (`Action::encode_call`), the node from the
	/// runtime's types: both must give the same bytes, or one of them sends what the runtime
	/// does not expect.
	#[test]
	fn actions_encode_as_the_runtime_calls_they_name() {
		use cohort_primitives::{
			compute::{Backends, Hardware},
			RoundMetrics,
		};
		use frame_support::traits::GetCallMetadata;
		let spec = cohort_worker::dev::demo_task(H256::repeat_byte(3), false, 0);
		let actions = vec![
			Action::CreateTask { spec },
			Action::Join { task: 1, dataset: Some(4), bond: 5 },
			Action::Join { task: 1, dataset: None, bond: 5 },
			Action::Commit { task: 1, round: 2, commitment: H256::repeat_byte(1) },
			Action::Reveal { task: 1, round: 2, update: vec![1, 2, 3], salt: [4; 32] },
			Action::CommitScores { task: 1, round: 2, commitment: H256::repeat_byte(5) },
			Action::RevealScores { task: 1, round: 2, scores: vec![3, 7], salt: [6; 32] },
			Action::CommitAggregate { task: 1, round: 2, commitment: H256::repeat_byte(7) },
			Action::RevealAggregate {
				task: 1,
				round: 2,
				aggregate: H256::repeat_byte(8),
				metrics: RoundMetrics { loss_micros: 9, accuracy_micros: 10 },
				salt: [11; 32],
				payload: Some(vec![12; 3]),
			},
			Action::RegisterOffer {
				hardware: Hardware {
					cores: 2,
					memory_mib: 4096,
					gpus: Default::default(),
					backends: Backends(Backends::CPU),
				},
				claimed_score: 13,
				terms: cohort_worker::dev::provider_terms(),
			},
			Action::Heartbeat,
			Action::CommitChallenge { id: 14, commitment: H256::repeat_byte(15) },
			Action::RevealChallenge { id: 14, answer: H256::repeat_byte(16), salt: [17; 32] },
			Action::Leave { task: 20 },
			Action::Settle { lease: 21 },
			Action::Claim {
				who: AccountId::new([18; 32]),
				era: 19,
				role: cohort_primitives::traits::Role::DataOwner,
			},
		];
		for action in actions {
			let by_name = action.encode_call();
			let call = runtime_call(action.clone()).unwrap();
			let metadata = call.get_call_metadata();
			assert_eq!(
				(by_name.pallet, by_name.call),
				(metadata.pallet_name, metadata.function_name)
			);
			// A call is its pallet's index, the call's index, then the arguments.
			assert_eq!(by_name.args, call.encode()[2..], "{action:?}");
		}
	}

	/// The standalone worker decodes rounds with bounds of its own: the runtime's encoding of a
	/// round must decode so.
	#[test]
	fn a_round_of_the_runtime_decodes_as_the_workers_record() {
		use cohort_primitives::round::{AggregatorSlot, Phase, TrainerSlot};
		let mut round: pallet_federated::RoundOf<cohort_runtime::Runtime> =
			pallet_federated::RoundOf::<cohort_runtime::Runtime> {
				phase: Phase::Commit,
				started: 1,
				phase_ends: 20,
				global_model: None,
				trainers: Default::default(),
				aggregators: Default::default(),
				aggregates: Default::default(),
				public: true,
			};
		let who = AccountId::from([1; 32]);
		round
			.trainers
			.try_push(TrainerSlot {
				who: who.clone(),
				dataset: 3,
				commitment: Some(H256::repeat_byte(2)),
				update: None,
				samples: 40,
				score: Some(5),
				accepted: true,
				reward: 6,
			})
			.unwrap();
		round
			.aggregators
			.try_push(AggregatorSlot {
				who: who.clone(),
				score_commitment: None,
				scores: Some(vec![1, 2].try_into().unwrap()),
				commitment: None,
				submission: None,
				reward: 0,
			})
			.unwrap();
		let record = cohort_worker::chain::RoundRecord::decode(&mut &round.encode()[..]).unwrap();
		assert_eq!(RoundView::from(record), RoundView::from(round));
	}
}
