//! Checks of what callers submit: task specifications and payload headers.

use crate::{Config, Error, Pallet, TaskOf, TaskSpecOf};
use cohort_primitives::{PayloadHeader, PayloadKind, RoundIndex, TaskId};
use core::ops::RangeInclusive;
use frame_support::{ensure, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{UniqueSaturatedInto, Zero},
	DispatchError,
};

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
		let phases = &spec.phases;
		for phase in [
			phases.commit,
			phases.reveal,
			phases.score,
			phases.score_reveal,
			phases.aggregate,
			phases.aggregate_reveal,
		] {
			ensure!(
				phase >= T::MinPhaseLength::get() && phase <= T::MaxPhaseLength::get(),
				Error::<T>::InvalidPhaseLength
			);
		}
		ensure!(!spec.reward_per_round.is_zero() && spec.max_samples > 0, Error::<T>::InvalidSpec);
		ensure!(spec.gate.is_valid(), Error::<T>::InvalidGate);
		ensure!(
			spec.training.dp.is_none_or(|dp| dp.epsilon_micros > 0),
			Error::<T>::InvalidPrivacy
		);
		ensure!(spec.penalty >= T::MinPenalty::get(), Error::<T>::PenaltyTooLow);
		// Every selected trainer's update must fit in the reveal phase's blocks at the rate the
		// chain grants a task, and an aggregate in the aggregate reveal phase's: otherwise
		// honest trainers could be slashed for reveals no block had room for.
		let per_block = T::BlockPayloadBytes::get() as u64;
		let blocks = |n: BlockNumberFor<T>| -> u64 { n.unique_saturated_into() };
		ensure!(
			payload_len <= per_block
				&& payload_len.saturating_mul(spec.max_trainers as u64)
					<= blocks(phases.reveal).saturating_mul(per_block)
				&& payload_len <= blocks(phases.aggregate_reveal).saturating_mul(per_block),
			Error::<T>::RevealWindowTooShort
		);
		Ok(parameter_count.try_into().map_err(|_| Error::<T>::InvalidModel)?)
	}

	/// Checks a payload's size and header against the task and round it is submitted for, and
	/// that it claims `samples_allowed` samples (an update: 1 to its bound; an aggregate: 0);
	/// returns the samples it claims.
	pub(crate) fn check_payload(
		info: &TaskOf<T>,
		task: TaskId,
		round: RoundIndex,
		kind: PayloadKind,
		samples_allowed: RangeInclusive<u32>,
		payload: &[u8],
	) -> Result<u32, DispatchError> {
		ensure!(payload.len() <= info.spec.max_payload_bytes as usize, Error::<T>::PayloadTooLarge);
		let header = PayloadHeader::parse(payload).map_err(|_| Error::<T>::MalformedPayload)?;
		let expected = PayloadHeader {
			kind,
			task,
			round,
			parameter_count: info.parameter_count,
			scale: info.spec.scale,
			samples: header.samples,
		};
		ensure!(header == expected, Error::<T>::PayloadHeaderMismatch);
		ensure!(samples_allowed.contains(&header.samples), Error::<T>::SamplesOutOfRange);
		Ok(header.samples)
	}
}
