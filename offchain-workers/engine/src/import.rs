//! A model brought in from a file other tools wrote: the inverse of [`crate::export`]. The file
//! is the safetensors state dict of a `torch.nn.Sequential` that computes what a Cohort network
//! computes — `Linear` layers with ReLU between them (an MLP), or `Conv2d(…, padding="same")`,
//! ReLU and `MaxPool2d(2)` triples and then one `Linear` (a CNN) — saved with
//! `safetensors.torch.save_file(model.state_dict(), …)` in `float32`. Its keys are
//! `<index>.weight` and `<index>.bias` (a prefix common to every key, `model.` say, is allowed):
//! the index orders the layers. The model description ([`ModelSpec`]) is read from the tensors'
//! shapes; a CNN's image side, which shapes do not fix (pooling rounds down), from the
//! `torch.module` metadata an exported file carries, or else the caller, or else the largest
//! side the pooled side allows without rounding.

use std::collections::BTreeMap;

use safetensors::{tensor::Dtype, SafeTensorError, SafeTensors};

use cohort_primitives::{model::MAX_LAYERS, ModelSpec};
use sp_core::{bounded::BoundedVec, ConstU32};

use crate::model::{Architecture, ModelError, Slot};

/// Why a file could not be brought in.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
	#[error("safetensors: {0}")]
	Format(#[from] SafeTensorError),
	#[error("{key} is {dtype:?}; convert the model with `model.float()` before saving it")]
	NotF32 { key: String, dtype: Dtype },
	#[error(
		"{key} is not `<index>.weight` or `<index>.bias` with one prefix for every key (the \
		 state dict of a torch.nn.Sequential)"
	)]
	Key { key: String },
	#[error("layer {index} has a weight without a bias, or a bias without a weight")]
	Unpaired { index: u64 },
	#[error("the file holds no layers")]
	Empty,
	#[error("layer {index} ({shape:?}): {why}")]
	Shape { index: u64, shape: Vec<usize>, why: &'static str },
	#[error(
		"the dense layer takes {inputs} inputs, which {filters} filters of a square image do \
		 not give; pass the image side"
	)]
	Side { inputs: usize, filters: usize },
	#[error("more than {MAX_LAYERS} hidden or convolution layers")]
	TooManyLayers,
	#[error(transparent)]
	Model(#[from] ModelError),
}

/// A model read from a file: what a task's spec must say, and its parameters in the flat layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
	pub spec: ModelSpec,
	pub parameters: Vec<f32>,
}

/// One layer of the file: its weight's shape and values, its bias's values.
struct Layer {
	index: u64,
	shape: Vec<usize>,
	weight: Vec<f32>,
	bias: Vec<f32>,
}

/// Reads a safetensors state dict (see the module's docs); `side` is a CNN's image side, when
/// the file does not say it.
pub fn from_safetensors(bytes: &[u8], side: Option<u32>) -> Result<Imported, ImportError> {
	let file = SafeTensors::deserialize(bytes)?;
	let layers = layers(&file)?;
	let side = match side {
		Some(side) => Some(side),
		None => unflatten_side(bytes)?,
	};
	let spec = spec_of(&layers, side)?;
	let arch = Architecture::of(&spec)?;
	let mut parameters = Vec::with_capacity(arch.parameter_count());
	let slots = arch.slots();
	for (layer, pair) in layers.iter().zip(slots.chunks_exact(2)) {
		match pair[0] {
			Slot::ConvWeight(shape) if layer.shape == shape => {
				parameters.extend_from_slice(&layer.weight)
			},
			// torch's `[outputs, inputs]` back to the flat `[inputs, outputs]`.
			Slot::DenseWeight([inputs, outputs]) if layer.shape == [outputs, inputs] => parameters
				.extend(
					(0..inputs)
						.flat_map(|i| (0..outputs).map(move |o| o * inputs + i))
						.map(|at| layer.weight[at]),
				),
			_ => {
				return Err(ImportError::Shape {
					index: layer.index,
					shape: layer.shape.clone(),
					why: "does not fit the layer before it (a CNN: wrong image side?)",
				})
			},
		}
		parameters.extend_from_slice(&layer.bias);
	}
	if parameters.len() != arch.parameter_count() {
		return Err(ModelError::WrongParameterCount {
			expected: arch.parameter_count(),
			found: parameters.len(),
		}
		.into());
	}
	Ok(Imported { spec, parameters })
}

/// A layer's tensors as they are found: the weight's shape and values, the bias's values.
type Found = (Option<(Vec<usize>, Vec<f32>)>, Option<Vec<f32>>);

/// The file's layers in index order, each weight with its bias.
fn layers(file: &SafeTensors) -> Result<Vec<Layer>, ImportError> {
	let mut prefix: Option<String> = None;
	let mut found: BTreeMap<u64, Found> = BTreeMap::new();
	for (key, view) in file.tensors() {
		let bad_key = || ImportError::Key { key: key.clone() };
		let (module, is_weight) = match (key.strip_suffix(".weight"), key.strip_suffix(".bias")) {
			(Some(module), _) => (module, true),
			(_, Some(module)) => (module, false),
			_ => return Err(bad_key()),
		};
		let digits = module.len() - module.trim_end_matches(|c: char| c.is_ascii_digit()).len();
		let (head, index) = module.split_at(module.len() - digits);
		let index: u64 = index.parse().map_err(|_| bad_key())?;
		if !(head.is_empty() || head.ends_with('.'))
			|| prefix.get_or_insert_with(|| head.to_string()).as_str() != head
		{
			return Err(bad_key());
		}
		if view.dtype() != Dtype::F32 {
			return Err(ImportError::NotF32 { key, dtype: view.dtype() });
		}
		let values: Vec<f32> = view
			.data()
			.chunks_exact(4)
			.map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
			.collect();
		let entry = found.entry(index).or_default();
		if is_weight {
			entry.0 = Some((view.shape().to_vec(), values));
		} else {
			if view.shape().len() != 1 {
				return Err(ImportError::Shape {
					index,
					shape: view.shape().to_vec(),
					why: "a bias is a vector",
				});
			}
			entry.1 = Some(values);
		}
	}
	if found.is_empty() {
		return Err(ImportError::Empty);
	}
	found
		.into_iter()
		.map(|(index, pair)| match pair {
			(Some((shape, weight)), Some(bias)) => Ok(Layer { index, shape, weight, bias }),
			_ => Err(ImportError::Unpaired { index }),
		})
		.collect()
}

/// The side of `Unflatten(1, (channels, side, side))` in the `torch.module` metadata, if the
/// file carries one.
fn unflatten_side(bytes: &[u8]) -> Result<Option<u32>, ImportError> {
	let (_, metadata) = SafeTensors::read_metadata(bytes)?;
	let module = metadata.metadata().as_ref().and_then(|m| m.get("torch.module").cloned());
	Ok(module.and_then(|module| {
		let rest = module.split("Unflatten(1, (").nth(1)?;
		let numbers: Vec<u32> = rest
			.split(')')
			.next()?
			.split(',')
			.map(|n| n.trim().parse().ok())
			.collect::<Option<_>>()?;
		matches!(numbers[..], [_, side, other] if side == other).then(|| numbers[1])
	}))
}

/// The model description the layers' shapes give.
fn spec_of(layers: &[Layer], side: Option<u32>) -> Result<ModelSpec, ImportError> {
	let bad = |layer: &Layer, why| ImportError::Shape {
		index: layer.index,
		shape: layer.shape.clone(),
		why,
	};
	let convolutions = layers.iter().take_while(|l| l.shape.len() == 4).count();
	let (convs, dense) = layers.split_at(convolutions);
	if let Some(layer) = dense.iter().find(|l| l.shape.len() != 2) {
		return Err(bad(
			layer,
			"expected a Linear weight [outputs, inputs] after the convolutions",
		));
	}
	let Some(last) = dense.last() else {
		return Err(bad(
			layers.last().expect("some layers"),
			"the model must end in a Linear layer",
		));
	};
	for layer in layers {
		if layer.bias.len() != layer.shape[0] {
			return Err(bad(layer, "the bias does not have one value per output"));
		}
	}
	let width = |v: Vec<u32>| -> Result<BoundedVec<u32, ConstU32<MAX_LAYERS>>, ImportError> {
		v.try_into().map_err(|_| ImportError::TooManyLayers)
	};
	let narrow = |n: usize| u32::try_from(n).map_err(|_| ModelError::BadSpec);
	if convs.is_empty() {
		for pair in layers.windows(2) {
			if pair[1].shape[1] != pair[0].shape[0] {
				return Err(bad(&pair[1], "its inputs are not the outputs of the layer before"));
			}
		}
		let hidden = layers[..layers.len() - 1]
			.iter()
			.map(|l| narrow(l.shape[0]))
			.collect::<Result<_, _>>()?;
		return Ok(ModelSpec::Mlp {
			input: narrow(layers[0].shape[1])?,
			hidden: width(hidden)?,
			classes: narrow(last.shape[0])?,
		});
	}
	if dense.len() != 1 {
		return Err(bad(&dense[0], "a CNN ends in exactly one Linear layer"));
	}
	let kernel = convs[0].shape[2];
	for (at, layer) in convs.iter().enumerate() {
		if layer.shape[2] != kernel || layer.shape[3] != kernel {
			return Err(bad(layer, "every convolution has the same square kernel"));
		}
		if at > 0 && layer.shape[1] != convs[at - 1].shape[0] {
			return Err(bad(layer, "its channels are not the filters of the convolution before"));
		}
	}
	let filters = convs.last().expect("some convolutions").shape[0];
	let side = match side {
		Some(side) => side,
		None => {
			let inputs = last.shape[1];
			let pooled = (1..=inputs).take_while(|s| s * s * filters <= inputs).last();
			match pooled.filter(|s| s * s * filters == inputs) {
				Some(pooled) => narrow(pooled << convs.len())?,
				None => return Err(ImportError::Side { inputs, filters }),
			}
		},
	};
	Ok(ModelSpec::Cnn {
		side,
		channels: narrow(convs[0].shape[1])?,
		filters: width(convs.iter().map(|l| narrow(l.shape[0])).collect::<Result<_, _>>()?)?,
		kernel: narrow(kernel)?,
		classes: narrow(last.shape[0])?,
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::export::to_safetensors;
	use safetensors::tensor::TensorView;
	use std::collections::HashMap;

	fn v(x: &[u32]) -> BoundedVec<u32, ConstU32<MAX_LAYERS>> {
		BoundedVec::truncate_from(x.to_vec())
	}

	fn round_trip(spec: ModelSpec, metadata: bool) -> Imported {
		let arch = Architecture::of(&spec).unwrap();
		let parameters = arch.initial_parameters(5);
		let mut bytes = to_safetensors(&arch, &parameters, HashMap::new()).unwrap();
		if !metadata {
			let file = SafeTensors::deserialize(&bytes).unwrap();
			let views: Vec<(String, TensorView)> =
				file.tensors().into_iter().map(|(k, t)| (format!("model.{k}"), t)).collect();
			bytes = safetensors::serialize(views, None).unwrap();
		}
		let imported = from_safetensors(&bytes, None).unwrap();
		assert_eq!(imported.spec, spec);
		assert_eq!(imported.parameters, parameters, "the flat layout comes back exactly");
		imported
	}

	#[test]
	fn an_exported_mlp_comes_back_as_it_left() {
		round_trip(ModelSpec::Mlp { input: 5, hidden: v(&[4, 3]), classes: 2 }, true);
		round_trip(ModelSpec::Mlp { input: 64, hidden: v(&[]), classes: 10 }, false);
	}

	/// A CNN's side comes from the exported file's module, or, in a bare state dict, from the
	/// dense layer's inputs when pooling rounded nothing down.
	#[test]
	fn an_exported_cnn_comes_back_with_its_side() {
		let odd =
			ModelSpec::Cnn { side: 9, channels: 1, filters: v(&[2, 3]), kernel: 3, classes: 4 };
		round_trip(odd.clone(), true);
		let even = ModelSpec::Cnn { side: 8, channels: 2, filters: v(&[3]), kernel: 5, classes: 4 };
		round_trip(even, false);
		// Without the module, 9 pooled twice looks like 8: the side must be given.
		let arch = Architecture::of(&odd).unwrap();
		let file = to_safetensors(&arch, &arch.initial_parameters(1), HashMap::new()).unwrap();
		let views: Vec<_> = SafeTensors::deserialize(&file).unwrap().tensors();
		let bare = safetensors::serialize(views, None).unwrap();
		let guessed = from_safetensors(&bare, None).unwrap().spec;
		assert!(matches!(guessed, ModelSpec::Cnn { side: 8, .. }));
		assert_eq!(from_safetensors(&bare, Some(9)).unwrap().spec, odd);
	}

	fn file(tensors: &[(&str, Dtype, Vec<usize>)]) -> Vec<u8> {
		let data: Vec<Vec<u8>> = tensors
			.iter()
			.map(|(_, dtype, shape)| vec![0; shape.iter().product::<usize>() * dtype.bitsize() / 8])
			.collect();
		let views = tensors
			.iter()
			.zip(&data)
			.map(|((k, d, s), b)| (k.to_string(), TensorView::new(*d, s.clone(), b).unwrap()));
		safetensors::serialize(views, None).unwrap()
	}

	#[test]
	fn files_that_are_not_a_cohort_network_are_refused_with_the_reason() {
		use Dtype::{F32, F64};
		let refused =
			|tensors: &[(&str, Dtype, Vec<usize>)]| from_safetensors(&file(tensors), None);
		assert!(matches!(
			refused(&[("0.weight", F64, vec![2, 3]), ("0.bias", F64, vec![2])]),
			Err(ImportError::NotF32 { .. })
		));
		assert!(matches!(
			refused(&[("0.weight", F32, vec![2, 3])]),
			Err(ImportError::Unpaired { index: 0 })
		));
		assert!(matches!(
			refused(&[("fc.weight", F32, vec![2, 3]), ("fc.bias", F32, vec![2])]),
			Err(ImportError::Key { .. })
		));
		assert!(matches!(
			refused(&[
				("a.0.weight", F32, vec![4, 3]),
				("a.0.bias", F32, vec![4]),
				("b.2.weight", F32, vec![2, 4]),
				("b.2.bias", F32, vec![2]),
			]),
			Err(ImportError::Key { .. })
		));
		// 3 → 4, then a layer taking 5.
		assert!(matches!(
			refused(&[
				("0.weight", F32, vec![4, 3]),
				("0.bias", F32, vec![4]),
				("2.weight", F32, vec![2, 5]),
				("2.bias", F32, vec![2]),
			]),
			Err(ImportError::Shape { index: 2, .. })
		));
		assert!(matches!(
			refused(&[("1.weight", F32, vec![2, 1, 3, 3]), ("1.bias", F32, vec![2])]),
			Err(ImportError::Shape { .. })
		));
		// A dense layer of 7 inputs after 2 filters: no square image gives it.
		assert!(matches!(
			refused(&[
				("1.weight", F32, vec![2, 1, 3, 3]),
				("1.bias", F32, vec![2]),
				("5.weight", F32, vec![3, 7]),
				("5.bias", F32, vec![3]),
			]),
			Err(ImportError::Side { inputs: 7, filters: 2 })
		));
		assert!(matches!(refused(&[]), Err(ImportError::Empty)));
	}
}
