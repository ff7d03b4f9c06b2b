//! The worker's own keystore, under `<base path>/keystore`: Substrate's file keystore (one file
//! per key, named by key type and public key, holding its secret URI, as a node keeps its keys)
//! for keys generated here or imported from a secret URI; and, for keys imported from a
//! polkadot.js JSON export, which carries an expanded secret key with no phrase or seed behind
//! it, one file per key under `keystore/sr25519-secret/` holding that secret in hex. Every key
//! is an sr25519 key of the worker key type (`cohw`). Secrets are kept in plain files readable
//! by their owner only: protect the folder as a wallet's.

use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
};

use cohort_worker::WORKER_KEY_TYPE;
use sc_keystore::LocalKeystore;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use sp_keystore::Keystore;

use crate::polkadot_js;

/// A worker's keys.
pub struct WorkerKeystore {
	local: LocalKeystore,
	/// Where imported expanded secret keys are kept, and the keys read from there.
	secrets_path: PathBuf,
	secrets: BTreeMap<sr25519::Public, sr25519::Pair>,
}

/// A key's address, as wallets show it.
pub fn address(public: &sr25519::Public) -> String {
	public.to_ss58check()
}

fn io(path: &Path, e: std::io::Error) -> String {
	format!("{}: {e}", path.display())
}

impl WorkerKeystore {
	/// A keystore with no keys, kept in memory: for commands that only read the chain.
	pub fn empty() -> Self {
		Self {
			local: LocalKeystore::in_memory(),
			secrets_path: PathBuf::new(),
			secrets: BTreeMap::new(),
		}
	}

	/// Opens (creating it if needed) the keystore under `base_path`.
	pub fn open(base_path: &Path) -> Result<Self, String> {
		let path = base_path.join("keystore");
		let local = LocalKeystore::open(&path, None)
			.map_err(|e| format!("the keystore at {}: {e}", path.display()))?;
		let secrets_path = path.join("sr25519-secret");
		let mut secrets = BTreeMap::new();
		if secrets_path.exists() {
			for entry in std::fs::read_dir(&secrets_path).map_err(|e| io(&secrets_path, e))? {
				let file = entry.map_err(|e| io(&secrets_path, e))?.path();
				let text = std::fs::read_to_string(&file).map_err(|e| io(&file, e))?;
				let pair = sr25519::Pair::from_seed_slice(
					&hex_bytes(text.trim())
						.ok_or_else(|| format!("{}: not hex", file.display()))?,
				)
				.map_err(|e| format!("{}: {e:?}", file.display()))?;
				secrets.insert(pair.public(), pair);
			}
		}
		Ok(Self { local, secrets_path, secrets })
	}

	/// Generates a key; returns it with its recovery phrase (shown once: the only way to
	/// restore the key elsewhere).
	pub fn generate(&self) -> Result<(sr25519::Public, String), String> {
		let (pair, phrase, _) = sr25519::Pair::generate_with_phrase(None);
		self.insert_suri(&phrase, &pair)?;
		Ok((pair.public(), phrase))
	}

	/// Imports the key of a secret URI (a phrase, a `//Dev` path, a `0x` seed).
	pub fn import_suri(&self, suri: &str) -> Result<sr25519::Public, String> {
		let pair = sr25519::Pair::from_string(suri, None)
			.map_err(|e| format!("not a secret URI of an sr25519 key: {e:?}"))?;
		self.insert_suri(suri, &pair)?;
		Ok(pair.public())
	}

	/// The key of a dev secret URI (`//Charlie`), put in the keystore if it is not there.
	pub fn dev_key(&self, uri: &str) -> Result<sr25519::Public, String> {
		self.local.sr25519_generate_new(WORKER_KEY_TYPE, Some(uri)).map_err(|e| e.to_string())
	}

	fn insert_suri(&self, suri: &str, pair: &sr25519::Pair) -> Result<(), String> {
		self.local
			.insert(WORKER_KEY_TYPE, suri, pair.public().as_ref())
			.map_err(|()| "the keystore refused the key".to_string())
	}

	/// Imports the key of a polkadot.js JSON export, decrypted with its password.
	pub fn import_json(&mut self, json: &str, password: &str) -> Result<sr25519::Public, String> {
		let key = polkadot_js::decrypt(json, password).map_err(|e| e.to_string())?;
		let public = key.pair.public();
		std::fs::create_dir_all(&self.secrets_path).map_err(|e| io(&self.secrets_path, e))?;
		let file =
			self.secrets_path.join(format!("{}", sp_core::hexdisplay::HexDisplay::from(&public.0)));
		let text = format!("{}", sp_core::hexdisplay::HexDisplay::from(&key.secret));
		write_private(&file, &text)?;
		self.secrets.insert(public, key.pair);
		Ok(public)
	}

	/// The worker keys, in the order of their public keys.
	pub fn list(&self) -> Vec<sr25519::Public> {
		let mut keys = self.local.sr25519_public_keys(WORKER_KEY_TYPE);
		keys.extend(self.secrets.keys().copied());
		keys.sort();
		keys.dedup();
		keys
	}

	/// [`Self::list`], or an error saying how to add a key when there is none (`base_path`
	/// names the folder).
	pub fn keys(&self, base_path: &Path) -> Result<Vec<sr25519::Public>, String> {
		let keys = self.list();
		if keys.is_empty() {
			return Err(format!(
				"the keystore in {} has no keys (cohort-worker key import)",
				base_path.display()
			));
		}
		Ok(keys)
	}

	/// The key to sign with: the one whose address is `wanted`, or the keystore's only key
	/// (`base_path` names the folder in the errors).
	pub fn pick(&self, wanted: Option<&str>, base_path: &Path) -> Result<sr25519::Public, String> {
		let keys = self.keys(base_path)?;
		match wanted {
			Some(wanted) => keys.into_iter().find(|k| address(k) == wanted).ok_or_else(|| {
				format!("the keystore in {} has no key {wanted}", base_path.display())
			}),
			None => match keys.as_slice() {
				[one] => Ok(*one),
				_ => Err(format!(
					"the keystore in {} holds {} keys: name the one to sign with by its address",
					base_path.display(),
					keys.len()
				)),
			},
		}
	}

	/// Signs `message` with the key `public`; `None` if the keystore does not have it.
	pub fn sign(
		&self,
		public: &sr25519::Public,
		message: &[u8],
	) -> Result<Option<sr25519::Signature>, String> {
		if let Some(pair) = self.secrets.get(public) {
			return Ok(Some(pair.sign(message)));
		}
		self.local.sr25519_sign(WORKER_KEY_TYPE, public, message).map_err(|e| e.to_string())
	}
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
	let text = text.strip_prefix("0x").unwrap_or(text);
	if !text.len().is_multiple_of(2) {
		return None;
	}
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Writes a secret to a new file only its owner can read.
fn write_private(file: &Path, text: &str) -> Result<(), String> {
	use std::{io::Write, os::unix::fs::OpenOptionsExt};
	let mut out = std::fs::OpenOptions::new()
		.write(true)
		.create(true)
		.truncate(true)
		.mode(0o600)
		.open(file)
		.map_err(|e| io(file, e))?;
	out.write_all(text.as_bytes()).and_then(|()| out.sync_all()).map_err(|e| io(file, e))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn generated_and_imported_keys_are_kept_and_sign() {
		let dir = tempfile::tempdir().unwrap();
		let (generated, phrase) = WorkerKeystore::open(dir.path()).unwrap().generate().unwrap();
		let alice = WorkerKeystore::open(dir.path()).unwrap().import_suri("//Alice").unwrap();
		// A fresh open reads both back from disk.
		let keystore = WorkerKeystore::open(dir.path()).unwrap();
		let mut expected = vec![generated, alice];
		expected.sort();
		assert_eq!(keystore.list(), expected);
		// The phrase shown restores the generated key.
		assert_eq!(sr25519::Pair::from_string(&phrase, None).unwrap().public(), generated);
		let signature = keystore.sign(&generated, b"m").unwrap().unwrap();
		assert!(sr25519::Pair::verify(&signature, b"m", &generated));
		assert_eq!(address(&alice), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		let stranger = sr25519::Pair::from_string("//Stranger", None).unwrap().public();
		assert_eq!(keystore.sign(&stranger, b"m").unwrap(), None);
	}

	#[test]
	fn a_key_from_a_json_export_is_kept_privately_and_signs_after_a_reopen() {
		let dir = tempfile::tempdir().unwrap();
		let public = WorkerKeystore::open(dir.path())
			.unwrap()
			.import_json(polkadot_js::tests::BOB, "whoisbob")
			.unwrap();
		let keystore = WorkerKeystore::open(dir.path()).unwrap();
		assert_eq!(keystore.list(), vec![public]);
		let signature = keystore.sign(&public, b"m").unwrap().unwrap();
		assert!(sr25519::Pair::verify(&signature, b"m", &public));
		let file = dir.path().join("keystore/sr25519-secret").read_dir().unwrap().next().unwrap();
		use std::os::unix::fs::PermissionsExt;
		assert_eq!(file.unwrap().metadata().unwrap().permissions().mode() & 0o777, 0o600);
	}

	#[test]
	fn a_bad_secret_uri_or_password_adds_nothing() {
		let dir = tempfile::tempdir().unwrap();
		let mut keystore = WorkerKeystore::open(dir.path()).unwrap();
		assert!(keystore.import_suri("not a phrase at all").is_err());
		assert!(keystore.import_json(polkadot_js::tests::BOB, "whoisalice").is_err());
		assert!(WorkerKeystore::open(dir.path()).unwrap().list().is_empty());
	}
}
