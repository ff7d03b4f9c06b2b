// The commitments of the federated pallet, computed the way any client must compute them
// (pallets/primitives/src/commitment.rs): BLAKE2-256 of the SCALE encoding of a tuple that
// begins with a four-byte tag and names the author, the task and the round, so that a commitment
// copied from the pool or an event opens for nobody but its author, and only in its own round.
//
//   update:    "COHU" ++ account ++ task u32 LE ++ round u32 LE ++ blake2_256(update) ++ salt
//   scores:    "COHS" ++ account ++ task u32 LE ++ round u32 LE
//              ++ compact(scores.length) ++ each score u32 LE ++ salt
//   aggregate: "COHA" ++ account ++ task u32 LE ++ round u32 LE ++ aggregate hash
//              ++ loss (millionths) u32 LE ++ accuracy (millionths) u32 LE ++ salt
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { compactToU8a, hexToU8a, isHex, isU8a, stringToU8a, u8aConcat } from '@polkadot/util';

/** `n` as four little-endian bytes. */
export function u32le(n) {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n, true);
  return bytes;
}

/** Raw bytes from a `Uint8Array`, a `0x` hex string or a codec object. */
function bytesOf(value) {
  if (isU8a(value)) return value;
  if (isHex(value)) return hexToU8a(value);
  if (value && typeof value.toU8a === 'function') return value.toU8a(true);
  throw new Error(`not bytes: ${value}`);
}

/** The 32 bytes of an account: a key pair, an SS58 or hex address, or the raw public key. */
function accountOf(who) {
  if (who && who.publicKey) return who.publicKey;
  if (isU8a(who)) return who;
  return decodeAddress(String(who));
}

function exactly32(name, bytes) {
  if (bytes.length !== 32) throw new Error(`${name} must be 32 bytes, not ${bytes.length}`);
  return bytes;
}

/** The commitment trainer `who` makes to `update` (payload bytes) in `round` of `task`. */
export function updateCommitment(who, task, round, update, salt) {
  return blake2AsU8a(
    u8aConcat(
      stringToU8a('COHU'),
      exactly32('account', accountOf(who)),
      u32le(task),
      u32le(round),
      blake2AsU8a(bytesOf(update), 256),
      exactly32('salt', bytesOf(salt)),
    ),
    256,
  );
}

/**
 * The commitment aggregator `who` makes to its scores (one per revealed update, in the order of
 * the round's trainers, each 0..=1_000_000) in `round` of `task`.
 */
export function scoresCommitment(who, task, round, scores, salt) {
  return blake2AsU8a(
    u8aConcat(
      stringToU8a('COHS'),
      exactly32('account', accountOf(who)),
      u32le(task),
      u32le(round),
      compactToU8a(scores.length),
      ...scores.map((s) => u32le(Number(s))),
      exactly32('salt', bytesOf(salt)),
    ),
    256,
  );
}

/**
 * The commitment aggregator `who` makes to the aggregate hash it computed in `round` of `task`
 * and the new model's validation metrics (`{ lossMicros, accuracyMicros }`, millionths).
 */
export function aggregateCommitment(who, task, round, aggregateHash, metrics, salt) {
  return blake2AsU8a(
    u8aConcat(
      stringToU8a('COHA'),
      exactly32('account', accountOf(who)),
      u32le(task),
      u32le(round),
      exactly32('aggregate hash', bytesOf(aggregateHash)),
      u32le(Number(metrics.lossMicros)),
      u32le(Number(metrics.accuracyMicros)),
      exactly32('salt', bytesOf(salt)),
    ),
    256,
  );
}
