//! # Compute-lease pallet
//!
//! Compute providers rent worker capacity to consumers, paid per block from escrow, with the
//! service checked on chain.
//!
//! ## Overview
//!
//! **Offers.** A worker registers an offer ([`Pallet::register_offer`], signed by the worker's
//! own key, which heartbeats, answers challenges and is paid): the hardware it detected, the
//! score its own benchmark measured, capacity in slots, a price per slot per block, the shortest
//! and longest lease, and a bond, committed from its compute-provider stake in the incentives
//! pallet ([`Config::Stake`]). It may update, pause, resume and withdraw the offer; withdrawal
//! waits for running leases and an open challenge.
//!
//! **Leases.** A consumer leases slots of an offer for a number of blocks ([`Pallet::lease`]),
//! or posts a request with requirements ([`Pallet::post_request`]) that a worker whose offer
//! meets them fills ([`Pallet::fill_request`]). The whole price is held from the consumer under
//! [`HoldReason::Escrow`]; pay accrues per block and anyone may settle it to the worker
//! ([`Pallet::settle`]); the consumer may end the lease early and gets the unserved part back
//! ([`Pallet::end_lease`]); at its term it ends by itself. Ending leases is queued by block, at
//! most [`Config::MaxLeasesEndingPerBlock`] per block, so the work per block is bounded however
//! many leases run.
//!
//! **Heartbeats.** A worker with running leases sends a heartbeat ([`Pallet::heartbeat`]) at
//! least every [`Config::HeartbeatInterval`] blocks. A lease is served up to the worker's last
//! heartbeat; once the interval has passed without one, the lease is *in default*: anyone may
//! report it ([`Pallet::report_missed_heartbeat`]), which ends the defaulted leases, pays the
//! worker what was served, refunds the consumer the rest, and slashes
//! [`Config::MissedHeartbeatSlash`] of the bond (a share goes to the reporter). A late
//! heartbeat does the same before it counts, and a lease that reaches its term in default is
//! ended so too: a worker is never paid for blocks it did not cover.
//!
//! **Challenges.** Every [`ChallengeSchedule::period`] blocks the chain challenges one
//! registered worker (and [`Config::ChallengeOrigin`] may challenge one at any time): a seeded,
//! deterministic integer workload ([`cohort_primitives::compute`]) sized so that a worker as
//! fast as its claimed score computes it in a block. The worker commits to its answer within
//! the commit window; other registered workers recompute it and commit too; then all reveal.
//! When the reveal window closes, the answer a strict majority of at least
//! [`Config::ChallengeQuorum`] verifiers revealed decides: a worker whose answer differs, or
//! that did not commit and reveal in time, is slashed [`Config::ChallengeSlash`] of its bond and
//! its verified score falls to zero (no new leases until a later challenge passes); a worker
//! that agrees gets a verified score from the blocks it took. Verifiers that disagree with the
//! majority or do not reveal are slashed alike. Without a quorum nothing changes, except for a
//! worker that did not answer at all.
//!
//! **Service.** While a lease runs, the worker acts for the consumer
//! ([`cohort_primitives::traits::ComputeAccess`]): it may join the consumer's allowlisted
//! federated tasks and train on the consumer's datasets.
//!
//! See `docs/compute-lease.md` for the flows and what each party can and cannot do.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod challenge;
mod lease;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
pub mod weights;

pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::WeightInfo;
	use alloc::vec::Vec;
	use cohort_primitives::{
		compute::{
			Backends, ChallengeId, Hardware, Lease, LeaseId, Offer, OfferStatus, OfferTerms,
			RequestId, Requirements,
		},
		traits::{Contributions, Role, Stake},
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{self, MutateHold},
			tokens::Precision,
			Randomness,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::{
		traits::{CheckedMul, Saturating, Zero},
		Perbill,
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;
	pub type OfferOf<T> = Offer<BalanceOf<T>, BlockNumberFor<T>>;
	pub type TermsOf<T> = OfferTerms<BalanceOf<T>, BlockNumberFor<T>>;
	pub type LeaseOf<T> =
		Lease<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type RequirementsOf<T> = Requirements<BalanceOf<T>, BlockNumberFor<T>>;
	pub type ChallengeOf<T> = Challenge<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxVerifiers,
	>;

	/// The most challenges that resolve in one block (the periodic one and a few forced ones).
	pub const MAX_CHALLENGES_PER_BLOCK: u32 = 4;
	/// Blocks after a lease's term searched for room in the queue of ending leases.
	pub const EXPIRY_SEARCH: u32 = 8;

	/// The in-code storage version: a layout change bumps it, with a migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency leases are paid in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// Where offers' bonds live: committed compute-provider stake, slashed there.
		type Stake: Stake<Self::AccountId, BalanceOf<Self>>;

		/// Told of every lease payment (a provider's contribution, which emission follows) and
		/// of every challenge verdict (a provider's reputation).
		type Contributions: Contributions<Self::AccountId, BalanceOf<Self>>;

		/// Seeds challenges and picks the challenged worker.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// May challenge a worker at once and change the challenge schedule.
		type ChallengeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The smallest bond an offer commits.
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// At most this many offers.
		#[pallet::constant]
		type MaxOffers: Get<u32>;

		/// At most this many leases run on one offer at once.
		#[pallet::constant]
		type MaxLeasesPerOffer: Get<u32>;

		/// At most this many leases end in one block.
		#[pallet::constant]
		type MaxLeasesEndingPerBlock: Get<u32>;

		/// At most this many open requests per consumer.
		#[pallet::constant]
		type MaxRequestsPerConsumer: Get<u32>;

		/// A worker with running leases sends a heartbeat at least this often, in blocks.
		#[pallet::constant]
		type HeartbeatInterval: Get<BlockNumberFor<Self>>;

		/// What a missed heartbeat costs, as a part of the offer's bond.
		#[pallet::constant]
		type MissedHeartbeatSlash: Get<Perbill>;

		/// What a wrong or late challenge answer costs, as a part of the bond.
		#[pallet::constant]
		type ChallengeSlash: Get<Perbill>;

		/// The fewest verifiers that must agree on a challenge's answer.
		#[pallet::constant]
		type ChallengeQuorum: Get<u32>;

		/// At most this many verifiers per challenge.
		#[pallet::constant]
		type MaxVerifiers: Get<u32>;

		/// The target block time, in milliseconds: challenges are sized by it and measured in it.
		#[pallet::constant]
		type MillisPerBlock: Get<u64>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A consumer's escrow: the unpaid part of its leases and its open requests.
		#[codec(index = 0)]
		Escrow,
	}

	/// How often challenges come and how long they stay open.
	#[derive(
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		Clone,
		Copy,
		PartialEq,
		Eq,
		Debug,
		TypeInfo,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(rename_all = "camelCase")]
	pub struct ChallengeSchedule<BlockNumber> {
		/// A worker is challenged every this many blocks (0: only on demand).
		pub period: BlockNumber,
		/// Blocks, after the challenge's, in which answers are committed.
		pub commit_blocks: BlockNumber,
		/// Blocks, after the commit window, in which they are revealed.
		pub reveal_blocks: BlockNumber,
	}

	/// One account's answer to a challenge.
	#[derive(
		Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
	)]
	pub struct Answer<BlockNumber> {
		/// `challenge_commitment(who, id, answer, salt)`.
		pub commitment: H256,
		/// The block it was committed in.
		pub at: BlockNumber,
		/// The answer, once revealed.
		pub revealed: Option<H256>,
	}

	/// An open challenge.
	#[derive(
		Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
	)]
	#[scale_info(skip_type_params(MaxVerifiers))]
	pub struct Challenge<AccountId, BlockNumber, MaxVerifiers: Get<u32>> {
		/// The challenged worker.
		pub worker: AccountId,
		pub seed: H256,
		/// Values per update.
		pub size: u32,
		/// The block it was issued in.
		pub issued: BlockNumber,
		/// The last block in which answers are committed.
		pub commit_by: BlockNumber,
		/// The last block in which they are revealed; it resolves in the next.
		pub reveal_by: BlockNumber,
		/// The challenged worker's answer.
		pub answer: Option<Answer<BlockNumber>>,
		/// The verifiers the chain drew when it issued the challenge, and each one's answer once
		/// committed. Only they may answer; each that does not reveal is slashed.
		pub verifiers: BoundedVec<(AccountId, Option<Answer<BlockNumber>>), MaxVerifiers>,
	}

	/// A consumer's open request for compute, with its escrow (`slots × max_price × blocks`).
	#[derive(
		Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, Clone, PartialEq, Eq, Debug, TypeInfo,
	)]
	pub struct Request<AccountId, Balance, BlockNumber> {
		pub consumer: AccountId,
		pub requirements: Requirements<Balance, BlockNumber>,
		pub escrow: Balance,
	}
	pub type RequestOf<T> =
		Request<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// Why a lease ended.
	#[derive(
		Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo,
	)]
	pub enum LeaseEnd {
		/// It reached its term.
		Term,
		/// The consumer ended it early.
		Consumer,
		/// The worker missed its heartbeats.
		MissedHeartbeat,
	}

	/// How a challenge was decided for the challenged worker.
	#[derive(
		Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo,
	)]
	pub enum Verdict {
		/// Its answer is the quorum's.
		Passed,
		/// Its answer differs from the quorum's.
		Wrong,
		/// It did not commit, or did not reveal, in time.
		Late,
		/// No quorum of verifiers agreed: nothing is decided.
		Void,
	}

	/// The challenge schedule.
	#[pallet::storage]
	pub type Schedule<T: Config> =
		StorageValue<_, ChallengeSchedule<BlockNumberFor<T>>, OptionQuery>;

	/// Offers, by worker.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, OfferOf<T>>;

	/// Every worker with an offer, in order of registration: challenges pick from it.
	#[pallet::storage]
	pub type Workers<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxOffers>, ValueQuery>;

	/// Running leases.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Twox64Concat, LeaseId, LeaseOf<T>>;

	/// The running leases of each worker's offer.
	#[pallet::storage]
	pub type LeasesOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<LeaseId, T::MaxLeasesPerOffer>,
		ValueQuery,
	>;

	/// The next lease's id.
	#[pallet::storage]
	pub type NextLeaseId<T: Config> = StorageValue<_, LeaseId, ValueQuery>;

	/// Leases that end by themselves at the start of each block.
	#[pallet::storage]
	pub type Expiries<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<LeaseId, T::MaxLeasesEndingPerBlock>,
		ValueQuery,
	>;

	/// Open requests.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, RequestId, RequestOf<T>>;

	/// Open requests per consumer.
	#[pallet::storage]
	pub type RequestCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The next request's id.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Open challenges.
	#[pallet::storage]
	pub type Challenges<T: Config> = StorageMap<_, Twox64Concat, ChallengeId, ChallengeOf<T>>;

	/// Accounts whose last challenge failed (a wrong or missing answer), and which challenge:
	/// they may not aggregate, nor verify, until they pass one. Kept by account, not by
	/// offer, so that withdrawing the offer does not lift it.
	#[pallet::storage]
	pub type FailedChallenge<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ChallengeId>;

	/// The next challenge's id.
	#[pallet::storage]
	pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

	/// Challenges that resolve at the start of each block.
	#[pallet::storage]
	pub type Resolutions<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ChallengeId, ConstU32<MAX_CHALLENGES_PER_BLOCK>>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The challenge schedule (none: challenges only on demand).
		pub schedule: Option<ChallengeSchedule<BlockNumberFor<T>>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(s) = self.schedule {
				Schedule::<T>::put(s);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A worker registered an offer and committed its bond.
		OfferRegistered {
			worker: T::AccountId,
			slots: u32,
			price: BalanceOf<T>,
			bond: BalanceOf<T>,
			claimed_score: u32,
		},
		/// A worker changed its offer.
		OfferUpdated {
			worker: T::AccountId,
			slots: u32,
			price: BalanceOf<T>,
			bond: BalanceOf<T>,
			claimed_score: u32,
		},
		/// An offer takes no new leases until resumed.
		OfferPaused { worker: T::AccountId },
		/// An offer takes leases again.
		OfferResumed { worker: T::AccountId },
		/// An offer takes no new leases and goes once its leases and challenge are over.
		OfferWithdrawing { worker: T::AccountId },
		/// An offer is gone and its bond released.
		OfferWithdrawn { worker: T::AccountId, bond: BalanceOf<T> },
		/// A lease began; `escrow` is held from the consumer.
		LeaseStarted {
			lease: LeaseId,
			worker: T::AccountId,
			consumer: T::AccountId,
			slots: u32,
			price: BalanceOf<T>,
			end: BlockNumberFor<T>,
			escrow: BalanceOf<T>,
		},
		/// The worker was paid for the blocks of a lease before `paid_until`.
		Settled {
			lease: LeaseId,
			worker: T::AccountId,
			amount: BalanceOf<T>,
			paid_until: BlockNumberFor<T>,
		},
		/// A lease ended: the worker was paid for the blocks it served, the consumer got the
		/// rest of the escrow back.
		LeaseEnded { lease: LeaseId, reason: LeaseEnd, paid: BalanceOf<T>, refunded: BalanceOf<T> },
		/// A worker sent a heartbeat.
		Heartbeat { worker: T::AccountId },
		/// A worker missed its heartbeats: its defaulted leases ended and its bond was slashed.
		HeartbeatMissed { worker: T::AccountId, leases: u32, slashed: BalanceOf<T> },
		/// A consumer posted a request; `escrow` is held.
		RequestPosted { request: RequestId, consumer: T::AccountId, escrow: BalanceOf<T> },
		/// A request was cancelled and its escrow released.
		RequestCancelled { request: RequestId },
		/// A worker filled a request with a lease.
		RequestFilled { request: RequestId, lease: LeaseId, worker: T::AccountId },
		/// A worker is challenged: it and the `verifiers` the chain drew compute the workload
		/// of `seed` and `size`, commit by `commit_by` and reveal by `reveal_by`.
		ChallengeIssued {
			challenge: ChallengeId,
			worker: T::AccountId,
			seed: H256,
			size: u32,
			commit_by: BlockNumberFor<T>,
			reveal_by: BlockNumberFor<T>,
			verifiers: Vec<T::AccountId>,
		},
		/// An answer to a challenge was committed (by the worker or a verifier).
		ChallengeCommitted { challenge: ChallengeId, who: T::AccountId },
		/// An answer to a challenge was revealed.
		ChallengeRevealed { challenge: ChallengeId, who: T::AccountId, answer: H256 },
		/// A challenge was decided. `verified_score` is the worker's new verified score.
		ChallengeResolved {
			challenge: ChallengeId,
			worker: T::AccountId,
			verdict: Verdict,
			quorum: Option<H256>,
			verified_score: Option<u32>,
			slashed: BalanceOf<T>,
		},
		/// A verifier disagreed with the quorum, or did not reveal, and was slashed.
		VerifierSlashed { challenge: ChallengeId, who: T::AccountId, slashed: BalanceOf<T> },
		/// The challenge schedule changed.
		ScheduleSet { schedule: Option<ChallengeSchedule<BlockNumberFor<T>>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller already has an offer.
		AlreadyRegistered,
		/// No offer for this worker.
		UnknownOffer,
		/// Slots, lease lengths, backends or the score are invalid (at least one slot and one
		/// backend, `1 ≤ min_blocks ≤ max_blocks`, slots at most the leases an offer can run, a
		/// score above zero).
		InvalidOffer,
		/// The bond is under the minimum (`min_offer_bond`, which grows once half the list is
		/// full).
		BondTooLow,
		/// No room for another offer.
		TooManyOffers,
		/// The offer is withdrawing.
		Withdrawing,
		/// The offer is not active.
		NotActive,
		/// The offer is not paused.
		NotPaused,
		/// Fewer slots than running leases take.
		SlotsInUse,
		/// The offer has not that many free slots.
		NotEnoughSlots,
		/// The lease is shorter or longer than the offer allows.
		LeaseLengthOutOfRange,
		/// The offer's price is above what the consumer accepts.
		PriceAboveMax,
		/// A worker cannot lease its own offer.
		SelfLease,
		/// The worker failed its last challenge: no new leases until it passes one.
		FailedChallenge,
		/// Too many leases end around that block: choose another length.
		ExpiryQueueFull,
		/// An amount overflowed.
		Overflow,
		/// No such lease.
		UnknownLease,
		/// Only the lease's consumer may do this.
		NotConsumer,
		/// Nothing is owed to the worker yet.
		NothingToSettle,
		/// No running lease of the worker is in default.
		NotInDefault,
		/// The requirements ask for nothing (no slots or no blocks) or name unknown backends.
		InvalidRequest,
		/// The consumer has as many open requests as allowed.
		TooManyRequests,
		/// No such request.
		UnknownRequest,
		/// Only the request's consumer may do this.
		NotRequester,
		/// The offer does not meet the request's requirements.
		RequirementsNotMet,
		/// No such open challenge.
		UnknownChallenge,
		/// The challenge's commit window is over.
		CommitWindowOver,
		/// The challenge is not in its reveal window.
		NotRevealWindow,
		/// Already committed to this challenge.
		AlreadyCommitted,
		/// Only the challenged worker and the verifiers drawn for the challenge answer it.
		NotDrawn,
		/// No commitment of the caller to this challenge.
		NotCommitted,
		/// Already revealed.
		AlreadyRevealed,
		/// The answer and salt do not open the commitment.
		CommitmentMismatch,
		/// The worker has an open challenge already.
		ChallengeOpen,
		/// Too many challenges resolve in that block already.
		TooManyChallenges,
		/// A challenge needs more registered workers than there are, to verify it.
		NotEnoughVerifiers,
		/// The schedule's windows must be at least a block each.
		InvalidSchedule,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let ended = Self::end_leases_at(now);
			let resolved = Self::resolve_challenges_at(now);
			let issued = Self::issue_scheduled(now);
			T::WeightInfo::end_leases(ended)
				.saturating_add(
					T::WeightInfo::withdraw_offer(T::MaxOffers::get()).saturating_mul(ended.into()),
				)
				.saturating_add(T::WeightInfo::resolve_challenges(resolved, T::MaxVerifiers::get()))
				.saturating_add(if issued {
					T::WeightInfo::issue_challenge()
				} else {
					T::DbWeight::get().reads(1)
				})
		}

		fn integrity_test() {
			assert!(!T::MinBond::get().is_zero(), "an offer must bond something");
			assert!(!T::HeartbeatInterval::get().is_zero(), "heartbeats need an interval");
			assert!(T::ChallengeQuorum::get() > 0, "a challenge needs a quorum");
			assert!(T::MaxVerifiers::get() >= T::ChallengeQuorum::get(), "a quorum must fit");
			assert!(T::MillisPerBlock::get() > 0, "blocks take time");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a worker with an offer: its hardware and benchmark score (as
		/// its own detection and benchmark measured them), and its terms. The bond is committed
		/// from the caller's compute-provider stake, bonding from its free balance what that
		/// lacks.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_offer())]
		pub fn register_offer(
			origin: OriginFor<T>,
			hardware: Hardware,
			claimed_score: u32,
			terms: TermsOf<T>,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			ensure!(!Offers::<T>::contains_key(&worker), Error::<T>::AlreadyRegistered);
			Self::check_offer(&hardware, claimed_score, &terms, Self::new_offer_bond())?;
			Workers::<T>::try_append(worker.clone()).map_err(|_| Error::<T>::TooManyOffers)?;
			T::Stake::commit(&worker, Role::ComputeProvider, terms.bond)?;
			let now = frame_system::Pallet::<T>::block_number();
			Self::deposit_event(Event::OfferRegistered {
				worker: worker.clone(),
				slots: terms.slots,
				price: terms.price,
				bond: terms.bond,
				claimed_score,
			});
			Offers::<T>::insert(
				&worker,
				Offer {
					hardware,
					claimed_score,
					verified_score: None,
					terms,
					leased_slots: 0,
					status: OfferStatus::Active,
					last_heartbeat: now,
					challenge: None,
					verifying: 0,
				},
			);
			Ok(())
		}

		/// Changes the caller's offer: hardware, claimed score and terms. Running leases keep
		/// their price and length; the slots may not drop below what they take. A lower claim
		/// lowers the verified score with it; a higher one waits for a challenge.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_offer())]
		pub fn update_offer(
			origin: OriginFor<T>,
			hardware: Hardware,
			claimed_score: u32,
			terms: TermsOf<T>,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let mut offer = Offers::<T>::get(&worker).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(offer.status != OfferStatus::Withdrawing, Error::<T>::Withdrawing);
			// Lowering the bond may not go below what registering now would take; an offer that
			// keeps or raises its bond needs only the chain's minimum, as when it registered.
			let least = if terms.bond < offer.terms.bond {
				let others = (Workers::<T>::decode_len().unwrap_or(0) as u32).saturating_sub(1);
				Self::min_offer_bond(others)
			} else {
				T::MinBond::get()
			};
			Self::check_offer(&hardware, claimed_score, &terms, least)?;
			ensure!(terms.slots >= offer.leased_slots, Error::<T>::SlotsInUse);
			let old = offer.terms.bond;
			if terms.bond > old {
				T::Stake::commit(&worker, Role::ComputeProvider, terms.bond - old)?;
			} else if terms.bond < old {
				T::Stake::release(&worker, Role::ComputeProvider, old - terms.bond);
			}
			offer.verified_score = offer.verified_score.map(|v| v.min(claimed_score));
			offer.hardware = hardware;
			offer.claimed_score = claimed_score;
			Self::deposit_event(Event::OfferUpdated {
				worker: worker.clone(),
				slots: terms.slots,
				price: terms.price,
				bond: terms.bond,
				claimed_score,
			});
			offer.terms = terms;
			Offers::<T>::insert(&worker, offer);
			Ok(())
		}

		/// Stops the caller's offer from taking new leases; running ones go on.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pause_offer())]
		pub fn pause_offer(origin: OriginFor<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::switch_status(
				&worker,
				OfferStatus::Active,
				OfferStatus::Paused,
				Error::<T>::NotActive,
			)?;
			Self::deposit_event(Event::OfferPaused { worker });
			Ok(())
		}

		/// Lets the caller's paused offer take leases again.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resume_offer())]
		pub fn resume_offer(origin: OriginFor<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::switch_status(
				&worker,
				OfferStatus::Paused,
				OfferStatus::Active,
				Error::<T>::NotPaused,
			)?;
			Self::deposit_event(Event::OfferResumed { worker });
			Ok(())
		}

		/// Withdraws the caller's offer: at once if no lease runs and no challenge is open
		/// (the bond is released), otherwise once they are over; meanwhile it takes no leases.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_offer(T::MaxOffers::get()))]
		pub fn withdraw_offer(origin: OriginFor<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let mut offer = Offers::<T>::get(&worker).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(offer.status != OfferStatus::Withdrawing, Error::<T>::Withdrawing);
			offer.status = OfferStatus::Withdrawing;
			Offers::<T>::insert(&worker, offer);
			Self::deposit_event(Event::OfferWithdrawing { worker: worker.clone() });
			Self::maybe_retire(&worker);
			Ok(())
		}

		/// Leases `slots` of `worker`'s offer for `blocks` blocks from now, at the offer's
		/// price if it is at most `max_price` (a price raised meanwhile is not paid). The whole
		/// price is held from the caller in escrow.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::lease())]
		pub fn lease(
			origin: OriginFor<T>,
			worker: T::AccountId,
			slots: u32,
			blocks: BlockNumberFor<T>,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			let offer = Offers::<T>::get(&worker).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(offer.terms.price <= max_price, Error::<T>::PriceAboveMax);
			let escrow = Self::escrow_of(offer.terms.price, slots, blocks)?;
			T::Currency::hold(&HoldReason::Escrow.into(), &consumer, escrow)?;
			Self::start_lease(consumer, worker, offer, slots, blocks, escrow)?;
			Ok(())
		}

		/// Posts a request for compute: any worker whose offer meets `requirements` may fill it
		/// with a lease at its own price. `slots × max_price × blocks` is held until then (the
		/// part above the lease's price is released when it is filled).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::post_request())]
		pub fn post_request(
			origin: OriginFor<T>,
			requirements: RequirementsOf<T>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			ensure!(
				requirements.slots > 0
					&& !requirements.blocks.is_zero()
					&& requirements.backends.0 & !Backends::ALL == 0,
				Error::<T>::InvalidRequest
			);
			let count = RequestCount::<T>::get(&consumer);
			ensure!(count < T::MaxRequestsPerConsumer::get(), Error::<T>::TooManyRequests);
			let escrow =
				Self::escrow_of(requirements.max_price, requirements.slots, requirements.blocks)?;
			T::Currency::hold(&HoldReason::Escrow.into(), &consumer, escrow)?;
			let request = NextRequestId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			RequestCount::<T>::insert(&consumer, count + 1);
			Requests::<T>::insert(
				request,
				Request { consumer: consumer.clone(), requirements, escrow },
			);
			Self::deposit_event(Event::RequestPosted { request, consumer, escrow });
			Ok(())
		}

		/// Cancels the caller's open request and releases its escrow.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::cancel_request())]
		pub fn cancel_request(origin: OriginFor<T>, request: RequestId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = Requests::<T>::get(request).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(r.consumer == who, Error::<T>::NotRequester);
			Self::close_request(request, &r, r.escrow)?;
			Self::deposit_event(Event::RequestCancelled { request });
			Ok(())
		}

		/// Fills an open request with a lease of the caller's offer, at the offer's price. The
		/// offer must meet every requirement: backends, memory, verified score, price, free
		/// slots and lease length.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::fill_request())]
		pub fn fill_request(origin: OriginFor<T>, request: RequestId) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let r = Requests::<T>::get(request).ok_or(Error::<T>::UnknownRequest)?;
			let offer = Offers::<T>::get(&worker).ok_or(Error::<T>::UnknownOffer)?;
			let req = &r.requirements;
			ensure!(
				offer.hardware.backends.covers(req.backends)
					&& offer.hardware.memory_mib >= req.min_memory_mib
					&& offer.verified_score.unwrap_or(0) >= req.min_score
					&& offer.terms.price <= req.max_price,
				Error::<T>::RequirementsNotMet
			);
			let escrow = Self::escrow_of(offer.terms.price, req.slots, req.blocks)?;
			// The lease's escrow stays held; the rest goes back.
			Self::close_request(request, &r, r.escrow.saturating_sub(escrow))?;
			let lease = Self::start_lease(
				r.consumer.clone(),
				worker.clone(),
				offer,
				req.slots,
				req.blocks,
				escrow,
			)?;
			Self::deposit_event(Event::RequestFilled { request, lease, worker });
			Ok(())
		}

		/// Pays the worker of `lease` for the blocks served so far: up to now while its
		/// heartbeats are on time, only up to its last heartbeat otherwise. Anyone may call it.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::settle())]
		pub fn settle(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			let now = frame_system::Pallet::<T>::block_number();
			let offer = Offers::<T>::get(&l.worker);
			let to = Self::served_until(&l, offer.as_ref(), now.min(l.end));
			ensure!(to > l.paid_until, Error::<T>::NothingToSettle);
			let amount = Self::pay(lease, &mut l, to);
			Leases::<T>::insert(lease, &l);
			Self::deposit_event(Event::Settled {
				lease,
				worker: l.worker,
				amount,
				paid_until: l.paid_until,
			});
			Ok(())
		}

		/// Ends the caller's lease now: the worker is paid for the blocks served, the rest of
		/// the escrow is released to the caller.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::end_lease(T::MaxOffers::get()))]
		pub fn end_lease(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.consumer == who, Error::<T>::NotConsumer);
			let now = frame_system::Pallet::<T>::block_number();
			let offer = Offers::<T>::get(&l.worker);
			let to = Self::served_until(&l, offer.as_ref(), now.min(l.end));
			Self::close_lease(lease, l, to, LeaseEnd::Consumer, true);
			Ok(())
		}

		/// The caller's worker is alive. A heartbeat after the interval has passed first ends
		/// the leases in default, as a report would (without a reporter's share).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::heartbeat(T::MaxLeasesPerOffer::get()))]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			ensure!(Offers::<T>::contains_key(&worker), Error::<T>::UnknownOffer);
			Self::end_defaulted(&worker, None);
			// The offer may be gone: a withdrawing offer retires with its last lease.
			Offers::<T>::mutate(&worker, |o| {
				if let Some(offer) = o {
					offer.last_heartbeat = frame_system::Pallet::<T>::block_number();
				}
			});
			Self::deposit_event(Event::Heartbeat { worker });
			Ok(())
		}

		/// Reports that `worker` missed its heartbeats: its leases in default end (paid up to
		/// its last heartbeat, the rest refunded), and its bond is slashed; the caller gets
		/// the reporter's share of the slash.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::report_missed_heartbeat(T::MaxLeasesPerOffer::get()))]
		pub fn report_missed_heartbeat(
			origin: OriginFor<T>,
			worker: T::AccountId,
		) -> DispatchResult {
			let reporter = ensure_signed(origin)?;
			ensure!(Offers::<T>::contains_key(&worker), Error::<T>::UnknownOffer);
			let reporter = (reporter != worker).then_some(reporter);
			ensure!(Self::end_defaulted(&worker, reporter.as_ref()) > 0, Error::<T>::NotInDefault);
			Ok(())
		}

		/// Commits an answer to an open challenge: `challenge_commitment(caller, challenge,
		/// answer, salt)`. The challenged worker, or another registered worker as a verifier
		/// (up to [`Config::MaxVerifiers`]), within the commit window.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::commit_challenge(T::MaxVerifiers::get()))]
		pub fn commit_challenge(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			commitment: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit(who, challenge, commitment)
		}

		/// Reveals the answer and salt behind the caller's commitment, within the reveal
		/// window.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::reveal_challenge(T::MaxVerifiers::get()))]
		pub fn reveal_challenge(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			answer: H256,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal(who, challenge, answer, salt)
		}

		/// Challenges `worker` now, outside the schedule ([`Config::ChallengeOrigin`]).
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::issue_challenge())]
		pub fn challenge(origin: OriginFor<T>, worker: T::AccountId) -> DispatchResult {
			T::ChallengeOrigin::ensure_origin(origin)?;
			Self::issue(&worker).map(|_| ())
		}

		/// Sets the challenge schedule ([`Config::ChallengeOrigin`]); `None` stops periodic
		/// challenges.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::set_schedule())]
		pub fn set_schedule(
			origin: OriginFor<T>,
			schedule: Option<ChallengeSchedule<BlockNumberFor<T>>>,
		) -> DispatchResult {
			T::ChallengeOrigin::ensure_origin(origin)?;
			if let Some(s) = schedule {
				ensure!(
					!s.commit_blocks.is_zero() && !s.reveal_blocks.is_zero(),
					Error::<T>::InvalidSchedule
				);
			}
			Schedule::<T>::set(schedule);
			Self::deposit_event(Event::ScheduleSet { schedule });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		fn check_offer(
			hardware: &Hardware,
			claimed_score: u32,
			terms: &TermsOf<T>,
			least_bond: BalanceOf<T>,
		) -> DispatchResult {
			ensure!(
				hardware.backends.is_valid()
					&& claimed_score > 0
					&& terms.slots > 0
					&& terms.slots <= T::MaxLeasesPerOffer::get()
					&& !terms.min_blocks.is_zero()
					&& terms.min_blocks <= terms.max_blocks,
				Error::<T>::InvalidOffer
			);
			ensure!(terms.bond >= least_bond.max(T::MinBond::get()), Error::<T>::BondTooLow);
			Ok(())
		}

		/// The least bond an offer needs while `others` other offers are registered:
		/// [`Config::MinBond`] while the list is at most half full, then `MinBond × (MaxOffers /
		/// 2) / (MaxOffers − others)`, rounded up: twice the minimum at three quarters, half
		/// the list's length times it for the last place. Filling the runtime's list of 1,024
		/// with refundable offers then locks 4.2 times what it would at a flat minimum, and a
		/// newcomer pays no more than the squatter's last offer did.
		pub fn min_offer_bond(others: u32) -> BalanceOf<T> {
			let max = T::MaxOffers::get();
			let half = (max / 2).max(1);
			let min = T::MinBond::get();
			if others <= half {
				return min;
			}
			let left = max.saturating_sub(others).max(1);
			let scaled = min.saturating_mul(half.into());
			let whole = scaled / left.into();
			if whole.saturating_mul(left.into()) < scaled {
				whole.saturating_add(1u32.into())
			} else {
				whole
			}
		}

		/// Moves `worker`'s offer from status `from` to `to`, or fails with `error`.
		fn switch_status(
			worker: &T::AccountId,
			from: OfferStatus,
			to: OfferStatus,
			error: Error<T>,
		) -> DispatchResult {
			Offers::<T>::try_mutate(worker, |o| -> DispatchResult {
				let offer = o.as_mut().ok_or(Error::<T>::UnknownOffer)?;
				ensure!(offer.status == from, error);
				offer.status = to;
				Ok(())
			})
		}

		/// `slots × price × blocks`, or `Overflow`.
		pub(crate) fn escrow_of(
			price: BalanceOf<T>,
			slots: u32,
			blocks: BlockNumberFor<T>,
		) -> Result<BalanceOf<T>, DispatchError> {
			let blocks: u32 = blocks.try_into().map_err(|_| Error::<T>::Overflow)?;
			price
				.checked_mul(&BalanceOf::<T>::from(slots))
				.and_then(|p| p.checked_mul(&BalanceOf::<T>::from(blocks)))
				.ok_or_else(|| Error::<T>::Overflow.into())
		}

		/// Removes an open request, releasing `release` of its escrow.
		fn close_request(
			request: RequestId,
			r: &RequestOf<T>,
			release: BalanceOf<T>,
		) -> DispatchResult {
			T::Currency::release(
				&HoldReason::Escrow.into(),
				&r.consumer,
				release,
				Precision::Exact,
			)?;
			Requests::<T>::remove(request);
			RequestCount::<T>::mutate_exists(&r.consumer, |c| {
				*c = c.and_then(|c| c.checked_sub(1)).filter(|c| *c > 0)
			});
			Ok(())
		}

		/// Slashes `part` of `worker`'s bond (of the minimum bond if its offer is gone) from its
		/// compute-provider stake; the offer's bond shrinks by what was taken.
		pub(crate) fn slash_bond(
			worker: &T::AccountId,
			part: Perbill,
			reporter: Option<&T::AccountId>,
		) -> BalanceOf<T> {
			let bond =
				Offers::<T>::get(worker).map(|o| o.terms.bond).unwrap_or_else(T::MinBond::get);
			let slashed = T::Stake::slash(worker, Role::ComputeProvider, part * bond, reporter);
			Offers::<T>::mutate(worker, |o| {
				if let Some(offer) = o {
					offer.terms.bond = offer.terms.bond.saturating_sub(slashed);
				}
			});
			slashed
		}
	}

	impl<T: Config> cohort_primitives::traits::ComputeAccess<T::AccountId> for Pallet<T> {
		fn may_aggregate(who: &T::AccountId) -> bool {
			!FailedChallenge::<T>::contains_key(who)
		}

		fn serves(worker: &T::AccountId, consumer: &T::AccountId) -> bool {
			let now = frame_system::Pallet::<T>::block_number();
			LeasesOf::<T>::get(worker).iter().any(|id| {
				Leases::<T>::get(id).is_some_and(|l| l.consumer == *consumer && now < l.end)
			})
		}

		fn serves_reads() -> u64 {
			1 + T::MaxLeasesPerOffer::get() as u64
		}
	}
}
