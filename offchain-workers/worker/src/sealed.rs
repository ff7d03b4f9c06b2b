//! Sealed work: the opening of each commitment the worker makes — a trainer's update, an
//! aggregator's scores, or an aggregator's result (aggregate and metrics) — with its salt and
//! commitment, in a file of its own. The file is self-contained and checks itself (the
//! commitment must open to the rest for the key it is filed under), so a reveal needs nothing
//! else: not even the journal, which may be lost.
//!
//! A file is `COHS`, a version byte, then the SCALE encoding of [`Sealed`].

use codec::{Decode, Encode};
use cohort_ml::codec::payload_hash;
use cohort_primitives::{
	commitment::{aggregate_commitment, score_commitment, update_commitment},
	RoundIndex, RoundMetrics, Score, TaskId,
};
use sp_core::H256;

use crate::{
	chain::AccountId,
	journal::{Key, Kind},
};

/// The first bytes of a sealed file.
pub const MAGIC: [u8; 4] = *b"COHS";
/// The format's version. 2: scores are sealed on their own, results carry metrics.
pub const VERSION: u8 = 2;

/// What a commitment opens to.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub enum Opening {
	/// A trainer's update payload.
	Update(Vec<u8>),
	/// An aggregator's scores, one per revealed update, in the round's order.
	Scores(Vec<Score>),
	/// An aggregator's result: the aggregate payload and the new model's metrics.
	Aggregate { payload: Vec<u8>, metrics: RoundMetrics },
}

/// A commitment and what it was made to.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
	pub commitment: H256,
	pub salt: [u8; 32],
	pub opening: Opening,
}

impl Sealed {
	/// A trainer's update, committed as `update_commitment(who, task, round, update, salt)`.
	pub fn update(
		who: &AccountId,
		task: TaskId,
		round: RoundIndex,
		payload: Vec<u8>,
		salt: [u8; 32],
	) -> Self {
		let commitment = update_commitment(who, task, round, &payload, &salt);
		Self { commitment, salt, opening: Opening::Update(payload) }
	}

	/// An aggregator's scores, committed as `score_commitment(who, task, round, scores, salt)`.
	pub fn scores(
		who: &AccountId,
		task: TaskId,
		round: RoundIndex,
		scores: Vec<Score>,
		salt: [u8; 32],
	) -> Self {
		let commitment = score_commitment(who, task, round, &scores, &salt);
		Self { commitment, salt, opening: Opening::Scores(scores) }
	}

	/// An aggregator's result, committed as
	/// `aggregate_commitment(who, task, round, payload_hash(aggregate), metrics, salt)`.
	pub fn aggregate(
		who: &AccountId,
		task: TaskId,
		round: RoundIndex,
		payload: Vec<u8>,
		metrics: RoundMetrics,
		salt: [u8; 32],
	) -> Self {
		let commitment =
			aggregate_commitment(who, task, round, &payload_hash(&payload), &metrics, &salt);
		Self { commitment, salt, opening: Opening::Aggregate { payload, metrics } }
	}

	/// What the commitment opens to for `who`, `task` and `round`.
	fn expected(&self, who: &AccountId, task: TaskId, round: RoundIndex) -> H256 {
		match &self.opening {
			Opening::Update(payload) => update_commitment(who, task, round, payload, &self.salt),
			Opening::Scores(scores) => score_commitment(who, task, round, scores, &self.salt),
			Opening::Aggregate { payload, metrics } => {
				aggregate_commitment(who, task, round, &payload_hash(payload), metrics, &self.salt)
			},
		}
	}

	/// Whether the commitment opens to the rest for `key`'s author, task and round, and the
	/// opening is of `key`'s kind ([`Kind::Commit`]: an update; [`Kind::CommitScores`]: scores;
	/// [`Kind::CommitAggregate`]: a result).
	pub fn opens(&self, key: &Key) -> bool {
		let kind_matches = matches!(
			(key.kind, &self.opening),
			(Kind::Commit, Opening::Update(_))
				| (Kind::CommitScores, Opening::Scores(_))
				| (Kind::CommitAggregate, Opening::Aggregate { .. })
		);
		kind_matches
			&& self.expected(&AccountId::new(key.who), key.task, key.round) == self.commitment
	}

	/// The file's bytes.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut bytes = Vec::with_capacity(5 + self.encoded_size());
		bytes.extend_from_slice(&MAGIC);
		bytes.push(VERSION);
		self.encode_to(&mut bytes);
		bytes
	}

	/// Reads a file's bytes; `None` if they are not a whole sealed file of this version.
	pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
		let body = bytes.strip_prefix(&MAGIC)?.strip_prefix(&[VERSION])?;
		codec::DecodeAll::decode_all(&mut &body[..]).ok()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn key(kind: Kind) -> Key {
		Key { task: 1, round: 2, who: [7; 32], kind }
	}

	#[test]
	fn sealed_files_round_trip_and_open_only_for_their_key() {
		let who = AccountId::new([7; 32]);
		let update = Sealed::update(&who, 1, 2, vec![1, 2, 3], [9; 32]);
		assert!(update.opens(&key(Kind::Commit)));
		assert!(!update.opens(&Key { round: 3, ..key(Kind::Commit) }));
		assert!(!update.opens(&Key { who: [8; 32], ..key(Kind::Commit) }));
		assert!(!update.opens(&key(Kind::CommitAggregate)));
		assert_eq!(Sealed::from_bytes(&update.to_bytes()), Some(update.clone()));

		let scores = Sealed::scores(&who, 1, 2, vec![10, 20], [3; 32]);
		assert!(scores.opens(&key(Kind::CommitScores)));
		assert!(!scores.opens(&key(Kind::CommitAggregate)), "scores are not a result");
		assert!(!scores.opens(&Key { task: 9, ..key(Kind::CommitScores) }));
		let mut tampered = scores.clone();
		tampered.opening = Opening::Scores(vec![20, 10]);
		assert!(!tampered.opens(&key(Kind::CommitScores)), "order matters");

		let metrics = RoundMetrics { loss_micros: 5, accuracy_micros: 6 };
		let aggregate = Sealed::aggregate(&who, 1, 2, vec![4, 5], metrics, [3; 32]);
		assert!(aggregate.opens(&key(Kind::CommitAggregate)));
		let mut tampered = aggregate.clone();
		tampered.opening = Opening::Aggregate {
			payload: vec![4, 5],
			metrics: RoundMetrics { accuracy_micros: 7, ..metrics },
		};
		assert!(!tampered.opens(&key(Kind::CommitAggregate)));

		let bytes = aggregate.to_bytes();
		assert_eq!(Sealed::from_bytes(&bytes), Some(aggregate));
		assert_eq!(Sealed::from_bytes(&bytes[..bytes.len() - 1]), None, "torn");
		assert_eq!(Sealed::from_bytes(&[&bytes[..], &[0]].concat()), None, "trailing bytes");
		assert_eq!(Sealed::from_bytes(b"COHS"), None);
		let mut old = bytes.clone();
		old[4] = 1;
		assert_eq!(Sealed::from_bytes(&old), None, "another version");
	}
}
