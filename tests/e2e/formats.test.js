// The test's own readers of the engine's formats agree with the engine: payloads, `.cohd`
// datasets and the MLP's flat parameter layout, on the cases the Rust tests use. No node needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATE, UPDATE, decodePayload, dequantize, encodePayload } from './lib/payload.js';
import { encodeCohd, evaluateMlp, mlpForward, mlpParameterCount, parseCohd } from './lib/model.js';

test('payloads: the 25-byte header with samples, then i32 parameters', () => {
  const bytes = encodePayload({ kind: UPDATE, task: 7, round: 3, scale: 1 << 16, samples: 90 }, [1, -1]);
  assert.equal(bytes.length, 25 + 8);
  assert.deepEqual([...bytes.subarray(0, 5)], [0x43, 0x4f, 0x48, 0x50, 0]);
  assert.deepEqual([...bytes.subarray(21, 25)], [90, 0, 0, 0], 'samples at 21..25');
  assert.deepEqual([...bytes.subarray(25, 29)], [1, 0, 0, 0], 'parameters from 25');
  assert.deepEqual([...bytes.subarray(29, 33)], [0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(decodePayload(bytes), { kind: UPDATE, task: 7, round: 3, scale: 1 << 16, samples: 90, values: [1, -1] });
  const aggregate = decodePayload(encodePayload({ kind: AGGREGATE, task: 1, round: 0, scale: 4 }, [8, -2]));
  assert.equal(aggregate.samples, 0);
  assert.deepEqual(dequantize(aggregate.values, aggregate.scale), [2, -0.5]);
  assert.throws(() => decodePayload(bytes.subarray(0, bytes.length - 1)));
});

test('.cohd datasets round-trip', () => {
  const set = { x: [[0.5, 1], [-2, 0.25], [3, 4]], y: [1, 0, 2], classes: 3 };
  const bytes = encodeCohd(set);
  assert.equal(bytes.length, 15 + 3 * 2 * 4 + 3 * 2);
  const back = parseCohd(bytes);
  assert.deepEqual(back.x.map((r) => Array.from(r)), set.x);
  assert.deepEqual(back.y, set.y);
  assert.equal(back.features, 2);
  assert.equal(back.classes, 3);
  assert.throws(() => parseCohd(bytes.subarray(0, bytes.length - 2)));
});

test('the MLP evaluates as the engine does (its evaluation_counts_right_answers case)', () => {
  // One input, two classes, no hidden layer; logits (x, -x): class 0 when x > 0.
  const spec = { input: 1, hidden: [], classes: 2 };
  assert.equal(mlpParameterCount(spec), 4);
  const data = { x: [[1], [2], [-1], [3]], y: [0, 0, 1, 1] };
  const { accuracy, loss, metrics } = evaluateMlp(spec, [1, -1, 0, 0], data);
  assert.equal(accuracy, 0.75);
  const expected = [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-4)), Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(6))];
  assert.ok(Math.abs(loss - expected.reduce((s, v) => s + v, 0) / 4) < 1e-9);
  assert.equal(metrics.accuracyMicros, 750_000);

  // 64 → 32 → 10: W1 [64 × 32] row-major, b1, W2 [32 × 10], b2 (the digits model).
  const digits = { input: 64, hidden: [32], classes: 10 };
  assert.equal(mlpParameterCount(digits), 64 * 32 + 32 + 32 * 10 + 10);
  const p = new Array(mlpParameterCount(digits)).fill(0);
  p[5 * 32 + 7] = 2; // input 5 → hidden 7
  p[64 * 32 + 7] = -1; // bias of hidden 7
  p[64 * 32 + 32 + 7 * 10 + 3] = 1.5; // hidden 7 → class 3
  p[64 * 32 + 32 + 32 * 10 + 9] = 0.5; // bias of class 9
  const x = new Array(64).fill(0);
  x[5] = 1;
  assert.deepEqual(mlpForward(digits, p, x), [0, 0, 0, 1.5, 0, 0, 0, 0, 0, 0.5]);
  x[5] = 0.25; // ReLU: hidden 7 is max(0, 0.5 - 1) = 0
  assert.deepEqual(mlpForward(digits, p, x), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5]);
});
