//! The chain as the worker sees it through a node's JSON-RPC, with subxt: runtime API calls,
//! block bodies and events read at the block the worker acts on, and extrinsics encoded from
//! the chain's own metadata, signed in the worker's keystore and sent to the node's pool.
//!
//! Nothing here knows the runtime's types beyond what the primitives crate shares: pallet and
//! call indices come from the metadata of the chain connected to, so the same worker serves any
//! runtime with Cohort's pallets (the solochain's, the parachain's).

use std::{sync::Arc, time::Duration};

use codec::{Decode, DecodeAll, Encode};
use cohort_primitives::{
	api::{Membership, Rewards, RoleStake, TaskQuote},
	compute::LeaseId,
	scaling::FeatureStats,
	DatasetId, RoundIndex, TaskId, TaskSpec,
};
use cohort_worker::{
	call::{payload_of_call, EncodedCall},
	chain::{
		AccountId, BlockNumber, ComputeLease, ComputeOffer, ComputeWorkerDuty, DatasetView,
		Payload, RoundRecord, Task, WorkerDuty,
	},
	Action, Chain, ChainError, Outcome, RoundView,
};
use sp_core::{sr25519, H256};
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use subxt::{
	backend::LegacyBackend,
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
	config::{substrate::SubstrateExtrinsicParamsBuilder, RpcConfigFor},
	events::Phase,
	rpcs::{
		methods::legacy::{LegacyRpcMethods, NumberOrHex},
		RpcClient,
	},
	OnlineClient, SubstrateConfig,
};

use crate::keys::WorkerKeystore;

/// The chain configuration: a Substrate chain with the usual types (32-byte accounts,
/// multi-signatures, BLAKE2-256, u32 block numbers).
pub type Config = SubstrateConfig;
type AtBlock = ClientAtBlock<Config, OnlineClientAtBlockImpl<Config>>;

/// Extrinsics are mortal for this many blocks: long enough to be included, short enough to
/// expire when they are not (the journal then sends them again).
const MORTALITY: u64 = 256;

fn err(e: impl std::fmt::Display) -> ChainError {
	ChainError(e.to_string())
}

/// One connection to a node.
#[derive(Clone)]
pub struct Connection {
	pub url: String,
	pub client: OnlineClient<Config>,
	pub rpc: LegacyRpcMethods<RpcConfigFor<Config>>,
}

impl Connection {
	/// Connects to the node at `url` (`ws://` or `wss://`).
	pub async fn open(url: &str) -> Result<Self, String> {
		let rpc = RpcClient::from_insecure_url(url).await.map_err(|e| e.to_string())?;
		// The legacy methods read any block by hash, as the worker needs for the blocks it looks
		// back at; chainHead would have it pin each one first.
		let backend = LegacyBackend::<Config>::builder().build(rpc.clone());
		let client =
			OnlineClient::from_backend(Arc::new(backend)).await.map_err(|e| e.to_string())?;
		Ok(Self { url: url.to_string(), client, rpc: LegacyRpcMethods::new(rpc) })
	}

	/// The time between blocks: the Aura slot duration the runtime reports.
	pub async fn block_time(&self, at: H256) -> Result<Duration, String> {
		let at = self.client.at_block(at).await.map_err(|e| e.to_string())?;
		let bytes = at
			.runtime_apis()
			.call_raw("AuraApi_slot_duration", None)
			.await
			.map_err(|e| e.to_string())?;
		let millis = u64::decode_all(&mut &bytes[..]).map_err(|e| e.to_string())?;
		Ok(Duration::from_millis(millis))
	}
}

/// The chain at one block, for one pass of the worker ([`cohort_worker::Worker::on_block`]).
pub struct RpcChain<'a> {
	runtime: &'a tokio::runtime::Handle,
	connection: &'a Connection,
	keystore: &'a WorkerKeystore,
	at: AtBlock,
	number: BlockNumber,
	block_time: Duration,
}

impl<'a> RpcChain<'a> {
	/// The chain at block `hash` (number `number`), which the worker treats as the best.
	pub fn at(
		runtime: &'a tokio::runtime::Handle,
		connection: &'a Connection,
		keystore: &'a WorkerKeystore,
		hash: H256,
		number: BlockNumber,
		block_time: Duration,
	) -> Result<Self, ChainError> {
		let at = runtime
			.block_on(connection.client.at_block_hash_and_number(hash, number as u64))
			.map_err(err)?;
		Ok(Self { runtime, connection, keystore, at, number, block_time })
	}

	/// The same chain at block `number` (one after the head this one reads, say).
	pub fn at_number(&self, number: BlockNumber) -> Result<RpcChain<'a>, ChainError> {
		let hash = self
			.block_hash(number)?
			.ok_or_else(|| err(format!("the node has no block #{number}")))?;
		Self::at(self.runtime, self.connection, self.keystore, hash, number, self.block_time)
	}

	/// Round `round` of `task` as the runtime keeps it (its full record: every payload's place),
	/// while the chain still holds it.
	pub fn round_record(
		&self,
		task: TaskId,
		round: RoundIndex,
	) -> Result<Option<RoundRecord>, ChainError> {
		self.call("FederatedApi_round", (task, round))
	}

	/// The per-feature statistics a dataset's owner stated, if any.
	pub fn feature_stats(
		&self,
		dataset: DatasetId,
	) -> Result<Option<Vec<FeatureStats>>, ChainError> {
		self.call("DataMarketApi_feature_stats", dataset)
	}

	/// Calls runtime API function `function` (`FederatedApi_duties`, say) with `args`.
	fn call<R: Decode>(&self, function: &str, args: impl Encode) -> Result<R, ChainError> {
		self.call_bytes(function, args.encode())
	}

	/// [`Self::call`] with the arguments already SCALE-encoded.
	fn call_bytes<R: Decode>(&self, function: &str, args: Vec<u8>) -> Result<R, ChainError> {
		let bytes = self
			.runtime
			.block_on(self.at.runtime_apis().call_raw(function, Some(&args)))
			.map_err(|e| err(format!("{function}: {e}")))?;
		R::decode_all(&mut &bytes[..]).map_err(|e| err(format!("{function}: {e}")))
	}

	/// The hash of block `number` of the chain the node follows, if it has it.
	fn block_hash(&self, number: BlockNumber) -> Result<Option<H256>, ChainError> {
		let rpc = &self.connection.rpc;
		self.runtime
			.block_on(rpc.chain_get_block_hash(Some(NumberOrHex::Number(number.into()))))
			.map_err(err)
	}

	/// Block `number` of the chain the node follows, if it has it.
	fn block(&self, number: BlockNumber) -> Result<Option<(H256, AtBlock)>, ChainError> {
		let Some(hash) = self.block_hash(number)? else { return Ok(None) };
		let client = &self.connection.client;
		let at = self
			.runtime
			.block_on(client.at_block_hash_and_number(hash, number.into()))
			.map_err(err)?;
		Ok(Some((hash, at)))
	}

	/// `encoded` as an extrinsic signed by `signer` with its next nonce, ready for the pool
	/// ([`Self::send`]).
	pub fn sign(
		&self,
		signer: &sr25519::Public,
		encoded: &EncodedCall,
	) -> Result<Vec<u8>, ChainError> {
		let metadata = self.at.metadata_ref();
		let pallet = metadata
			.pallet_by_name(encoded.pallet)
			.ok_or_else(|| err(format!("the chain has no pallet {}", encoded.pallet)))?;
		let call = pallet.call_variant_by_name(encoded.call).ok_or_else(|| {
			err(format!("the chain has no call {}::{}", encoded.pallet, encoded.call))
		})?;
		let mut call_data = vec![pallet.call_index(), call.index];
		call_data.extend_from_slice(&encoded.args);
		// Decoded against the chain's metadata: arguments that are not what this runtime's
		// call takes are refused here, before anything is signed.
		let tx = self.at.tx();
		let payload = tx.from_call_data_bytes(&call_data).map_err(err)?;

		let rpc = &self.connection.rpc;
		// The next nonce past the pool's transactions of this account, as the node counts them:
		// a key sends several extrinsics in one block.
		let nonce = self
			.runtime
			.block_on(rpc.system_account_next_index(&subxt::utils::AccountId32(signer.0)))
			.map_err(err)?;
		let params = SubstrateExtrinsicParamsBuilder::<Config>::new()
			.nonce(nonce)
			.mortal_from_unchecked(MORTALITY, self.number.into(), self.at.block_hash())
			.build();
		let mut signable = tx.create_signable_offline(&payload, params).map_err(err)?;
		let signature = self
			.keystore
			.sign(signer, &signable.signer_payload().map_err(err)?)
			.map_err(err)?
			.ok_or_else(|| err("the keystore has no such key"))?;
		let signed = signable
			.sign_with_account_and_signature(
				&subxt::utils::AccountId32(signer.0),
				&subxt::utils::MultiSignature::Sr25519(signature.0),
			)
			.map_err(err)?;
		Ok(signed.encoded().to_vec())
	}

	/// Sends a signed extrinsic ([`Self::sign`]) to the pool; returns its hash.
	pub fn send(&self, signed: &[u8]) -> Result<H256, ChainError> {
		self.runtime.block_on(self.connection.rpc.author_submit_extrinsic(signed)).map_err(err)
	}

	/// What the chain charges for `extrinsic` (`TransactionPaymentApi::query_info`): its
	/// partial fee, the whole fee but for any tip.
	pub fn fee(&self, extrinsic: &[u8]) -> Result<u128, ChainError> {
		/// `RuntimeDispatchInfo<Balance, Weight>` as the runtime encodes it.
		#[derive(Decode)]
		struct DispatchInfo {
			_weight: (codec::Compact<u64>, codec::Compact<u64>),
			_class: u8,
			partial_fee: u128,
		}
		// The extrinsic as it is encoded (length-prefixed, as the pool takes it), then its length.
		let mut args = extrinsic.to_vec();
		(extrinsic.len() as u32).encode_to(&mut args);
		let info: DispatchInfo = self.call_bytes("TransactionPaymentApi_query_info", args)?;
		Ok(info.partial_fee)
	}

	/// What `federated.create_task(spec)` would hold and ask, or the runtime's name for the
	/// error it would fail with.
	pub fn quote_task(
		&self,
		spec: &TaskSpec<u128, BlockNumber>,
	) -> Result<Result<TaskQuote<u128>, String>, ChainError> {
		let quote: Result<TaskQuote<u128>, sp_runtime::DispatchError> =
			self.call("FederatedApi_quote_task", spec)?;
		Ok(quote.map_err(|e| self.error_name(&self.at, e)))
	}

	/// Every live task, and whether `who` could join it now with `dataset` (the runtime's
	/// name for the error `federated.join` would fail with, if not).
	pub fn joinable_tasks(
		&self,
		who: &AccountId,
		dataset: DatasetId,
	) -> Result<Joinable, ChainError> {
		let tasks: Vec<(TaskId, Result<(), sp_runtime::DispatchError>)> =
			self.call("FederatedApi_joinable_tasks", (who, dataset))?;
		Ok(tasks
			.into_iter()
			.map(|(task, joinable)| (task, joinable.map_err(|e| self.error_name(&self.at, e))))
			.collect())
	}

	/// `who`'s free and held balance (`System::Account`, read from storage: no runtime API
	/// reports balances).
	pub fn balance(&self, who: &AccountId) -> Result<(u128, u128), ChainError> {
		use sp_crypto_hashing::{blake2_128, twox_128};
		let account: &[u8] = who.as_ref();
		let mut key = twox_128(b"System").to_vec();
		key.extend(twox_128(b"Account"));
		key.extend(blake2_128(account));
		key.extend(account);
		let stored = self
			.runtime
			.block_on(self.connection.rpc.state_get_storage(&key, Some(self.at.block_hash())))
			.map_err(err)?;
		let Some(bytes) = stored else { return Ok((0, 0)) };
		// `AccountInfo { nonce, consumers, providers, sufficients, data: AccountData { free,
		// reserved, frozen, flags } }`.
		let (_, _, _, _, free, reserved, _, _) =
			<(u32, u32, u32, u32, u128, u128, u128, u128)>::decode(&mut &bytes[..])
				.map_err(|e| err(format!("System::Account: {e}")))?;
		Ok((free, reserved))
	}

	/// The least bond a new compute offer needs now (`ComputeLeaseApi::min_offer_bond`).
	pub fn min_offer_bond(&self) -> Result<u128, ChainError> {
		self.call("ComputeLeaseApi_min_offer_bond", ())
	}

	/// `who`'s stake in each role it has any in.
	pub fn stake(&self, who: &AccountId) -> Result<Vec<RoleStake<u128>>, ChainError> {
		self.call("IncentivesApi_stake", who)
	}

	/// The first `pallet.event` that extrinsic `extrinsic` of block `number` emitted, its fields
	/// decoded as `T` (a tuple of the first fields: only what `T` needs is read), or `None`.
	pub fn event_of<T: Decode>(
		&self,
		number: BlockNumber,
		extrinsic: H256,
		pallet: &str,
		event: &str,
	) -> Result<Option<T>, String> {
		let fields = self.events_of(number, extrinsic, pallet, event).map_err(|e| e.to_string())?;
		fields
			.first()
			.map(|f| T::decode(&mut &f[..]).map_err(|e| format!("{pallet}.{event}: {e}")))
			.transpose()
	}

	/// [`Self::event_of`] for an event the call always emits: its absence is an error.
	pub fn event<T: Decode>(
		&self,
		number: BlockNumber,
		extrinsic: H256,
		pallet: &str,
		event: &str,
	) -> Result<T, String> {
		self.event_of(number, extrinsic, pallet, event)?
			.ok_or_else(|| format!("block #{number} has no {pallet}.{event} of the extrinsic"))
	}

	/// The fields, SCALE-encoded, of each `pallet.event` that the extrinsic `extrinsic` of block
	/// `number` emitted.
	fn events_of(
		&self,
		number: BlockNumber,
		extrinsic: H256,
		pallet: &str,
		event: &str,
	) -> Result<Vec<Vec<u8>>, ChainError> {
		let Some((hash, block)) = self.block(number)? else { return Ok(Vec::new()) };
		let body = self.extrinsic_hashes(hash, number)?;
		let Some(index) = body.iter().position(|h| *h == extrinsic) else {
			return Ok(Vec::new());
		};
		let events = self.runtime.block_on(block.events().fetch()).map_err(err)?;
		let mut found = Vec::new();
		for e in events.iter() {
			let e = e.map_err(err)?;
			if e.phase() == Phase::ApplyExtrinsic(index as u32)
				&& e.pallet_name() == pallet
				&& e.event_name() == event
			{
				found.push(e.field_bytes().to_vec());
			}
		}
		Ok(found)
	}

	/// The hashes of block `number`'s extrinsics (`hash` is the block's), in order: the body as
	/// the node serves it, each extrinsic named by the BLAKE2-256 of its bytes, as the pool named
	/// it when it was submitted (whether or not it decodes here).
	fn extrinsic_hashes(&self, hash: H256, number: BlockNumber) -> Result<Vec<H256>, ChainError> {
		Ok(self
			.runtime
			.block_on(self.connection.rpc.chain_get_block(Some(hash)))
			.map_err(err)?
			.ok_or_else(|| err(format!("block {number} has no body here (pruned?)")))?
			.block
			.extrinsics
			.iter()
			.map(|bytes| BlakeTwo256::hash(&bytes.0))
			.collect())
	}

	/// The runtime's name for a dispatch error, as the node-hosted worker names it
	/// (`Federated::CommitmentMismatch`, `BadOrigin`, `Token(FundsUnavailable)`).
	fn error_name(&self, at: &AtBlock, error: sp_runtime::DispatchError) -> String {
		if let sp_runtime::DispatchError::Module(module) = error {
			let metadata = at.metadata_ref();
			if let Some(pallet) = metadata.pallet_by_error_index(module.index) {
				if let Some(variant) = pallet.error_variant_by_index(module.error[0]) {
					return format!("{}::{}", pallet.name(), variant.name);
				}
			}
		}
		format!("{error:?}")
	}
}

impl Chain for RpcChain<'_> {
	fn best_number(&self) -> BlockNumber {
		self.number
	}

	fn block_time(&self) -> Duration {
		self.block_time
	}

	fn duties(&self, who: &AccountId) -> Result<Vec<WorkerDuty>, ChainError> {
		self.call("FederatedApi_duties", who)
	}

	fn compute_duties(&self, who: &AccountId) -> Result<Vec<ComputeWorkerDuty>, ChainError> {
		self.call("ComputeLeaseApi_compute_duties", who)
	}

	fn offer(&self, who: &AccountId) -> Result<Option<ComputeOffer>, ChainError> {
		self.call("ComputeLeaseApi_offer", who)
	}

	fn lease(&self, lease: LeaseId) -> Result<Option<ComputeLease>, ChainError> {
		self.call("ComputeLeaseApi_lease", lease)
	}

	fn memberships(&self, who: &AccountId) -> Result<Vec<Membership>, ChainError> {
		self.call("FederatedApi_memberships", who)
	}

	fn task(&self, task: TaskId) -> Result<Option<Task>, ChainError> {
		self.call("FederatedApi_task", task)
	}

	fn feature_scaling(&self, task: TaskId) -> Result<Option<Vec<FeatureStats>>, ChainError> {
		self.call("FederatedApi_feature_scaling", task)
	}

	fn dataset(&self, id: DatasetId) -> Result<Option<DatasetView>, ChainError> {
		self.call("DataMarketApi_dataset", id)
	}

	fn pending_rewards(&self, who: &AccountId) -> Result<Rewards<u128>, ChainError> {
		self.call("IncentivesApi_pending_rewards", who)
	}

	fn round(&self, task: TaskId, round: RoundIndex) -> Result<Option<RoundView>, ChainError> {
		Ok(self.round_record(task, round)?.map(RoundView::from))
	}

	fn payload(&self, at: &Payload) -> Result<Vec<u8>, ChainError> {
		let (_, block) =
			self.block(at.block)?.ok_or_else(|| err(format!("no block {}", at.block)))?;
		let extrinsics = self.runtime.block_on(block.extrinsics().fetch()).map_err(err)?;
		let extrinsic = extrinsics
			.iter()
			.nth(at.extrinsic_index as usize)
			.ok_or_else(|| {
				err(format!("block {} has no extrinsic {}", at.block, at.extrinsic_index))
			})?
			.map_err(err)?;
		let bytes = payload_of_call(
			extrinsic.pallet_name(),
			extrinsic.call_name(),
			extrinsic.call_data_field_bytes(),
		)?;
		if cohort_ml::codec::payload_hash(&bytes) != at.payload_hash {
			return Err(err("the payload does not match its hash"));
		}
		Ok(bytes)
	}

	fn submit(&self, signer: &sr25519::Public, action: Action) -> Result<H256, ChainError> {
		self.send(&self.sign(signer, &action.encode_call())?)
	}

	fn outcomes(&self, number: BlockNumber) -> Result<Option<Vec<Outcome>>, ChainError> {
		let Some((hash, block)) = self.block(number)? else { return Ok(None) };
		let body = self.extrinsic_hashes(hash, number)?;
		let events = self.runtime.block_on(block.events().fetch()).map_err(err)?;
		let mut failed = std::collections::HashMap::new();
		for event in events.iter() {
			let event = event.map_err(err)?;
			if let (Phase::ApplyExtrinsic(index), "System", "ExtrinsicFailed") =
				(event.phase(), event.pallet_name(), event.event_name())
			{
				// `ExtrinsicFailed { dispatch_error, dispatch_info }`: the error comes first.
				let error = sp_runtime::DispatchError::decode(&mut event.field_bytes())
					.map_err(|e| err(format!("an ExtrinsicFailed of block {number}: {e}")))?;
				failed.insert(index as usize, self.error_name(&block, error));
			}
		}
		Ok(Some(
			body.into_iter()
				.enumerate()
				.map(|(index, extrinsic)| Outcome { extrinsic, error: failed.remove(&index) })
				.collect(),
		))
	}
}

/// Runs `read` against `node`'s chain as of its finalized head (block number given), for the
/// commands that only read (no key signs anything).
pub fn at_finalized<R>(
	node: &str,
	read: impl FnOnce(&RpcChain<'_>, BlockNumber) -> Result<R, String>,
) -> Result<R, String> {
	at_finalized_with(node, &WorkerKeystore::empty(), read)
}

/// [`at_finalized`], with `keystore`'s keys to sign what `act` submits.
pub fn at_finalized_with<R>(
	node: &str,
	keystore: &WorkerKeystore,
	act: impl FnOnce(&RpcChain<'_>, BlockNumber) -> Result<R, String>,
) -> Result<R, String> {
	at_head_with(node, keystore, Head::Finalized, act)
}

/// Which block of the node a command reads.
pub enum Head {
	/// Its finalized head: what will not change (for reports).
	Finalized,
	/// Its best block: what the last command changed counts, final or not (for commands
	/// that decide from the chain's state what to send).
	Best,
}

/// Runs `act` against `node`'s chain as of `head` (block number given), with `keystore`'s keys
/// to sign what it submits.
pub fn at_head_with<R>(
	node: &str,
	keystore: &WorkerKeystore,
	head: Head,
	act: impl FnOnce(&RpcChain<'_>, BlockNumber) -> Result<R, String>,
) -> Result<R, String> {
	let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
	let connection = runtime.block_on(Connection::open(node))?;
	let (hash, number) = runtime
		.block_on(async {
			let hash = match head {
				Head::Finalized => connection.rpc.chain_get_finalized_head().await?,
				Head::Best => connection.rpc.chain_get_block_hash(None).await?.unwrap_or_default(),
			};
			let header = connection.rpc.chain_get_header(Some(hash)).await?;
			Ok::<_, subxt::rpcs::Error>((hash, header.map(|h| h.number)))
		})
		.map_err(|e| format!("{node}: {e}"))?;
	let number = number.ok_or("the node has no header for the head it named")? as BlockNumber;
	let block_time = runtime.block_on(connection.block_time(hash))?;
	let chain = RpcChain::at(runtime.handle(), &connection, keystore, hash, number, block_time)
		.map_err(|e| e.to_string())?;
	act(&chain, number)
}

/// Each live task, and whether a dataset can join it (the runtime's error name if not).
pub type Joinable = Vec<(TaskId, Result<(), String>)>;

/// Where each extrinsic landed: its block, and its outcome (the runtime's error name if it
/// failed).
pub type Included = std::collections::HashMap<H256, (BlockNumber, Result<(), String>)>;

/// How long a command waits for what it sent to be in blocks.
pub const INCLUSION_TIMEOUT: Duration = Duration::from_secs(120);

/// Reads the blocks after `number` until each of `extrinsics` is in one (or
/// [`INCLUSION_TIMEOUT`] passes).
pub fn wait_for_inclusion(
	chain: &RpcChain<'_>,
	number: BlockNumber,
	extrinsics: &[H256],
) -> Result<Included, String> {
	let mut waiting: std::collections::HashSet<H256> = extrinsics.iter().copied().collect();
	let mut included = std::collections::HashMap::new();
	let deadline = std::time::Instant::now() + INCLUSION_TIMEOUT;
	let mut next = number + 1;
	while !waiting.is_empty() && std::time::Instant::now() < deadline {
		match chain.outcomes(next).map_err(|e| e.to_string())? {
			None => std::thread::sleep(Duration::from_millis(500)),
			Some(outcomes) => {
				for outcome in outcomes {
					if waiting.remove(&outcome.extrinsic) {
						included
							.insert(outcome.extrinsic, (next, outcome.error.map_or(Ok(()), Err)));
					}
				}
				next += 1;
			},
		}
	}
	Ok(included)
}

/// Sends a signed extrinsic and waits for the block after `number` that holds it: that block
/// and the extrinsic's hash, or why not (`what` names it in the errors: "the join").
pub fn send_and_wait(
	chain: &RpcChain<'_>,
	number: BlockNumber,
	signed: &[u8],
	what: &str,
) -> Result<(BlockNumber, H256), String> {
	let hash = chain.send(signed).map_err(|e| e.to_string())?;
	let (block, outcome) = wait_for_inclusion(chain, number, &[hash])?
		.remove(&hash)
		.ok_or(format!("{what} was not in a block within two minutes"))?;
	outcome.map_err(|e| format!("the chain refused {what}: {e}"))?;
	Ok((block, hash))
}
