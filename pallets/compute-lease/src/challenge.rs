//! Challenges: issuing one (on schedule or on demand), committing and revealing answers, and
//! deciding it by the verifiers' quorum once the reveal window closes.

use alloc::vec::Vec;
use codec::Encode;
use cohort_primitives::{
	compute::{challenge_commitment, challenge_size, measured_score, ChallengeId},
	traits::{Contributions, Role},
	Score,
};
use frame_support::{ensure, pallet_prelude::*, traits::Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::{
	traits::{Hash, One, Saturating, Zero},
	SaturatedConversion,
};

use crate::{
	Answer, BalanceOf, Challenge, Challenges, Config, Error, Event, FailedChallenge,
	NextChallengeId, Offers, Pallet, Resolutions, Schedule, Verdict, Workers,
};
use cohort_primitives::{compute::OfferStatus, draw::weighted_sample};

/// A challenge's drawn verifiers, each with its answer once committed.
type VerifiersOf<T> = BoundedVec<
	(<T as frame_system::Config>::AccountId, Option<Answer<BlockNumberFor<T>>>),
	<T as Config>::MaxVerifiers,
>;

/// A verdict's quality, in millionths, for the worker's reputation.
const AGREED: Score = 1_000_000;

impl<T: Config> Pallet<T> {
	/// Issues the periodic challenge if one is due at `now`; says whether it did.
	pub(crate) fn issue_scheduled(now: BlockNumberFor<T>) -> bool {
		let Some(schedule) = Schedule::<T>::get() else { return false };
		if schedule.period.is_zero() || !(now % schedule.period).is_zero() {
			return false;
		}
		let workers = Workers::<T>::get();
		let len = workers.len() as u32;
		if len <= T::ChallengeQuorum::get() {
			return false;
		}
		let (random, _) = T::Randomness::random(&(b"cohort/compute/pick", now).encode());
		let start = u32::from_le_bytes(random.as_ref()[..4].try_into().unwrap_or_default()) % len;
		// A few candidates at most, so the work stays bounded: one with a challenge open
		// already is skipped.
		(0..len.min(4))
			.map(|i| &workers[((start + i) % len) as usize])
			.find(|w| Offers::<T>::get(*w).is_some_and(|o| o.challenge.is_none()))
			.cloned()
			.is_some_and(|w| Self::issue(&w).is_ok())
	}

	/// Challenges `worker` now, with the schedule's windows ([`DEFAULT_WINDOW`] blocks each
	/// without a schedule), and draws its verifiers.
	pub(crate) fn issue(worker: &T::AccountId) -> Result<ChallengeId, DispatchError> {
		let mut offer = Offers::<T>::get(worker).ok_or(Error::<T>::UnknownOffer)?;
		ensure!(offer.challenge.is_none(), Error::<T>::ChallengeOpen);
		let id = NextChallengeId::<T>::get();
		// Drawn before anything is written: a scheduled issue runs outside a transaction.
		let verifiers = Self::draw_verifiers(worker, id);
		ensure!(
			verifiers.len() as u32 >= T::ChallengeQuorum::get(),
			Error::<T>::NotEnoughVerifiers
		);
		let now = frame_system::Pallet::<T>::block_number();
		let (commit_blocks, reveal_blocks) = Schedule::<T>::get()
			.map(|s| (s.commit_blocks, s.reveal_blocks))
			.unwrap_or((DEFAULT_WINDOW.into(), DEFAULT_WINDOW.into()));
		let commit_by = now.saturating_add(commit_blocks);
		let reveal_by = commit_by.saturating_add(reveal_blocks);
		Resolutions::<T>::try_append(reveal_by.saturating_add(One::one()), id)
			.map_err(|_| Error::<T>::TooManyChallenges)?;
		NextChallengeId::<T>::put(id.wrapping_add(1));
		let (random, _) = T::Randomness::random(&(b"cohort/compute/seed", id).encode());
		let seed = H256::from_slice(T::Hashing::hash_of(&(random, id, worker)).as_ref());
		let size = challenge_size(offer.claimed_score, T::MillisPerBlock::get());
		offer.challenge = Some(id);
		Offers::<T>::insert(worker, offer);
		for (verifier, _) in &verifiers {
			Offers::<T>::mutate(verifier, |o| {
				if let Some(o) = o {
					o.verifying.saturating_inc();
				}
			});
		}
		Challenges::<T>::insert(
			id,
			Challenge {
				worker: worker.clone(),
				seed,
				size,
				issued: now,
				commit_by,
				reveal_by,
				answer: None,
				verifiers: verifiers.clone(),
			},
		);
		Self::deposit_event(Event::ChallengeIssued {
			challenge: id,
			worker: worker.clone(),
			seed,
			size,
			commit_by,
			reveal_by,
			verifiers: verifiers.into_iter().map(|(v, _)| v).collect(),
		});
		Ok(id)
	}

	/// Draws up to [`Config::MaxVerifiers`] verifiers for challenge `id` of `worker` among the
	/// other registered workers, with the chain's randomness, each offer weighing the same:
	/// every offer bonds at least the minimum the list's fill asks
	/// ([`Pallet::min_offer_bond`]), so a majority of the verifiers costs a majority of the
	/// offers, whatever one of them bonds. Offers being withdrawn, and workers whose last
	/// challenge failed, are passed over.
	pub(crate) fn draw_verifiers(worker: &T::AccountId, id: ChallengeId) -> VerifiersOf<T> {
		let max = T::MaxVerifiers::get() as usize;
		let candidates: Vec<(T::AccountId, u128)> =
			Workers::<T>::get().into_iter().filter(|w| w != worker).map(|w| (w, 1)).collect();
		let (random, _) = T::Randomness::random(&(b"cohort/compute/verifiers", id).encode());
		// A few more than needed, so that passing over some still fills the places; the reads
		// stay bounded.
		let order = weighted_sample(candidates, max.saturating_mul(2), &random.encode());
		let mut drawn = BoundedVec::new();
		for who in order {
			// A failed challenge sets both `verified_score = Some(0)` and `FailedChallenge`; the
			// latter outlives the offer, so it alone decides.
			let eligible = Offers::<T>::get(&who)
				.is_some_and(|o| o.status != OfferStatus::Withdrawing)
				&& !FailedChallenge::<T>::contains_key(&who);
			if eligible && drawn.try_push((who, None)).is_err() {
				break;
			}
		}
		drawn
	}

	pub(crate) fn do_commit(
		who: T::AccountId,
		id: ChallengeId,
		commitment: H256,
	) -> DispatchResult {
		let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= c.commit_by, Error::<T>::CommitWindowOver);
		let answer = Answer { commitment, at: now, revealed: None };
		let slot = if who == c.worker {
			&mut c.answer
		} else {
			c.verifiers
				.iter_mut()
				.find(|(v, _)| *v == who)
				.map(|(_, a)| a)
				.ok_or(Error::<T>::NotDrawn)?
		};
		ensure!(slot.is_none(), Error::<T>::AlreadyCommitted);
		*slot = Some(answer);
		Challenges::<T>::insert(id, c);
		Self::deposit_event(Event::ChallengeCommitted { challenge: id, who });
		Ok(())
	}

	pub(crate) fn do_reveal(
		who: T::AccountId,
		id: ChallengeId,
		revealed: H256,
		salt: [u8; 32],
	) -> DispatchResult {
		let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now > c.commit_by && now <= c.reveal_by, Error::<T>::NotRevealWindow);
		let answer = if who == c.worker {
			c.answer.as_mut()
		} else {
			c.verifiers.iter_mut().find(|(v, _)| *v == who).and_then(|(_, a)| a.as_mut())
		}
		.ok_or(Error::<T>::NotCommitted)?;
		ensure!(answer.revealed.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(
			answer.commitment == challenge_commitment(&who, id, &revealed, &salt),
			Error::<T>::CommitmentMismatch
		);
		answer.revealed = Some(revealed);
		Challenges::<T>::insert(id, c);
		Self::deposit_event(Event::ChallengeRevealed { challenge: id, who, answer: revealed });
		Ok(())
	}

	/// Decides the challenges whose reveal window closed before `now`. Returns how many.
	pub(crate) fn resolve_challenges_at(now: BlockNumberFor<T>) -> u32 {
		let ids = Resolutions::<T>::take(now);
		for id in &ids {
			if let Some(c) = Challenges::<T>::take(id) {
				Self::resolve(*id, c);
			}
		}
		ids.len() as u32
	}

	fn resolve(id: ChallengeId, c: crate::ChallengeOf<T>) {
		let quorum = quorum_answer(
			c.verifiers.iter().filter_map(|(_, a)| a.as_ref().and_then(|a| a.revealed)),
			T::ChallengeQuorum::get(),
		);
		let answered = c.answer.as_ref().and_then(|a| a.revealed.map(|r| (r, a.at)));
		let verdict = match (answered, quorum) {
			(None, _) => Verdict::Late,
			(Some(_), None) => Verdict::Void,
			(Some((r, _)), Some(q)) if r == q => Verdict::Passed,
			(Some(_), Some(_)) => Verdict::Wrong,
		};
		let mut slashed = BalanceOf::<T>::zero();
		let mut verified_score = None;
		match verdict {
			Verdict::Passed => {
				let taken = answered.map(|(_, at)| at.saturating_sub(c.issued)).unwrap_or_default();
				// The worker learns of the challenge when the block that issues it is imported:
				// one block of latency is not its computing time.
				let blocks: u64 = taken.saturating_sub(One::one()).max(One::one()).saturated_into();
				let millis = blocks.saturating_mul(T::MillisPerBlock::get());
				Offers::<T>::mutate(&c.worker, |o| {
					if let Some(offer) = o {
						// At least 1: a verified score of 0 marks a failed challenge.
						let score = measured_score(c.size, millis).min(offer.claimed_score).max(1);
						offer.verified_score = Some(score);
						verified_score = Some(score);
					}
				});
				T::Contributions::note_quality(&c.worker, Role::ComputeProvider, AGREED);
				FailedChallenge::<T>::remove(&c.worker);
			},
			Verdict::Wrong | Verdict::Late => {
				FailedChallenge::<T>::insert(&c.worker, id);
				slashed = Self::slash_bond(&c.worker, T::ChallengeSlash::get(), None);
				Offers::<T>::mutate(&c.worker, |o| {
					if let Some(offer) = o {
						offer.verified_score = Some(0);
					}
				});
				verified_score = Some(0);
				T::Contributions::note_quality(&c.worker, Role::ComputeProvider, 0);
			},
			Verdict::Void => {
				verified_score = Offers::<T>::get(&c.worker).and_then(|o| o.verified_score);
			},
		}
		// A drawn verifier that did not reveal is slashed whether or not a quorum formed (else
		// a few silent verifiers would void every challenge for free); one that revealed is
		// slashed only for differing from the quorum.
		for (who, answer) in c.verifiers.iter() {
			let revealed = answer.as_ref().and_then(|a| a.revealed);
			let agrees = match (revealed, quorum) {
				(None, _) => Some(false),
				(Some(r), Some(q)) => Some(r == q),
				(Some(_), None) => None,
			};
			match agrees {
				Some(true) => T::Contributions::note_quality(who, Role::ComputeProvider, AGREED),
				Some(false) => {
					let slashed = Self::slash_bond(who, T::ChallengeSlash::get(), None);
					T::Contributions::note_quality(who, Role::ComputeProvider, 0);
					Self::deposit_event(Event::VerifierSlashed {
						challenge: id,
						who: who.clone(),
						slashed,
					});
				},
				None => {},
			}
			Offers::<T>::mutate(who, |o| {
				if let Some(o) = o {
					o.verifying.saturating_dec();
				}
			});
		}
		Offers::<T>::mutate(&c.worker, |o| {
			if let Some(offer) = o {
				offer.challenge = None;
			}
		});
		Self::deposit_event(Event::ChallengeResolved {
			challenge: id,
			worker: c.worker.clone(),
			verdict,
			quorum,
			verified_score,
			slashed,
		});
		Self::maybe_retire(&c.worker);
		for (who, _) in c.verifiers.iter() {
			Self::maybe_retire(who);
		}
	}
}

/// Commit and reveal windows, in blocks, of a challenge issued on demand without a schedule.
pub const DEFAULT_WINDOW: u32 = 5;

/// The answer revealed by a strict majority of the revealed answers, if at least `quorum`
/// revealed it.
pub fn quorum_answer(answers: impl Iterator<Item = H256>, quorum: u32) -> Option<H256> {
	let answers: Vec<H256> = answers.collect();
	let mut best: Option<(H256, u32)> = None;
	for a in &answers {
		let n = answers.iter().filter(|b| *b == a).count() as u32;
		if best.is_none_or(|(_, m)| n > m) {
			best = Some((*a, n));
		}
	}
	best.filter(|(_, n)| *n >= quorum && (*n as usize) * 2 > answers.len()).map(|(a, _)| a)
}

#[cfg(test)]
mod tests {
	use super::quorum_answer;
	use sp_core::H256;

	#[test]
	fn a_quorum_is_a_strict_majority_of_at_least_the_quorum() {
		let (a, b) = (H256::repeat_byte(1), H256::repeat_byte(2));
		assert_eq!(quorum_answer([a, a, b].into_iter(), 2), Some(a));
		assert_eq!(quorum_answer([a, b].into_iter(), 1), None, "a tie decides nothing");
		assert_eq!(quorum_answer([a].into_iter(), 2), None, "too few");
		assert_eq!(quorum_answer([a, a, b, b].into_iter(), 2), None);
		assert_eq!(quorum_answer([].into_iter(), 1), None);
	}
}
