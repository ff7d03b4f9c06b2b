//! What the worker has submitted, on disk, so that a restart neither loses nor repeats work.
//!
//! Each submission is recorded *before* it is sent. A commitment's salt is kept in the journal
//! and its update in a file of its own (`updates/`), so a worker restarted between commit and
//! reveal still reveals. A duty whose submission is recorded is not acted on again until
//! `RETRY_BLOCKS` have passed without the chain taking it (the transaction was dropped, say);
//! the pallet refuses real duplicates anyway.
//!
//! The journal file is SCALE-encoded and small (no payloads), and is replaced atomically (write,
//! then rename) at every record, as are update files. The oldest rounds' entries, and their
//! update files, are pruned once there are more than [`MAX_ENTRIES`].

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

/// A trainer's commitment and salt (its update is in [`Journal::update`]).
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Committed {
	pub commitment: H256,
	pub salt: [u8; 32],
}

#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
	pub submitted_at: BlockNumber,
	pub committed: Option<Committed>,
}

/// The journal file, its entries, and the folder of update files.
pub struct Journal {
	path: PathBuf,
	updates: PathBuf,
	entries: BTreeMap<Key, Entry>,
	capacity: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	#[error("journal {path}: {error}")]
	Io { path: PathBuf, error: std::io::Error },
	#[error("journal {0} is corrupt; move it away to start afresh")]
	Corrupt(PathBuf),
}

impl Journal {
	/// Opens the journal in `dir` (`journal.scale` and `updates/`), empty if there is none yet.
	pub fn open(dir: &Path) -> Result<Self, JournalError> {
		Self::with_capacity(dir, MAX_ENTRIES)
	}

	fn with_capacity(dir: &Path, capacity: usize) -> Result<Self, JournalError> {
		let path = dir.join("journal.scale");
		let updates = dir.join("updates");
		std::fs::create_dir_all(&updates)
			.map_err(|error| JournalError::Io { path: updates.clone(), error })?;
		let entries = match std::fs::read(&path) {
			Ok(bytes) => BTreeMap::decode(&mut &bytes[..])
				.map_err(|_| JournalError::Corrupt(path.clone()))?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
			Err(error) => return Err(JournalError::Io { path, error }),
		};
		Ok(Self { path, updates, entries, capacity })
	}

	fn update_path(&self, key: &Key) -> PathBuf {
		let who: String = key.who.iter().map(|b| format!("{b:02x}")).collect();
		self.updates.join(format!("{}-{}-{who}.payload", key.task, key.round))
	}

	/// Keeps the update committed under `key` (a `Commit` key) on disk.
	pub fn save_update(&self, key: &Key, update: &[u8]) -> Result<(), JournalError> {
		write_atomically(&self.update_path(key), update)
	}

	/// The update committed under `key`, if it was saved.
	pub fn update(&self, key: &Key) -> Result<Option<Vec<u8>>, JournalError> {
		let path = self.update_path(key);
		match std::fs::read(&path) {
			Ok(bytes) => Ok(Some(bytes)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(error) => Err(JournalError::Io { path, error }),
		}
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
		while self.entries.len() > self.capacity {
			if let Some((old, _)) = self.entries.pop_first() {
				// Only `Commit` entries have update files; a missing file is fine.
				let _ = std::fs::remove_file(self.update_path(&old));
			}
		}
		write_atomically(&self.path, &self.entries.encode())
	}
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
	let io = |error| JournalError::Io { path: path.to_owned(), error };
	let partial = path.with_extension("partial");
	std::fs::write(&partial, bytes).map_err(io)?;
	std::fs::rename(&partial, path).map_err(io)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn key(round: RoundIndex, kind: Kind) -> Key {
		Key { round, task: 0, who: [1; 32], kind }
	}

	#[test]
	fn a_reopened_journal_remembers_commitments_updates_and_submissions() {
		let dir = tempfile::tempdir().unwrap();
		let committed = Committed { commitment: H256::repeat_byte(2), salt: [3; 32] };
		{
			let mut j = Journal::open(dir.path()).unwrap();
			assert!(j.due(&key(0, Kind::Commit), 5));
			j.save_update(&key(0, Kind::Commit), &[4; 10]).unwrap();
			let entry = Entry { submitted_at: 5, committed: Some(committed.clone()) };
			j.record(key(0, Kind::Commit), entry).unwrap();
		}
		let j = Journal::open(dir.path()).unwrap();
		assert_eq!(j.get(&key(0, Kind::Commit)).unwrap().committed, Some(committed));
		assert_eq!(j.update(&key(0, Kind::Commit)).unwrap(), Some(vec![4; 10]));
		assert_eq!(j.update(&key(1, Kind::Commit)).unwrap(), None);
		assert!(!j.due(&key(0, Kind::Commit), 5 + RETRY_BLOCKS - 1));
		assert!(j.due(&key(0, Kind::Commit), 5 + RETRY_BLOCKS));
		assert!(j.due(&key(0, Kind::Reveal), 5));
	}

	#[test]
	fn old_rounds_are_pruned_first_with_their_updates_and_corruption_is_reported() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::with_capacity(dir.path(), 10).unwrap();
		for round in 0..13 {
			j.save_update(&key(round, Kind::Commit), &[round as u8]).unwrap();
			j.record(key(round, Kind::Commit), Entry { submitted_at: 1, committed: None }).unwrap();
		}
		assert!(j.get(&key(2, Kind::Commit)).is_none());
		assert_eq!(j.update(&key(2, Kind::Commit)).unwrap(), None);
		assert!(j.get(&key(3, Kind::Commit)).is_some());
		assert_eq!(j.update(&key(3, Kind::Commit)).unwrap(), Some(vec![3]));
		std::fs::write(dir.path().join("journal.scale"), [0xff; 3]).unwrap();
		assert!(matches!(Journal::open(dir.path()), Err(JournalError::Corrupt(_))));
	}
}
