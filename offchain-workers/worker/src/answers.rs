//! The compute challenges' answers the worker committed to, with their salts, on disk: a
//! commitment made before a restart is still revealed after it (a challenged worker or a
//! verifier that commits and does not reveal is slashed).
//!
//! One small file, `<data-dir>/challenges.scale`: `COHA`, a version byte, the BLAKE2-256 of the
//! body, then the body: the SCALE encoding of the answers by challenge and key. It is written
//! durably ([`crate::durable`]) before each commitment is sent. An answer goes once its reveal
//! is settled, or [`KEEP_BLOCKS`] after its commit window if no reveal ever came. A file that
//! cannot be read is moved aside, with an error in the log, and the worker starts with none.

use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
};

use codec::{Decode, DecodeAll, Encode};
use cohort_primitives::compute::{challenge_commitment, ChallengeId};
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

use crate::{
	chain::{AccountId, BlockNumber},
	durable,
	journal::JournalError,
};

/// The first bytes of the file.
pub const MAGIC: [u8; 4] = *b"COHA";
/// The format's version.
pub const VERSION: u8 = 1;
/// Blocks after its commit window that an answer whose reveal never settled is kept: a day of
/// 6-second blocks, far longer than any reveal window.
pub const KEEP_BLOCKS: BlockNumber = 14_400;

const LOG: &str = "cohort-worker";

/// An answer to a challenge and the salt of its commitment.
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
	pub answer: H256,
	pub salt: [u8; 32],
	/// The challenge's last commit block.
	pub commit_by: BlockNumber,
}

impl Answer {
	/// What `who` commits to: `challenge_commitment(who, id, answer, salt)`.
	pub fn commitment(&self, who: &AccountId, id: ChallengeId) -> H256 {
		challenge_commitment(who, id, &self.answer, &self.salt)
	}
}

/// The answers on disk, by challenge and key (the key's public bytes).
pub struct Answers {
	path: PathBuf,
	entries: BTreeMap<(ChallengeId, [u8; 32]), Answer>,
}

impl Answers {
	/// Opens `challenges.scale` in `dir`, empty if there is none yet. A file that cannot be
	/// read is moved aside (`challenges.scale.corrupt-<n>`) and the answers start empty.
	pub fn open(dir: &Path) -> Result<Self, JournalError> {
		let path = dir.join("challenges.scale");
		let io = |error| JournalError::Io { path: path.clone(), error };
		let _ = std::fs::remove_file(durable::partial_path(&path));
		let entries = match std::fs::read(&path) {
			Ok(bytes) => match decode_file(&bytes) {
				Some(entries) => entries,
				None => {
					let aside = durable::move_aside(&path).map_err(io)?;
					log::error!(
						target: LOG,
						"🧠 the challenge answers {} cannot be read: moved to {}; answers \
						 committed before cannot be revealed",
						path.display(),
						aside.display(),
					);
					BTreeMap::new()
				},
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
			Err(e) => return Err(io(e)),
		};
		Ok(Self { path, entries })
	}

	/// `who`'s answer to challenge `id`, if it keeps one.
	pub fn get(&self, id: ChallengeId, who: &[u8; 32]) -> Option<&Answer> {
		self.entries.get(&(id, *who))
	}

	/// How many answers are kept.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// Whether none is.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	/// Keeps `who`'s answer to challenge `id`, on disk before returning.
	pub fn insert(
		&mut self,
		id: ChallengeId,
		who: [u8; 32],
		answer: Answer,
	) -> Result<(), JournalError> {
		self.entries.insert((id, who), answer);
		self.write()
	}

	/// Forgets `who`'s answer to challenge `id` (its reveal is settled).
	pub fn remove(&mut self, id: ChallengeId, who: &[u8; 32]) -> Result<(), JournalError> {
		if self.entries.remove(&(id, *who)).is_some() {
			self.write()?;
		}
		Ok(())
	}

	/// Forgets the answers whose commit window closed more than [`KEEP_BLOCKS`] before `now`;
	/// returns how many went.
	pub fn prune(&mut self, now: BlockNumber) -> Result<usize, JournalError> {
		let before = self.entries.len();
		self.entries.retain(|_, a| now <= a.commit_by.saturating_add(KEEP_BLOCKS));
		let pruned = before - self.entries.len();
		if pruned > 0 {
			self.write()?;
		}
		Ok(pruned)
	}

	fn write(&self) -> Result<(), JournalError> {
		let body = self.entries.encode();
		let mut bytes = Vec::with_capacity(body.len() + 37);
		bytes.extend_from_slice(&MAGIC);
		bytes.push(VERSION);
		bytes.extend_from_slice(BlakeTwo256::hash(&body).as_bytes());
		bytes.extend_from_slice(&body);
		durable::write(&self.path, &bytes)
			.map_err(|error| JournalError::Io { path: self.path.clone(), error })
	}
}

fn decode_file(bytes: &[u8]) -> Option<BTreeMap<(ChallengeId, [u8; 32]), Answer>> {
	let rest = bytes.strip_prefix(&MAGIC)?.strip_prefix(&[VERSION])?;
	let (hash, body) = rest.split_at_checked(32)?;
	(hash == BlakeTwo256::hash(body).as_bytes()).then_some(())?;
	BTreeMap::decode_all(&mut &body[..]).ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn answers_survive_a_reopen_are_pruned_late_and_a_torn_file_is_set_aside() {
		let dir = tempfile::tempdir().unwrap();
		let a = Answer { answer: H256::repeat_byte(1), salt: [2; 32], commit_by: 10 };
		let b = Answer { commit_by: 20, ..a };
		let mut answers = Answers::open(dir.path()).unwrap();
		answers.insert(0, [7; 32], a).unwrap();
		answers.insert(1, [7; 32], b).unwrap();
		answers.insert(1, [8; 32], b).unwrap();

		let mut answers = Answers::open(dir.path()).unwrap();
		assert_eq!(answers.len(), 3);
		assert_eq!(answers.get(0, &[7; 32]), Some(&a));
		assert_eq!(answers.get(0, &[8; 32]), None);
		let who = AccountId::new([7; 32]);
		assert_eq!(a.commitment(&who, 0), challenge_commitment(&who, 0, &a.answer, &a.salt));

		answers.remove(1, &[8; 32]).unwrap();
		assert_eq!(answers.prune(10 + KEEP_BLOCKS).unwrap(), 0);
		assert_eq!(
			answers.prune(11 + KEEP_BLOCKS).unwrap(),
			1,
			"challenge 0's window is long over"
		);
		let mut answers = Answers::open(dir.path()).unwrap();
		assert_eq!(answers.len(), 1);
		assert_eq!(answers.get(1, &[7; 32]), Some(&b));

		let path = dir.path().join("challenges.scale");
		let bytes = std::fs::read(&path).unwrap();
		std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
		answers = Answers::open(dir.path()).unwrap();
		assert!(answers.is_empty(), "a torn file is not trusted");
		assert!(dir.path().join("challenges.scale.corrupt-0").exists(), "it is kept aside");
	}
}
