// The JavaScript commitments the end-to-end tests send match the runtime's: the test vectors of
// pallets/primitives/src/commitment.rs (computed there independently, with Python's hashlib).
// No node needed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { aggregateCommitment, updateCommitment } from './lib/commitment.js';

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

test('aggregate commitments match the runtime vector and name the scores in order', () => {
  const base = aggregateCommitment(filled(1), 2, 3, filled(7), [5, 6], filled(4));
  assert.equal(u8aToHex(base), '0x6d19828abcf1bafd7f41ad3d4f8056745bac2b9016f4037b40f20fc00be3b636');
  assert.notEqual(u8aToHex(aggregateCommitment(filled(1), 2, 3, filled(7), [6, 5], filled(4))), u8aToHex(base));
  assert.notEqual(u8aToHex(aggregateCommitment(filled(9), 2, 3, filled(7), [5, 6], filled(4))), u8aToHex(base));
});
