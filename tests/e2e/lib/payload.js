// Payloads as the chain checks them (pallets/primitives/src/payload.rs): a 25-byte header, then
// the model's parameters as fixed-point i32 little-endian.
//
//   0..4    "COHP"
//   4       kind: 0 an update, 1 an aggregate, 2 an initial model
//   5..9    task u32 LE          9..13   round u32 LE (both 0 in an initial model)
//   13..17  parameter count u32 LE
//   17..21  fixed-point scale u32 LE (a parameter p travels as round(p * scale))
//   21..25  samples trained on u32 LE (an update's weight: 1..=maxSamples; an aggregate: 0)
//   25..    the parameters, i32 LE
import assert from 'node:assert/strict';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';

export const HEADER_LEN = 25;
export const UPDATE = 0;
export const AGGREGATE = 1;
export const INITIAL = 2;

/** The bytes of a payload of `kind` carrying the integer `values`. */
export function encodePayload({ kind, task, round, scale, samples = 0 }, values) {
  const bytes = new Uint8Array(HEADER_LEN + 4 * values.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x43, 0x4f, 0x48, 0x50], 0); // "COHP"
  view.setUint8(4, kind);
  view.setUint32(5, task, true);
  view.setUint32(9, round, true);
  view.setUint32(13, values.length, true);
  view.setUint32(17, scale, true);
  view.setUint32(21, samples, true);
  values.forEach((v, i) => view.setInt32(HEADER_LEN + 4 * i, v, true));
  return bytes;
}

/** A payload's header fields and its integer parameters; throws on a malformed one. */
export function decodePayload(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.ok(bytes.length >= HEADER_LEN, 'a payload has a header');
  assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), 'COHP');
  const count = view.getUint32(13, true);
  assert.equal(bytes.length, HEADER_LEN + 4 * count, 'the header counts the parameters');
  return {
    kind: view.getUint8(4),
    task: view.getUint32(5, true),
    round: view.getUint32(9, true),
    scale: view.getUint32(17, true),
    samples: view.getUint32(21, true),
    values: Array.from({ length: count }, (_, i) => view.getInt32(HEADER_LEN + 4 * i, true)),
  };
}

/** Real numbers from fixed-point ones. */
export const dequantize = (values, scale) => values.map((v) => v / scale);

/**
 * The payload a `PayloadRef` points at, read from the block body (the argument of the
 * `revealUpdate`, `revealAggregate` or `publishInitialModel` extrinsic at `extrinsicIndex` in
 * block `block`), checked
 * against the hash and length the chain keeps.
 */
export async function payloadAt(api, ref) {
  const hash = await api.rpc.chain.getBlockHash(ref.block);
  const block = await api.rpc.chain.getBlock(hash);
  const xt = block.block.extrinsics[ref.extrinsicIndex.toNumber()];
  assert.ok(xt, `block #${ref.block} has extrinsic ${ref.extrinsicIndex}`);
  const { section, method, args } = xt.method;
  assert.equal(section, 'federated');
  let bytes;
  if (method === 'revealUpdate') bytes = args[2].toU8a(true);
  else if (method === 'revealAggregate') bytes = args[5].unwrap().toU8a(true);
  else if (method === 'publishInitialModel') bytes = args[1].toU8a(true);
  else assert.fail(`a payload is in federated.${method}`);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), ref.payloadHash.toHex(), 'the payload matches its hash');
  assert.equal(bytes.length, ref.len.toNumber(), 'the payload has its length');
  return bytes;
}
