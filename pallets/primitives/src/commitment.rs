//! What trainers and aggregators commit to before they reveal. Both commitments name their author,
//! the task and the round, so a commitment copied from the pool or an event opens for nobody but
//! the account that made it, and never in another round.
//!
//! A commitment is the BLAKE2-256 of the SCALE encoding of a tuple that begins with a four-byte
//! tag. SCALE encodes the tag, the account (32 bytes for an `AccountId32`), the integers
//! (little-endian), the hashes and the salt as their raw bytes, a score list as a compact
//! length followed by each score as a little-endian `u32`, and metrics as the loss then the
//! accuracy, each a little-endian `u32`:
//!
//! | commitment | preimage |
//! | --- | --- |
//! | update | `"COHU" ++ account ++ task ++ round ++ blake2_256(update) ++ salt` |
//! | scores | `"COHS" ++ account ++ task ++ round ++ scores ++ salt` |
//! | aggregate | `"COHA" ++ account ++ task ++ round ++ aggregate ++ metrics ++ salt` |

use codec::Encode;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

use crate::{round::RoundMetrics, RoundIndex, Score, TaskId};

/// Tag of a trainer's update commitment.
pub const UPDATE_TAG: [u8; 4] = *b"COHU";
/// Tag of an aggregator's scores commitment.
pub const SCORES_TAG: [u8; 4] = *b"COHS";
/// Tag of an aggregator's result commitment.
pub const AGGREGATE_TAG: [u8; 4] = *b"COHA";

/// The commitment a trainer `who` makes to `update` in `round` of `task`.
pub fn update_commitment<AccountId: Encode>(
	who: &AccountId,
	task: TaskId,
	round: RoundIndex,
	update: &[u8],
	salt: &[u8; 32],
) -> H256 {
	update_commitment_of_hash(who, task, round, &BlakeTwo256::hash(update), salt)
}

/// [`update_commitment`] for an update whose BLAKE2-256 hash is already known (the pallet hashes
/// a revealed update once, for the commitment and for its record).
pub fn update_commitment_of_hash<AccountId: Encode>(
	who: &AccountId,
	task: TaskId,
	round: RoundIndex,
	update_hash: &H256,
	salt: &[u8; 32],
) -> H256 {
	BlakeTwo256::hash(&(UPDATE_TAG, who, task, round, update_hash, salt).encode())
}

/// The commitment an aggregator `who` makes to its scores of the revealed updates of `round`
/// of `task`.
pub fn score_commitment<AccountId: Encode>(
	who: &AccountId,
	task: TaskId,
	round: RoundIndex,
	scores: &[Score],
	salt: &[u8; 32],
) -> H256 {
	BlakeTwo256::hash(&(SCORES_TAG, who, task, round, scores, salt).encode())
}

/// The commitment an aggregator `who` makes to the aggregate hash and the new model's metrics
/// it computed in `round` of `task`.
pub fn aggregate_commitment<AccountId: Encode>(
	who: &AccountId,
	task: TaskId,
	round: RoundIndex,
	aggregate: &H256,
	metrics: &RoundMetrics,
	salt: &[u8; 32],
) -> H256 {
	BlakeTwo256::hash(&(AGGREGATE_TAG, who, task, round, aggregate, metrics, salt).encode())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn commitments_bind_author_task_round_content_and_salt() {
		let base = update_commitment(&[1u8; 32], 2, 3, b"update", &[4; 32]);
		assert_ne!(base, update_commitment(&[9u8; 32], 2, 3, b"update", &[4; 32]), "author");
		assert_ne!(base, update_commitment(&[1u8; 32], 9, 3, b"update", &[4; 32]), "task");
		assert_ne!(base, update_commitment(&[1u8; 32], 2, 9, b"update", &[4; 32]), "round");
		assert_ne!(base, update_commitment(&[1u8; 32], 2, 3, b"other", &[4; 32]), "content");
		assert_ne!(base, update_commitment(&[1u8; 32], 2, 3, b"update", &[9; 32]), "salt");

		let base = score_commitment(&[1u8; 32], 2, 3, &[5, 6], &[4; 32]);
		assert_ne!(base, score_commitment(&[9u8; 32], 2, 3, &[5, 6], &[4; 32]), "author");
		assert_ne!(base, score_commitment(&[1u8; 32], 2, 3, &[6, 5], &[4; 32]), "order");
		assert_ne!(base, score_commitment(&[1u8; 32], 2, 4, &[5, 6], &[4; 32]), "round");

		let agg = H256::repeat_byte(7);
		let m = RoundMetrics { loss_micros: 5, accuracy_micros: 6 };
		let base = aggregate_commitment(&[1u8; 32], 2, 3, &agg, &m, &[4; 32]);
		assert_ne!(base, aggregate_commitment(&[9u8; 32], 2, 3, &agg, &m, &[4; 32]));
		let other = RoundMetrics { loss_micros: 6, accuracy_micros: 5 };
		assert_ne!(base, aggregate_commitment(&[1u8; 32], 2, 3, &agg, &other, &[4; 32]));
		assert_ne!(base, aggregate_commitment(&[1u8; 32], 2, 3, &H256::zero(), &m, &[4; 32]));
	}

	#[test]
	fn commitments_match_independently_computed_vectors() {
		// From Python's hashlib, blake2b(digest_size=32) of the preimages the module docs
		// describe, built byte by byte with struct.pack: other clients (the end-to-end tests'
		// JavaScript) compute the same bytes.
		let hex = |h: H256| format!("{h:x}");
		assert_eq!(
			hex(update_commitment(&[1u8; 32], 2, 3, b"update", &[4; 32])),
			"c9f9af69e93df212622f5f2733736087153a251a9bbd8f0827964e07f28890aa"
		);
		assert_eq!(
			hex(score_commitment(&[1u8; 32], 2, 3, &[5, 6], &[4; 32])),
			"2a25c86bade48560bac4391ca5ddfd61f4f92d7803c6a49a3f41807ea4ef7cec"
		);
		let metrics = RoundMetrics { loss_micros: 5, accuracy_micros: 6 };
		assert_eq!(
			hex(aggregate_commitment(&[1u8; 32], 2, 3, &H256::repeat_byte(7), &metrics, &[4; 32])),
			"bd4839c3ab5506245f5ab81f0f58f8f058a4a284e4614f267a171482db633aa4"
		);
	}
}
