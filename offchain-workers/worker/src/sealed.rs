//! Sealed work: the opening of each commitment the worker makes — the payload, the salt, the
//! commitment, and an aggregator's scores — in a file of its own. The file is self-contained and
//! checks itself (the commitment must open to the rest for the key it is filed under), so a
//! reveal needs nothing else: not even the journal, which may be lost.
//!
//! A file is `COHS`, a version byte, then the SCALE encoding of [`Sealed`].

use codec::{Decode, Encode};
use cohort_ml::codec::payload_hash;
use cohort_primitives::{
	commitment::{aggregate_commitment, update_commitment},
	RoundIndex, Score, TaskId,
};
use sp_core::H256;

use crate::{
	chain::AccountId,
	journal::{Key, Kind},
};

/// The first bytes of a sealed file.
pub const MAGIC: [u8; 4] = *b"COHS";
/// The format's version.
pub const VERSION: u8 = 1;

/// What a commitment was made to.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
	pub commitment: H256,
	pub salt: [u8; 32],
	/// An aggregator's scores (empty for a trainer's update).
	pub scores: Vec<Score>,
	/// The update, or the aggregate.
	pub payload: Vec<u8>,
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
		Self { commitment, salt, scores: Vec::new(), payload }
	}

	/// An aggregator's result, committed as
	/// `aggregate_commitment(who, task, round, payload_hash(aggregate), scores, salt)`.
	pub fn aggregate(
		who: &AccountId,
		task: TaskId,
		round: RoundIndex,
		payload: Vec<u8>,
		scores: Vec<Score>,
		salt: [u8; 32],
	) -> Self {
		let commitment =
			aggregate_commitment(who, task, round, &payload_hash(&payload), &scores, &salt);
		Self { commitment, salt, scores, payload }
	}

	/// The payload's hash (for an aggregate: what the reveal names).
	pub fn payload_hash(&self) -> H256 {
		payload_hash(&self.payload)
	}

	/// Whether the commitment opens to the rest for `key`'s author, task and round (a
	/// [`Kind::Commit`] key: an update; [`Kind::CommitAggregate`]: an aggregate).
	pub fn opens(&self, key: &Key) -> bool {
		let who = AccountId::new(key.who);
		let expected = match key.kind {
			Kind::Commit => update_commitment(&who, key.task, key.round, &self.payload, &self.salt),
			Kind::CommitAggregate => aggregate_commitment(
				&who,
				key.task,
				key.round,
				&self.payload_hash(),
				&self.scores,
				&self.salt,
			),
			_ => return false,
		};
		expected == self.commitment
	}

	/// The file's bytes.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut bytes = Vec::with_capacity(5 + self.payload.len() + 128);
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

		let aggregate = Sealed::aggregate(&who, 1, 2, vec![4, 5], vec![10, 20], [3; 32]);
		assert!(aggregate.opens(&key(Kind::CommitAggregate)));
		let mut tampered = aggregate.clone();
		tampered.scores[0] = 11;
		assert!(!tampered.opens(&key(Kind::CommitAggregate)));

		let bytes = aggregate.to_bytes();
		assert_eq!(Sealed::from_bytes(&bytes), Some(aggregate));
		assert_eq!(Sealed::from_bytes(&bytes[..bytes.len() - 1]), None, "torn");
		assert_eq!(Sealed::from_bytes(&[&bytes[..], &[0]].concat()), None, "trailing bytes");
		assert_eq!(Sealed::from_bytes(b"COHS"), None);
	}
}
