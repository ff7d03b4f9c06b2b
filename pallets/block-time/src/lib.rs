//! # Block time
//!
//! The time between two blocks, in milliseconds: the length of an Aura slot, and twice
//! `pallet_timestamp`'s minimum period. It is fixed at genesis by the chain's preset and cannot
//! change while the chain runs (Aura numbers slots by it): production chains keep
//! [`Config::DefaultMillis`] (6 s), while development and test presets ask for shorter blocks so
//! that demo rounds and end-to-end tests wait less — from the same runtime, without a second
//! build.
//!
//! The pallet has no calls and no events: nothing can change the value after genesis. The
//! runtime reads it through [`BlockMillis`] (Aura's slot, and what pallets convert blocks to
//! time with) and [`HalfBlockMillis`] (the timestamp's minimum period).
//!
//! Parameters that the runtime counts in blocks (phase lengths, unbonding, heartbeats) are not
//! rescaled: on a chain with 2-second blocks they pass three times as fast as on a 6-second one,
//! which is what a development chain wants.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::BlockNumberFor;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The block time of a chain whose genesis names none: a production chain's.
		#[pallet::constant]
		type DefaultMillis: Get<u64>;
		/// The shortest block time a genesis may ask for: below it, blocks cannot propagate
		/// and finalize before the next slot.
		#[pallet::constant]
		type MinMillis: Get<u64>;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::type_value]
	pub fn DefaultMillisOf<T: Config>() -> u64 {
		T::DefaultMillis::get()
	}

	/// Milliseconds between blocks. Written once, at genesis; [`Config::DefaultMillis`] when
	/// the genesis named none.
	#[pallet::storage]
	pub type Millis<T> = StorageValue<_, u64, ValueQuery, DefaultMillisOf<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Milliseconds between blocks: an even number, at least [`Config::MinMillis`]; `None`
		/// keeps [`Config::DefaultMillis`].
		pub millis: Option<u64>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(millis) = self.millis {
				assert!(
					Pallet::<T>::allowed(millis),
					"a block time must be even and at least {} ms, not {millis}",
					T::MinMillis::get()
				);
				Millis::<T>::put(millis);
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(Self::allowed(T::DefaultMillis::get()), "the default block time is allowed");
			assert!(T::MinMillis::get() > 0, "blocks take time");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(
				Self::allowed(Millis::<T>::get()),
				"the block time is odd or below the minimum"
			);
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Whether `millis` can be a block time: even (the timestamp's minimum period is half of
		/// it) and at least [`Config::MinMillis`].
		pub fn allowed(millis: u64) -> bool {
			millis >= T::MinMillis::get() && millis.is_multiple_of(2)
		}
	}
}

/// The block time in milliseconds: Aura's slot duration, and what pallets convert blocks to
/// time with.
pub struct BlockMillis<T>(core::marker::PhantomData<T>);

impl<T: Config> frame_support::traits::Get<u64> for BlockMillis<T> {
	fn get() -> u64 {
		Millis::<T>::get()
	}
}

/// Half the block time: `pallet_timestamp`'s minimum period (Aura's slot is twice it).
pub struct HalfBlockMillis<T>(core::marker::PhantomData<T>);

impl<T: Config> frame_support::traits::Get<u64> for HalfBlockMillis<T> {
	fn get() -> u64 {
		Millis::<T>::get() / 2
	}
}
