//! Reading a key exported from polkadot.js (the apps' "export account", the extension's JSON
//! backup): PKCS#8 around the sr25519 key, sealed with XSalsa20-Poly1305 under a key derived
//! from the password with scrypt. Only the scrypt parameters polkadot.js itself writes are
//! accepted, so a crafted file cannot make the worker spend minutes deriving.

use base64::Engine;
use crypto_secretbox::{
	aead::{Aead, KeyInit},
	Key, Nonce, XSalsa20Poly1305,
};
use serde::Deserialize;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};

/// The scrypt parameters (N, p, r) polkadot.js writes.
const SCRYPT_PARAMS: [(u32, u32, u32); 6] = [
	(1 << 13, 10, 8),
	(1 << 14, 5, 8),
	(1 << 15, 3, 8),
	(1 << 15, 1, 8),
	(1 << 16, 2, 8),
	(1 << 17, 1, 8),
];
/// What precedes the secret key in the decrypted PKCS#8 document, and what separates it from
/// the public key.
const PKCS8_HEADER: [u8; 16] = [48, 83, 2, 1, 1, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32];
const PKCS8_DIVIDER: [u8; 5] = [161, 35, 3, 33, 0];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonKeyError {
	#[error("not a polkadot.js key export: {0}")]
	Format(String),
	#[error("only sr25519 keys encrypted with scrypt and xsalsa20-poly1305 (version 3) are read")]
	Encoding,
	#[error("scrypt parameters N={0}, p={1}, r={2} are not ones polkadot.js writes")]
	Scrypt(u32, u32, u32),
	#[error("wrong password (or a damaged file)")]
	Password,
	#[error("the key in the file is not the one its address names")]
	Mismatch,
}

#[derive(Deserialize)]
struct Export {
	encoded: String,
	encoding: Encoding,
	address: String,
}

#[derive(Deserialize)]
struct Encoding {
	content: Vec<String>,
	r#type: Vec<String>,
	version: String,
}

/// A decrypted key: its pair, and its 64-byte secret key in schnorrkel's form (what
/// `sr25519::Pair::from_seed_slice` takes back). There is no seed or phrase behind it to keep:
/// polkadot.js exports the expanded key only.
pub struct JsonKey {
	pub pair: sr25519::Pair,
	pub secret: [u8; 64],
}

/// Decrypts a polkadot.js export with its password.
pub fn decrypt(json: &str, password: &str) -> Result<JsonKey, JsonKeyError> {
	let export: Export =
		serde_json::from_str(json).map_err(|e| JsonKeyError::Format(e.to_string()))?;
	let has = |list: &[String], what: &str| list.iter().any(|s| s == what);
	if export.encoding.version != "3"
		|| !has(&export.encoding.content, "pkcs8")
		|| !has(&export.encoding.content, "sr25519")
		|| !has(&export.encoding.r#type, "scrypt")
		|| !has(&export.encoding.r#type, "xsalsa20-poly1305")
	{
		return Err(JsonKeyError::Encoding);
	}
	let sealed = base64::engine::general_purpose::STANDARD
		.decode(export.encoded.trim())
		.map_err(|e| JsonKeyError::Format(e.to_string()))?;
	if sealed.len() < 68 {
		return Err(JsonKeyError::Format("the encoded key is too short".into()));
	}
	// salt (32) ++ N, p, r (u32 LE each) ++ nonce (24) ++ ciphertext.
	let u32_at = |i: usize| u32::from_le_bytes(sealed[i..i + 4].try_into().expect("4 bytes"));
	let (n, p, r) = (u32_at(32), u32_at(36), u32_at(40));
	if !SCRYPT_PARAMS.contains(&(n, p, r)) {
		return Err(JsonKeyError::Scrypt(n, p, r));
	}
	let params = scrypt::Params::new(n.trailing_zeros() as u8, r, p, 32)
		.map_err(|_| JsonKeyError::Scrypt(n, p, r))?;
	let mut key = Key::default();
	scrypt::scrypt(password.as_bytes(), &sealed[..32], &params, &mut key)
		.map_err(|_| JsonKeyError::Scrypt(n, p, r))?;
	let plain = XSalsa20Poly1305::new(&key)
		.decrypt(Nonce::from_slice(&sealed[44..68]), &sealed[68..])
		.map_err(|_| JsonKeyError::Password)?;
	if plain.len() != 117 || plain[..16] != PKCS8_HEADER || plain[80..85] != PKCS8_DIVIDER {
		return Err(JsonKeyError::Format("the decrypted key is not PKCS#8 sr25519".into()));
	}
	// polkadot.js keeps the secret in ed25519 form; Substrate keys take schnorrkel's own.
	let secret = schnorrkel::SecretKey::from_ed25519_bytes(&plain[16..80])
		.map_err(|e| JsonKeyError::Format(e.to_string()))?;
	let secret = secret.to_bytes();
	let pair = sr25519::Pair::from_seed_slice(&secret).map_err(|_| JsonKeyError::Mismatch)?;
	let address = sr25519::Public::from_ss58check_with_version(&export.address)
		.map_err(|_| JsonKeyError::Format(format!("bad address {}", export.address)))?
		.0;
	if pair.public().0 != plain[85..117] || pair.public() != address {
		return Err(JsonKeyError::Mismatch);
	}
	Ok(JsonKey { pair, secret })
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;

	/// polkadot.js's export of an account (subxt-signer's test vector; password "whoisbob").
	pub(crate) const BOB: &str = r#"{"encoded":"J2FFcPHAY11Pmq/38eqbwfUv9OPitYJs+oYgahBvlagAAAIAAQAAAAgAAAB5o0DwXCWDblsH+9pc++RaBO4fpHBHzUirHFHFE9yS3sDzgAIQjhgvPqJ3ODrMR2gy7vk0VZg1fyirIvmsrfjGbWnOI8YU0joX0tYytroyWaykFKtZJMmE0pNKcJ5dJmDxscbK53Ac+7ld2UdH07yKPXxmPuYNNw3vKx8cg9CdQgifKfzQxHnC+EUpOoHPLwGlHsFEYtIlQtngqd9n","encoding":{"content":["pkcs8","sr25519"],"type":["scrypt","xsalsa20-poly1305"],"version":"3"},"address":"5CfWTDh7XxJ2yrayqQ2aJnnZAH5v5XaF1oJFfH5QCpbfP9v8","meta":{"genesisHash":"","name":"Bob","whenCreated":1718265838755}}"#;

	#[test]
	fn a_polkadot_js_export_decrypts_to_the_key_it_names_and_signs_as_it() {
		let key = decrypt(BOB, "whoisbob").unwrap();
		assert_eq!(
			key.pair.public().to_ss58check(),
			"5CfWTDh7XxJ2yrayqQ2aJnnZAH5v5XaF1oJFfH5QCpbfP9v8"
		);
		// The secret the keystore keeps gives the same key back.
		let again = sr25519::Pair::from_seed_slice(&key.secret).unwrap();
		assert_eq!(again.public(), key.pair.public());
		// And the key signs as subxt-signer's independent reading of the same file verifies.
		let oracle = subxt_signer::polkadot_js_compat::decrypt_json(BOB, "whoisbob").unwrap();
		assert_eq!(oracle.public_key().0, key.pair.public().0);
		let signature = key.pair.sign(b"cohort");
		assert!(subxt_signer::sr25519::verify(
			&subxt_signer::sr25519::Signature(signature.0),
			b"cohort",
			&oracle.public_key()
		));
	}

	#[test]
	fn a_wrong_password_or_a_crafted_file_is_refused() {
		assert_eq!(decrypt(BOB, "whoisalice").err(), Some(JsonKeyError::Password));
		assert!(matches!(decrypt("{}", "x"), Err(JsonKeyError::Format(_))));
		let v2 = BOB.replace(r#""version":"3""#, r#""version":"2""#);
		assert_eq!(decrypt(&v2, "whoisbob").err(), Some(JsonKeyError::Encoding));
		// Another address than the key's: refused, whatever the password.
		let other = BOB.replace(
			"5CfWTDh7XxJ2yrayqQ2aJnnZAH5v5XaF1oJFfH5QCpbfP9v8",
			"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
		);
		assert_eq!(decrypt(&other, "whoisbob").err(), Some(JsonKeyError::Mismatch));
		// scrypt with N = 2^20 (a file made to stall the worker): refused before deriving.
		let mut sealed = base64::engine::general_purpose::STANDARD.decode(BOB_ENCODED).unwrap();
		sealed[32..36].copy_from_slice(&(1u32 << 20).to_le_bytes());
		let crafted =
			BOB.replace(BOB_ENCODED, &base64::engine::general_purpose::STANDARD.encode(&sealed));
		assert_eq!(decrypt(&crafted, "whoisbob").err(), Some(JsonKeyError::Scrypt(1 << 20, 1, 8)));
	}

	const BOB_ENCODED: &str = "J2FFcPHAY11Pmq/38eqbwfUv9OPitYJs+oYgahBvlagAAAIAAQAAAAgAAAB5o0DwXCWDblsH+9pc++RaBO4fpHBHzUirHFHFE9yS3sDzgAIQjhgvPqJ3ODrMR2gy7vk0VZg1fyirIvmsrfjGbWnOI8YU0joX0tYytroyWaykFKtZJMmE0pNKcJ5dJmDxscbK53Ac+7ld2UdH07yKPXxmPuYNNw3vKx8cg9CdQgifKfzQxHnC+EUpOoHPLwGlHsFEYtIlQtngqd9n";
}
