//! What the worker has submitted and what became of it, on disk, so that a restart neither loses
//! nor repeats work.
//!
//! - Each submission is recorded *before* it is sent, then the extrinsic's hash once the pool
//!   took it, then its outcome once a block carries it ([`Status`]). A submission not taken for
//!   [`RETRY_BLOCKS`] is sent again; one the runtime refused is never sent again.
//! - The opening of each commitment (an update, scores, or an aggregate and its metrics, with
//!   the salt) is sealed in a file of its own under `sealed/` ([`crate::sealed`]), written
//!   before the commitment is sent.
//! - Every file is written durably ([`crate::durable`]). A journal that cannot be read (torn by
//!   a crash of the disk, say) is moved aside, kept for inspection, and the worker starts with an
//!   empty one: the sealed files alone let it reveal what it committed.
//! - The entries and sealed files of finished rounds are pruned ([`Journal::prune`]); past
//!   [`MAX_ENTRIES`], the oldest submissions go first, but never one still needed for a reveal.
//!
//! The journal file is `COHJ`, a version byte, the BLAKE2-256 of the body, then the body: the
//! SCALE encoding of the entries.

use std::{
	collections::{BTreeMap, BTreeSet, HashMap},
	path::{Path, PathBuf},
};

use codec::{Decode, DecodeAll, Encode};
use cohort_primitives::{RoundIndex, TaskId};
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

use crate::{chain::BlockNumber, durable, sealed::Sealed};

/// Blocks after which a submission the chain has not taken is sent again.
pub const RETRY_BLOCKS: BlockNumber = 8;
/// Entries kept; past it the oldest submissions not needed for a reveal go first.
pub const MAX_ENTRIES: usize = 4096;
/// Extrinsic hashes kept per submission (each resend adds one).
pub const MAX_RESENDS: usize = 4;
/// The first bytes of the journal file.
pub const MAGIC: [u8; 4] = *b"COHJ";
/// The journal format's version.
pub const VERSION: u8 = 2;

const LOG: &str = "cohort-worker";

/// Which submission. (New kinds go at the end: a journal of the same version must still
/// decode.)
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
	Join,
	/// `commit_update`; its opening is sealed.
	Commit,
	Reveal,
	/// `commit_aggregate`; its opening is sealed.
	CommitAggregate,
	RevealAggregate,
	/// `commit_scores`; its opening is sealed.
	CommitScores,
	RevealScores,
}

impl Kind {
	/// The reveal that opens a commitment of this kind.
	pub fn reveal(self) -> Option<Kind> {
		match self {
			Kind::Commit => Some(Kind::Reveal),
			Kind::CommitScores => Some(Kind::RevealScores),
			Kind::CommitAggregate => Some(Kind::RevealAggregate),
			_ => None,
		}
	}

	/// For logs.
	pub fn name(self) -> &'static str {
		match self {
			Kind::Join => "join",
			Kind::Commit => "commit_update",
			Kind::Reveal => "reveal_update",
			Kind::CommitAggregate => "commit_aggregate",
			Kind::RevealAggregate => "reveal_aggregate",
			Kind::CommitScores => "commit_scores",
			Kind::RevealScores => "reveal_scores",
		}
	}
}

/// One submission: by whom (the key's public bytes), for which task and round (0 for joins).
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
	pub task: TaskId,
	pub round: RoundIndex,
	pub who: [u8; 32],
	pub kind: Kind,
}

/// What became of a submission.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub enum Status {
	/// Sent (or about to be); no block carries it yet.
	Pending,
	/// A block carries it and it was dispatched successfully.
	Included { block: BlockNumber },
	/// A block carries it and the runtime refused it with `error`.
	Refused { block: BlockNumber, error: String },
}

/// A submission.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
	/// The best block when it was last sent.
	pub submitted_at: BlockNumber,
	/// The hashes of the extrinsics sent for it, oldest first.
	pub extrinsics: Vec<H256>,
	pub status: Status,
}

/// What a block's outcome did to a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settled {
	/// It is on chain.
	Included,
	/// The runtime refused it with this error; it is not sent again.
	Refused(String),
	/// Another copy was settled before; this outcome changes nothing (a resent copy refused
	/// as a duplicate, say), with the copy's error if it failed.
	Stale(Option<String>),
}

/// The journal file, its entries, and the folder of sealed files.
pub struct Journal {
	path: PathBuf,
	sealed: PathBuf,
	entries: BTreeMap<Key, Entry>,
	by_extrinsic: HashMap<H256, Key>,
	capacity: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	#[error("{path}: {error}")]
	Io { path: PathBuf, error: std::io::Error },
	#[error("{0} is corrupt (kept as it is)")]
	Corrupt(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
	move |error| JournalError::Io { path: path.to_owned(), error }
}

impl Journal {
	/// Opens the journal in `dir` (`journal.scale` and `sealed/`), empty if there is none yet.
	/// A journal file that cannot be read is moved aside (`journal.scale.corrupt-<n>`) with an
	/// error in the log, and the journal starts empty.
	pub fn open(dir: &Path) -> Result<Self, JournalError> {
		let path = dir.join("journal.scale");
		let sealed = dir.join("sealed");
		std::fs::create_dir_all(&sealed).map_err(io(&sealed))?;
		// A crash mid-write leaves a temporary file; the real one is intact.
		let _ = std::fs::remove_file(durable::partial_path(&path));
		let entries = match std::fs::read(&path) {
			Ok(bytes) => match decode_file(&bytes) {
				Some(entries) => entries,
				None => {
					let aside = durable::move_aside(&path).map_err(io(&path))?;
					log::error!(
						target: LOG,
						"🧠 the journal {} cannot be read (torn or of another version): moved to \
						 {} and starting afresh; sealed commitments in {} are still revealed",
						path.display(),
						aside.display(),
						sealed.display(),
					);
					BTreeMap::new()
				},
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
			Err(error) => return Err(JournalError::Io { path, error }),
		};
		let by_extrinsic = entries
			.iter()
			.flat_map(|(key, e)| e.extrinsics.iter().map(move |h| (*h, *key)))
			.collect();
		Ok(Self { path, sealed, entries, by_extrinsic, capacity: MAX_ENTRIES })
	}

	/// Changes how many entries are kept (tests use small journals).
	pub fn set_capacity(&mut self, capacity: usize) {
		self.capacity = capacity;
	}

	/// How many entries are kept before the oldest go.
	pub fn capacity(&self) -> usize {
		self.capacity
	}

	/// How many entries there are.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	pub fn get(&self, key: &Key) -> Option<&Entry> {
		self.entries.get(key)
	}

	/// Whether to submit `key` at block `now`: never submitted, or sent and not taken for
	/// [`RETRY_BLOCKS`]. A submission a block carries, refused or not, is never sent again.
	pub fn due(&self, key: &Key, now: BlockNumber) -> bool {
		self.entries.get(key).is_none_or(|e| {
			e.status == Status::Pending && now >= e.submitted_at.saturating_add(RETRY_BLOCKS)
		})
	}

	/// Whether some sent extrinsic's outcome is still unknown.
	pub fn awaits_outcomes(&self) -> bool {
		self.entries.values().any(|e| e.status == Status::Pending && !e.extrinsics.is_empty())
	}

	/// Records that `key` is (re)sent at block `now`, on disk before returning. Past the
	/// capacity, the oldest entries not needed for a reveal go.
	pub fn record(&mut self, key: Key, now: BlockNumber) -> Result<(), JournalError> {
		let entry = self.entries.entry(key).or_insert(Entry {
			submitted_at: now,
			extrinsics: Vec::new(),
			status: Status::Pending,
		});
		entry.submitted_at = now;
		entry.status = Status::Pending;
		self.evict_overflow();
		self.write()
	}

	/// Records the hash of the extrinsic just sent for `key`.
	pub fn sent(&mut self, key: &Key, extrinsic: H256) -> Result<(), JournalError> {
		let Some(entry) = self.entries.get_mut(key) else { return Ok(()) };
		entry.extrinsics.push(extrinsic);
		if entry.extrinsics.len() > MAX_RESENDS {
			let old = entry.extrinsics.remove(0);
			self.by_extrinsic.remove(&old);
		}
		self.by_extrinsic.insert(extrinsic, *key);
		self.write()
	}

	/// Applies a block's outcome for `extrinsic`, if it is one of ours: which submission, and
	/// what changed.
	pub fn settle(
		&mut self,
		extrinsic: &H256,
		block: BlockNumber,
		error: Option<String>,
	) -> Result<Option<(Key, Settled)>, JournalError> {
		let Some(key) = self.by_extrinsic.remove(extrinsic) else { return Ok(None) };
		let Some(entry) = self.entries.get_mut(&key) else { return Ok(None) };
		let settled = match (entry.status.clone(), error) {
			(Status::Included { .. }, error) => Settled::Stale(error),
			(Status::Refused { .. }, Some(error)) => Settled::Stale(Some(error)),
			(_, None) => {
				entry.status = Status::Included { block };
				Settled::Included
			},
			(Status::Pending, Some(error)) => {
				entry.status = Status::Refused { block, error: error.clone() };
				Settled::Refused(error)
			},
		};
		if settled != Settled::Stale(None) {
			self.write()?;
		}
		Ok(Some((key, settled)))
	}

	/// The tasks that entries or sealed files name.
	pub fn tasks(&self) -> BTreeSet<TaskId> {
		let mut tasks: BTreeSet<TaskId> = self.entries.keys().map(|k| k.task).collect();
		tasks.extend(self.sealed_files().into_iter().map(|(key, _)| key.task));
		tasks
	}

	/// Removes the entries and sealed files of submissions `finished` says are over (their
	/// round is closed, their task ended); returns how many entries went.
	pub fn prune(&mut self, finished: impl Fn(&Key) -> bool) -> Result<usize, JournalError> {
		let before = self.entries.len();
		self.entries.retain(|key, _| !finished(key));
		let entries = &self.entries;
		self.by_extrinsic.retain(|_, key| entries.contains_key(key));
		for (key, path) in self.sealed_files() {
			if finished(&key) {
				durable::remove(&path).map_err(io(&path))?;
			}
		}
		let pruned = before - self.entries.len();
		if pruned > 0 {
			self.write()?;
		}
		Ok(pruned)
	}

	/// Whether `key` is a commitment whose reveal is not on chain yet: it must stay.
	fn needed(&self, key: &Key) -> bool {
		key.kind.reveal().is_some_and(|kind| {
			!matches!(
				self.entries.get(&Key { kind, ..*key }).map(|e| &e.status),
				Some(Status::Included { .. })
			)
		})
	}

	/// Past the capacity, drops the entries submitted longest ago, never one still needed for
	/// a reveal (sealed files stay until their round is pruned).
	fn evict_overflow(&mut self) {
		while self.entries.len() > self.capacity {
			let oldest = self
				.entries
				.iter()
				.filter(|(key, _)| !self.needed(key))
				.min_by_key(|(key, e)| (e.submitted_at, **key))
				.map(|(key, _)| *key);
			let Some(key) = oldest else {
				log::warn!(
					target: LOG,
					"🧠 the journal holds {} entries, all needed for reveals (capacity {})",
					self.entries.len(),
					self.capacity,
				);
				return;
			};
			if let Some(entry) = self.entries.remove(&key) {
				for h in entry.extrinsics {
					self.by_extrinsic.remove(&h);
				}
			}
		}
	}

	fn write(&self) -> Result<(), JournalError> {
		let body = self.entries.encode();
		let mut bytes = Vec::with_capacity(body.len() + 37);
		bytes.extend_from_slice(&MAGIC);
		bytes.push(VERSION);
		bytes.extend_from_slice(BlakeTwo256::hash(&body).as_bytes());
		bytes.extend_from_slice(&body);
		durable::write(&self.path, &bytes).map_err(io(&self.path))
	}

	fn sealed_path(&self, key: &Key) -> Option<PathBuf> {
		let ext = match key.kind {
			Kind::Commit => "update",
			Kind::CommitScores => "scores",
			Kind::CommitAggregate => "aggregate",
			_ => return None,
		};
		let who: String = key.who.iter().map(|b| format!("{b:02x}")).collect();
		Some(self.sealed.join(format!("{}-{}-{who}.{ext}", key.task, key.round)))
	}

	/// Every sealed file, with the key it is filed under.
	fn sealed_files(&self) -> Vec<(Key, PathBuf)> {
		let Ok(dir) = std::fs::read_dir(&self.sealed) else { return Vec::new() };
		dir.flatten()
			.filter_map(|entry| {
				let path = entry.path();
				let key = parse_sealed_name(path.file_name()?.to_str()?)?;
				Some((key, path))
			})
			.collect()
	}

	/// Seals the opening of the commitment `key` (a `Commit`, `CommitScores` or
	/// `CommitAggregate` key) on disk.
	pub fn seal(&self, key: &Key, sealed: &Sealed) -> Result<(), JournalError> {
		let path = self.sealed_path(key).expect("only commitments are sealed; qed");
		durable::write(&path, &sealed.to_bytes()).map_err(io(&path))
	}

	/// The opening sealed under `key`, if there is one. A file that is not whole, or whose
	/// commitment does not open to its content for `key`, is an error.
	pub fn sealed(&self, key: &Key) -> Result<Option<Sealed>, JournalError> {
		let Some(path) = self.sealed_path(key) else { return Ok(None) };
		match std::fs::read(&path) {
			Ok(bytes) => Sealed::from_bytes(&bytes)
				.filter(|s| s.opens(key))
				.map(Some)
				.ok_or(JournalError::Corrupt(path)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(error) => Err(JournalError::Io { path, error }),
		}
	}
}

fn decode_file(bytes: &[u8]) -> Option<BTreeMap<Key, Entry>> {
	let rest = bytes.strip_prefix(&MAGIC)?.strip_prefix(&[VERSION])?;
	let (hash, body) = rest.split_at_checked(32)?;
	(hash == BlakeTwo256::hash(body).as_bytes()).then_some(())?;
	BTreeMap::decode_all(&mut &body[..]).ok()
}

/// `<task>-<round>-<who, hex>.update|scores|aggregate`.
fn parse_sealed_name(name: &str) -> Option<Key> {
	let (stem, ext) = name.rsplit_once('.')?;
	let kind = match ext {
		"update" => Kind::Commit,
		"scores" => Kind::CommitScores,
		"aggregate" => Kind::CommitAggregate,
		_ => return None,
	};
	let mut parts = stem.splitn(3, '-');
	let task = parts.next()?.parse().ok()?;
	let round = parts.next()?.parse().ok()?;
	let hex = parts.next()?;
	if hex.len() != 64 {
		return None;
	}
	let mut who = [0u8; 32];
	for (i, byte) in who.iter_mut().enumerate() {
		*byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
	}
	Some(Key { task, round, who, kind })
}

#[cfg(test)]
mod tests;
