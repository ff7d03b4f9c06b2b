//! # Data market pallet
//!
//! Data owners list datasets and are paid each time their data trains a model, while the data
//! never leaves their machine: federated training is the compute-to-data mechanism.
//!
//! ## Overview
//!
//! An **owner** lists a dataset ([`Pallet::list_dataset`]) with a name, a description, a schema
//! (features, classes, samples, modality), a content commitment (the BLAKE2-256 of the engine's
//! binary dataset form, or a Merkle root of its shards: `cohort-node dataset inspect` prints it
//! for a file), a licence, a royalty per accepted update and an optional differential-privacy
//! budget. A deposit for what the listing stores is held until the dataset is gone. The owner
//! may change the name, description, licence and royalty ([`Pallet::update_dataset`]; joined
//! tasks keep the royalty they joined at), pause and resume it, authorise workers to train on it
//! ([`Pallet::add_delegate`]), state its per-feature statistics once
//! ([`Pallet::state_feature_stats`]: what task owners pool into a task's feature scaling), and
//! delist it ([`Pallet::delist_dataset`]): it takes no new tasks, and its record and deposit go
//! once no task uses it.
//!
//! The `federated` pallet reaches this one only through
//! [`DataMarket`](cohort_primitives::traits::DataMarket):
//!
//! - a trainer **joins** a task with a dataset only if it is the owner or a delegate, the
//!   dataset is listed, its schema fits the task's model, its royalty is within the task's
//!   maximum, it meets the task's reputation floor and allowlist, it has the privacy budget a
//!   differentially private task needs, and it is not in the task already; the terms (owner,
//!   royalty, sample bound) are fixed then;
//! - a dataset drawn into a round of a private task **spends** the round's ε from its budget;
//! - every score its updates earn moves its **reputation** (a moving average);
//! - when a round finalizes, the royalty of every accepted update moves from the task's held
//!   budget to the dataset's owner, and the round's **lineage** (which datasets, owners and
//!   trainers entered the model) is recorded.
//!
//! `Access`-licensed datasets can also be bought: [`Pallet::buy_access`] pays the owner at once
//! and records a grant until its expiry; the owner delivers the file off chain, and the buyer
//! checks it against the commitment.
//!
//! The `DataMarketApi` runtime API answers which datasets and owners trained a task's model,
//! round by round, and which tasks a dataset has trained. See `docs/data-market.md`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod deposit;
mod market;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use frame_support::traits::fungible;
use frame_system::pallet_prelude::BlockNumberFor;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A listing as submitted.
pub type ListingOf<T> = cohort_primitives::DatasetListing<BalanceOf<T>, BlockNumberFor<T>>;
/// A dataset as stored.
pub type DatasetInfoOf<T> = cohort_primitives::DatasetInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A licence as submitted.
pub type LicenceOf<T> = cohort_primitives::dataset::Licence<BalanceOf<T>, BlockNumberFor<T>>;
/// A line of lineage.
pub type DatasetUseOf<T> =
	cohort_primitives::dataset::DatasetUse<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use cohort_primitives::{
		dataset::{DatasetDescription, DatasetName, DatasetStatus, Licence, TaskUse},
		scaling::FeatureScaling,
		DatasetId, Epsilon, RoundIndex, Score, TaskId,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Mutate, MutateHold},
			tokens::Preservation,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency that deposits, royalties and access prices are paid in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`] (and the task
		/// budget royalties are paid from).
		type RuntimeHoldReason: From<HoldReason>;

		/// The part of a listing's deposit that does not depend on its size.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// The part of a listing's deposit per byte it stores (the listing, each delegate).
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// At most this many datasets per owner.
		#[pallet::constant]
		type MaxDatasetsPerOwner: Get<u32>;

		/// At most this many delegates (authorised workers) per dataset.
		#[pallet::constant]
		type MaxDelegates: Get<u32>;

		/// At most this many accepted updates in one round (the federated pallet's
		/// `MaxTrainersPerRound`): the size of a round's lineage.
		#[pallet::constant]
		type MaxUsesPerRound: Get<u32>;

		/// The smallest access price: a grant is a storage entry, so it must cost something.
		#[pallet::constant]
		type MinAccessPrice: Get<BalanceOf<Self>>;

		/// The longest access grant, in blocks.
		#[pallet::constant]
		type MaxAccessPeriod: Get<BlockNumberFor<Self>>;

		/// Told of every royalty paid (a data owner's contribution, which emission follows) and
		/// of every score a dataset's update earns (its owner's reputation).
		type Contributions: cohort_primitives::traits::Contributions<
			Self::AccountId,
			BalanceOf<Self>,
		>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An owner's deposit for the storage a listing uses, until the dataset is gone.
		DatasetDeposit,
	}

	/// The id the next dataset gets.
	#[pallet::storage]
	pub type NextDatasetId<T> = StorageValue<_, DatasetId, ValueQuery>;

	/// Every dataset not yet gone.
	#[pallet::storage]
	pub type Datasets<T: Config> = StorageMap<_, Blake2_128Concat, DatasetId, DatasetInfoOf<T>>;

	/// Each owner's datasets.
	#[pallet::storage]
	pub type OwnerDatasets<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<DatasetId, T::MaxDatasetsPerOwner>,
		ValueQuery,
	>;

	/// Workers an owner authorised to train on a dataset.
	#[pallet::storage]
	pub type Delegates<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		DatasetId,
		Blake2_128Concat,
		T::AccountId,
		(),
		OptionQuery,
	>;

	/// The tasks each dataset has joined, and what it earned there. A dataset joins a task
	/// once; the entry stays after it leaves, as history.
	#[pallet::storage]
	pub type DatasetTasks<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		DatasetId,
		Twox64Concat,
		TaskId,
		TaskUse<BalanceOf<T>>,
		OptionQuery,
	>;

	/// Which datasets' updates entered each finalized round's model.
	#[pallet::storage]
	pub type Lineage<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Twox64Concat,
		RoundIndex,
		BoundedVec<DatasetUseOf<T>, T::MaxUsesPerRound>,
		OptionQuery,
	>;

	/// Each dataset's per-feature statistics (mean and deviation), as its owner stated them
	/// ([`Pallet::state_feature_stats`]): what a task owner pools into its task's feature
	/// scaling without seeing the data. Gone with the dataset.
	#[pallet::storage]
	pub type FeatureStatsOf<T: Config> = StorageMap<_, Blake2_128Concat, DatasetId, FeatureScaling>;

	/// Access grants: until which block a buyer may use a dataset's file.
	#[pallet::storage]
	pub type AccessGrants<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		DatasetId,
		Blake2_128Concat,
		T::AccountId,
		BlockNumberFor<T>,
		OptionQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Datasets listed at genesis, with their ids (ascending) and owners; their deposits are
		/// held from the owners, who must be endowed.
		pub datasets: alloc::vec::Vec<(DatasetId, T::AccountId, ListingOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut next = 0;
			for (id, owner, listing) in &self.datasets {
				assert!(*id >= next, "genesis datasets have ascending ids");
				Pallet::<T>::check_listing(listing).expect("a genesis listing is valid");
				Pallet::<T>::insert_dataset(*id, owner, listing.clone())
					.expect("a genesis owner can pay the deposit");
				next = id.saturating_add(1);
			}
			NextDatasetId::<T>::put(next);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A dataset was listed, with this deposit held from its owner.
		DatasetListed { dataset: DatasetId, owner: T::AccountId, deposit: BalanceOf<T> },
		/// The owner changed a dataset's name, description, licence or royalty; the deposit
		/// follows the listing's size.
		DatasetUpdated { dataset: DatasetId, royalty: BalanceOf<T>, deposit: BalanceOf<T> },
		/// The owner paused a dataset: no new tasks or grants.
		DatasetPaused { dataset: DatasetId },
		/// The owner resumed a dataset.
		DatasetResumed { dataset: DatasetId },
		/// The owner delisted a dataset; it goes once no task uses it (`tasks` use it now).
		DatasetDelisted { dataset: DatasetId, tasks: u32 },
		/// A delisted dataset no task uses any more is gone, and its deposit went back.
		DatasetRemoved { dataset: DatasetId, owner: T::AccountId, released: BalanceOf<T> },
		/// The owner authorised a worker to train on a dataset.
		DelegateAdded { dataset: DatasetId, worker: T::AccountId },
		/// The owner withdrew a worker's authorisation.
		DelegateRemoved { dataset: DatasetId, worker: T::AccountId },
		/// A trainer joined a task with a dataset, on these terms.
		DatasetJoined {
			dataset: DatasetId,
			task: TaskId,
			trainer: T::AccountId,
			royalty: BalanceOf<T>,
		},
		/// A dataset is no longer in a task.
		DatasetLeft { dataset: DatasetId, task: TaskId },
		/// A dataset drawn into a round of a private task spent ε; `left` remains.
		PrivacySpent { dataset: DatasetId, epsilon: Epsilon, left: Epsilon },
		/// An update trained on a dataset was scored; the dataset's reputation moved.
		DatasetScored { dataset: DatasetId, score: Score, reputation: Score },
		/// A royalty moved from a task's budget to a dataset's owner.
		RoyaltyPaid {
			task: TaskId,
			round: RoundIndex,
			dataset: DatasetId,
			owner: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// A finalized round's lineage was recorded: `datasets` datasets entered its model.
		LineageRecorded { task: TaskId, round: RoundIndex, datasets: u32 },
		/// The owner stated a dataset's per-feature statistics (`features` of them); the
		/// deposit grew by what they store.
		FeatureStatsStated { dataset: DatasetId, features: u32, deposit: BalanceOf<T> },
		/// A buyer paid for access to a dataset until block `expires`.
		AccessGranted {
			dataset: DatasetId,
			buyer: T::AccountId,
			price: BalanceOf<T>,
			expires: BlockNumberFor<T>,
		},
		/// An expired grant was removed.
		GrantRemoved { dataset: DatasetId, buyer: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No dataset has this id.
		UnknownDataset,
		/// Only the dataset's owner may do this.
		NotOwner,
		/// Only the dataset's owner or a worker it authorised may train on it.
		NotOwnerOrDelegate,
		/// The name is empty or not UTF-8, or the description is not UTF-8.
		InvalidText,
		/// The schema has a zero size, fewer than two classes, or an image shape that does not
		/// give its feature count.
		InvalidSchema,
		/// An access licence's price is below the chain's minimum, or its period is zero or
		/// above the chain's maximum.
		InvalidLicence,
		/// The privacy budget is zero.
		InvalidPrivacyBudget,
		/// The owner has as many datasets as the chain allows.
		TooManyDatasets,
		/// The dataset has as many delegates as the chain allows.
		TooManyDelegates,
		/// The worker is already authorised.
		AlreadyDelegate,
		/// The worker is not authorised.
		NotDelegate,
		/// The dataset is paused or delisted.
		NotListed,
		/// The dataset is not paused.
		NotPaused,
		/// The dataset is delisted already.
		Delisted,
		/// The dataset's schema does not fit the task's model.
		SchemaMismatch,
		/// The dataset's royalty is above what the task pays per update.
		RoyaltyTooHigh,
		/// The dataset's reputation is below the task's minimum.
		ReputationTooLow,
		/// The task's allowlist does not name the dataset.
		NotAllowlisted,
		/// The dataset has joined this task already.
		AlreadyInTask,
		/// The dataset has a privacy budget and the task trains without differential privacy.
		PrivacyRequired,
		/// The dataset's privacy budget cannot pay the task's ε per round.
		PrivacyBudgetExhausted,
		/// The dataset is not for sale (its licence is federated only).
		NotForSale,
		/// An owner does not buy its own dataset.
		OwnDataset,
		/// The dataset's access price is above the buyer's `max_price` (it was raised).
		PriceAboveMax,
		/// The dataset's access period is not the one the buyer expected (it was changed).
		PeriodChanged,
		/// There is no such grant.
		NoGrant,
		/// The grant has not expired.
		GrantActive,
		/// The statistics do not give one entry per feature of the dataset's schema.
		StatsMismatch,
		/// The dataset's statistics were stated already: they describe its content, which
		/// does not change (other data is another listing).
		StatsAlreadyStated,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::DepositBase::get().is_zero(), "a listing must cost a deposit");
			assert!(!T::MinAccessPrice::get().is_zero(), "a grant must cost something");
			assert!(T::MaxUsesPerRound::get() > 0, "rounds have updates");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Lists a dataset owned by the caller and holds a deposit for what the listing stores.
		/// The content commitment is what buyers and auditors check the owner's file against:
		/// `cohort-node dataset inspect <file>` prints it, and the listing's arguments.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::list_dataset())]
		pub fn list_dataset(origin: OriginFor<T>, listing: ListingOf<T>) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::check_listing(&listing)?;
			let dataset = NextDatasetId::<T>::get();
			let deposit = Self::insert_dataset(dataset, &owner, listing)?;
			NextDatasetId::<T>::put(dataset.saturating_add(1));
			Self::deposit_event(Event::DatasetListed { dataset, owner, deposit });
			Ok(())
		}

		/// Changes a dataset's name, description, licence and royalty. The schema, the content
		/// and the privacy budget are what the dataset *is*: other data is another listing.
		/// Tasks already joined keep the royalty they joined at. The deposit follows the
		/// listing's size. Only the owner, on a dataset not delisted.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_dataset())]
		pub fn update_dataset(
			origin: OriginFor<T>,
			dataset: DatasetId,
			name: DatasetName,
			description: DatasetDescription,
			licence: LicenceOf<T>,
			royalty: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::owned(&who, dataset)?;
			ensure!(info.status != DatasetStatus::Delisted, Error::<T>::Delisted);
			info.listing.name = name;
			info.listing.description = description;
			info.listing.licence = licence;
			info.listing.royalty = royalty;
			Self::check_listing(&info.listing)?;
			let deposit =
				Self::listing_deposit(&info.listing, info.delegates, info.stated_features)?;
			Self::adjust_deposit(&mut info, deposit)?;
			Datasets::<T>::insert(dataset, info);
			Self::deposit_event(Event::DatasetUpdated { dataset, royalty, deposit });
			Ok(())
		}

		/// Pauses a dataset: it joins no new task and sells no new grant; tasks it is in go on.
		/// Only the owner.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pause_dataset())]
		pub fn pause_dataset(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::switch_status(&who, dataset, DatasetStatus::Listed, DatasetStatus::Paused)?;
			Self::deposit_event(Event::DatasetPaused { dataset });
			Ok(())
		}

		/// Resumes a paused dataset. Only the owner.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resume_dataset())]
		pub fn resume_dataset(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::switch_status(&who, dataset, DatasetStatus::Paused, DatasetStatus::Listed)?;
			Self::deposit_event(Event::DatasetResumed { dataset });
			Ok(())
		}

		/// Delists a dataset: it joins no new task and sells no new grant. If no task uses it,
		/// it is gone at once and its deposit goes back; otherwise when the last task it is in
		/// lets it go (its trainer leaves, or the task is pruned). Only the owner.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::delist_dataset(T::MaxDelegates::get()))]
		pub fn delist_dataset(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::owned(&who, dataset)?;
			ensure!(info.status != DatasetStatus::Delisted, Error::<T>::Delisted);
			info.status = DatasetStatus::Delisted;
			let tasks = info.tasks;
			Self::deposit_event(Event::DatasetDelisted { dataset, tasks });
			if tasks == 0 {
				Self::remove_dataset(dataset, info);
			} else {
				Datasets::<T>::insert(dataset, info);
			}
			Ok(())
		}

		/// Authorises `worker` to join tasks with the dataset on the owner's behalf (a machine
		/// of the owner's that holds the data, or a leased one). The deposit grows by the
		/// delegate's storage. Only the owner, on a dataset not delisted.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::add_delegate())]
		pub fn add_delegate(
			origin: OriginFor<T>,
			dataset: DatasetId,
			worker: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::owned(&who, dataset)?;
			ensure!(info.status != DatasetStatus::Delisted, Error::<T>::Delisted);
			ensure!(!Delegates::<T>::contains_key(dataset, &worker), Error::<T>::AlreadyDelegate);
			ensure!(info.delegates < T::MaxDelegates::get(), Error::<T>::TooManyDelegates);
			info.delegates.saturating_inc();
			let deposit =
				Self::listing_deposit(&info.listing, info.delegates, info.stated_features)?;
			Self::adjust_deposit(&mut info, deposit)?;
			Delegates::<T>::insert(dataset, &worker, ());
			Datasets::<T>::insert(dataset, info);
			Self::deposit_event(Event::DelegateAdded { dataset, worker });
			Ok(())
		}

		/// Withdraws a worker's authorisation (tasks it joined already go on); the deposit
		/// shrinks. Only the owner.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove_delegate())]
		pub fn remove_delegate(
			origin: OriginFor<T>,
			dataset: DatasetId,
			worker: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::owned(&who, dataset)?;
			ensure!(Delegates::<T>::contains_key(dataset, &worker), Error::<T>::NotDelegate);
			info.delegates.saturating_dec();
			let deposit =
				Self::listing_deposit(&info.listing, info.delegates, info.stated_features)?;
			Self::adjust_deposit(&mut info, deposit)?;
			Delegates::<T>::remove(dataset, &worker);
			Datasets::<T>::insert(dataset, info);
			Self::deposit_event(Event::DelegateRemoved { dataset, worker });
			Ok(())
		}

		/// Buys access to an `Access`-licensed dataset: its price goes to the owner at once, and
		/// the grant runs for the licence's period from now (or from the end of a grant still
		/// running). The owner then delivers the file off chain; the buyer checks it against
		/// the content commitment.
		///
		/// The buyer names the most it pays (`max_price`) and the period it expects: an owner
		/// who raises the price or shortens the period after the buyer read them (in the same
		/// block, ahead of the purchase) gets nothing.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::buy_access())]
		pub fn buy_access(
			origin: OriginFor<T>,
			dataset: DatasetId,
			max_price: BalanceOf<T>,
			period: BlockNumberFor<T>,
		) -> DispatchResult {
			let buyer = ensure_signed(origin)?;
			let info = Datasets::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
			ensure!(info.status == DatasetStatus::Listed, Error::<T>::NotListed);
			let Licence::Access { price, period: offered } = info.listing.licence else {
				return Err(Error::<T>::NotForSale.into());
			};
			ensure!(buyer != info.owner, Error::<T>::OwnDataset);
			ensure!(price <= max_price, Error::<T>::PriceAboveMax);
			ensure!(offered == period, Error::<T>::PeriodChanged);
			T::Currency::transfer(&buyer, &info.owner, price, Preservation::Preserve)?;
			let now = frame_system::Pallet::<T>::block_number();
			let from = AccessGrants::<T>::get(dataset, &buyer).map_or(now, |e| e.max(now));
			let expires = from.saturating_add(offered);
			AccessGrants::<T>::insert(dataset, &buyer, expires);
			Self::deposit_event(Event::AccessGranted { dataset, buyer, price, expires });
			Ok(())
		}

		/// Removes an expired grant (or one whose dataset is gone). Anyone may call it; it frees
		/// storage, so it costs no fee when it succeeds.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::remove_grant())]
		pub fn remove_grant(
			origin: OriginFor<T>,
			dataset: DatasetId,
			buyer: T::AccountId,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let expires = AccessGrants::<T>::get(dataset, &buyer).ok_or(Error::<T>::NoGrant)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				expires < now || !Datasets::<T>::contains_key(dataset),
				Error::<T>::GrantActive
			);
			AccessGrants::<T>::remove(dataset, &buyer);
			Self::deposit_event(Event::GrantRemoved { dataset, buyer });
			Ok(Pays::No.into())
		}

		/// States the dataset's per-feature statistics: each feature's mean and standard
		/// deviation over the samples, in millionths (`cohort-node dataset inspect` computes
		/// them from the file). They let a task owner fix one feature scaling for its task
		/// (see `cohort_primitives::scaling`) without seeing anyone's data; the chain cannot
		/// check them against the file, and a task owner pools them so that a quarter of the
		/// datasets stating wrong ones moves nothing. Once per dataset: they describe its
		/// content. The deposit grows by what they store. Only the owner, on a dataset not
		/// delisted.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::state_feature_stats(stats.len() as u32))]
		pub fn state_feature_stats(
			origin: OriginFor<T>,
			dataset: DatasetId,
			stats: FeatureScaling,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::owned(&who, dataset)?;
			ensure!(info.status != DatasetStatus::Delisted, Error::<T>::Delisted);
			ensure!(info.stated_features == 0, Error::<T>::StatsAlreadyStated);
			let features = stats.len() as u32;
			ensure!(features == info.listing.schema.features, Error::<T>::StatsMismatch);
			let deposit = Self::listing_deposit(&info.listing, info.delegates, features)?;
			Self::adjust_deposit(&mut info, deposit)?;
			info.stated_features = features;
			FeatureStatsOf::<T>::insert(dataset, stats);
			Datasets::<T>::insert(dataset, info);
			Self::deposit_event(Event::FeatureStatsStated { dataset, features, deposit });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The dataset, if `who` owns it.
		pub(crate) fn owned(
			who: &T::AccountId,
			dataset: DatasetId,
		) -> Result<DatasetInfoOf<T>, DispatchError> {
			let info = Datasets::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
			ensure!(info.owner == *who, Error::<T>::NotOwner);
			Ok(info)
		}

		/// Moves `who`'s dataset from status `from` to `to` (pause, resume).
		fn switch_status(
			who: &T::AccountId,
			dataset: DatasetId,
			from: DatasetStatus,
			to: DatasetStatus,
		) -> DispatchResult {
			let mut info = Self::owned(who, dataset)?;
			let wrong = match from {
				DatasetStatus::Paused => Error::<T>::NotPaused,
				_ => Error::<T>::NotListed,
			};
			ensure!(info.status == from, wrong);
			info.status = to;
			Datasets::<T>::insert(dataset, info);
			Ok(())
		}

		/// Checks what an owner states: text, schema, licence, privacy budget.
		pub(crate) fn check_listing(listing: &ListingOf<T>) -> DispatchResult {
			ensure!(
				!listing.name.is_empty()
					&& core::str::from_utf8(&listing.name).is_ok()
					&& core::str::from_utf8(&listing.description).is_ok(),
				Error::<T>::InvalidText
			);
			ensure!(listing.schema.is_valid(), Error::<T>::InvalidSchema);
			if let Licence::Access { price, period } = listing.licence {
				ensure!(
					price >= T::MinAccessPrice::get()
						&& !period.is_zero()
						&& period <= T::MaxAccessPeriod::get(),
					Error::<T>::InvalidLicence
				);
			}
			ensure!(listing.privacy_budget != Some(0), Error::<T>::InvalidPrivacyBudget);
			Ok(())
		}

		/// Stores a new dataset under `dataset` and holds its deposit; returns the deposit.
		pub(crate) fn insert_dataset(
			dataset: DatasetId,
			owner: &T::AccountId,
			listing: ListingOf<T>,
		) -> Result<BalanceOf<T>, DispatchError> {
			OwnerDatasets::<T>::try_append(owner, dataset)
				.map_err(|_| Error::<T>::TooManyDatasets)?;
			let deposit = Self::listing_deposit(&listing, 0, 0)?;
			T::Currency::hold(&HoldReason::DatasetDeposit.into(), owner, deposit)?;
			Datasets::<T>::insert(
				dataset,
				DatasetInfoOf::<T> {
					owner: owner.clone(),
					listing,
					status: DatasetStatus::Listed,
					deposit,
					delegates: 0,
					stated_features: 0,
					tasks: 0,
					privacy_spent: 0,
					reputation: None,
					rounds: 0,
					royalties: Zero::zero(),
					listed: frame_system::Pallet::<T>::block_number(),
				},
			);
			Ok(deposit)
		}

		/// Removes a delisted dataset no task uses: its record, delegates and place in the
		/// owner's list go, and its deposit is released. Grants stay until removed (their
		/// count is not bounded here); history (`DatasetTasks`, `Lineage`) stays.
		pub(crate) fn remove_dataset(dataset: DatasetId, info: DatasetInfoOf<T>) {
			let _ = Delegates::<T>::clear_prefix(dataset, T::MaxDelegates::get(), None);
			OwnerDatasets::<T>::mutate(&info.owner, |list| list.retain(|d| *d != dataset));
			Datasets::<T>::remove(dataset);
			FeatureStatsOf::<T>::remove(dataset);
			let released = T::Currency::release(
				&HoldReason::DatasetDeposit.into(),
				&info.owner,
				info.deposit,
				frame_support::traits::tokens::Precision::BestEffort,
			)
			.unwrap_or_else(|e| {
				log::error!(target: "runtime::data-market", "releasing dataset {dataset}'s deposit: {e:?}");
				Zero::zero()
			});
			Self::deposit_event(Event::DatasetRemoved { dataset, owner: info.owner, released });
		}
	}
}
