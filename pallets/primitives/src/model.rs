//! The model architectures a task can ask for, and the number of parameters each has.
//!
//! The worker builds the model from this description; the chain only needs the parameter count,
//! to check the length of every update and aggregate.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// At most this many hidden layers (MLP) or convolution layers (CNN).
pub const MAX_LAYERS: u32 = 8;

/// A model architecture and its sizes. In JSON (serde) it reads as polkadot.js writes it:
/// `{"Mlp":{"input":64,"hidden":[32],"classes":10}}`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum ModelSpec {
	/// A multi-layer perceptron: `input` features, fully connected hidden layers of the given
	/// widths (ReLU), and a linear output of `classes` logits.
	Mlp { input: u32, hidden: BoundedVec<u32, ConstU32<MAX_LAYERS>>, classes: u32 },
	/// A small convolutional network on `side`×`side` images with `channels` channels: each
	/// entry of `filters` is a `kernel`×`kernel` convolution with that many filters, "same"
	/// padding, ReLU and 2×2 max pooling; then a linear layer to `classes` logits.
	Cnn {
		side: u32,
		channels: u32,
		filters: BoundedVec<u32, ConstU32<MAX_LAYERS>>,
		kernel: u32,
		classes: u32,
	},
}

impl ModelSpec {
	/// The numbers one sample gives the model: an MLP's `input`, a CNN's `side² × channels`
	/// (saturating).
	pub fn input_features(&self) -> u32 {
		match self {
			ModelSpec::Mlp { input, .. } => *input,
			ModelSpec::Cnn { side, channels, .. } => {
				side.saturating_mul(*side).saturating_mul(*channels)
			},
		}
	}

	/// The number of trainable parameters (weights and biases), or `None` if the description
	/// is degenerate (a zero size, or an image pooled away) or the count overflows.
	pub fn parameter_count(&self) -> Option<u64> {
		match self {
			ModelSpec::Mlp { input, hidden, classes } => {
				if *input == 0 || *classes == 0 || hidden.contains(&0) {
					return None;
				}
				let mut count: u64 = 0;
				let mut fan_in = *input as u64;
				for width in
					hidden.iter().map(|w| *w as u64).chain(core::iter::once(*classes as u64))
				{
					count = count.checked_add(fan_in.checked_mul(width)?.checked_add(width)?)?;
					fan_in = width;
				}
				Some(count)
			},
			ModelSpec::Cnn { side, channels, filters, kernel, classes } => {
				if *side == 0
					|| *channels == 0
					|| *kernel == 0 || *classes == 0
					|| filters.is_empty()
				{
					return None;
				}
				let mut count: u64 = 0;
				let mut in_channels = *channels as u64;
				let mut side = *side as u64;
				let k2 = (*kernel as u64).checked_mul(*kernel as u64)?;
				for f in filters.iter().map(|f| *f as u64) {
					if f == 0 {
						return None;
					}
					count = count.checked_add(
						f.checked_mul(in_channels.checked_mul(k2)?)?.checked_add(f)?,
					)?;
					in_channels = f;
					side /= 2;
					if side == 0 {
						return None;
					}
				}
				let features = in_channels.checked_mul(side.checked_mul(side)?)?;
				let classes = *classes as u64;
				count.checked_add(features.checked_mul(classes)?.checked_add(classes)?)
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn layers(v: &[u32]) -> BoundedVec<u32, ConstU32<MAX_LAYERS>> {
		v.to_vec().try_into().unwrap()
	}

	#[test]
	fn mlp_counts_weights_and_biases() {
		// 64 -> 32 -> 10: 64*32 + 32 + 32*10 + 10.
		let spec = ModelSpec::Mlp { input: 64, hidden: layers(&[32]), classes: 10 };
		assert_eq!(spec.parameter_count(), Some(64 * 32 + 32 + 32 * 10 + 10));
		// No hidden layer: logistic regression.
		let spec = ModelSpec::Mlp { input: 4, hidden: layers(&[]), classes: 3 };
		assert_eq!(spec.parameter_count(), Some(4 * 3 + 3));
	}

	#[test]
	fn cnn_counts_convolutions_then_the_dense_layer() {
		// 8x8x1, conv 3x3 with 4 filters (pool -> 4x4), conv 3x3 with 8 filters (pool -> 2x2).
		let spec = ModelSpec::Cnn {
			side: 8,
			channels: 1,
			filters: layers(&[4, 8]),
			kernel: 3,
			classes: 10,
		};
		let conv1 = 4 * 9 + 4; // 4 filters of 1 channel × 3 × 3, and their biases
		let conv2 = 8 * (4 * 9) + 8;
		let dense = (8 * 2 * 2) * 10 + 10;
		assert_eq!(spec.parameter_count(), Some(conv1 + conv2 + dense));
	}

	#[test]
	fn degenerate_models_have_no_count() {
		assert_eq!(
			ModelSpec::Mlp { input: 0, hidden: layers(&[]), classes: 3 }.parameter_count(),
			None
		);
		assert_eq!(
			ModelSpec::Mlp { input: 3, hidden: layers(&[0]), classes: 3 }.parameter_count(),
			None
		);
		// Pooled away: 2x2 image, two pooling layers.
		let spec = ModelSpec::Cnn {
			side: 2,
			channels: 1,
			filters: layers(&[2, 2]),
			kernel: 3,
			classes: 2,
		};
		assert_eq!(spec.parameter_count(), None);
		let huge =
			ModelSpec::Mlp { input: u32::MAX, hidden: layers(&[u32::MAX; 8]), classes: u32::MAX };
		assert_eq!(huge.parameter_count(), None);
	}
}
