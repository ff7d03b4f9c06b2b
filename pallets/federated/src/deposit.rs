//! What a task costs its owner up front — its budget, and a deposit for the storage it may
//! use — and what its participants must bond.

use crate::{
	BalanceOf, Config, Error, HoldReason, Pallet, RoundOf, RoundSummaryOf, TaskOf, TaskSpecOf,
};
use cohort_primitives::{api::TaskQuote, scaling::FeatureStats, PayloadHeader, RoundIndex};
use frame_support::{pallet_prelude::MaxEncodedLen, traits::Get};
use sp_runtime::{
	traits::{CheckedAdd, CheckedMul, UniqueSaturatedFrom, UniqueSaturatedInto},
	DispatchError, DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// What `create_task(spec)` holds and asks, or the error it fails with: the spec checked
	/// ([`Self::validate_spec`]), its budget, deposit and minimum bonds. `create_task` holds
	/// exactly this; clients show it before anything is signed (`FederatedApi::quote_task`).
	pub fn quote_task(spec: &TaskSpecOf<T>) -> Result<TaskQuote<BalanceOf<T>>, DispatchError> {
		let parameter_count = Self::validate_spec(spec)?;
		let payload_bytes = PayloadHeader::payload_len(parameter_count.into())
			.and_then(|n| u32::try_from(n).ok())
			.ok_or(Error::<T>::InvalidModel)?;
		let (min_trainer_bond, min_aggregator_bond) = Self::min_bonds(spec)?;
		Ok(TaskQuote {
			parameter_count,
			payload_bytes,
			budget: Self::task_budget(spec)?,
			deposit: Self::task_deposit(spec.rounds, 0, 0)?,
			min_trainer_bond,
			min_aggregator_bond,
		})
	}

	/// The budget held for a task: `rounds * (reward_per_round + max_trainers *
	/// datasets.max_royalty)`. A round pays at most its reward and one royalty of at most
	/// `max_royalty` per update it pays for (the accepted ones, or when the owner cancels, the
	/// revealed ones: at most `max_trainers` either way), so every round is covered whatever
	/// the rounds before it spent.
	pub(crate) fn task_budget(spec: &TaskSpecOf<T>) -> Result<BalanceOf<T>, DispatchError> {
		spec.datasets
			.max_royalty
			.checked_mul(&BalanceOf::<T>::from(spec.max_trainers))
			.and_then(|royalties| royalties.checked_add(&spec.reward_per_round))
			.and_then(|per_round| per_round.checked_mul(&BalanceOf::<T>::from(spec.rounds)))
			.ok_or_else(|| Error::<T>::BudgetOverflow.into())
	}

	/// The deposit for a task of `rounds` rounds with `allowlist` accounts on its allowlist and
	/// a feature scaling of `scaled` features: [`Config::TaskDepositBase`] plus
	/// [`Config::TaskDepositPerByte`] for each byte it may store at most — the task record, the
	/// round records kept in full, a summary per round, the allowlist and the scaling.
	/// Participants pay for their own records with their bonds.
	pub(crate) fn task_deposit(
		rounds: RoundIndex,
		allowlist: u32,
		scaled: u32,
	) -> Result<BalanceOf<T>, DispatchError> {
		let full_rounds = rounds.min(T::RetainedRounds::get().saturating_add(1)) as u64;
		let bytes = (TaskOf::<T>::max_encoded_len() as u64)
			.saturating_add(full_rounds.saturating_mul(RoundOf::<T>::max_encoded_len() as u64))
			.saturating_add(
				(rounds as u64).saturating_mul(RoundSummaryOf::<T>::max_encoded_len() as u64),
			)
			.saturating_add(
				(allowlist as u64).saturating_mul(T::AccountId::max_encoded_len() as u64),
			)
			.saturating_add((scaled as u64).saturating_mul(FeatureStats::max_encoded_len() as u64));
		T::TaskDepositPerByte::get()
			.checked_mul(&BalanceOf::<T>::unique_saturated_from(bytes))
			.and_then(|d| d.checked_add(&T::TaskDepositBase::get()))
			.ok_or_else(|| Error::<T>::BudgetOverflow.into())
	}

	/// Holds or releases the difference between a task's deposit and `deposit`.
	pub(crate) fn adjust_deposit(info: &mut TaskOf<T>, deposit: BalanceOf<T>) -> DispatchResult {
		let reason = HoldReason::TaskDeposit.into();
		cohort_primitives::hold::adjust::<_, T::Currency>(
			&reason,
			&info.owner,
			info.deposit,
			deposit,
		)?;
		info.deposit = deposit;
		Ok(())
	}

	/// The smallest bonds a trainer and an aggregator may join a task with: the chain's
	/// minimums, raised so that `penalty × bond` is at least what one participant of the role
	/// earns in a round when the fewest are paid (`min_trainers` trainers sharing the trainers'
	/// part, `quorum` aggregators sharing theirs), and for a trainer also the most royalty its
	/// update can earn its dataset (`datasets.max_royalty`: a trainer is often its dataset's
	/// owner). A no-show then loses more than doing the work would have paid.
	pub(crate) fn min_bonds(
		spec: &TaskSpecOf<T>,
	) -> Result<(BalanceOf<T>, BalanceOf<T>), DispatchError> {
		let reward: u128 = spec.reward_per_round.unique_saturated_into();
		let aggregator_pool = spec.aggregator_share * reward;
		let trainer_pool = reward.saturating_sub(aggregator_pool);
		let royalty: u128 = spec.datasets.max_royalty.unique_saturated_into();
		let bond_for = |pool: u128, sharers: u32, extra: u128| -> Option<u128> {
			let share = pool.div_ceil(sharers.max(1) as u128).checked_add(extra)?;
			let parts = spec.penalty.deconstruct().max(1) as u128;
			share.checked_mul(1_000_000_000)?.checked_add(parts - 1).map(|n| n / parts)
		};
		let fits = |bond: Option<u128>| -> Result<BalanceOf<T>, DispatchError> {
			bond.and_then(|b| BalanceOf::<T>::try_from(b).ok())
				.ok_or_else(|| Error::<T>::BudgetOverflow.into())
		};
		let trainer = fits(bond_for(trainer_pool, spec.min_trainers, royalty))?;
		let aggregator = fits(bond_for(aggregator_pool, spec.quorum, 0))?;
		Ok((trainer.max(T::MinTrainerBond::get()), aggregator.max(T::MinAggregatorBond::get())))
	}
}
