//! The update codec: flat `f32` parameters are quantized to fixed point with the task's scale
//! (`round(p * scale)`, halves away from zero, saturating at the `i32` range; NaN and infinity
//! refused) and framed with the payload header of `cohort_primitives::payload`. Decoding refuses
//! every malformed input with a [`CodecError`].

use cohort_primitives::{
	payload::{PayloadError, BYTES_PER_PARAMETER, PAYLOAD_HEADER_LEN},
	PayloadHeader, PayloadKind, RoundIndex, TaskId,
};
use sp_core::H256;

/// Why a payload could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
	#[error("parameter {index} is not a finite number")]
	NotFinite { index: usize },
	#[error("the fixed-point scale must be positive")]
	ZeroScale,
	#[error("{count} parameters do not fit a payload")]
	TooManyParameters { count: usize },
	#[error("malformed payload: {0:?}")]
	Malformed(PayloadError),
	#[error("the payload is for {found:?}, expected {expected:?}")]
	UnexpectedHeader { expected: PayloadHeader, found: PayloadHeader },
}

/// Quantizes parameters to fixed point: `round(p * scale)`, halves away from zero, saturating
/// at `i32::MIN`/`i32::MAX`.
pub fn quantize(parameters: &[f32], scale: u32) -> Result<Vec<i32>, CodecError> {
	if scale == 0 {
		return Err(CodecError::ZeroScale);
	}
	parameters
		.iter()
		.enumerate()
		.map(|(index, p)| {
			if !p.is_finite() {
				return Err(CodecError::NotFinite { index });
			}
			// f64 holds every f32 times every u32 exactly enough for one correctly rounded
			// product, so this is the same on every machine.
			let scaled = (*p as f64 * scale as f64).round();
			Ok(scaled.clamp(i32::MIN as f64, i32::MAX as f64) as i32)
		})
		.collect()
}

/// The real values of fixed-point parameters.
pub fn dequantize(values: &[i32], scale: u32) -> Vec<f32> {
	values.iter().map(|v| (*v as f64 / scale as f64) as f32).collect()
}

/// A payload: the header, then the values as `i32` little-endian. `samples` is what an update
/// was trained on (its weight in the weighted mean); an aggregate carries 0.
pub fn encode(
	kind: PayloadKind,
	task: TaskId,
	round: RoundIndex,
	scale: u32,
	samples: u32,
	values: &[i32],
) -> Result<Vec<u8>, CodecError> {
	if scale == 0 {
		return Err(CodecError::ZeroScale);
	}
	let parameter_count = u32::try_from(values.len())
		.ok()
		.filter(|n| PayloadHeader::payload_len(*n as u64).is_some_and(|l| l <= usize::MAX as u64))
		.ok_or(CodecError::TooManyParameters { count: values.len() })?;
	let header = PayloadHeader { kind, task, round, parameter_count, scale, samples };
	let mut bytes = Vec::with_capacity(PAYLOAD_HEADER_LEN + values.len() * BYTES_PER_PARAMETER);
	bytes.extend_from_slice(&header.to_bytes());
	for v in values {
		bytes.extend_from_slice(&v.to_le_bytes());
	}
	Ok(bytes)
}

/// Reads a payload: its header and values. The length must match the header exactly.
pub fn decode(bytes: &[u8]) -> Result<(PayloadHeader, Vec<i32>), CodecError> {
	let header = PayloadHeader::parse(bytes).map_err(CodecError::Malformed)?;
	let values = bytes[PAYLOAD_HEADER_LEN..]
		.chunks_exact(BYTES_PER_PARAMETER)
		.map(|c| i32::from_le_bytes(c.try_into().expect("chunks of 4")))
		.collect();
	Ok((header, values))
}

/// Reads a payload that must carry `expected`'s header: kind, task, round, parameter count and
/// scale always; `samples` only for an aggregate. An update's samples are its trainer's claim,
/// which the chain bounded when it took the reveal and records with it: the caller takes the
/// weight from there (or from [`decode`]'s header), so `expected.samples` is not compared.
pub fn decode_expecting(bytes: &[u8], expected: PayloadHeader) -> Result<Vec<i32>, CodecError> {
	let (found, values) = decode(bytes)?;
	let comparable = match expected.kind {
		PayloadKind::Update => PayloadHeader { samples: expected.samples, ..found },
		PayloadKind::Aggregate | PayloadKind::Initial => found,
	};
	if comparable != expected {
		return Err(CodecError::UnexpectedHeader { expected, found });
	}
	Ok(values)
}

/// A payload's hash, as the chain records it (BLAKE2-256 of all its bytes).
pub fn payload_hash(bytes: &[u8]) -> H256 {
	H256(sp_crypto_hashing::blake2_256(bytes))
}

#[cfg(test)]
mod tests {
	use super::*;

	const SCALE: u32 = 1 << 16;

	#[test]
	fn quantize_rounds_halves_away_from_zero_and_saturates() {
		assert_eq!(quantize(&[0.5, -0.5, 1.5, -1.5, 0.25], 1), Ok(vec![1, -1, 2, -2, 0]));
		assert_eq!(quantize(&[1.0, -0.75], 4), Ok(vec![4, -3]));
		assert_eq!(quantize(&[1e30, -1e30], SCALE), Ok(vec![i32::MAX, i32::MIN]));
		assert_eq!(quantize(&[], SCALE), Ok(vec![]));
	}

	#[test]
	fn quantize_refuses_non_finite_values_and_a_zero_scale() {
		assert_eq!(quantize(&[1.0, f32::NAN], SCALE), Err(CodecError::NotFinite { index: 1 }));
		assert_eq!(quantize(&[f32::INFINITY], SCALE), Err(CodecError::NotFinite { index: 0 }));
		assert_eq!(quantize(&[f32::NEG_INFINITY], SCALE), Err(CodecError::NotFinite { index: 0 }));
		assert_eq!(quantize(&[1.0], 0), Err(CodecError::ZeroScale));
	}

	#[test]
	fn quantization_error_is_at_most_half_a_step() {
		let params: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
		let back = dequantize(&quantize(&params, SCALE).unwrap(), SCALE);
		for (p, b) in params.iter().zip(back) {
			assert!((p - b).abs() <= 0.5 / SCALE as f32 + f32::EPSILON * p.abs());
		}
	}

	#[test]
	fn payloads_round_trip() {
		let values = vec![0, 1, -1, i32::MAX, i32::MIN, 123_456];
		let bytes = encode(PayloadKind::Update, 3, 7, SCALE, 144, &values).unwrap();
		assert_eq!(bytes.len(), PAYLOAD_HEADER_LEN + 4 * values.len());
		let (header, decoded) = decode(&bytes).unwrap();
		assert_eq!(decoded, values);
		let expected = PayloadHeader {
			kind: PayloadKind::Update,
			task: 3,
			round: 7,
			parameter_count: 6,
			scale: SCALE,
			samples: 144,
		};
		assert_eq!(header, expected);
		assert_eq!(decode_expecting(&bytes, expected), Ok(values.clone()));
		// An update's samples are read from its header, not expected.
		assert_eq!(decode_expecting(&bytes, PayloadHeader { samples: 0, ..expected }), Ok(values));
		let empty = encode(PayloadKind::Aggregate, 0, 0, 1, 0, &[]).unwrap();
		assert_eq!(decode(&empty).unwrap().1, Vec::<i32>::new());
	}

	#[test]
	fn decoding_refuses_malformed_payloads() {
		let bytes = encode(PayloadKind::Update, 3, 7, SCALE, 10, &[1, 2, 3]).unwrap();
		assert_eq!(decode(&bytes[..5]), Err(CodecError::Malformed(PayloadError::TooShort)));
		assert_eq!(
			decode(&bytes[..bytes.len() - 1]),
			Err(CodecError::Malformed(PayloadError::LengthMismatch))
		);
		let mut longer = bytes.clone();
		longer.push(0);
		assert_eq!(decode(&longer), Err(CodecError::Malformed(PayloadError::LengthMismatch)));
		let mut bad = bytes.clone();
		bad[1] = b'X';
		assert_eq!(decode(&bad), Err(CodecError::Malformed(PayloadError::BadMagic)));
		let mut bad = bytes.clone();
		bad[4] = 7;
		assert_eq!(decode(&bad), Err(CodecError::Malformed(PayloadError::BadKind)));

		let (header, _) = decode(&bytes).unwrap();
		for other in [
			PayloadHeader { kind: PayloadKind::Aggregate, ..header },
			PayloadHeader { task: 4, ..header },
			PayloadHeader { round: 8, ..header },
			PayloadHeader { scale: 1, ..header },
		] {
			assert_eq!(
				decode_expecting(&bytes, other),
				Err(CodecError::UnexpectedHeader { expected: other, found: header })
			);
		}
		// An aggregate's samples are compared: they must be 0.
		let aggregate = encode(PayloadKind::Aggregate, 3, 7, SCALE, 5, &[1, 2, 3]).unwrap();
		let (found, _) = decode(&aggregate).unwrap();
		let zero = PayloadHeader { samples: 0, ..found };
		assert_eq!(
			decode_expecting(&aggregate, zero),
			Err(CodecError::UnexpectedHeader { expected: zero, found })
		);
		assert_eq!(encode(PayloadKind::Update, 0, 0, 0, 1, &[1]), Err(CodecError::ZeroScale));
	}

	#[test]
	fn hashes_match_independently_computed_vectors() {
		// Expected value from Python's hashlib: blake2b(digest_size=32) of the payload bytes.
		// (Commitments are checked the same way in `cohort_primitives::commitment`.)
		let bytes = encode(PayloadKind::Update, 1, 2, SCALE, 90, &[5, 6]).unwrap();
		let hex = |h: H256| format!("{h:x}");
		assert_eq!(
			hex(payload_hash(&bytes)),
			"08f453f9deb10b48779156a4c719b10ec1f38ea53e729129a6a1d74fadfc2d38"
		);
	}
}
