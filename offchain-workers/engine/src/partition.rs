//! Non-IID splits of a labelled dataset among simulated data owners, so that a dev chain (and
//! tests) can show federated learning on data that differs from owner to owner, as real data
//! owners' does.
//!
//! Both partitioners return, for each owner, the indices of its samples; every sample goes to
//! exactly one owner, and the split depends only on the labels and the seed.

use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

/// Why a split could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartitionError {
	#[error("there must be at least one owner")]
	NoOwners,
	#[error("each owner needs at least one label")]
	NoLabelsPerOwner,
	#[error("the concentration alpha must be positive and finite, not {0}")]
	BadAlpha(f64),
}

/// The distinct labels, ascending, and the sample indices of each.
fn by_label(labels: &[u32]) -> Vec<(u32, Vec<usize>)> {
	let mut classes: Vec<(u32, Vec<usize>)> = Vec::new();
	let mut order: Vec<usize> = (0..labels.len()).collect();
	order.sort_by_key(|i| labels[*i]);
	for i in order {
		match classes.last_mut() {
			Some((label, members)) if *label == labels[i] => members.push(i),
			_ => classes.push((labels[i], vec![i])),
		}
	}
	classes
}

/// Label skew: each owner holds samples of only `labels_per_owner` labels. Owner `o` is given
/// labels `o·k, o·k+1, …` (mod the number of labels) after a seeded shuffle of the labels, and
/// each label's samples are dealt in turn to the owners that hold it.
pub fn label_skew(
	labels: &[u32],
	owners: usize,
	labels_per_owner: usize,
	seed: u64,
) -> Result<Vec<Vec<usize>>, PartitionError> {
	if owners == 0 {
		return Err(PartitionError::NoOwners);
	}
	if labels_per_owner == 0 {
		return Err(PartitionError::NoLabelsPerOwner);
	}
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let mut classes = by_label(labels);
	classes.shuffle(&mut rng);
	let n = classes.len();
	let mut parts = vec![Vec::new(); owners];
	if n == 0 {
		return Ok(parts);
	}
	// Which owners hold each label.
	let mut holders = vec![Vec::new(); n];
	for owner in 0..owners {
		for j in 0..labels_per_owner.min(n) {
			holders[(owner * labels_per_owner + j) % n].push(owner);
		}
	}
	for ((_, mut members), holders) in classes.into_iter().zip(holders) {
		members.shuffle(&mut rng);
		// A label nobody was given (more labels than owners × labels each) goes to owners in
		// turn, so that every sample is used.
		let holders = if holders.is_empty() { (0..owners).collect() } else { holders };
		for (i, sample) in members.into_iter().enumerate() {
			parts[holders[i % holders.len()]].push(sample);
		}
	}
	parts.iter_mut().for_each(|p| p.sort_unstable());
	Ok(parts)
}

/// Dirichlet split (Hsu et al. 2019): for each label, owner shares are drawn from a symmetric
/// Dirichlet(α) and the label's samples are cut in those proportions. Small α gives each owner
/// few labels; large α approaches an IID split.
pub fn dirichlet(
	labels: &[u32],
	owners: usize,
	alpha: f64,
	seed: u64,
) -> Result<Vec<Vec<usize>>, PartitionError> {
	if owners == 0 {
		return Err(PartitionError::NoOwners);
	}
	if !(alpha.is_finite() && alpha > 0.0) {
		return Err(PartitionError::BadAlpha(alpha));
	}
	let gamma = Gamma::new(alpha, 1.0).map_err(|_| PartitionError::BadAlpha(alpha))?;
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let mut parts = vec![Vec::new(); owners];
	for (_, mut members) in by_label(labels) {
		members.shuffle(&mut rng);
		// Dirichlet(α) as normalised Gamma(α, 1) draws.
		let draws: Vec<f64> = (0..owners).map(|_| gamma.sample(&mut rng)).collect();
		let total: f64 = draws.iter().sum();
		let len = members.len();
		let mut start = 0;
		let mut cumulative = 0.0;
		for (owner, draw) in draws.iter().enumerate() {
			cumulative += draw;
			let end = if owner + 1 == owners || total <= 0.0 {
				len
			} else {
				((cumulative / total) * len as f64).round() as usize
			}
			.clamp(start, len);
			parts[owner].extend_from_slice(&members[start..end]);
			start = end;
		}
	}
	parts.iter_mut().for_each(|p| p.sort_unstable());
	Ok(parts)
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::collections::BTreeSet;

	/// 10 labels, 50 samples each, interleaved.
	fn labels() -> Vec<u32> {
		(0..500).map(|i| i % 10).collect()
	}

	fn assert_every_sample_once(parts: &[Vec<usize>], samples: usize) {
		let mut all: Vec<usize> = parts.iter().flatten().copied().collect();
		all.sort_unstable();
		assert_eq!(all, (0..samples).collect::<Vec<_>>());
	}

	fn labels_of(part: &[usize], labels: &[u32]) -> BTreeSet<u32> {
		part.iter().map(|i| labels[*i]).collect()
	}

	#[test]
	fn label_skew_gives_each_owner_only_its_labels() {
		let labels = labels();
		let parts = label_skew(&labels, 5, 2, 1).unwrap();
		assert_every_sample_once(&parts, labels.len());
		for part in &parts {
			assert_eq!(labels_of(part, &labels).len(), 2);
			assert_eq!(part.len(), 100);
		}
		// Overlapping holders: 4 owners × 3 labels over 10 labels still uses every sample.
		let parts = label_skew(&labels, 4, 3, 1).unwrap();
		assert_every_sample_once(&parts, labels.len());
		assert!(parts.iter().all(|p| labels_of(p, &labels).len() <= 4));
	}

	#[test]
	fn splits_depend_only_on_labels_and_seed() {
		let labels = labels();
		assert_eq!(label_skew(&labels, 4, 2, 7), label_skew(&labels, 4, 2, 7));
		assert_ne!(label_skew(&labels, 4, 2, 7), label_skew(&labels, 4, 2, 8));
		assert_eq!(dirichlet(&labels, 4, 0.5, 7), dirichlet(&labels, 4, 0.5, 7));
		assert_ne!(dirichlet(&labels, 4, 0.5, 7), dirichlet(&labels, 4, 0.5, 8));
	}

	#[test]
	fn dirichlet_alpha_controls_the_skew() {
		let labels = labels();
		// Labels that make up at least 5 % of an owner's samples, averaged over owners.
		let labels_per_owner = |alpha: f64| {
			let parts = dirichlet(&labels, 5, alpha, 3).unwrap();
			assert_every_sample_once(&parts, labels.len());
			let counts: Vec<usize> = parts
				.iter()
				.filter(|p| !p.is_empty())
				.map(|p| {
					let mut per_label = [0usize; 10];
					p.iter().for_each(|i| per_label[labels[*i] as usize] += 1);
					per_label.iter().filter(|c| **c * 20 >= p.len()).count()
				})
				.collect();
			counts.iter().sum::<usize>() as f64 / counts.len() as f64
		};
		let (skewed, iid) = (labels_per_owner(0.05), labels_per_owner(1000.0));
		assert!(skewed <= 4.0, "small alpha: few labels per owner ({skewed})");
		assert_eq!(iid, 10.0, "large alpha: every owner has every label");
	}

	#[test]
	fn bad_parameters_are_refused() {
		let labels = labels();
		assert_eq!(label_skew(&labels, 0, 2, 1), Err(PartitionError::NoOwners));
		assert_eq!(label_skew(&labels, 3, 0, 1), Err(PartitionError::NoLabelsPerOwner));
		assert_eq!(dirichlet(&labels, 0, 1.0, 1), Err(PartitionError::NoOwners));
		assert_eq!(dirichlet(&labels, 3, 0.0, 1), Err(PartitionError::BadAlpha(0.0)));
		assert!(matches!(dirichlet(&labels, 3, f64::NAN, 1), Err(PartitionError::BadAlpha(_))));
		assert_eq!(label_skew(&[], 3, 2, 1), Ok(vec![vec![], vec![], vec![]]));
	}
}
