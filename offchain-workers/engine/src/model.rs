//! Models built from a task's [`ModelSpec`] with burn, and their flat parameter layout.
//!
//! **Flat layout** (what payloads carry): every convolution's weight
//! `[filters, in_channels, kernel, kernel]` then its bias `[filters]`, then every dense layer's
//! weight `[inputs, outputs]` then its bias `[outputs]`, each tensor row-major. A forward pass
//! is, for a CNN: input `[batch, channels·side·side]` viewed as `[batch, channels, side, side]`,
//! each convolution ("same" padding, stride 1) followed by ReLU and 2×2 max pooling, flattened;
//! then the dense layers `x·W + b`, with ReLU between them (not after the last: logits).
//!
//! **Initial model.** [`initial_parameters`] draws every tensor from `U(-k, k)`,
//! `k = 1/√fan_in` (PyTorch's and burn's default for these layers), with ChaCha8 seeded by the
//! task's seed, in the flat order. It uses no backend RNG, so every machine builds the same
//! initial model from the same seed.

use burn::{
	module::{Module, Param},
	nn::{conv::Conv2d, pool::MaxPool2dConfig, Linear, PaddingConfig2d},
	tensor::{activation::relu, Device, Tensor, TensorData},
};
use cohort_primitives::ModelSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Why a model could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
	#[error("the model specification is degenerate or too large")]
	BadSpec,
	#[error("the model has {expected} parameters, got {found}")]
	WrongParameterCount { expected: usize, found: usize },
	#[error("the model expects {expected} features per sample, the data has {found}")]
	WrongFeatureCount { expected: usize, found: usize },
	#[error("the model has {model} classes, the data has {data}")]
	WrongClassCount { model: usize, data: usize },
}

/// One layer of flat parameters: its weight's slot, its weight's values and its bias's.
pub(crate) type Layer<'p> = (Slot, &'p [f32], &'p [f32]);

/// One parameter tensor of the flat layout, by shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
	/// `[filters, in_channels, kernel, kernel]`
	ConvWeight([usize; 4]),
	/// `[inputs, outputs]`
	DenseWeight([usize; 2]),
	Bias(usize),
}

impl Slot {
	pub(crate) fn len(&self) -> usize {
		match self {
			Slot::ConvWeight(s) => s.iter().product(),
			Slot::DenseWeight(s) => s.iter().product(),
			Slot::Bias(n) => *n,
		}
	}

	fn fan_in(&self, previous: Option<&Slot>) -> usize {
		match (self, previous) {
			(Slot::ConvWeight([_, c, k, _]), _) => c * k * k,
			(Slot::DenseWeight([i, _]), _) => *i,
			(Slot::Bias(_), Some(weight)) => weight.fan_in(None),
			(Slot::Bias(_), None) => 1,
		}
	}
}

/// The shape of a model: what [`Network`] needs besides its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Architecture {
	/// `(channels, side)` of the input image, for CNNs.
	pub image: Option<(usize, usize)>,
	tensors: Vec<Slot>,
	pub inputs: usize,
	pub classes: usize,
}

impl Architecture {
	/// The architecture a specification describes, checked against its parameter count.
	pub fn of(spec: &ModelSpec) -> Result<Self, ModelError> {
		let expected = spec.parameter_count().ok_or(ModelError::BadSpec)?;
		let mut tensors = Vec::new();
		let (image, inputs, classes, mut fan_in) = match spec {
			ModelSpec::Mlp { input, hidden, classes } => {
				let mut fan_in = *input as usize;
				for width in hidden.iter().map(|w| *w as usize) {
					tensors.push(Slot::DenseWeight([fan_in, width]));
					tensors.push(Slot::Bias(width));
					fan_in = width;
				}
				(None, *input as usize, *classes as usize, fan_in)
			},
			ModelSpec::Cnn { side, channels, filters, kernel, classes } => {
				let (mut channels_in, mut s, k) =
					(*channels as usize, *side as usize, *kernel as usize);
				for f in filters.iter().map(|f| *f as usize) {
					tensors.push(Slot::ConvWeight([f, channels_in, k, k]));
					tensors.push(Slot::Bias(f));
					channels_in = f;
					s /= 2;
				}
				let inputs = (*channels * *side * *side) as usize;
				(
					Some((*channels as usize, *side as usize)),
					inputs,
					*classes as usize,
					channels_in * s * s,
				)
			},
		};
		tensors.push(Slot::DenseWeight([fan_in, classes]));
		tensors.push(Slot::Bias(classes));
		fan_in = tensors.iter().map(Slot::len).sum();
		if fan_in as u64 != expected {
			return Err(ModelError::BadSpec);
		}
		Ok(Self { image, tensors, inputs, classes })
	}

	/// The flat layout's tensors, in order: each weight, then its bias.
	pub(crate) fn slots(&self) -> &[Slot] {
		&self.tensors
	}

	/// Parameters in the flat layout.
	pub fn parameter_count(&self) -> usize {
		self.tensors.iter().map(Slot::len).sum()
	}

	/// Flat parameters cut into the layers, in the flat layout's order: each layer's weight
	/// slot, its weight's values and its bias's; refused unless the count is the layout's.
	pub(crate) fn layers<'p>(&self, parameters: &'p [f32]) -> Result<Vec<Layer<'p>>, ModelError> {
		let expected = self.parameter_count();
		if parameters.len() != expected {
			return Err(ModelError::WrongParameterCount { expected, found: parameters.len() });
		}
		let mut rest = parameters;
		Ok(self
			.tensors
			.chunks_exact(2)
			.map(|pair| {
				let (weight, tail) = rest.split_at(pair[0].len());
				let (bias, tail) = tail.split_at(pair[1].len());
				rest = tail;
				(pair[0], weight, bias)
			})
			.collect())
	}

	/// Builds the network from flat parameters on `device`.
	pub fn network(&self, parameters: &[f32], device: &Device) -> Result<Network, ModelError> {
		let (mut convs, mut dense) = (Vec::new(), Vec::new());
		for (slot, weight, bias) in self.layers(parameters)? {
			let bias = Some(Param::from_data(TensorData::new(bias.to_vec(), [bias.len()]), device));
			match slot {
				Slot::ConvWeight(shape) => convs.push(Conv2d {
					weight: Param::from_data(TensorData::new(weight.to_vec(), shape), device),
					bias,
					stride: [1, 1],
					kernel_size: [shape[2], shape[3]],
					dilation: [1, 1],
					groups: 1,
					padding: PaddingConfig2d::Same,
				}),
				Slot::DenseWeight(shape) => dense.push(Linear {
					weight: Param::from_data(TensorData::new(weight.to_vec(), shape), device),
					bias,
				}),
				Slot::Bias(_) => unreachable!("tensors come in (weight, bias) pairs"),
			}
		}
		Ok(Network { convs, dense, image: self.image })
	}

	/// The task's initial model from its seed (module docs).
	pub fn initial_parameters(&self, seed: u64) -> Vec<f32> {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let mut out = Vec::with_capacity(self.parameter_count());
		let mut previous = None;
		for t in &self.tensors {
			let k = 1.0 / (t.fan_in(previous) as f32).sqrt();
			out.extend((0..t.len()).map(|_| rng.random_range(-k..k)));
			previous = Some(t);
		}
		out
	}
}

/// A model as burn runs it. Build it with [`Architecture::network`].
#[derive(Module, Debug)]
pub struct Network {
	convs: Vec<Conv2d>,
	dense: Vec<Linear>,
	#[module(skip)]
	image: Option<(usize, usize)>,
}

impl Network {
	/// Logits `[batch, classes]` for inputs `[batch, features]`.
	pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
		let mut x = input;
		if let Some((channels, side)) = self.image {
			let batch = x.dims()[0];
			let pool = MaxPool2dConfig::new([2, 2]).init();
			let mut image: Tensor<4> = x.reshape([batch, channels, side, side]);
			for conv in &self.convs {
				image = pool.forward(relu(conv.forward(image)));
			}
			x = image.flatten(1, 3);
		}
		let last = self.dense.len() - 1;
		for (i, layer) in self.dense.iter().enumerate() {
			x = layer.forward(x);
			if i < last {
				x = relu(x);
			}
		}
		x
	}

	/// Every parameter tensor flattened, in the flat layout's order.
	pub fn parameter_tensors(&self) -> Vec<Tensor<1>> {
		let mut out = Vec::new();
		for conv in &self.convs {
			out.push(conv.weight.val().flatten(0, 3));
			out.extend(conv.bias.as_ref().map(|b| b.val()));
		}
		for layer in &self.dense {
			out.push(layer.weight.val().flatten(0, 1));
			out.extend(layer.bias.as_ref().map(|b| b.val()));
		}
		out
	}

	/// The parameters in the flat layout.
	pub fn parameters(&self) -> Vec<f32> {
		Tensor::cat(self.parameter_tensors(), 0)
			.into_data()
			.try_to_vec::<f32>()
			.expect("parameters are f32")
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use sp_core::{bounded::BoundedVec, ConstU32};

	fn v(x: &[u32]) -> BoundedVec<u32, ConstU32<8>> {
		x.to_vec().try_into().unwrap()
	}

	pub(crate) fn mlp() -> ModelSpec {
		ModelSpec::Mlp { input: 64, hidden: v(&[32]), classes: 10 }
	}

	pub(crate) fn cnn() -> ModelSpec {
		ModelSpec::Cnn { side: 8, channels: 1, filters: v(&[4, 8]), kernel: 3, classes: 10 }
	}

	#[test]
	fn same_seed_same_initial_model() {
		for spec in [mlp(), cnn()] {
			let arch = Architecture::of(&spec).unwrap();
			let a = arch.initial_parameters(42);
			assert_eq!(a.len() as u64, spec.parameter_count().unwrap());
			assert_eq!(a, arch.initial_parameters(42));
			assert_ne!(a, arch.initial_parameters(43));
			// First layer's bound is 1/sqrt(64) for the MLP, 1/sqrt(9) for the CNN.
			let k = if arch.image.is_some() { 1.0 / 3.0 } else { 0.125 };
			assert!(
				a[..36].iter().all(|p| p.abs() < k) && a[..36].iter().any(|p| p.abs() > k / 2.0)
			);
		}
	}

	#[test]
	fn flat_parameters_round_trip_through_burn() {
		let device = Device::flex();
		for spec in [mlp(), cnn()] {
			let arch = Architecture::of(&spec).unwrap();
			let p = arch.initial_parameters(1);
			let net = arch.network(&p, &device).unwrap();
			assert_eq!(net.parameters(), p);
			let logits = net.forward(Tensor::zeros([3, 64], &device));
			assert_eq!(logits.dims(), [3, 10]);
			assert_eq!(
				arch.network(&p[1..], &device).unwrap_err(),
				ModelError::WrongParameterCount { expected: p.len(), found: p.len() - 1 }
			);
		}
	}

	#[test]
	fn dense_layer_is_x_times_w_plus_b() {
		// 2 inputs -> 2 classes; W = [[1, 2], [3, 4]] (inputs x outputs), b = [0.5, -1].
		let spec = ModelSpec::Mlp { input: 2, hidden: v(&[]), classes: 2 };
		let net = Architecture::of(&spec)
			.unwrap()
			.network(&[1.0, 2.0, 3.0, 4.0, 0.5, -1.0], &Device::flex())
			.unwrap();
		let x = Tensor::from_data(TensorData::new(vec![1.0f32, 1.0], [1, 2]), &Device::flex());
		assert_eq!(net.forward(x).into_data().try_to_vec::<f32>().unwrap(), vec![4.5, 5.0]);
	}
}
