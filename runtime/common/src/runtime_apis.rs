//! The runtime APIs both runtimes implement the same way.
//!
//! `impl_runtime_apis!` must be expanded once per runtime with every API in it, so the shared
//! implementations are a macro that wraps a runtime's own ones (consensus, parachain,
//! benchmarks) and expands `impl_runtime_apis!` over all of them.

/// Expands `sp_api::impl_runtime_apis!` with the given runtime-specific implementations and
/// the shared ones: `Core`, `Metadata`, view functions, `BlockBuilder`, the transaction queue,
/// off-chain workers, `AuraApi`, session keys, account nonces, transaction payment, the Cohort
/// APIs (`FederatedApi`, `DataMarketApi`, `IncentivesApi`, `ComputeLeaseApi`), `GenesisBuilder` and, with
/// `try-runtime`, `TryRuntime`.
///
/// In scope where it is expanded: `Runtime`, `Block`, `Executive`, `InherentDataExt`,
/// `VERSION`, `SessionKeys`, `RuntimeCall`, `RuntimeGenesisConfig`, `AccountId`, `Balance`,
/// `BlockNumber`, `Nonce` and the pallets `System`, `Aura`, `TransactionPayment`, `Federated`,
/// `DataMarket`, `Incentives`, `ComputeLease`; the runtime has `crate::genesis_config_presets::{get_preset,
/// preset_names}` and `crate::configs::RuntimeBlockWeights`.
// `crate::…` names the runtime that expands the macro (its presets and weights), on purpose.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! impl_runtime_apis_with_cohort {
	($($runtime_specific:tt)*) => {
		sp_api::impl_runtime_apis! {
			$($runtime_specific)*

			impl sp_api::Core<Block> for Runtime {
				fn version() -> sp_version::RuntimeVersion {
					VERSION
				}

				fn execute_block(block: <Block as sp_runtime::traits::Block>::LazyBlock) {
					Executive::execute_block(block);
				}

				fn initialize_block(
					header: &<Block as sp_runtime::traits::Block>::Header,
				) -> sp_runtime::ExtrinsicInclusionMode {
					Executive::initialize_block(header)
				}
			}

			impl sp_api::Metadata<Block> for Runtime {
				fn metadata() -> sp_core::OpaqueMetadata {
					sp_core::OpaqueMetadata::new(Runtime::metadata().into())
				}

				fn metadata_at_version(version: u32) -> Option<sp_core::OpaqueMetadata> {
					Runtime::metadata_at_version(version)
				}

				fn metadata_versions() -> alloc::vec::Vec<u32> {
					Runtime::metadata_versions()
				}
			}

			impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
				fn execute_view_function(
					id: frame_support::view_functions::ViewFunctionId,
					input: alloc::vec::Vec<u8>,
				) -> Result<alloc::vec::Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
					Runtime::execute_view_function(id, input)
				}
			}

			impl sp_block_builder::BlockBuilder<Block> for Runtime {
				fn apply_extrinsic(
					extrinsic: <Block as sp_runtime::traits::Block>::Extrinsic,
				) -> sp_runtime::ApplyExtrinsicResult {
					Executive::apply_extrinsic(extrinsic)
				}

				fn finalize_block() -> <Block as sp_runtime::traits::Block>::Header {
					Executive::finalize_block()
				}

				fn inherent_extrinsics(
					data: sp_inherents::InherentData,
				) -> alloc::vec::Vec<<Block as sp_runtime::traits::Block>::Extrinsic> {
					data.create_extrinsics()
				}

				fn check_inherents(
					block: <Block as sp_runtime::traits::Block>::LazyBlock,
					data: sp_inherents::InherentData,
				) -> sp_inherents::CheckInherentsResult {
					data.check_extrinsics(&block)
				}
			}

			impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
				fn validate_transaction(
					source: sp_runtime::transaction_validity::TransactionSource,
					tx: <Block as sp_runtime::traits::Block>::Extrinsic,
					block_hash: <Block as sp_runtime::traits::Block>::Hash,
				) -> sp_runtime::transaction_validity::TransactionValidity {
					Executive::validate_transaction(source, tx, block_hash)
				}
			}

			impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
				fn offchain_worker(header: &<Block as sp_runtime::traits::Block>::Header) {
					Executive::offchain_worker(header)
				}
			}

			impl sp_consensus_aura::AuraApi<Block, sp_consensus_aura::sr25519::AuthorityId> for Runtime {
				fn slot_duration() -> sp_consensus_aura::SlotDuration {
					sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
				}

				fn authorities() -> alloc::vec::Vec<sp_consensus_aura::sr25519::AuthorityId> {
					pallet_aura::Authorities::<Runtime>::get().into_inner()
				}
			}

			impl sp_session::SessionKeys<Block> for Runtime {
				fn generate_session_keys(
					owner: alloc::vec::Vec<u8>,
					seed: Option<alloc::vec::Vec<u8>>,
				) -> sp_session::OpaqueGeneratedSessionKeys {
					SessionKeys::generate(&owner, seed).into()
				}

				fn decode_session_keys(
					encoded: alloc::vec::Vec<u8>,
				) -> Option<alloc::vec::Vec<(alloc::vec::Vec<u8>, sp_core::crypto::KeyTypeId)>> {
					SessionKeys::decode_into_raw_public_keys(&encoded)
				}
			}

			impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
				fn account_nonce(account: AccountId) -> Nonce {
					System::account_nonce(account)
				}
			}

			impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
				fn query_info(
					uxt: <Block as sp_runtime::traits::Block>::Extrinsic,
					len: u32,
				) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
					TransactionPayment::query_info(uxt, len)
				}
				fn query_fee_details(
					uxt: <Block as sp_runtime::traits::Block>::Extrinsic,
					len: u32,
				) -> pallet_transaction_payment::FeeDetails<Balance> {
					TransactionPayment::query_fee_details(uxt, len)
				}
				fn query_weight_to_fee(weight: frame_support::weights::Weight) -> Balance {
					TransactionPayment::weight_to_fee(weight)
				}
				fn query_length_to_fee(length: u32) -> Balance {
					TransactionPayment::length_to_fee(length)
				}
			}

			impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
				for Runtime
			{
				fn query_call_info(
					call: RuntimeCall,
					len: u32,
				) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
					TransactionPayment::query_call_info(call, len)
				}
				fn query_call_fee_details(
					call: RuntimeCall,
					len: u32,
				) -> pallet_transaction_payment::FeeDetails<Balance> {
					TransactionPayment::query_call_fee_details(call, len)
				}
				fn query_weight_to_fee(weight: frame_support::weights::Weight) -> Balance {
					TransactionPayment::weight_to_fee(weight)
				}
				fn query_length_to_fee(length: u32) -> Balance {
					TransactionPayment::length_to_fee(length)
				}
			}

			impl cohort_primitives::api::FederatedApi<Block, AccountId, Balance, BlockNumber, pallet_federated::RoundOf<Runtime>> for Runtime {
				fn duties(who: AccountId) -> alloc::vec::Vec<cohort_primitives::api::Duty<AccountId, BlockNumber>> {
					Federated::duties(&who)
				}

				fn memberships(who: AccountId) -> alloc::vec::Vec<cohort_primitives::api::Membership> {
					Federated::memberships(&who)
				}

				fn task(task: cohort_primitives::TaskId) -> Option<pallet_federated::TaskOf<Runtime>> {
					Federated::task(task)
				}

				fn quote_task(
					spec: pallet_federated::TaskSpecOf<Runtime>,
				) -> Result<cohort_primitives::api::TaskQuote<Balance>, sp_runtime::DispatchError> {
					Federated::quote_task(&spec)
				}

				fn joinable_tasks(
					who: AccountId,
					dataset: cohort_primitives::DatasetId,
				) -> alloc::vec::Vec<(cohort_primitives::TaskId, Result<(), sp_runtime::DispatchError>)> {
					Federated::joinable_tasks(&who, dataset)
				}

				fn round(
					task: cohort_primitives::TaskId,
					round: cohort_primitives::RoundIndex,
				) -> Option<pallet_federated::RoundOf<Runtime>> {
					Federated::round(task, round)
				}

				fn round_summary(
					task: cohort_primitives::TaskId,
					round: cohort_primitives::RoundIndex,
				) -> Option<pallet_federated::RoundSummaryOf<Runtime>> {
					Federated::round_summary(task, round)
				}

				fn round_history(
					task: cohort_primitives::TaskId,
				) -> alloc::vec::Vec<(cohort_primitives::RoundIndex, pallet_federated::RoundSummaryOf<Runtime>)> {
					Federated::round_history(task)
				}

				fn feature_scaling(
					task: cohort_primitives::TaskId,
				) -> Option<alloc::vec::Vec<cohort_primitives::scaling::FeatureStats>> {
					Federated::feature_scaling(task)
				}
			}

			impl cohort_primitives::api::DataMarketApi<Block, AccountId, Balance, BlockNumber> for Runtime {
				fn dataset(
					dataset: cohort_primitives::DatasetId,
				) -> Option<pallet_data_market::DatasetInfoOf<Runtime>> {
					DataMarket::dataset(dataset)
				}

				fn datasets_of(
					owner: AccountId,
				) -> alloc::vec::Vec<(cohort_primitives::DatasetId, pallet_data_market::DatasetInfoOf<Runtime>)> {
					DataMarket::datasets_of(owner)
				}

				fn feature_stats(
					dataset: cohort_primitives::DatasetId,
				) -> Option<alloc::vec::Vec<cohort_primitives::scaling::FeatureStats>> {
					DataMarket::feature_stats(dataset)
				}

				fn task_lineage(
					task: cohort_primitives::TaskId,
				) -> alloc::vec::Vec<cohort_primitives::dataset::RoundLineage<AccountId, Balance>> {
					DataMarket::task_lineage(task)
				}

				fn dataset_tasks(
					dataset: cohort_primitives::DatasetId,
				) -> alloc::vec::Vec<cohort_primitives::dataset::DatasetTask<Balance>> {
					DataMarket::dataset_tasks(dataset)
				}
			}

			impl cohort_primitives::api::IncentivesApi<Block, AccountId, Balance> for Runtime {
				fn stake(who: AccountId) -> alloc::vec::Vec<cohort_primitives::api::RoleStake<Balance>> {
					Incentives::stake(&who)
				}

				fn pending_rewards(who: AccountId) -> cohort_primitives::api::Rewards<Balance> {
					Incentives::pending_rewards(&who)
				}
			}

			impl cohort_primitives::api::ComputeLeaseApi<Block, AccountId, Balance, BlockNumber> for Runtime {
				fn compute_duties(
					worker: AccountId,
				) -> alloc::vec::Vec<cohort_primitives::compute::ComputeDuty<AccountId, BlockNumber>> {
					ComputeLease::compute_duties(worker)
				}

				fn offer(worker: AccountId) -> Option<pallet_compute_lease::OfferOf<Runtime>> {
					pallet_compute_lease::Offers::<Runtime>::get(worker)
				}

				fn lease(lease: cohort_primitives::compute::LeaseId) -> Option<pallet_compute_lease::LeaseOf<Runtime>> {
					pallet_compute_lease::Leases::<Runtime>::get(lease)
				}

				fn leases_of(
					worker: AccountId,
				) -> alloc::vec::Vec<(cohort_primitives::compute::LeaseId, pallet_compute_lease::LeaseOf<Runtime>)> {
					ComputeLease::leases_of(worker)
				}

				fn min_offer_bond() -> Balance {
					ComputeLease::new_offer_bond()
				}
			}

			impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
				fn build_state(config: alloc::vec::Vec<u8>) -> sp_genesis_builder::Result {
					frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(config)
				}

				fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<alloc::vec::Vec<u8>> {
					frame_support::genesis_builder_helper::get_preset::<RuntimeGenesisConfig>(
						id,
						crate::genesis_config_presets::get_preset,
					)
				}

				fn preset_names() -> alloc::vec::Vec<sp_genesis_builder::PresetId> {
					crate::genesis_config_presets::preset_names()
				}
			}

			#[cfg(feature = "try-runtime")]
			impl frame_try_runtime::TryRuntime<Block> for Runtime {
				fn on_runtime_upgrade(
					checks: frame_try_runtime::UpgradeCheckSelect,
				) -> (frame_support::weights::Weight, frame_support::weights::Weight) {
					let weight = Executive::try_runtime_upgrade(checks).unwrap();
					(weight, crate::configs::RuntimeBlockWeights::get().max_block)
				}

				fn execute_block(
					block: <Block as sp_runtime::traits::Block>::LazyBlock,
					state_root_check: bool,
					signature_check: bool,
					select: frame_try_runtime::TryStateSelect,
				) -> frame_support::weights::Weight {
					Executive::try_execute_block(block, state_root_check, signature_check, select)
						.expect("execute-block failed")
				}
			}
		}
	};
}
