//! `cohort-worker model import`: a model trained elsewhere (a safetensors state dict in
//! PyTorch's layout, as `model export` writes and `torch.nn.Sequential` saves;
//! `cohort_ml::import`) as the initial-model payload a task starts from. Reading and writing
//! files only: no node, no key.

use std::path::PathBuf;

use cohort_ml::{codec, import};
use cohort_primitives::{payload::PayloadKind, ModelSpec};
use sp_core::H256;

#[derive(clap::Args)]
pub struct ImportArgs {
	/// The model: a safetensors file of `float32` tensors keyed `<index>.weight` and
	/// `<index>.bias`.
	#[arg(long, value_name = "FILE")]
	pub file: PathBuf,
	/// The fixed-point scale of the task it will start (the spec's `scale`): a parameter `p`
	/// becomes `round(p * scale)`.
	#[arg(long, default_value_t = 1 << 16)]
	pub scale: u32,
	/// A CNN's image side, when the file does not say it (a file `model export` wrote does).
	#[arg(long)]
	pub side: Option<u32>,
	/// The payload to write: the bytes `federated.publishInitialModel` takes.
	#[arg(long, short = 'o', value_name = "FILE")]
	pub out: PathBuf,
}

/// What was imported, for the lines printed.
pub struct Imported {
	pub spec: ModelSpec,
	pub parameters: usize,
	pub bytes: usize,
	/// The payload's hash: the task's `initial_model` is `Hash` of it.
	pub hash: H256,
}

/// Reads `args.file` and writes its payload to `args.out`.
pub fn import(args: &ImportArgs) -> Result<Imported, String> {
	let file = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
	let model = import::from_safetensors(&file, args.side)
		.map_err(|e| format!("{}: {e}", args.file.display()))?;
	let values = codec::quantize(&model.parameters, args.scale).map_err(|e| e.to_string())?;
	let payload = codec::encode(PayloadKind::Initial, 0, 0, args.scale, 0, &values)
		.map_err(|e| e.to_string())?;
	cohort_worker::durable::write(&args.out, &payload)
		.map_err(|e| format!("{}: {e}", args.out.display()))?;
	Ok(Imported {
		spec: model.spec,
		parameters: values.len(),
		bytes: payload.len(),
		hash: codec::payload_hash(&payload),
	})
}

/// A model description as polkadot.js takes it for a task spec's `model`.
pub fn spec_json(spec: &ModelSpec) -> String {
	serde_json::to_string(spec).expect("a model description serializes")
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{bounded::BoundedVec, ConstU32};

	#[test]
	fn a_spec_is_written_as_polkadot_js_reads_it() {
		let v = |x: &[u32]| BoundedVec::<u32, ConstU32<8>>::truncate_from(x.to_vec());
		let mlp = ModelSpec::Mlp { input: 64, hidden: v(&[32, 16]), classes: 10 };
		assert_eq!(spec_json(&mlp), r#"{"Mlp":{"input":64,"hidden":[32,16],"classes":10}}"#);
		let cnn = ModelSpec::Cnn { side: 28, channels: 1, filters: v(&[]), kernel: 3, classes: 10 };
		assert_eq!(
			spec_json(&cnn),
			r#"{"Cnn":{"side":28,"channels":1,"filters":[],"kernel":3,"classes":10}}"#
		);
	}
}
