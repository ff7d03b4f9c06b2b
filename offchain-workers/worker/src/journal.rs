//! What the worker has submitted, on disk, so that a restart neither loses nor repeats work.
//!
//! Each submission is recorded *before* it is sent. A commitment's update and salt are kept, so
//! a worker restarted between commit and reveal still reveals. A duty whose submission is
//! recorded is not acted on again until `RETRY_BLOCKS` have passed without the chain taking it
//! (the transaction was dropped, say); the pallet refuses real duplicates anyway.
//!
//! The file is SCALE-encoded and replaced atomically (write, then rename). Entries of rounds
//! that are over are pruned once there are more than [`MAX_ENTRIES`].

use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
};

use codec::{Decode, Encode};
use cohort_primitives::{RoundIndex, TaskId};
use sp_core::H256;

use crate::chain::BlockNumber;

/// Blocks after which a submission the chain has not taken is sent again.
pub const RETRY_BLOCKS: BlockNumber = 8;
/// Entries kept; the oldest rounds go first.
pub const MAX_ENTRIES: usize = 4096;

/// Which submission.
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
	Join,
	Commit,
	Reveal,
	Aggregate,
}

/// One submission: by whom (the key's public bytes), for which task and round.
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
	pub round: RoundIndex,
	pub task: TaskId,
	pub who: [u8; 32],
	pub kind: Kind,
}

/// A trainer's update behind a commitment.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Committed {
	pub commitment: H256,
	pub salt: [u8; 32],
	pub update: Vec<u8>,
}

#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
	pub submitted_at: BlockNumber,
	pub committed: Option<Committed>,
}

/// The journal file and its entries.
pub struct Journal {
	path: PathBuf,
	entries: BTreeMap<Key, Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	#[error("journal {path}: {error}")]
	Io { path: PathBuf, error: std::io::Error },
	#[error("journal {0} is corrupt; move it away to start afresh")]
	Corrupt(PathBuf),
}

impl Journal {
	/// Opens the journal at `path`, empty if there is none yet.
	pub fn open(path: &Path) -> Result<Self, JournalError> {
		let io = |error| JournalError::Io { path: path.to_owned(), error };
		let entries = match std::fs::read(path) {
			Ok(bytes) => BTreeMap::decode(&mut &bytes[..])
				.map_err(|_| JournalError::Corrupt(path.to_owned()))?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
			Err(e) => return Err(io(e)),
		};
		Ok(Self { path: path.to_owned(), entries })
	}

	pub fn get(&self, key: &Key) -> Option<&Entry> {
		self.entries.get(key)
	}

	/// Whether to submit `key` at block `now`: never submitted, or not taken for
	/// [`RETRY_BLOCKS`].
	pub fn due(&self, key: &Key, now: BlockNumber) -> bool {
		self.entries.get(key).is_none_or(|e| now >= e.submitted_at.saturating_add(RETRY_BLOCKS))
	}

	/// Records a submission and writes the journal to disk before returning.
	pub fn record(&mut self, key: Key, entry: Entry) -> Result<(), JournalError> {
		self.entries.insert(key, entry);
		while self.entries.len() > MAX_ENTRIES {
			self.entries.pop_first();
		}
		let io = |error| JournalError::Io { path: self.path.clone(), error };
		let partial = self.path.with_extension("partial");
		std::fs::write(&partial, self.entries.encode()).map_err(io)?;
		std::fs::rename(&partial, &self.path).map_err(io)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn key(round: RoundIndex, kind: Kind) -> Key {
		Key { round, task: 0, who: [1; 32], kind }
	}

	#[test]
	fn a_reopened_journal_remembers_commitments_and_submissions() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.scale");
		let committed =
			Committed { commitment: H256::repeat_byte(2), salt: [3; 32], update: vec![4; 10] };
		{
			let mut j = Journal::open(&path).unwrap();
			assert!(j.due(&key(0, Kind::Commit), 5));
			j.record(
				key(0, Kind::Commit),
				Entry { submitted_at: 5, committed: Some(committed.clone()) },
			)
			.unwrap();
		}
		let j = Journal::open(&path).unwrap();
		assert_eq!(j.get(&key(0, Kind::Commit)).unwrap().committed, Some(committed));
		assert!(!j.due(&key(0, Kind::Commit), 5 + RETRY_BLOCKS - 1));
		assert!(j.due(&key(0, Kind::Commit), 5 + RETRY_BLOCKS));
		assert!(j.due(&key(0, Kind::Reveal), 5));
	}

	#[test]
	fn old_rounds_are_pruned_first_and_corruption_is_reported() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.scale");
		let mut j = Journal::open(&path).unwrap();
		for round in 0..(MAX_ENTRIES as u32 + 3) {
			j.record(key(round, Kind::Aggregate), Entry { submitted_at: 1, committed: None })
				.unwrap();
		}
		assert!(j.get(&key(2, Kind::Aggregate)).is_none());
		assert!(j.get(&key(3, Kind::Aggregate)).is_some());
		std::fs::write(&path, [0xff; 3]).unwrap();
		assert!(matches!(Journal::open(&path), Err(JournalError::Corrupt(_))));
	}
}
