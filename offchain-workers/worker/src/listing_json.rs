//! A dataset listing (the data market's `list_dataset` argument) as JSON in the shape
//! `@polkadot/api` takes for `api.tx.dataMarket.listDataset(listing)`, both ways: `cohort-node
//! dataset inspect --args-out` writes it ([`to_json`]), `cohort-worker dataset list` reads it
//! back ([`from_json`]) and signs the call.
//!
//! ```json
//! {
//!   "name": "digits of owner 1",
//!   "description": "",
//!   "schema": { "features": 64, "classes": 10, "samples": 300,
//!               "modality": "Tabular" | { "Image": { "side": 8, "channels": 1 } } },
//!   "content": { "File": "0x…" } | { "Shards": { "root": "0x…", "shards": 4 } },
//!   "licence": "FederatedOnly" | { "Access": { "price": "1000", "period": 100 } },
//!   "royalty": "0",
//!   "privacyBudget": null | 8000000
//! }
//! ```
//!
//! Balances are decimal strings (they may exceed what a JavaScript number holds exactly); the
//! privacy budget is an ε in millionths. A name or description is a plain string, unless it
//! reads as hex itself (`0x…`), which `@polkadot/api` would take for bytes: then it is written
//! as the hex of its UTF-8 bytes (and read back as bytes).

use cohort_primitives::{
	dataset::{ContentCommitment, Licence, Modality},
	DatasetListing, DatasetSchema,
};
use serde_json::{json, Value};
use sp_core::H256;

use crate::chain::{Balance, BlockNumber};

/// A listing as the runtimes take it.
pub type Listing = DatasetListing<Balance, BlockNumber>;

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes as `@polkadot/api` reads them back: the string itself, unless it would be read as
/// hex; then the hex of its bytes.
fn bytes_json(bytes: &[u8]) -> Value {
	match std::str::from_utf8(bytes) {
		Ok(s) if !s.starts_with("0x") => Value::String(s.to_string()),
		_ => Value::String(format!("0x{}", hex(bytes))),
	}
}

/// `listing` as the JSON `@polkadot/api` takes for `api.tx.dataMarket.listDataset` (module
/// docs).
pub fn to_json(listing: &Listing) -> Value {
	let modality = match listing.schema.modality {
		Modality::Tabular => json!("Tabular"),
		Modality::Image { side, channels } => {
			json!({ "Image": { "side": side, "channels": channels } })
		},
	};
	let content = match listing.content {
		ContentCommitment::File(hash) => json!({ "File": format!("{hash:?}") }),
		ContentCommitment::Shards { root, shards } => {
			json!({ "Shards": { "root": format!("{root:?}"), "shards": shards } })
		},
	};
	let licence = match listing.licence {
		Licence::FederatedOnly => json!("FederatedOnly"),
		Licence::Access { price, period } => {
			json!({ "Access": { "price": price.to_string(), "period": period } })
		},
	};
	json!({
		"name": bytes_json(&listing.name),
		"description": bytes_json(&listing.description),
		"schema": {
			"features": listing.schema.features,
			"classes": listing.schema.classes,
			"samples": listing.schema.samples,
			"modality": modality,
		},
		"content": content,
		"licence": licence,
		"royalty": listing.royalty.to_string(),
		"privacyBudget": listing.privacy_budget,
	})
}

/// The listing [`to_json`] wrote (or a person wrote in its shape); the error names the field
/// that is missing or wrong.
pub fn from_json(value: &Value) -> Result<Listing, String> {
	let field = |v: &Value, name: &str| -> Result<Value, String> {
		v.get(name).cloned().ok_or_else(|| format!("no {name:?}"))
	};
	let number = |v: &Value, name: &str| -> Result<u32, String> {
		field(v, name)?
			.as_u64()
			.and_then(|n| u32::try_from(n).ok())
			.ok_or_else(|| format!("{name:?} is not a count"))
	};
	let balance = |v: &Value, name: &str| -> Result<Balance, String> {
		match field(v, name)? {
			Value::String(s) => s.parse().map_err(|_| format!("{name:?}: {s:?} is not an amount")),
			Value::Number(n) => n.as_u64().map(Balance::from).ok_or(format!("{name:?}: {n}")),
			other => Err(format!("{name:?}: {other} is not an amount")),
		}
	};
	let hash = |v: &Value, name: &str| -> Result<H256, String> {
		let text = field(v, name)?;
		let s = text.as_str().ok_or(format!("{name:?} is not a hash"))?;
		let bytes = decode_hex(s).filter(|b| b.len() == 32);
		bytes.map(|b| H256::from_slice(&b)).ok_or(format!("{name:?}: {s:?} is not a 32-byte hash"))
	};
	let bytes = |name: &str| -> Result<Vec<u8>, String> {
		let text = field(value, name)?;
		let s = text.as_str().ok_or(format!("{name:?} is not a string"))?;
		Ok(match s.strip_prefix("0x") {
			Some(_) => decode_hex(s).ok_or(format!("{name:?}: {s:?} is not hex"))?,
			None => s.as_bytes().to_vec(),
		})
	};
	let schema = field(value, "schema")?;
	let modality = match field(&schema, "modality")? {
		Value::String(s) if s == "Tabular" => Modality::Tabular,
		v => {
			let image = field(&v, "Image").map_err(|_| format!("modality {v} is unknown"))?;
			Modality::Image { side: number(&image, "side")?, channels: number(&image, "channels")? }
		},
	};
	let content = field(value, "content")?;
	let content = match (content.get("File"), content.get("Shards")) {
		(Some(_), _) => ContentCommitment::File(hash(&content, "File")?),
		(_, Some(shards)) => ContentCommitment::Shards {
			root: hash(shards, "root")?,
			shards: number(shards, "shards")?,
		},
		_ => return Err(format!("content {content} is neither File nor Shards")),
	};
	let licence = match field(value, "licence")? {
		Value::String(s) if s == "FederatedOnly" => Licence::FederatedOnly,
		v => {
			let access = field(&v, "Access").map_err(|_| format!("licence {v} is unknown"))?;
			Licence::Access {
				price: balance(&access, "price")?,
				period: number(&access, "period")?,
			}
		},
	};
	let privacy_budget = match field(value, "privacyBudget")? {
		Value::Null => None,
		_ => Some(number(value, "privacyBudget")?),
	};
	let too_long = |name: &str| format!("{name:?} is too long for the chain");
	Ok(Listing {
		name: bytes("name")?.try_into().map_err(|_| too_long("name"))?,
		description: bytes("description")?.try_into().map_err(|_| too_long("description"))?,
		schema: DatasetSchema {
			features: number(&schema, "features")?,
			classes: number(&schema, "classes")?,
			samples: number(&schema, "samples")?,
			modality,
		},
		content,
		licence,
		royalty: balance(value, "royalty")?,
		privacy_budget,
	})
}

/// `0x`-prefixed hex as bytes.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
	let digits = s.strip_prefix("0x")?;
	if digits.len() % 2 != 0 {
		return None;
	}
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn listing() -> Listing {
		Listing {
			name: b"digits of owner 1".to_vec().try_into().unwrap(),
			description: b"".to_vec().try_into().unwrap(),
			schema: DatasetSchema {
				features: 64,
				classes: 10,
				samples: 300,
				modality: Modality::Tabular,
			},
			content: ContentCommitment::File(H256::repeat_byte(0xab)),
			licence: Licence::FederatedOnly,
			royalty: 5 * 10u128.pow(11),
			privacy_budget: None,
		}
	}

	#[test]
	fn every_shape_of_listing_reads_back_as_written() {
		let mut other = listing();
		other.name = b"0xlooks like hex".to_vec().try_into().unwrap();
		other.description = "données".as_bytes().to_vec().try_into().unwrap();
		other.schema.modality = Modality::Image { side: 8, channels: 1 };
		other.content = ContentCommitment::Shards { root: H256::repeat_byte(7), shards: 4 };
		other.licence = Licence::Access { price: u128::MAX, period: 100 };
		other.privacy_budget = Some(8_000_000);
		for l in [listing(), other] {
			let json = to_json(&l);
			assert_eq!(from_json(&json), Ok(l.clone()), "{json}");
			// Through text, as the file holds it.
			let text = serde_json::to_string_pretty(&json).unwrap();
			assert_eq!(from_json(&serde_json::from_str(&text).unwrap()), Ok(l));
		}
	}

	#[test]
	fn a_wrong_field_is_named() {
		let with = |edit: &dyn Fn(&mut Value)| {
			let mut json = to_json(&listing());
			edit(&mut json);
			from_json(&json).unwrap_err()
		};
		assert!(with(&|j| j["royalty"] = json!("ten")).contains("royalty"));
		assert!(with(&|j| j["content"] = json!({ "File": "0x12" })).contains("File"));
		assert!(with(&|j| j["schema"]["modality"] = json!("Audio")).contains("modality"));
		assert!(with(&|j| j["name"] = json!("x".repeat(65))).contains("too long"));
		assert!(with(&|j| {
			j.as_object_mut().unwrap().remove("licence");
		})
		.contains("licence"));
	}
}
