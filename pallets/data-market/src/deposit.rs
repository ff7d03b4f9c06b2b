//! What a listing costs its owner up front: a deposit that grows with what it stores.

use crate::{BalanceOf, Config, DatasetInfoOf, HoldReason, ListingOf, Pallet};
use codec::{Encode, MaxEncodedLen};
use cohort_primitives::{scaling::FeatureStats, DatasetId};
use frame_support::traits::Get;
use sp_runtime::{
	traits::{CheckedAdd, CheckedMul, UniqueSaturatedFrom},
	ArithmeticError, DispatchError, DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// [`Config::DepositBase`] plus [`Config::DepositPerByte`] for each byte the dataset
	/// stores: its record (with the listing at its actual size: a longer description costs
	/// more), its place in the owner's list, each delegate's entry, and the statistics of
	/// `stated` features.
	pub(crate) fn listing_deposit(
		listing: &ListingOf<T>,
		delegates: u32,
		stated: u32,
	) -> Result<BalanceOf<T>, DispatchError> {
		let record = DatasetInfoOf::<T>::max_encoded_len() - ListingOf::<T>::max_encoded_len()
			+ listing.encoded_size();
		let delegate = T::AccountId::max_encoded_len() + DatasetId::max_encoded_len() + 32;
		let bytes = (record as u64)
			.saturating_add(DatasetId::max_encoded_len() as u64)
			.saturating_add((delegates as u64).saturating_mul(delegate as u64))
			.saturating_add((stated as u64).saturating_mul(FeatureStats::max_encoded_len() as u64));
		T::DepositPerByte::get()
			.checked_mul(&BalanceOf::<T>::unique_saturated_from(bytes))
			.and_then(|d| d.checked_add(&T::DepositBase::get()))
			.ok_or_else(|| ArithmeticError::Overflow.into())
	}

	/// Holds or releases the difference between a dataset's deposit and `deposit`.
	pub(crate) fn adjust_deposit(
		info: &mut DatasetInfoOf<T>,
		deposit: BalanceOf<T>,
	) -> DispatchResult {
		let reason = HoldReason::DatasetDeposit.into();
		cohort_primitives::hold::adjust::<_, T::Currency>(
			&reason,
			&info.owner,
			info.deposit,
			deposit,
		)?;
		info.deposit = deposit;
		Ok(())
	}
}
