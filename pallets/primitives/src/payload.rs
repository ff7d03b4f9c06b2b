//! The payloads that travel in block bodies — model updates, aggregates and initial models — and
//! where to find them. State keeps only a payload's hash, length and position (DESIGN.md, decision 5).
//!
//! A payload is a fixed header followed by the model's parameters as fixed-point integers:
//!
//! | bytes | field |
//! | --- | --- |
//! | 0..4 | magic `COHP` |
//! | 4 | kind: 0 = a trainer's update, 1 = an aggregate (the next global model), 2 = an initial model |
//! | 5..9 | task id, u32 little-endian (0 in an initial model) |
//! | 9..13 | round, u32 little-endian (0 in an initial model) |
//! | 13..17 | parameter count `n`, u32 little-endian |
//! | 17..21 | fixed-point scale `s`, u32 little-endian (a parameter `p` is `round(p * s)`) |
//! | 21..25 | samples trained on, u32 little-endian (an update's weight in FedAvg; 0 in an aggregate) |
//! | 25..25+4n | the `n` parameters, i32 little-endian |

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{RoundIndex, TaskId};

/// The first four bytes of every payload.
pub const PAYLOAD_MAGIC: [u8; 4] = *b"COHP";
/// Length of the header in bytes.
pub const PAYLOAD_HEADER_LEN: usize = 25;
/// Bytes per parameter.
pub const BYTES_PER_PARAMETER: usize = 4;

/// What a payload holds.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo)]
pub enum PayloadKind {
	/// A trainer's update for one round.
	Update = 0,
	/// An aggregator's result for one round: the global model for the next round.
	Aggregate = 1,
	/// A model a task starts from (`InitialModel::Hash`), brought in by its owner. It names no
	/// task or round (both 0): the task's spec names its hash before the task has an id, and
	/// one file may start many tasks.
	Initial = 2,
}

/// The header at the front of every payload.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PayloadHeader {
	pub kind: PayloadKind,
	pub task: TaskId,
	pub round: RoundIndex,
	pub parameter_count: u32,
	pub scale: u32,
	/// The samples an update was trained on: its weight in the weighted mean. The chain bounds
	/// it by the task's `max_samples`; an aggregate carries 0.
	pub samples: u32,
}

/// Why a payload's header was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PayloadError {
	/// Shorter than the header.
	TooShort,
	/// The magic bytes are not `COHP`.
	BadMagic,
	/// The kind byte is not 0, 1 or 2.
	BadKind,
	/// The length is not the header plus four bytes per declared parameter.
	LengthMismatch,
}

impl PayloadHeader {
	/// The header's bytes.
	pub fn to_bytes(&self) -> [u8; PAYLOAD_HEADER_LEN] {
		let mut out = [0u8; PAYLOAD_HEADER_LEN];
		out[0..4].copy_from_slice(&PAYLOAD_MAGIC);
		out[4] = self.kind as u8;
		out[5..9].copy_from_slice(&self.task.to_le_bytes());
		out[9..13].copy_from_slice(&self.round.to_le_bytes());
		out[13..17].copy_from_slice(&self.parameter_count.to_le_bytes());
		out[17..21].copy_from_slice(&self.scale.to_le_bytes());
		out[21..25].copy_from_slice(&self.samples.to_le_bytes());
		out
	}

	/// Reads the header of `payload` and checks that the rest is exactly the declared number of
	/// parameters.
	pub fn parse(payload: &[u8]) -> Result<Self, PayloadError> {
		if payload.len() < PAYLOAD_HEADER_LEN {
			return Err(PayloadError::TooShort);
		}
		if payload[0..4] != PAYLOAD_MAGIC {
			return Err(PayloadError::BadMagic);
		}
		let kind = match payload[4] {
			0 => PayloadKind::Update,
			1 => PayloadKind::Aggregate,
			2 => PayloadKind::Initial,
			_ => return Err(PayloadError::BadKind),
		};
		let word = |at: usize| u32::from_le_bytes(payload[at..at + 4].try_into().expect("4 bytes"));
		let header = PayloadHeader {
			kind,
			task: word(5),
			round: word(9),
			parameter_count: word(13),
			scale: word(17),
			samples: word(21),
		};
		let expected = (header.parameter_count as usize)
			.checked_mul(BYTES_PER_PARAMETER)
			.and_then(|body| body.checked_add(PAYLOAD_HEADER_LEN));
		if expected != Some(payload.len()) {
			return Err(PayloadError::LengthMismatch);
		}
		Ok(header)
	}

	/// The length of a payload with `parameter_count` parameters.
	pub fn payload_len(parameter_count: u64) -> Option<u64> {
		parameter_count
			.checked_mul(BYTES_PER_PARAMETER as u64)?
			.checked_add(PAYLOAD_HEADER_LEN as u64)
	}
}

/// Where a payload is: its hash (BLAKE2-256 of the bytes), its length, and the block and
/// extrinsic that carried it. (The hash is `payload_hash`, not `hash`: polkadot.js would show a
/// field named `hash` as `hash_`, since every codec there has a `hash` of its own.)
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct PayloadRef<BlockNumber> {
	pub payload_hash: H256,
	pub len: u32,
	pub block: BlockNumber,
	pub extrinsic_index: u32,
}

#[cfg(test)]
mod tests {
	use super::*;

	fn payload(header: PayloadHeader, params: &[i32]) -> alloc::vec::Vec<u8> {
		let mut out = header.to_bytes().to_vec();
		params.iter().for_each(|p| out.extend_from_slice(&p.to_le_bytes()));
		out
	}

	const HEADER: PayloadHeader = PayloadHeader {
		kind: PayloadKind::Update,
		task: 7,
		round: 3,
		parameter_count: 2,
		scale: 1 << 16,
		samples: 90,
	};

	#[test]
	fn header_round_trips() {
		let bytes = payload(HEADER, &[1, -1]);
		assert_eq!(PayloadHeader::parse(&bytes), Ok(HEADER));
		let agg = PayloadHeader { kind: PayloadKind::Aggregate, samples: 0, ..HEADER };
		assert_eq!(PayloadHeader::parse(&payload(agg, &[0, 0])), Ok(agg));
		let initial = PayloadHeader { kind: PayloadKind::Initial, task: 0, round: 0, ..agg };
		assert_eq!(PayloadHeader::parse(&payload(initial, &[5, 6])), Ok(initial));
		assert_eq!(PayloadHeader::payload_len(2), Some(bytes.len() as u64));
	}

	#[test]
	fn malformed_payloads_are_refused() {
		let good = payload(HEADER, &[1, 2]);
		assert_eq!(PayloadHeader::parse(&good[..10]), Err(PayloadError::TooShort));
		let mut bad = good.clone();
		bad[0] = b'X';
		assert_eq!(PayloadHeader::parse(&bad), Err(PayloadError::BadMagic));
		let mut bad = good.clone();
		bad[4] = 9;
		assert_eq!(PayloadHeader::parse(&bad), Err(PayloadError::BadKind));
		assert_eq!(
			PayloadHeader::parse(&good[..good.len() - 1]),
			Err(PayloadError::LengthMismatch)
		);
		let mut long = good.clone();
		long.extend_from_slice(&[0; 4]);
		assert_eq!(PayloadHeader::parse(&long), Err(PayloadError::LengthMismatch));
		let huge = PayloadHeader { parameter_count: u32::MAX, ..HEADER };
		assert_eq!(PayloadHeader::parse(&payload(huge, &[])), Err(PayloadError::LengthMismatch));
	}
}
