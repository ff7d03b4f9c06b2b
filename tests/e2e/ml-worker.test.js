// Federated learning for real: a dev node with the ML worker (`--dev --ml-worker`) hosts four
// simulated data owners (label-skewed digits) and three aggregators. The test creates a task
// through @polkadot/api and watches it run: every round must finalize on chain, and the global
// model the chain ends with, read from the block body and evaluated here in plain JavaScript on
// the validation set, must classify digits far better than chance (10%).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startNode, connect, nodeBinary } from './lib/node.js';
import { sendAndWait } from './lib/tx.js';

const UNIT = 10n ** 12n;
const SCALE = 1 << 16;
const ROUNDS = 5;
const HIDDEN = 32;

let node;
let api;
let dir;
let validation;

before(async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), 'cohort-ml-e2e-'));
  // The dev validation set, written by the node binary: its hash goes into the task.
  const csv = join(dir, 'validation.csv');
  const info = JSON.parse(execFileSync(nodeBinary(), ['ml-validation-set', '--out', csv], { encoding: 'utf8' }));
  const rows = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  validation = { hash: info.hash, x: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => r[r.length - 1]) };
  assert.equal(validation.x.length, info.samples);
  node = await startNode({ args: ['--dev', '--ml-worker'], name: 'ml-worker' });
  api = await connect(node.url);
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The bytes of a payload, from the block body at the position a PayloadRef names. */
async function fetchPayload(ref) {
  const hash = await api.rpc.chain.getBlockHash(ref.block);
  const block = await api.rpc.chain.getBlock(hash);
  const xt = block.block.extrinsics[ref.extrinsicIndex.toNumber()];
  const { method, args } = xt.method;
  assert.equal(method, 'submitAggregate');
  const bytes = args[4].unwrap().toU8a(true);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), ref.hash_.toHex(), 'payload matches its hash');
  return bytes;
}

/** Real parameters from a payload: i32 little-endian after the 21-byte header, over the scale. */
function parameters(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint32(17, true), SCALE);
  return Array.from({ length: view.getUint32(13, true) }, (_, i) => view.getInt32(21 + 4 * i, true) / SCALE);
}

/**
 * Accuracy of the MLP 64 → 32 → 10 with flat parameters `p` (docs/ml-worker.md: W1 [64 × 32]
 * row-major, b1, W2 [32 × 10], b2; logits = relu(x·W1 + b1)·W2 + b2).
 */
function accuracy(p) {
  const [inputs, classes] = [64, 10];
  const w1 = 0;
  const b1 = w1 + inputs * HIDDEN;
  const w2 = b1 + HIDDEN;
  const b2 = w2 + HIDDEN * classes;
  assert.equal(p.length, b2 + classes);
  let right = 0;
  validation.x.forEach((x, n) => {
    const h = Array.from({ length: HIDDEN }, (_, j) => Math.max(0, x.reduce((s, xi, i) => s + xi * p[w1 + i * HIDDEN + j], p[b1 + j])));
    const logits = Array.from({ length: classes }, (_, c) => h.reduce((s, hj, j) => s + hj * p[w2 + j * classes + c], p[b2 + c]));
    if (logits.indexOf(Math.max(...logits)) === validation.y[n]) right += 1;
  });
  return right / validation.x.length;
}

/** Polls the round through the runtime API at the finalized head until it is decided. */
async function finalizedRound(task, round, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await api.at(await api.rpc.chain.getFinalizedHead());
    const record = await at.call.federatedApi.round(task, round);
    if (record.isSome && (record.unwrap().phase.isFinalized || record.unwrap().phase.isFailed)) return record.unwrap();
    if (Date.now() > deadline) throw new Error(`round ${round} of task ${task} was not decided in time`);
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

test('simulated data owners train a digits model through the chain, round after round', async () => {
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  const spec = {
    model: { Mlp: { input: 64, hidden: [HIDDEN], classes: 10 } },
    initialModel: { Seed: 7 },
    training: { epochs: 5, batchSize: 16, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: SCALE,
    aggregation: 'WeightedMean',
    rounds: ROUNDS,
    minTrainers: 4,
    maxTrainers: 4,
    aggregators: 2,
    quorum: 2,
    phases: { commit: 20, reveal: 10, aggregate: 20 },
    maxPayloadBytes: 64 * 1024,
    rewardPerRound: 100n * UNIT,
    aggregatorShare: 200_000_000,
    penalty: 100_000_000,
    validationSet: validation.hash,
  };
  const created = await sendAndWait(api, api.tx.federated.createTask(spec), alice);
  assert.equal(created.error, null);
  const task = created.events.find(({ event }) => event.method === 'TaskCreated').event.data.task.toNumber();

  const accuracies = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const record = await finalizedRound(task, round);
    assert.ok(record.phase.isFinalized, `round ${round} finalized (not ${record.phase.type})`);
    assert.equal(record.trainers.length, 4, 'all four simulated owners trained');
    record.trainers.forEach((t) => assert.ok(t.update.isSome && t.score.isSome));
    const global = await fetchPayload(record.aggregates.find((a) => a.hash_.eq(record.phase.asFinalized.aggregate)));
    accuracies.push(accuracy(parameters(global)));
  }
  console.log(`validation accuracy of the on-chain global model, by round: ${accuracies.map((a) => (100 * a).toFixed(1) + '%').join(', ')}`);
  assert.ok(accuracies[ROUNDS - 1] > 0.5, `accuracy ${accuracies[ROUNDS - 1]} is well above chance (0.1)`);
  assert.ok(accuracies[ROUNDS - 1] > accuracies[0], 'federated rounds improved the model');

  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.ok(info.status.isFinished, 'the task finished its rounds');
});
