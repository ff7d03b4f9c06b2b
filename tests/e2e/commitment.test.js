// The JavaScript commitments the end-to-end tests send match the runtime's: the test vectors of
// pallets/primitives/src/commitment.rs (computed there independently, with Python's hashlib).
// No node needed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { aggregateCommitment, scoresCommitment, updateCommitment } from './lib/commitment.js';

before(cryptoWaitReady);

const filled = (byte) => new Uint8Array(32).fill(byte);

test('update commitments match the runtime vector and name author, task, round, content and salt', () => {
  const base = updateCommitment(filled(1), 2, 3, stringToU8a('update'), filled(4));
  assert.equal(u8aToHex(base), '0xc9f9af69e93df212622f5f2733736087153a251a9bbd8f0827964e07f28890aa');
  const other = [
    updateCommitment(filled(9), 2, 3, stringToU8a('update'), filled(4)),
    updateCommitment(filled(1), 9, 3, stringToU8a('update'), filled(4)),
    updateCommitment(filled(1), 2, 9, stringToU8a('update'), filled(4)),
    updateCommitment(filled(1), 2, 3, stringToU8a('other'), filled(4)),
    updateCommitment(filled(1), 2, 3, stringToU8a('update'), filled(9)),
  ];
  other.forEach((c) => assert.notEqual(u8aToHex(c), u8aToHex(base)));
});

test('score commitments match the runtime vector and name author, task, round, scores in order and salt', () => {
  const base = scoresCommitment(filled(1), 2, 3, [5, 6], filled(4));
  assert.equal(u8aToHex(base), '0x2a25c86bade48560bac4391ca5ddfd61f4f92d7803c6a49a3f41807ea4ef7cec');
  const other = [
    scoresCommitment(filled(9), 2, 3, [5, 6], filled(4)),
    scoresCommitment(filled(1), 9, 3, [5, 6], filled(4)),
    scoresCommitment(filled(1), 2, 9, [5, 6], filled(4)),
    scoresCommitment(filled(1), 2, 3, [6, 5], filled(4)),
    scoresCommitment(filled(1), 2, 3, [5, 6, 0], filled(4)),
    scoresCommitment(filled(1), 2, 3, [5, 6], filled(9)),
  ];
  other.forEach((c) => assert.notEqual(u8aToHex(c), u8aToHex(base)));
});

test('aggregate commitments match the runtime vector and name the hash and both metrics', () => {
  const metrics = { lossMicros: 5, accuracyMicros: 6 };
  const base = aggregateCommitment(filled(1), 2, 3, filled(7), metrics, filled(4));
  assert.equal(u8aToHex(base), '0xbd4839c3ab5506245f5ab81f0f58f8f058a4a284e4614f267a171482db633aa4');
  const other = [
    aggregateCommitment(filled(9), 2, 3, filled(7), metrics, filled(4)),
    aggregateCommitment(filled(1), 2, 3, filled(0), metrics, filled(4)),
    aggregateCommitment(filled(1), 2, 3, filled(7), { lossMicros: 6, accuracyMicros: 5 }, filled(4)),
    aggregateCommitment(filled(1), 2, 3, filled(7), metrics, filled(9)),
  ];
  other.forEach((c) => assert.notEqual(u8aToHex(c), u8aToHex(base)));
});
