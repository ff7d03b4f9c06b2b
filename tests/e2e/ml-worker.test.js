// Federated learning for real: a dev node with the ML worker (`--dev --ml-worker`) hosts four
// simulated data owners (label-skewed digits) and three aggregators and, with
// `--ml-dev-cheaters` (used whenever the node has it), a trainer that copies another's
// commitment and update and a lazy aggregator that copies another's result. The test creates a
// task through @polkadot/api and watches it run: every round must finalize on chain; the global
// model the chain ends with, read from the block body and evaluated here in plain JavaScript on
// the validation set, must classify digits far better than chance (10%); and the cheaters'
// reveals must be refused with the pallet's errors, the cheaters slashed and never paid, while
// the honest owners and aggregators are paid.
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
import { eventsIn, failuresIn, recordBlocks } from './lib/blocks.js';

const UNIT = 10n ** 12n;
const SCALE = 1 << 16;
const ROUNDS = 4;
const HIDDEN = 32;
const CHEATERS_FLAG = '--ml-dev-cheaters';

// The dev keys of offchain-workers/worker/src/dev.rs.
const OWNERS = ['//Charlie', '//Dave', '//Eve', '//Ferdie'];
const AGGREGATORS = ['//Alice//stash', '//Bob//stash', '//Charlie//stash'];
const COPIER = '//Dave//stash';
const LAZY = '//Eve//stash';

let node;
let api;
let dir;
let validation;
let recorder;
/** Whether the node runs the dev cheaters (it has the flag, and COHORT_E2E_CHEATERS is not 0). */
let cheaters = false;
/** Address → dev key URI, for messages; filled in `before`. */
const uriOf = new Map();
const addressOf = {};
/** The task the first test creates and runs. */
let task = null;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  for (const uri of [...OWNERS, ...AGGREGATORS, COPIER, LAZY]) {
    addressOf[uri] = keyring.addFromUri(uri).address;
    uriOf.set(addressOf[uri], uri);
  }
  const help = execFileSync(nodeBinary(), ['--help'], { encoding: 'utf8' });
  cheaters = help.includes(CHEATERS_FLAG) && process.env.COHORT_E2E_CHEATERS !== '0';

  dir = mkdtempSync(join(tmpdir(), 'cohort-ml-e2e-'));
  // The dev validation set, written by the node binary: its hash goes into the task.
  const csv = join(dir, 'validation.csv');
  const info = JSON.parse(execFileSync(nodeBinary(), ['ml-validation-set', '--out', csv], { encoding: 'utf8' }));
  const rows = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  validation = { hash: info.hash, x: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => r[r.length - 1]) };
  assert.equal(validation.x.length, info.samples);
  node = await startNode({ args: ['--dev', '--ml-worker', ...(cheaters ? [CHEATERS_FLAG] : [])], name: 'ml-worker' });
  api = await connect(node.url);
  recorder = recordBlocks(api);
});

after(async () => {
  await recorder?.stop().catch(() => {});
  await api?.disconnect();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The bytes of an aggregate, from the block body at the position a PayloadRef names. */
async function fetchPayload(ref) {
  const hash = await api.rpc.chain.getBlockHash(ref.block);
  const block = await api.rpc.chain.getBlock(hash);
  const xt = block.block.extrinsics[ref.extrinsicIndex.toNumber()];
  const { method, args } = xt.method;
  assert.equal(method, 'revealAggregate');
  const bytes = args[5].unwrap().toU8a(true);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), ref.payloadHash.toHex(), 'payload matches its hash');
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
async function finalizedRound(round, timeoutMs = 300_000) {
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
    // With the cheaters (the demo task's shape, offchain-workers/worker/src/dev.rs): every
    // trainer is selected and the four honest ones suffice; every aggregator is selected and
    // the three honest ones are a quorum. The cheaters never reveal validly, so both reveal
    // phases run to their end: they are short.
    ...(cheaters
      ? { minTrainers: 4, maxTrainers: 5, aggregators: 4, quorum: 3, phases: { commit: 20, reveal: 3, aggregate: 20, aggregateReveal: 3 } }
      : { minTrainers: 4, maxTrainers: 4, aggregators: 2, quorum: 2, phases: { commit: 20, reveal: 10, aggregate: 20, aggregateReveal: 10 } }),
    maxPayloadBytes: 64 * 1024,
    rewardPerRound: 100n * UNIT,
    aggregatorShare: 200_000_000,
    penalty: 100_000_000,
    validationSet: validation.hash,
  };
  const created = await sendAndWait(api, api.tx.federated.createTask(spec), alice);
  assert.equal(created.error, null);
  task = created.events.find(({ event }) => event.method === 'TaskCreated').event.data.task.toNumber();

  const honestOwners = new Set(OWNERS.map((u) => addressOf[u]));
  const accuracies = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const record = await finalizedRound(round);
    assert.ok(record.phase.isFinalized, `round ${round} finalized (not ${record.phase.type})`);
    // Every trainer is selected (the copier may have joined a block after round 0 started).
    const trainers = cheaters && round > 0 ? [5] : cheaters ? [4, 5] : [4];
    assert.ok(trainers.includes(record.trainers.length), `round ${round}: every trainer was selected`);
    for (const t of record.trainers) {
      const who = t.who.toString();
      if (honestOwners.has(who)) assert.ok(t.update.isSome && t.score.isSome, `${uriOf.get(who)} trained and was scored`);
      else assert.ok(t.update.isNone && t.score.isNone && t.reward.isZero(), `${uriOf.get(who) ?? who}'s update was not accepted`);
    }
    const aggregate = record.phase.asFinalized.aggregate;
    const summary = (await api.call.federatedApi.roundSummary(task, round)).unwrap();
    assert.ok(summary.outcome.isFinalized && summary.outcome.asFinalized.aggregate.eq(aggregate), 'the summary has the outcome');
    assert.equal(summary.updates.toNumber(), 4);
    const global = await fetchPayload(record.aggregates.find((a) => a.payloadHash.eq(aggregate)));
    accuracies.push(accuracy(parameters(global)));
  }
  console.log(`validation accuracy of the on-chain global model, by round: ${accuracies.map((a) => (100 * a).toFixed(1) + '%').join(', ')}`);
  assert.ok(accuracies[ROUNDS - 1] > 0.5, `accuracy ${accuracies[ROUNDS - 1]} is well above chance (0.1)`);
  assert.ok(accuracies[ROUNDS - 1] > accuracies[0], 'federated rounds improved the model');

  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.ok(info.status.isFinished, 'the task finished its rounds');
});

test('the copying trainer and the lazy aggregator are refused, slashed and never paid; the honest ones are paid', async (t) => {
  if (!cheaters) {
    t.skip(`the node has no ${CHEATERS_FLAG} (or COHORT_E2E_CHEATERS=0)`);
    return;
  }
  assert.notEqual(task, null, 'the task of the first test ran');
  const blocks = await recorder.stop();
  const ofTask = (section, method) => eventsIn(blocks, section, method).filter(({ data }) => data.task.toNumber() === task);
  const name = (address) => uriOf.get(address) ?? address;
  const [copier, lazy] = [addressOf[COPIER], addressOf[LAZY]];

  // Both cheaters joined, and were selected in every round (the copier from round 1 on at
  // least: it may have joined a block after round 0 started).
  const joined = Object.fromEntries(ofTask('federated', 'Joined').map(({ data }) => [data.who.toString(), data.bond.toBigInt()]));
  assert.ok(joined[copier] && joined[lazy], 'the cheaters joined the task');
  const started = ofTask('federated', 'RoundStarted');
  assert.equal(started.length, ROUNDS);
  const selected = started.map(({ data }) => new Set([...data.trainers, ...data.aggregators].map((w) => w.toString())));
  selected.forEach((s, round) => {
    assert.ok(round === 0 || s.has(copier), `the copier was selected in round ${round}`);
    assert.ok(s.has(lazy), `the lazy aggregator was selected in round ${round}`);
  });

  // Their reveals were refused with the pallet's errors, read from the blocks' ExtrinsicFailed
  // events; nobody honest was ever refused for a cheater's doing.
  const failures = failuresIn(blocks);
  console.log(`refused extrinsics: ${failures.map((f) => `#${f.block} ${name(f.signer)} ${f.method}: ${f.error.section}.${f.error.name ?? JSON.stringify(f.error)}`).join('; ')}`);
  const refusedBy = (who, method) => failures.filter((f) => f.signer === who && f.method === method);
  const copierRefusals = refusedBy(copier, 'revealUpdate');
  assert.ok(copierRefusals.length > 0, 'the copier revealed a copied update');
  copierRefusals.forEach((f) => assert.ok(f.error.section === 'federated' && ['CommitmentMismatch', 'DuplicateUpdate', 'NotCommitted'].includes(f.error.name), `the copier's reveal was refused with ${JSON.stringify(f.error)}`));
  const lazyRefusals = refusedBy(lazy, 'revealAggregate');
  assert.ok(lazyRefusals.length > 0, 'the lazy aggregator revealed a copied result');
  lazyRefusals.forEach((f) => assert.ok(f.error.section === 'federated' && ['CommitmentMismatch', 'NotCommitted'].includes(f.error.name), `the lazy aggregator's reveal was refused with ${JSON.stringify(f.error)}`));
  failures
    .filter((f) => f.signer === copier || f.signer === lazy)
    .forEach((f) => assert.equal(f.error.section, 'federated', `the cheaters' refusals are the pallet's: ${JSON.stringify(f)}`));
  failures
    .filter((f) => f.signer !== copier && f.signer !== lazy)
    .forEach((f) => assert.ok(!['CommitmentMismatch', 'DuplicateUpdate', 'NotCommitted'].includes(f.error.name), `${name(f.signer)} was refused: ${JSON.stringify(f)}`));

  // In every round both cheaters were slashed for not revealing (or not committing) and nobody
  // else was; every honest aggregator and no cheater was paid; the honest owners were paid by
  // their scores.
  const slashed = ofTask('federated', 'Slashed');
  const rewarded = ofTask('federated', 'Rewarded');
  let copierSlashed = 0n;
  let lazySlashed = 0n;
  for (let round = 0; round < ROUNDS; round += 1) {
    const inRound = (events) => events.filter(({ data }) => data.round.toNumber() === round);
    const slashes = Object.fromEntries(inRound(slashed).map(({ data }) => [data.who.toString(), data.offence.type]));
    const cheating = [copier, lazy].filter((who) => selected[round].has(who));
    assert.deepEqual(Object.keys(slashes).sort(), cheating.sort(), `round ${round}: exactly the cheaters are slashed`);
    if (selected[round].has(copier)) assert.ok(['NoCommit', 'NoReveal'].includes(slashes[copier]), `round ${round}: the copier is slashed for ${slashes[copier]}`);
    assert.ok(['NoAggregate', 'NoAggregateReveal'].includes(slashes[lazy]), `round ${round}: the lazy aggregator is slashed for ${slashes[lazy]}`);
    inRound(slashed).forEach(({ data }) => {
      if (data.who.toString() === copier) copierSlashed += data.amount.toBigInt();
      else lazySlashed += data.amount.toBigInt();
    });

    const paid = new Map(inRound(rewarded).map(({ data }) => [data.who.toString(), data.amount.toBigInt()]));
    assert.ok(!paid.has(copier) && !paid.has(lazy), `round ${round}: no cheater is paid`);
    AGGREGATORS.forEach((uri) => assert.ok(paid.get(addressOf[uri]) > 0n, `round ${round}: ${uri} is paid for aggregating`));
    assert.ok(OWNERS.some((uri) => paid.get(addressOf[uri]) > 0n), `round ${round}: the honest owners are paid`);
    [...paid.keys()].forEach((who) => assert.ok(uriOf.has(who), `round ${round}: only dev participants are paid`));
    const [finalized] = ofTask('federated', 'RoundFinalized').filter(({ data }) => data.round.toNumber() === round);
    assert.equal(finalized.data.agreeing.toNumber(), AGGREGATORS.length, `round ${round}: the honest aggregators agree`);
    assert.equal(finalized.data.paid.toBigInt(), [...paid.values()].reduce((s, v) => s + v, 0n));
  }

  // What is left of the cheaters' bonds is what they joined with, less what was slashed.
  for (const [who, lost] of [[copier, copierSlashed], [lazy, lazySlashed]]) {
    const participant = (await api.query.federated.participants(task, who)).unwrap();
    assert.ok(lost > 0n);
    assert.equal(participant.bond.toBigInt(), joined[who] - lost, `${name(who)} lost ${lost} of its bond`);
  }
});
