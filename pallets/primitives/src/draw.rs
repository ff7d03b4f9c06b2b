//! Drawing members weighted by bond: a federated round's trainers and aggregators, a compute
//! challenge's verifiers. One primitive, so that every committee the chain draws has the same
//! cap per account and the same arithmetic.

use alloc::vec::Vec;
use codec::Encode;
use sp_runtime::Saturating;

/// No account weighs more in a draw than this many times its role's minimum bond. Bonding more
/// still backs more penalties, but buys no more seats: a whale account is drawn about as often
/// as an account at the cap, so a committee majority costs a majority of funded accounts, not
/// one large bond.
pub const DRAW_WEIGHT_CAP: u32 = 4;

/// What `bond` weighs in a draw for a role whose minimum bond is `minimum`: the bond, capped at
/// [`DRAW_WEIGHT_CAP`] times the minimum.
pub fn draw_weight<B: Saturating + Ord + From<u32> + Copy>(bond: B, minimum: B) -> B {
	bond.min(minimum.saturating_mul(B::from(DRAW_WEIGHT_CAP)))
}

/// Draws up to `count` distinct candidates without replacement; each draw picks a candidate
/// with probability proportional to its weight. Deterministic in `seed` and the candidates'
/// order, so every node draws the same.
pub fn weighted_sample<A>(mut candidates: Vec<(A, u128)>, count: usize, seed: &[u8]) -> Vec<A> {
	let mut total = candidates.iter().fold(0u128, |sum, (_, w)| sum.saturating_add(*w));
	let mut drawn = Vec::with_capacity(count.min(candidates.len()));
	for draw in 0..count as u32 {
		if candidates.is_empty() || total == 0 {
			break;
		}
		let point = u128::from_le_bytes(sp_io::hashing::blake2_128(&(seed, draw).encode())) % total;
		let mut acc = 0u128;
		let index = candidates
			.iter()
			.position(|(_, w)| {
				acc = acc.saturating_add(*w);
				point < acc
			})
			.unwrap_or(candidates.len() - 1);
		let (candidate, weight) = candidates.remove(index);
		total = total.saturating_sub(weight);
		drawn.push(candidate);
	}
	drawn
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn draws_distinct_candidates_up_to_the_count() {
		let candidates: Vec<(u32, u128)> = (0..10).map(|i| (i, 1)).collect();
		let mut drawn = weighted_sample(candidates.clone(), 4, b"seed");
		assert_eq!(drawn.len(), 4);
		drawn.sort();
		drawn.dedup();
		assert_eq!(drawn.len(), 4, "no candidate is drawn twice");
		assert_eq!(weighted_sample(candidates.clone(), 20, b"seed").len(), 10);
		assert_eq!(weighted_sample(candidates, 0, b"seed").len(), 0);
	}

	#[test]
	fn same_seed_same_draw_other_seed_other_draw() {
		let candidates: Vec<(u32, u128)> = (0..50).map(|i| (i, 1 + i as u128)).collect();
		let a = weighted_sample(candidates.clone(), 5, b"one");
		assert_eq!(a, weighted_sample(candidates.clone(), 5, b"one"));
		assert_ne!(a, weighted_sample(candidates, 5, b"two"));
	}

	#[test]
	fn a_whale_bond_weighs_no_more_than_the_cap() {
		assert_eq!(draw_weight(100u128, 10), 40);
		assert_eq!(draw_weight(25u128, 10), 25);
		// One account bonding 100 × the minimum against three at the minimum: drawn first
		// about 4/7 of the time, not 100/103.
		let weights = [("whale", draw_weight(1_000u128, 10)), ("a", 10), ("b", 10), ("c", 10)];
		let whale_first = (0u32..1000)
			.filter(|s| weighted_sample(weights.to_vec(), 1, &s.encode())[0] == "whale")
			.count();
		assert!(
			(520..630).contains(&whale_first),
			"the whale drawn first {whale_first} times of 1000"
		);
	}

	#[test]
	fn heavier_bonds_are_drawn_more_often() {
		// One candidate with 9x the weight of each of the other two: over many seeds it is
		// drawn first about 9/11 of the time.
		let candidates = vec![("heavy", 900u128), ("light1", 100), ("light2", 100)];
		let heavy_first = (0u32..1000)
			.filter(|s| weighted_sample(candidates.clone(), 1, &s.encode())[0] == "heavy")
			.count();
		assert!((760..880).contains(&heavy_first), "heavy drawn first {heavy_first} times of 1000");
	}
}
