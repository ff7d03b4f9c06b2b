// Federated-learning rounds on a real dev node, by hand-made extrinsics from @polkadot/api:
// a task owner creates a task, two trainers and two aggregators join, and they commit, reveal
// and aggregate for two rounds, reading what to do and where payloads are from the
// FederatedApi runtime API; the finished rounds are read back through that API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aConcat, u8aToHex, hexToU8a } from '@polkadot/util';
import { startNode, connect } from './lib/node.js';
import { feePaid, sendAndWait } from './lib/tx.js';

const UNIT = 10n ** 12n;
const SCALE = 1 << 16;
const PARAMS = 6; // Mlp { input: 2, hidden: [], classes: 2 }: 2*2 weights + 2 biases
const REWARD = 100n * UNIT;

let node;
let api;
let k;
/** Fees each account paid, by address, from the events of its transactions. */
const fees = new Map();

/** `sendAndWait`, remembering the fee the signer paid. */
async function send(tx, signer) {
  const result = await sendAndWait(api, tx, signer);
  fees.set(signer.address, (fees.get(signer.address) ?? 0n) + feePaid(result.events, signer));
  return result;
}

before(async () => {
  await cryptoWaitReady();
  node = await startNode({ args: ['--dev'], name: 'federated' });
  api = await connect(node.url);
  const keyring = new Keyring({ type: 'sr25519' });
  k = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve'].map((n) => [n.toLowerCase(), keyring.addFromUri(`//${n}`)]));
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

/** A payload: the 21-byte header, then the parameters as i32 little-endian. */
function payload(kind, task, round, values) {
  const bytes = new Uint8Array(21 + 4 * values.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x43, 0x4f, 0x48, 0x50], 0); // "COHP"
  view.setUint8(4, kind);
  view.setUint32(5, task, true);
  view.setUint32(9, round, true);
  view.setUint32(13, values.length, true);
  view.setUint32(17, SCALE, true);
  values.forEach((v, i) => view.setInt32(21 + 4 * i, v, true));
  return bytes;
}

function paramsOf(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: view.getUint32(13, true) }, (_, i) => view.getInt32(21 + 4 * i, true));
}

const duties = async (who) => (await api.call.federatedApi.duties(who.address)).toArray();

/** Polls the runtime API once per new block until `who` has a duty of `kind`. */
async function waitForDuty(who, kind, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await duties(who)).find((d) => d[`is${kind}`]);
    if (found) return found[`as${kind}`];
    if (Date.now() > deadline) throw new Error(`no ${kind} duty for ${who.address}`);
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

/**
 * Reads a payload from the block body at the position a PayloadRef names, checking its hash.
 * (polkadot.js names the `hash` field `hash_`: `hash` is every codec's own hash.)
 */
async function fetchPayload(ref) {
  const hash = await api.rpc.chain.getBlockHash(ref.block);
  const block = await api.rpc.chain.getBlock(hash);
  const xt = block.block.extrinsics[ref.extrinsicIndex.toNumber()];
  const { method, args } = xt.method;
  const bytes = method === 'revealUpdate' ? args[2].toU8a(true) : args[4].unwrap().toU8a(true);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), ref.hash_.toHex(), 'payload matches its hash');
  assert.equal(bytes.length, ref.len.toNumber());
  return bytes;
}

const eventsOf = (events, method) => events.filter(({ event }) => event.section === 'federated' && event.method === method);

async function runRound(task, round, expectedGlobal) {
  const trainers = [k.bob, k.charlie];
  const aggregators = [k.dave, k.eve];

  // Commit: each trainer learns its duty, "trains" and commits hash(update ++ salt).
  const secrets = new Map();
  await Promise.all(trainers.map(async (who, i) => {
    const duty = await waitForDuty(who, 'Train');
    assert.equal(duty.task.toNumber(), task);
    assert.equal(duty.round.toNumber(), round);
    if (expectedGlobal) assert.equal(duty.globalModel.unwrap().hash_.toHex(), expectedGlobal);
    else assert.ok(duty.globalModel.isNone, 'the first round starts from the initial model');
    const base = expectedGlobal ? paramsOf(await fetchPayload(duty.globalModel.unwrap())) : new Array(PARAMS).fill(0);
    const update = payload(0, task, round, base.map((v, j) => v + (i + 1) * 1000 + j));
    const salt = blake2AsU8a(`${who.address}/${task}/${round}`, 256);
    secrets.set(who.address, { update, salt });
    const { error } = await send(api.tx.federated.commitUpdate(task, round, blake2AsU8a(u8aConcat(update, salt), 256)), who);
    assert.equal(error, null);
  }));

  // Reveal.
  await Promise.all(trainers.map(async (who) => {
    const duty = await waitForDuty(who, 'Reveal');
    const { update, salt } = secrets.get(who.address);
    assert.equal(duty.commitment.toHex(), u8aToHex(blake2AsU8a(u8aConcat(update, salt), 256)));
    const { error, events } = await send(api.tx.federated.revealUpdate(task, round, u8aToHex(update), salt), who);
    assert.equal(error, null);
    assert.equal(eventsOf(events, 'UpdateRevealed').length, 1);
  }));

  // Aggregate: read the updates where the runtime API says they are, average them, score them.
  const duty = await waitForDuty(k.dave, 'Aggregate');
  const updates = await Promise.all(duty.updates.map(([, ref]) => fetchPayload(ref)));
  assert.equal(updates.length, 2);
  const params = updates.map(paramsOf);
  const mean = params[0].map((_, j) => Math.floor(params.reduce((s, p) => s + p[j], 0) / params.length));
  const aggregate = payload(1, task, round, mean);
  const aggregateHash = blake2AsU8a(aggregate, 256);
  const scores = [600_000, 200_000];
  const first = await sendAndWait(api, api.tx.federated.submitAggregate(task, round, aggregateHash, scores, u8aToHex(aggregate)), aggregators[0]);
  assert.equal(first.error, null);
  await waitForDuty(aggregators[1], 'Aggregate');
  const second = await sendAndWait(api, api.tx.federated.submitAggregate(task, round, aggregateHash, scores, null), aggregators[1]);
  assert.equal(second.error, null);
  const [finalized] = eventsOf(second.events, 'RoundFinalized');
  assert.ok(finalized, 'the second agreeing aggregator finalizes the round');
  assert.equal(finalized.event.data.aggregate.toHex(), u8aToHex(aggregateHash));
  assert.equal(finalized.event.data.paid.toBigInt(), REWARD);
  assert.equal(eventsOf(second.events, 'Rewarded').length, 4);
  return u8aToHex(aggregateHash);
}

test('a task runs two rounds by hand-made extrinsics and its finished rounds read back through the runtime API', async () => {
  const spec = {
    model: { Mlp: { input: 2, hidden: [], classes: 2 } },
    initialModel: { Seed: 42 },
    training: { epochs: 1, batchSize: 8, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: SCALE,
    aggregation: 'WeightedMean',
    rounds: 2,
    minTrainers: 2,
    maxTrainers: 2,
    aggregators: 2,
    quorum: 2,
    phases: { commit: 30, reveal: 30, aggregate: 30 },
    maxPayloadBytes: 1024,
    rewardPerRound: REWARD,
    aggregatorShare: 250_000_000, // Perbill: 25%
    penalty: 100_000_000,
    validationSet: u8aToHex(new Uint8Array(32).fill(7)),
  };
  const created = await sendAndWait(api, api.tx.federated.createTask(spec), k.alice);
  assert.equal(created.error, null);
  const [{ event: createdEvent }] = eventsOf(created.events, 'TaskCreated');
  const task = createdEvent.data.task.toNumber();
  assert.equal(createdEvent.data.budget.toBigInt(), 2n * REWARD);

  // A bad spec is refused with the pallet's error.
  const bad = await sendAndWait(api, api.tx.federated.createTask({ ...spec, quorum: 1 }), k.alice);
  assert.deepEqual(bad.error, { section: 'federated', name: 'InvalidQuorum' });

  const bobBefore = (await api.query.system.account(k.bob.address)).data.free.toBigInt();
  await Promise.all([
    send(api.tx.federated.join(task, { Trainer: { dataset: 1 } }, 10n * UNIT), k.bob),
    send(api.tx.federated.join(task, { Trainer: { dataset: 2 } }, 10n * UNIT), k.charlie),
    send(api.tx.federated.join(task, 'Aggregator', 20n * UNIT), k.dave),
    send(api.tx.federated.join(task, 'Aggregator', 20n * UNIT), k.eve),
  ]).then((results) => results.forEach((r) => assert.equal(r.error, null)));
  const memberships = (await api.call.federatedApi.memberships(k.bob.address)).toArray();
  assert.equal(memberships.length, 1);
  assert.equal(memberships[0].task.toNumber(), task);

  const global0 = await runRound(task, 0, null);
  const global1 = await runRound(task, 1, global0);
  assert.notEqual(global1, global0);

  // The finished rounds, read back through the runtime API.
  let bobRewards = 0n;
  for (const [round, hash] of [[0, global0], [1, global1]]) {
    const record = (await api.call.federatedApi.round(task, round)).unwrap();
    assert.ok(record.phase.isFinalized, `round ${round} is finalized`);
    assert.equal(record.phase.asFinalized.aggregate.toHex(), hash);
    // Scores are the (agreeing) aggregators' scores, in the round's order of updates.
    assert.deepEqual(record.trainers.map((t) => t.score.unwrap().toNumber()), [600_000, 200_000]);
    assert.deepEqual(record.trainers.map((t) => t.reward.toBigInt()), [REWARD * 3n / 4n * 3n / 4n, REWARD * 3n / 4n / 4n]);
    assert.deepEqual(record.aggregators.map((a) => a.reward.toBigInt()), [REWARD / 8n, REWARD / 8n]);
    bobRewards += record.trainers.find((t) => t.who.toString() === k.bob.address).reward.toBigInt();
    const aggregateAt = record.aggregates[0];
    assert.equal(aggregateAt.hash_.toHex(), hash);
    const bytes = await fetchPayload(aggregateAt);
    assert.equal(paramsOf(bytes).length, PARAMS);
  }
  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.ok(info.status.isFinished);
  assert.equal(info.nextRound.toNumber(), 2);
  assert.equal(info.globalModel.unwrap().hash_.toHex(), global1);
  assert.equal(info.budget.toBigInt(), 0n);
  assert.equal((await duties(k.bob)).length, 0, 'nothing left to do');

  // Bob's bond is still held; his balance moved by exactly the bond, his rewards and his fees.
  const bobAfter = (await api.query.system.account(k.bob.address)).data;
  assert.equal(bobAfter.reserved.toBigInt(), 10n * UNIT, 'the bond is still held');
  assert.ok(fees.get(k.bob.address) > 0n);
  assert.equal(bobAfter.free.toBigInt(), bobBefore - 10n * UNIT + bobRewards - fees.get(k.bob.address));

  const left = await sendAndWait(api, api.tx.federated.leave(task), k.bob);
  assert.equal(left.error, null);
  assert.equal((await api.query.system.account(k.bob.address)).data.reserved.toBigInt(), 0n);
});
