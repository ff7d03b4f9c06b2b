//! A round whose committee does not reach a quorum is not failed at once: the chain draws more
//! aggregators from those who joined the task, as many again as the committee had (as far as
//! `MaxAggregatorsPerRound` leaves room), and gives them the phase the committee could not
//! close — scoring, when fewer than a quorum committed to scores, or aggregating, when no
//! aggregate hash reached a quorum. For the aggregate, aggregation is deterministic, so honest
//! members compute the same bytes: the hash a majority of the enlarged committee reveals (and at
//! least `quorum` members) becomes the global model, and the members who revealed another hash
//! are slashed `Disagreed`, the first committee's included. For the scores, the added members'
//! scores join the committee's medians. A minority that withholds its work, or forges the
//! aggregate, to stall the round therefore pays for it and the round is decided, while honest
//! aggregators hold the majority of the task's aggregator stake. Once per round: an enlarged
//! committee that still cannot decide fails the round.
//!
//! The committee is not enlarged when too few *revealed* their scores: the revealed scores are
//! public by then, and added members could copy them instead of scoring.

use crate::{AggregatorSlotOf, Config, Event, Pallet, Participants, RoundOf, TaskOf};
use alloc::vec::Vec;
use codec::Encode;
use cohort_primitives::{draw, round::Phase, traits::Role, RoundIndex, TaskId};
use frame_support::traits::{Get, Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

impl<T: Config> Pallet<T> {
	/// The index of the first aggregator who may commit in the round's current phase: 0, or the
	/// first added member in the phase the committee was enlarged for. The first committee's
	/// members keep what they committed or revealed but take no second turn there (they
	/// answered for their silence already). A committee enlarged for its scores aggregates as
	/// one: all its members act in the aggregate phases.
	pub(crate) fn first_acting(info: &TaskOf<T>, record: &RoundOf<T>) -> usize {
		let drawn = info.spec.aggregators as usize;
		if !Self::is_enlarged(info, record) {
			return 0;
		}
		// Added members commit to scores only when they were added to score: at least one of
		// them did, or the round would have failed at the score commit's close.
		let enlarged_to_score =
			record.aggregators.iter().skip(drawn).any(|a| a.score_commitment.is_some());
		match record.phase {
			Phase::Score | Phase::ScoreReveal => drawn,
			_ if enlarged_to_score => 0,
			_ => drawn,
		}
	}

	/// Whether the round's committee was enlarged: it holds more members than the task draws.
	pub(crate) fn is_enlarged(info: &TaskOf<T>, record: &RoundOf<T>) -> bool {
		record.aggregators.len() > info.spec.aggregators as usize
	}

	/// The most [`Self::enlarge_committee`] weighs: it reads every participant of the task.
	pub(crate) fn enlarge_weight() -> frame_support::weights::Weight {
		use crate::WeightInfo;
		T::WeightInfo::start_round(
			T::MaxTrainersPerTask::get().saturating_add(T::MaxAggregatorsPerTask::get()),
		)
	}

	/// Draws up to as many aggregators again as the task draws, among those who joined it, are
	/// not in the committee and hold at least the minimum bond (weighted as at the round's
	/// draw), adds them to the committee and reopens `phase` (`Score` or `Aggregate`) for them.
	/// Only a full committee is enlarged, and only once. Returns whether it was.
	pub(crate) fn enlarge_committee(
		task: TaskId,
		index: RoundIndex,
		info: &TaskOf<T>,
		record: &mut RoundOf<T>,
		now: BlockNumberFor<T>,
		phase: Phase,
	) -> bool {
		let drawn = info.spec.aggregators as usize;
		let room = (T::MaxAggregatorsPerRound::get() as usize).saturating_sub(drawn).min(drawn);
		if record.aggregators.len() != drawn || room.is_zero() {
			return false;
		}
		let minimum = info.min_aggregator_bond;
		let candidates: Vec<(T::AccountId, u128)> = Participants::<T>::iter_prefix(task)
			.filter(|(who, p)| {
				p.role == Role::Aggregator
					&& p.bond >= minimum
					&& !record.aggregators.iter().any(|a| a.who == *who)
			})
			.map(|(who, p)| (who, draw::draw_weight(p.bond, minimum).unique_saturated_into()))
			.collect();
		let (seed, _) = T::Randomness::random(&(b"cohort/federated/enlarge", task, index).encode());
		let added = draw::weighted_sample(candidates, room, &seed.encode());
		if added.is_empty() {
			return false;
		}
		for who in &added {
			let slot = AggregatorSlotOf::<T> {
				who: who.clone(),
				score_commitment: None,
				scores: None,
				commitment: None,
				submission: None,
				reward: Zero::zero(),
			};
			// `room` was left under the bound.
			if record.aggregators.try_push(slot).is_err() {
				frame_support::defensive!("an enlarged committee fits its bound");
			}
		}
		let length = match phase {
			Phase::Score => info.spec.phases.score,
			_ => info.spec.phases.aggregate,
		};
		record.phase = phase;
		record.phase_ends = now.saturating_add(length);
		Self::deposit_event(Event::CommitteeEnlarged {
			task,
			round: index,
			added,
			commit_by: record.phase_ends,
		});
		true
	}
}
