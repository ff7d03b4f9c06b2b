// Datasets and models as the ML engine defines them, for a test to evaluate a global model on
// its own, in plain JavaScript.
//
// Binary datasets (`.cohd`, offchain-workers/engine/src/dataset.rs), little-endian: "COHD",
// version 1, samples u32, features u32, classes u16, every sample's features as f32 row by row,
// then every label as u16. A task names its validation set by the BLAKE2-256 of these bytes.
//
// MLP parameters (offchain-workers/engine/src/model.rs, "flat layout"): for each dense layer, its
// weight [inputs × outputs] row-major (the weight from input i to output o at i·outputs + o),
// then its bias [outputs]; logits = (ReLU between layers, none after the last) x·W + b.
import assert from 'node:assert/strict';

const COHD_HEADER = 15;

/** A `.cohd` file's samples: `{ x: Float32Array[] , y: number[], features, classes }`. */
export function parseCohd(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), 'COHD');
  assert.equal(bytes[4], 1, 'version 1');
  const samples = view.getUint32(5, true);
  const features = view.getUint32(9, true);
  const classes = view.getUint16(13, true);
  assert.equal(bytes.length, COHD_HEADER + samples * features * 4 + samples * 2, 'the header counts the samples');
  const x = Array.from({ length: samples }, (_, n) =>
    Float32Array.from({ length: features }, (_, i) => view.getFloat32(COHD_HEADER + 4 * (n * features + i), true)));
  const labels = COHD_HEADER + samples * features * 4;
  const y = Array.from({ length: samples }, (_, n) => view.getUint16(labels + 2 * n, true));
  y.forEach((label) => assert.ok(label < classes));
  return { x, y, features, classes };
}

/** The `.cohd` bytes of samples `x` (arrays of numbers, stored as f32) with labels `y`. */
export function encodeCohd({ x, y, classes }) {
  const features = x[0].length;
  const bytes = new Uint8Array(COHD_HEADER + x.length * features * 4 + x.length * 2);
  const view = new DataView(bytes.buffer);
  bytes.set([0x43, 0x4f, 0x48, 0x44, 1], 0); // "COHD", version 1
  view.setUint32(5, x.length, true);
  view.setUint32(9, features, true);
  view.setUint16(13, classes, true);
  x.forEach((row, n) => row.forEach((v, i) => view.setFloat32(COHD_HEADER + 4 * (n * features + i), v, true)));
  const labels = COHD_HEADER + x.length * features * 4;
  y.forEach((label, n) => view.setUint16(labels + 2 * n, label, true));
  return bytes;
}

/** The parameters an MLP `{ input, hidden: [..], classes }` has in the flat layout. */
export function mlpParameterCount({ input, hidden, classes }) {
  const widths = [input, ...hidden, classes];
  return widths.slice(1).reduce((sum, out, l) => sum + widths[l] * out + out, 0);
}

/** The logits of the MLP with flat parameters `p` for one sample `x`. */
export function mlpForward({ input, hidden, classes }, p, x) {
  const widths = [input, ...hidden, classes];
  assert.equal(p.length, mlpParameterCount({ input, hidden, classes }), 'parameters fit the model');
  assert.equal(x.length, input, 'the sample fits the model');
  let activations = Array.from(x);
  let at = 0;
  for (let l = 1; l < widths.length; l += 1) {
    const [ins, outs] = [widths[l - 1], widths[l]];
    const bias = at + ins * outs;
    const next = new Array(outs);
    for (let o = 0; o < outs; o += 1) {
      let sum = p[bias + o];
      for (let i = 0; i < ins; i += 1) sum += activations[i] * p[at + i * outs + o];
      next[o] = l < widths.length - 1 ? Math.max(0, sum) : sum;
    }
    activations = next;
    at = bias + outs;
  }
  return activations;
}

/**
 * The model's validation accuracy (share of samples whose highest logit, the first on a tie, is
 * their label) and loss (mean cross-entropy), and both as the chain keeps them: millionths,
 * rounded to the nearest.
 */
export function evaluateMlp(spec, p, { x, y }) {
  let right = 0;
  let loss = 0;
  x.forEach((sample, n) => {
    const logits = mlpForward(spec, p, sample);
    const max = Math.max(...logits);
    if (logits.indexOf(max) === y[n]) right += 1;
    const logSum = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
    loss += logSum - logits[y[n]];
  });
  const accuracy = right / x.length;
  const meanLoss = loss / x.length;
  return {
    accuracy,
    loss: meanLoss,
    metrics: { lossMicros: Math.round(meanLoss * 1e6), accuracyMicros: Math.round(accuracy * 1e6) },
  };
}
