//! Checks of what callers submit: task specifications and payload headers.

use crate::{Config, Error, Pallet, TaskOf, TaskSpecOf};
use cohort_primitives::{PayloadHeader, PayloadKind, RoundIndex, TaskId};
use frame_support::{ensure, traits::Get};
use sp_runtime::{traits::Zero, DispatchError};

impl<T: Config> Pallet<T> {
	/// Checks a task specification against itself and the chain's limits; returns the model's
	/// parameter count.
	pub(crate) fn validate_spec(spec: &TaskSpecOf<T>) -> Result<u32, DispatchError> {
		let parameter_count = spec.model.parameter_count().ok_or(Error::<T>::InvalidModel)?;
		let payload_len =
			PayloadHeader::payload_len(parameter_count).ok_or(Error::<T>::InvalidModel)?;
		ensure!(
			payload_len <= spec.max_payload_bytes as u64
				&& spec.max_payload_bytes <= T::MaxPayloadBytes::get(),
			Error::<T>::InvalidModel
		);
		ensure!(
			spec.scale > 0
				&& spec.training.epochs > 0
				&& spec.training.batch_size > 0
				&& spec.training.learning_rate_micros > 0,
			Error::<T>::InvalidSpec
		);
		ensure!(
			spec.rounds > 0 && spec.rounds <= T::MaxRounds::get(),
			Error::<T>::InvalidRoundCount
		);
		ensure!(
			spec.min_trainers > 0
				&& spec.min_trainers <= spec.max_trainers
				&& spec.max_trainers <= T::MaxTrainersPerRound::get(),
			Error::<T>::InvalidSpec
		);
		ensure!(
			spec.aggregators > 0 && spec.aggregators <= T::MaxAggregatorsPerRound::get(),
			Error::<T>::InvalidSpec
		);
		ensure!(
			spec.quorum <= spec.aggregators && spec.quorum.saturating_mul(2) > spec.aggregators,
			Error::<T>::InvalidQuorum
		);
		ensure!(spec.aggregation.works_with(spec.min_trainers), Error::<T>::InvalidAggregationRule);
		for phase in [spec.phases.commit, spec.phases.reveal, spec.phases.aggregate] {
			ensure!(
				phase >= T::MinPhaseLength::get() && phase <= T::MaxPhaseLength::get(),
				Error::<T>::InvalidPhaseLength
			);
		}
		ensure!(!spec.reward_per_round.is_zero(), Error::<T>::InvalidSpec);
		Ok(parameter_count.try_into().map_err(|_| Error::<T>::InvalidModel)?)
	}

	/// Checks a payload's size and header against the task and round it is submitted for.
	pub(crate) fn check_payload(
		info: &TaskOf<T>,
		task: TaskId,
		round: RoundIndex,
		kind: PayloadKind,
		payload: &[u8],
	) -> Result<(), DispatchError> {
		ensure!(payload.len() <= info.spec.max_payload_bytes as usize, Error::<T>::PayloadTooLarge);
		let header = PayloadHeader::parse(payload).map_err(|_| Error::<T>::MalformedPayload)?;
		let expected = PayloadHeader {
			kind,
			task,
			round,
			parameter_count: info.parameter_count,
			scale: info.spec.scale,
		};
		ensure!(header == expected, Error::<T>::PayloadHeaderMismatch);
		Ok(())
	}
}
