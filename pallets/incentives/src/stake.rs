//! Stake by role: bonding, unbonding, commitments to duties and slashing.

use crate::{
	BalanceOf, Config, Error, Event, HoldReason, LedgerOf, Ledgers, Pallet, StakeLedger,
	UnlockChunk,
};
use cohort_primitives::traits::{Role, Stake};
use frame_support::{
	defensive,
	traits::{
		fungible::{Balanced, BalancedHold, MutateHold},
		tokens::{Imbalance, Precision},
		Get, OnUnbalanced,
	},
	BoundedVec,
};
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	DispatchError, DispatchResult,
};

impl<Balance: Zero + Copy + Ord + Saturating, BlockNumber, MaxChunks: Get<u32>>
	StakeLedger<Balance, BlockNumber, MaxChunks>
{
	fn empty() -> Self {
		Self { active: Zero::zero(), committed: Zero::zero(), unlocking: BoundedVec::new() }
	}

	/// Bonded and unbonding stake: what is held.
	pub fn total(&self) -> Balance {
		self.unlocking.iter().fold(self.active, |sum, c| sum.saturating_add(c.value))
	}

	/// Bonded stake that backs no duty.
	pub fn uncommitted(&self) -> Balance {
		self.active.saturating_sub(self.committed)
	}

	/// Takes up to `amount` out of the unbonding chunks, the latest first; returns what it took.
	fn take_unlocking(&mut self, amount: Balance) -> Balance {
		let mut taken = Balance::zero();
		while let Some(last) = self.unlocking.last_mut() {
			let take = amount.saturating_sub(taken).min(last.value);
			if take.is_zero() {
				break;
			}
			last.value = last.value.saturating_sub(take);
			taken = taken.saturating_add(take);
			if last.value.is_zero() {
				self.unlocking.pop();
			}
		}
		taken
	}

	fn is_empty(&self) -> bool {
		self.active.is_zero() && self.unlocking.is_empty()
	}
}

impl<T: Config> Pallet<T> {
	fn ledger(who: &T::AccountId, role: Role) -> LedgerOf<T> {
		Ledgers::<T>::get(who, role).unwrap_or_else(StakeLedger::empty)
	}

	fn store(who: &T::AccountId, role: Role, ledger: LedgerOf<T>) {
		if ledger.is_empty() {
			Ledgers::<T>::remove(who, role);
		} else {
			Ledgers::<T>::insert(who, role, ledger);
		}
	}

	pub(crate) fn do_bond(who: &T::AccountId, role: Role, amount: BalanceOf<T>) -> DispatchResult {
		frame_support::ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut ledger = Self::ledger(who, role);
		ledger.active = ledger.active.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
		ensure_min::<T>(ledger.active)?;
		T::Currency::hold(&HoldReason::Stake.into(), who, amount)?;
		Self::store(who, role, ledger);
		Self::deposit_event(Event::Bonded { who: who.clone(), role, amount });
		Ok(())
	}

	pub(crate) fn do_unbond(
		who: &T::AccountId,
		role: Role,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		frame_support::ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut ledger = Ledgers::<T>::get(who, role).ok_or(Error::<T>::NotStaked)?;
		frame_support::ensure!(amount <= ledger.active, Error::<T>::InsufficientStake);
		frame_support::ensure!(amount <= ledger.uncommitted(), Error::<T>::StakeCommitted);
		ledger.active -= amount;
		ensure_min::<T>(ledger.active)?;
		let unlocks_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		match ledger.unlocking.last_mut() {
			Some(last) if last.unlocks_at == unlocks_at => last.value.saturating_accrue(amount),
			_ => ledger
				.unlocking
				.try_push(UnlockChunk { value: amount, unlocks_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?,
		}
		Self::store(who, role, ledger);
		Self::deposit_event(Event::Unbonding { who: who.clone(), role, amount, unlocks_at });
		Ok(())
	}

	pub(crate) fn do_rebond(
		who: &T::AccountId,
		role: Role,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		frame_support::ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut ledger = Ledgers::<T>::get(who, role).ok_or(Error::<T>::NotStaked)?;
		let unbonding = ledger.total().saturating_sub(ledger.active);
		frame_support::ensure!(amount <= unbonding, Error::<T>::InsufficientStake);
		ledger.take_unlocking(amount);
		ledger.active.saturating_accrue(amount);
		ensure_min::<T>(ledger.active)?;
		Self::store(who, role, ledger);
		Self::deposit_event(Event::Rebonded { who: who.clone(), role, amount });
		Ok(())
	}

	pub(crate) fn do_withdraw(who: &T::AccountId, role: Role) -> DispatchResult {
		let mut ledger = Ledgers::<T>::get(who, role).ok_or(Error::<T>::NotStaked)?;
		let now = frame_system::Pallet::<T>::block_number();
		let mut amount = BalanceOf::<T>::zero();
		ledger.unlocking.retain(|c| {
			let ripe = c.unlocks_at <= now;
			if ripe {
				amount.saturating_accrue(c.value);
			}
			!ripe
		});
		frame_support::ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
		T::Currency::release(&HoldReason::Stake.into(), who, amount, Precision::Exact)?;
		Self::store(who, role, ledger);
		Self::deposit_event(Event::Withdrawn { who: who.clone(), role, amount });
		Ok(())
	}
}

/// The bonded stake must be zero or at least the minimum.
fn ensure_min<T: Config>(active: BalanceOf<T>) -> DispatchResult {
	frame_support::ensure!(
		active.is_zero() || active >= T::MinStake::get(),
		Error::<T>::BelowMinStake
	);
	Ok(())
}

impl<T: Config> Stake<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn commit(who: &T::AccountId, role: Role, amount: BalanceOf<T>) -> Result<(), DispatchError> {
		let uncommitted = Self::ledger(who, role).uncommitted();
		if uncommitted < amount {
			Self::do_bond(who, role, amount - uncommitted)?;
		}
		let mut ledger = Self::ledger(who, role);
		ledger.committed.saturating_accrue(amount);
		Self::store(who, role, ledger);
		Self::deposit_event(Event::Committed { who: who.clone(), role, amount });
		Ok(())
	}

	fn release(who: &T::AccountId, role: Role, amount: BalanceOf<T>) {
		let Some(mut ledger) = Ledgers::<T>::get(who, role) else {
			defensive!("releasing stake of an account without any");
			return;
		};
		if amount > ledger.committed {
			defensive!("releasing more stake than is committed");
		}
		let amount = amount.min(ledger.committed);
		ledger.committed -= amount;
		Self::store(who, role, ledger);
		Self::deposit_event(Event::Released { who: who.clone(), role, amount });
	}

	fn slash(
		who: &T::AccountId,
		role: Role,
		amount: BalanceOf<T>,
		reporter: Option<&T::AccountId>,
	) -> BalanceOf<T> {
		let Some(mut ledger) = Ledgers::<T>::get(who, role) else { return Zero::zero() };
		// Bonded stake first (its committed part is what backs the duty), then unbonding stake,
		// the latest first: the oldest chunks were unbonded before the offence was likely.
		let from_active = amount.min(ledger.active);
		ledger.active -= from_active;
		ledger.committed = ledger.committed.saturating_sub(from_active);
		let taken = from_active.saturating_add(ledger.take_unlocking(amount - from_active));
		if taken.is_zero() {
			return taken;
		}
		let (credit, missing) = T::Currency::slash(&HoldReason::Stake.into(), who, taken);
		if !missing.is_zero() {
			defensive!("stake was not all held");
		}
		let slashed = credit.peek();
		Self::store(who, role, ledger);
		let mut to_reporter = BalanceOf::<T>::zero();
		let to_treasury = match reporter {
			Some(reporter) => {
				let (reward, rest) = credit.split(T::ReporterShare::get() * slashed);
				let share = reward.peek();
				// A reporter that cannot receive it (e.g. a new account below the existential
				// deposit) leaves its share to the treasury.
				match T::Currency::resolve(reporter, reward) {
					Ok(()) => {
						to_reporter = share;
						rest
					},
					Err(reward) => rest.merge(reward),
				}
			},
			None => credit,
		};
		T::OnSlash::on_unbalanced(to_treasury);
		Self::deposit_event(Event::Slashed {
			who: who.clone(),
			role,
			amount: slashed,
			reporter: reporter.cloned(),
			to_reporter,
		});
		slashed
	}

	fn committed(who: &T::AccountId, role: Role) -> BalanceOf<T> {
		Ledgers::<T>::get(who, role).map(|l| l.committed).unwrap_or_default()
	}
}
