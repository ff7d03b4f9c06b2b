//! A trained model as a file other tools read: [safetensors], each tensor named and laid out as
//! the state dict of the PyTorch module that computes what [`Network`](crate::model::Network)
//! computes, so that
//!
//! ```python
//! model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
//! ```
//!
//! loads it. The module is a `torch.nn.Sequential`, and the keys are its indices:
//!
//! - an MLP: `Linear, ReLU, Linear, …, Linear` — keys `0.weight`, `0.bias`, `2.weight`, …;
//! - a CNN: `Unflatten(1, (channels, side, side))`, then per convolution `Conv2d(…, kernel,
//!   padding="same"), ReLU, MaxPool2d(2)`, then `Flatten()` and the `Linear` layers — keys
//!   `1.weight`, `1.bias`, `4.weight`, …
//!
//! Dense weights are written `[outputs, inputs]` (`torch.nn.Linear`'s layout, the transpose of
//! the flat layout's `[inputs, outputs]`); convolution weights keep
//! `[filters, in_channels, kernel, kernel]`. [`torch_module`] writes the module's code, and the
//! file carries it in its metadata (`torch.module`).
//!
//! [safetensors]: https://huggingface.co/docs/safetensors

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensorError, TensorView};

use cohort_primitives::scaling::{FeatureStats, STATS_UNIT};

use crate::model::{Architecture, ModelError, Slot};

/// Why a model could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
	#[error(transparent)]
	Model(#[from] ModelError),
	#[error("safetensors: {0}")]
	Format(#[from] SafeTensorError),
}

/// One tensor of the PyTorch state dict: its key, shape and values (row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct StateTensor {
	pub key: String,
	pub shape: Vec<usize>,
	pub values: Vec<f32>,
}

/// The modules of `arch`'s `torch.nn.Sequential`, in order, as Python code, each with whether
/// it holds parameters (the next layer of the flat layout, [`Architecture::layers`]).
fn modules(arch: &Architecture) -> Vec<(String, bool)> {
	let mut modules = Vec::new();
	if let Some((channels, side)) = arch.image {
		modules.push((format!("torch.nn.Unflatten(1, ({channels}, {side}, {side}))"), false));
	}
	let slots = arch.slots();
	let dense = slots.iter().filter(|s| matches!(s, Slot::DenseWeight(_))).count();
	let mut seen = 0;
	for pair in slots.chunks_exact(2) {
		match pair[0] {
			Slot::ConvWeight([filters, channels, kernel, _]) => {
				let conv =
					format!("torch.nn.Conv2d({channels}, {filters}, {kernel}, padding=\"same\")");
				modules.push((conv, true));
				modules.push(("torch.nn.ReLU()".into(), false));
				modules.push(("torch.nn.MaxPool2d(2)".into(), false));
			},
			Slot::DenseWeight([inputs, outputs]) => {
				if seen == 0 && arch.image.is_some() {
					modules.push(("torch.nn.Flatten()".into(), false));
				}
				seen += 1;
				modules.push((format!("torch.nn.Linear({inputs}, {outputs})"), true));
				if seen < dense {
					modules.push(("torch.nn.ReLU()".into(), false));
				}
			},
			Slot::Bias(_) => unreachable!("tensors come in (weight, bias) pairs"),
		}
	}
	modules
}

/// The PyTorch module that computes what `arch`'s network computes, as Python code.
pub fn torch_module(arch: &Architecture) -> String {
	let modules: Vec<String> = modules(arch).into_iter().map(|(code, _)| code).collect();
	format!("torch.nn.Sequential({})", modules.join(", "))
}

/// The state dict of [`torch_module`] holding `parameters` (the flat layout).
pub fn state_dict(arch: &Architecture, parameters: &[f32]) -> Result<Vec<StateTensor>, ModelError> {
	let mut layers = arch.layers(parameters)?.into_iter();
	let mut state = Vec::new();
	for (index, (_, holds_parameters)) in modules(arch).into_iter().enumerate() {
		if !holds_parameters {
			continue;
		}
		let (slot, weight, bias) = layers.next().expect("a module with tensors per layer");
		let (shape, values) = match slot {
			Slot::ConvWeight(shape) => (shape.to_vec(), weight.to_vec()),
			Slot::DenseWeight([inputs, outputs]) => {
				let transposed = (0..outputs)
					.flat_map(|o| weight.iter().skip(o).step_by(outputs).copied())
					.collect();
				(vec![outputs, inputs], transposed)
			},
			Slot::Bias(_) => unreachable!("a weight comes first"),
		};
		state.push(StateTensor { key: format!("{index}.weight"), shape, values });
		state.push(StateTensor {
			key: format!("{index}.bias"),
			shape: vec![bias.len()],
			values: bias.to_vec(),
		});
	}
	Ok(state)
}

/// A task's feature scaling as the exported file's metadata states it (`cohort.feature_scaling`):
/// `{"mean":[…],"deviation":[…]}` in the features' own units, so that a user feeds the model
/// `(x − mean) / deviation` (0 where the deviation is 0), as the trainers did.
pub fn scaling_metadata(scaling: &[FeatureStats]) -> String {
	let unit = STATS_UNIT as f64;
	let list = |values: Vec<f64>| values.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
	format!(
		"{{\"mean\":[{}],\"deviation\":[{}]}}",
		list(scaling.iter().map(|s| s.mean as f64 / unit).collect()),
		list(scaling.iter().map(|s| s.deviation as f64 / unit).collect()),
	)
}

/// `arch`'s model with `parameters` as a safetensors file (`f32`, little-endian), with
/// `metadata` in its header (what task and round it comes from, say) and the module's code
/// under `torch.module`.
pub fn to_safetensors(
	arch: &Architecture,
	parameters: &[f32],
	mut metadata: HashMap<String, String>,
) -> Result<Vec<u8>, ExportError> {
	let state = state_dict(arch, parameters)?;
	metadata.insert("torch.module".into(), torch_module(arch));
	let bytes: Vec<Vec<u8>> =
		state.iter().map(|t| t.values.iter().flat_map(|v| v.to_le_bytes()).collect()).collect();
	let views = state
		.iter()
		.zip(&bytes)
		.map(|(t, b)| Ok((t.key.clone(), TensorView::new(Dtype::F32, t.shape.clone(), b)?)))
		.collect::<Result<Vec<_>, SafeTensorError>>()?;
	Ok(safetensors::tensor::serialize(views, Some(metadata))?)
}

#[cfg(test)]
mod tests {
	use super::*;
	use burn::tensor::{Device, Tensor, TensorData};
	use cohort_primitives::ModelSpec;
	use safetensors::SafeTensors;
	use sp_core::{bounded::BoundedVec, ConstU32};

	fn v(x: &[u32]) -> BoundedVec<u32, ConstU32<8>> {
		BoundedVec::truncate_from(x.to_vec())
	}

	fn read(file: &SafeTensors, key: &str) -> (Vec<usize>, Vec<f32>) {
		let t = file.tensor(key).unwrap_or_else(|_| panic!("{key} is in the file"));
		assert_eq!(t.dtype(), Dtype::F32);
		let values =
			t.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
		(t.shape().to_vec(), values)
	}

	/// `torch.nn.Linear`: `y = x·Wᵀ + b` with `W` `[outputs, inputs]`.
	fn linear(x: &[f32], (shape, w): &(Vec<usize>, Vec<f32>), b: &[f32]) -> Vec<f32> {
		let (outputs, inputs) = (shape[0], shape[1]);
		(0..outputs)
			.map(|o| b[o] + (0..inputs).map(|i| w[o * inputs + i] * x[i]).sum::<f32>())
			.collect()
	}

	/// The file read as PyTorch reads it computes the network's logits: an MLP with two hidden
	/// layers, on inputs of both signs.
	#[test]
	fn an_exported_mlp_computes_what_the_network_computes() {
		let spec = ModelSpec::Mlp { input: 5, hidden: v(&[4, 3]), classes: 2 };
		let arch = Architecture::of(&spec).unwrap();
		let parameters = arch.initial_parameters(7);
		let metadata = HashMap::from([("cohort.task".to_string(), "3".to_string())]);
		let bytes = to_safetensors(&arch, &parameters, metadata).unwrap();
		let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
		assert_eq!(header.metadata().as_ref().unwrap()["cohort.task"], "3");
		let file = SafeTensors::deserialize(&bytes).unwrap();
		let mut keys: Vec<_> = file.names().into_iter().map(str::to_string).collect();
		keys.sort();
		assert_eq!(keys, ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]);
		assert_eq!(read(&file, "0.weight").0, [4, 5]);
		assert_eq!(
			torch_module(&arch),
			"torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3), \
			 torch.nn.ReLU(), torch.nn.Linear(3, 2))"
		);
		assert_eq!(read(&file, "4.weight").0, [2, 3]);

		let device = Device::flex();
		let network = arch.network(&parameters, &device).unwrap();
		let inputs: Vec<[f32; 5]> =
			vec![[0.5, -1.0, 2.0, 0.0, 0.25], [-0.3, 0.7, -1.5, 1.0, 3.0], [0.0; 5]];
		let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
		let logits = network
			.forward(Tensor::from_data(TensorData::new(flat, [inputs.len(), 5]), &device))
			.into_data()
			.try_to_vec::<f32>()
			.unwrap();
		let relu = |x: Vec<f32>| x.into_iter().map(|v| v.max(0.0)).collect::<Vec<_>>();
		for (row, x) in inputs.iter().enumerate() {
			let h = relu(linear(x, &read(&file, "0.weight"), &read(&file, "0.bias").1));
			let h = relu(linear(&h, &read(&file, "2.weight"), &read(&file, "2.bias").1));
			let y = linear(&h, &read(&file, "4.weight"), &read(&file, "4.bias").1);
			for (c, value) in y.iter().enumerate() {
				let expected = logits[row * 2 + c];
				assert!(
					(value - expected).abs() < 1e-5,
					"row {row} class {c}: {value} vs {expected}"
				);
			}
		}
	}

	/// A CNN's keys follow its module (`Unflatten`, then conv/ReLU/pool triples, `Flatten`,
	/// `Linear`); convolution weights keep their layout, the dense weight is transposed.
	#[test]
	fn an_exported_cnn_has_the_modules_keys_and_torchs_layouts() {
		let spec =
			ModelSpec::Cnn { side: 8, channels: 1, filters: v(&[2, 3]), kernel: 3, classes: 4 };
		let arch = Architecture::of(&spec).unwrap();
		let parameters = arch.initial_parameters(1);
		let state = state_dict(&arch, &parameters).unwrap();
		let keys: Vec<_> = state.iter().map(|t| (t.key.as_str(), t.shape.clone())).collect();
		assert_eq!(
			keys,
			[
				("1.weight", vec![2, 1, 3, 3]),
				("1.bias", vec![2]),
				("4.weight", vec![3, 2, 3, 3]),
				("4.bias", vec![3]),
				("8.weight", vec![4, 3 * 2 * 2]),
				("8.bias", vec![4]),
			]
		);
		assert_eq!(state[0].values, parameters[..18], "convolution weights as they are");
		assert_eq!(
			torch_module(&arch),
			"torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), \
			 torch.nn.Conv2d(1, 2, 3, padding=\"same\"), torch.nn.ReLU(), torch.nn.MaxPool2d(2), \
			 torch.nn.Conv2d(2, 3, 3, padding=\"same\"), torch.nn.ReLU(), torch.nn.MaxPool2d(2), \
			 torch.nn.Flatten(), torch.nn.Linear(12, 4))"
		);
		let dense_at = 18 + 2 + 54 + 3;
		let flat = &parameters[dense_at..dense_at + 12 * 4];
		// Flat `[inputs = 12, outputs = 4]`; exported `[4, 12]`.
		assert_eq!(state[4].values[12 + 5], flat[5 * 4 + 1], "row = output 1, column = input 5");
		assert_eq!(state[5].values, parameters[dense_at + 48..]);
	}

	#[test]
	fn the_scaling_is_stated_in_the_features_units() {
		let scaling = [
			FeatureStats { mean: 3_500_000, deviation: 250_000 },
			FeatureStats { mean: -2, deviation: 0 },
		];
		assert_eq!(scaling_metadata(&scaling), r#"{"mean":[3.5,-0.000002],"deviation":[0.25,0]}"#);
	}

	#[test]
	fn a_wrong_parameter_count_is_refused() {
		let spec = ModelSpec::Mlp { input: 2, hidden: v(&[]), classes: 2 };
		let arch = Architecture::of(&spec).unwrap();
		assert!(matches!(
			to_safetensors(&arch, &[0.0; 5], HashMap::new()),
			Err(ExportError::Model(ModelError::WrongParameterCount { expected: 6, found: 5 }))
		));
	}
}
