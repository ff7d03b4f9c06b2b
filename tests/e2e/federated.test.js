// Federated-learning rounds on a real dev node, by hand-made extrinsics from @polkadot/api, as
// honest participants and as attackers would send them. A task owner creates a task; two
// trainers and three aggregators join with the task's minimum bonds and run round 0 honestly:
// trainers commit (a commitment bound to their account, the task and the round) and reveal,
// aggregators commit to the aggregate and their scores, then reveal them. In round 1 three
// attackers take part: a trainer that copies another's commitment and reveals the victim's
// update with the victim's salt, a second account revealing an update identical to another's,
// and an aggregator that commits to nothing and reveals another's result. The chain refuses all
// three with the pallet's errors, slashes them and pays them nothing, and pays the honest ones.
// Everything is read back through the FederatedApi runtime API and the blocks' events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startNode, connect } from './lib/node.js';
import { extrinsicFailures, feePaid, sendAndWait } from './lib/tx.js';
import { aggregateCommitment, updateCommitment } from './lib/commitment.js';
import { eventsIn, failuresIn, recordBlocks } from './lib/blocks.js';

const UNIT = 10n ** 12n;
const BILLION = 1_000_000_000n;
const SCALE = 1 << 16;
const PARAMS = 6; // Mlp { input: 2, hidden: [], classes: 2 }: 2*2 weights + 2 biases
const REWARD = 100n * UNIT;
const AGGREGATOR_SHARE = 250_000_000n; // Perbill: 25%
const PENALTY = 100_000_000n; // Perbill: 10%

let node;
let api;
let recorder;
/** Key pairs by name; `nameOf` the other way round, by address. */
let k;
let nameOf;
/** Fees each account paid, by address, from the events of its transactions. */
const fees = new Map();

before(async () => {
  await cryptoWaitReady();
  node = await startNode({ args: ['--dev'], name: 'federated' });
  api = await connect(node.url);
  const keyring = new Keyring({ type: 'sr25519' });
  const uris = {
    alice: '//Alice', // the task owner
    bob: '//Bob', // trainers
    charlie: '//Charlie',
    dave: '//Dave', // aggregators
    eve: '//Eve',
    lazy: '//Alice//stash', // an aggregator: honest in round 0, lazy in round 1
    ferdie: '//Ferdie', // round 1: copies Bob's commitment
    sybil: '//Charlie//stash', // round 1: Charlie's second account, revealing Charlie's update
  };
  k = Object.fromEntries(Object.entries(uris).map(([name, uri]) => [name, keyring.addFromUri(uri)]));
  nameOf = new Map(Object.entries(k).map(([name, pair]) => [pair.address, name]));
  recorder = recordBlocks(api);
});

after(async () => {
  await recorder?.stop().catch(() => {});
  await api?.disconnect();
  await node?.stop();
});

/** `sendAndWait`, remembering the fee the signer paid. */
async function send(tx, signer) {
  const result = await sendAndWait(api, tx, signer);
  fees.set(signer.address, (fees.get(signer.address) ?? 0n) + feePaid(result.events, signer));
  return result;
}

/** Sends and asserts that the extrinsic succeeded. */
async function sendOk(tx, signer) {
  const result = await send(tx, signer);
  assert.equal(result.error, null, `${tx.method.section}.${tx.method.method} by ${nameOf.get(signer.address)}`);
  return result;
}

/**
 * Sends and asserts that the runtime refused it with `federated.<name>`: the extrinsic is in a
 * block, its `system.ExtrinsicFailed` event carries that module error (decoded with
 * `api.registry.findMetaError`), and the signer paid its fee.
 */
async function sendRefused(tx, signer, name) {
  const result = await send(tx, signer);
  const failures = extrinsicFailures(api, result.events);
  assert.equal(failures.length, 1, `${tx.method.method} by ${nameOf.get(signer.address)} failed`);
  assert.deepEqual({ section: failures[0].section, name: failures[0].name }, { section: 'federated', name });
  assert.deepEqual(result.error, { section: 'federated', name });
  assert.ok(feePaid(result.events, signer) > 0n, 'a refused extrinsic still costs its fee');
  return result;
}

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

const saltOf = (who, task, round, what) => blake2AsU8a(`${who.address}/${task}/${round}/${what}`, 256);
const duties = async (who) => (await api.call.federatedApi.duties(who.address)).toArray();
const roundOf = async (task, round) => (await api.call.federatedApi.round(task, round)).unwrap();
const eventsOf = (events, method) => events.filter(({ event }) => event.section === 'federated' && event.method === method);

/** Polls the runtime API once a second until `who` has a duty of `kind`. */
async function waitForDuty(who, kind, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await duties(who)).find((d) => d[`is${kind}`]);
    if (found) return found[`as${kind}`];
    if (Date.now() > deadline) throw new Error(`no ${kind} duty for ${nameOf.get(who.address)}`);
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

/** Polls until the round is over (finalized or failed). */
async function waitForDecision(task, round, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await api.call.federatedApi.round(task, round);
    if (record.isSome && record.unwrap().phase.isFinalized) return record.unwrap();
    assert.ok(!(record.isSome && record.unwrap().phase.isFailed), `round ${round} failed`);
    if (Date.now() > deadline) throw new Error(`round ${round} of task ${task} was not decided in time`);
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

/** Reads a payload from the block body at the position a PayloadRef names, checking its hash. */
async function fetchPayload(ref) {
  const hash = await api.rpc.chain.getBlockHash(ref.block);
  const block = await api.rpc.chain.getBlock(hash);
  const xt = block.block.extrinsics[ref.extrinsicIndex.toNumber()];
  const { method, args } = xt.method;
  assert.ok(['revealUpdate', 'revealAggregate'].includes(method), `a payload is in ${method}`);
  const bytes = method === 'revealUpdate' ? args[2].toU8a(true) : args[5].unwrap().toU8a(true);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), ref.payloadHash.toHex(), 'payload matches its hash');
  assert.equal(bytes.length, ref.len.toNumber());
  return bytes;
}

// --- what participants do ---------------------------------------------------------------------

/** A trainer's Train duty: "trains" (offsets the global model) and commits. */
async function train(who, task, round, offset) {
  const duty = await waitForDuty(who, 'Train');
  assert.equal(duty.task.toNumber(), task);
  assert.equal(duty.round.toNumber(), round);
  const base = duty.globalModel.isSome ? paramsOf(await fetchPayload(duty.globalModel.unwrap())) : new Array(PARAMS).fill(0);
  const update = payload(0, task, round, base.map((v, j) => v + offset + j));
  const salt = saltOf(who, task, round, 'update');
  const commitment = updateCommitment(who.address, task, round, update, salt);
  const { events } = await sendOk(api.tx.federated.commitUpdate(task, round, commitment), who);
  assert.equal(eventsOf(events, 'UpdateCommitted')[0].event.data.commitment.toHex(), u8aToHex(commitment));
  return { who, update, salt, commitment, globalModel: duty.globalModel };
}

/** A trainer's Reveal duty: reveals what it committed. */
async function reveal({ who, update, salt, commitment }, task, round) {
  const duty = await waitForDuty(who, 'Reveal');
  assert.equal(duty.commitment.toHex(), u8aToHex(commitment));
  const { events } = await sendOk(api.tx.federated.revealUpdate(task, round, u8aToHex(update), salt), who);
  assert.equal(eventsOf(events, 'UpdateRevealed').length, 1);
}

/** An aggregator's Aggregate duty: reads the updates where the runtime API says, averages them. */
async function aggregate(who, task, round) {
  const duty = await waitForDuty(who, 'Aggregate');
  assert.equal(duty.round.toNumber(), round);
  const owners = duty.updates.map(([owner]) => nameOf.get(owner.toString()));
  const params = (await Promise.all(duty.updates.map(([, ref]) => fetchPayload(ref)))).map(paramsOf);
  const mean = params[0].map((_, j) => Math.floor(params.reduce((s, p) => s + p[j], 0) / params.length));
  const bytes = payload(1, task, round, mean);
  return { owners, bytes, hash: blake2AsU8a(bytes, 256) };
}

/** Commits to an aggregate hash and scores (in the duty's order of updates). */
async function commitAggregate(who, task, round, hash, scores) {
  const salt = saltOf(who, task, round, 'aggregate');
  const commitment = aggregateCommitment(who.address, task, round, hash, scores, salt);
  await sendOk(api.tx.federated.commitAggregate(task, round, commitment), who);
  return { who, hash, scores, salt, commitment };
}

/** Reveals what `commitAggregate` committed, with the payload or (`bytes` null) without. */
async function revealAggregate({ who, hash, scores, salt, commitment }, task, round, bytes) {
  const duty = await waitForDuty(who, 'RevealAggregate');
  assert.equal(duty.commitment.toHex(), u8aToHex(commitment));
  const known = duty.payloadKnown.map((h) => h.toHex());
  assert.equal(known.includes(u8aToHex(hash)), bytes === null, 'the payload goes with the first reveal of a hash');
  return sendOk(api.tx.federated.revealAggregate(task, round, hash, scores, salt, bytes && u8aToHex(bytes)), who);
}

// --- what the chain must pay ------------------------------------------------------------------

/** The lower median: the middle value, or the lower of the two middle ones. */
const lowerMedian = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/**
 * What a finalized round pays: the aggregators' share in equal parts to the agreeing
 * aggregators, the rest to trainers in proportion to their (median) scores, rounded down.
 */
function expectedRewards(scores, agreeing) {
  const aggregatorPool = (REWARD * AGGREGATOR_SHARE) / BILLION;
  const trainerPool = REWARD - aggregatorPool;
  const total = Object.values(scores).reduce((s, v) => s + BigInt(v), 0n);
  const rewards = {};
  for (const [who, score] of Object.entries(scores)) rewards[who] = (trainerPool * BigInt(score)) / total;
  for (const who of agreeing) rewards[who] = aggregatorPool / BigInt(agreeing.length);
  return rewards;
}

/** `{ name: amount }` of the `Rewarded` (or `Slashed`) events of a round. */
function paidIn(method, task, round) {
  const out = {};
  for (const { data } of eventsIn(recorder.blocks, 'federated', method)) {
    if (data.task.toNumber() !== task || data.round.toNumber() !== round) continue;
    const who = nameOf.get(data.who.toString()) ?? data.who.toString();
    assert.equal(out[who], undefined, `one ${method} event per account and round`);
    out[who] = method === 'Slashed' ? { offence: data.offence.type, amount: data.amount.toBigInt() } : data.amount.toBigInt();
  }
  return out;
}

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();
const reserved = async (who) => (await api.query.system.account(who.address)).data.reserved.toBigInt();

test('two rounds by hand-made extrinsics: honest work is paid, copied and lazy work is refused, slashed and unpaid', async () => {
  const spec = {
    model: { Mlp: { input: 2, hidden: [], classes: 2 } },
    initialModel: { Seed: 42 },
    training: { epochs: 1, batchSize: 8, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: SCALE,
    aggregation: 'WeightedMean',
    rounds: 2,
    minTrainers: 2,
    maxTrainers: 4,
    aggregators: 3,
    quorum: 2,
    // Commit phases close as soon as everyone has committed. The reveal phases are short: in
    // round 1, the attackers' reveals never succeed, so those phases run to their end.
    phases: { commit: 30, reveal: 5, aggregate: 30, aggregateReveal: 5 },
    maxPayloadBytes: 1024,
    rewardPerRound: REWARD,
    aggregatorShare: AGGREGATOR_SHARE,
    penalty: PENALTY,
    validationSet: u8aToHex(new Uint8Array(32).fill(7)),
  };

  // --- The owner creates the task: budget and deposit are held. Bad specs (sent in the same
  // block by others) are refused.
  const aliceHeld = await reserved(k.alice);
  const [created] = await Promise.all([
    sendOk(api.tx.federated.createTask(spec), k.alice),
    sendRefused(api.tx.federated.createTask({ ...spec, quorum: 1 }), k.dave, 'InvalidQuorum'),
    sendRefused(api.tx.federated.createTask({ ...spec, penalty: 0 }), k.eve, 'PenaltyTooLow'),
  ]);
  const [{ event: createdEvent }] = eventsOf(created.events, 'TaskCreated');
  const task = createdEvent.data.task.toNumber();
  assert.equal(createdEvent.data.budget.toBigInt(), 2n * REWARD);
  const deposit = createdEvent.data.deposit.toBigInt();
  assert.ok(deposit > 0n, 'a task holds a storage deposit');
  assert.equal(await reserved(k.alice), aliceHeld + 2n * REWARD + deposit, 'budget and deposit are held');

  // --- The task's minimum bonds make a no-show lose at least what a round pays its role.
  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.equal(info.deposit.toBigInt(), deposit);
  const trainerBond = info.minTrainerBond.toBigInt();
  const aggregatorBond = info.minAggregatorBond.toBigInt();
  const aggregatorPool = (REWARD * AGGREGATOR_SHARE) / BILLION;
  assert.ok((trainerBond * PENALTY) / BILLION >= (REWARD - aggregatorPool) / 2n, 'penalty × trainer bond ≥ a trainer\'s pay');
  assert.ok((aggregatorBond * PENALTY) / BILLION >= aggregatorPool / 2n, 'penalty × aggregator bond ≥ an aggregator\'s pay');

  const start = { bob: await free(k.bob), ferdie: await free(k.ferdie) };
  await Promise.all([
    sendOk(api.tx.federated.join(task, { Trainer: { dataset: 1 } }, trainerBond), k.bob),
    sendOk(api.tx.federated.join(task, { Trainer: { dataset: 2 } }, trainerBond), k.charlie),
    sendOk(api.tx.federated.join(task, 'Aggregator', aggregatorBond), k.dave),
    sendOk(api.tx.federated.join(task, 'Aggregator', aggregatorBond), k.eve),
    sendOk(api.tx.federated.join(task, 'Aggregator', aggregatorBond), k.lazy),
    // A bond below the task's minimum is refused.
    sendRefused(api.tx.federated.join(task, { Trainer: { dataset: 3 } }, trainerBond - 1n), k.ferdie, 'BondTooLow'),
  ]);
  const memberships = (await api.call.federatedApi.memberships(k.bob.address)).toArray();
  assert.equal(memberships.length, 1);
  assert.equal(memberships[0].task.toNumber(), task);

  // --- Round 0 starts with Bob and Charlie. The attacking trainers join now, for round 1.
  await waitForDuty(k.bob, 'Train');
  await Promise.all([
    sendOk(api.tx.federated.join(task, { Trainer: { dataset: 3 } }, trainerBond), k.ferdie),
    sendOk(api.tx.federated.join(task, { Trainer: { dataset: 4 } }, trainerBond), k.sybil),
  ]);
  assert.deepEqual((await roundOf(task, 0)).trainers.map((t) => nameOf.get(t.who.toString())).sort(), ['bob', 'charlie']);

  // --- Round 0, everyone honest: every phase closes as soon as everyone has acted.
  const trained0 = await Promise.all([train(k.bob, task, 0, 1000), train(k.charlie, task, 0, 2000)]);
  await Promise.all(trained0.map((t) => reveal(t, task, 0)));
  // Each aggregator computes the aggregate itself and scores differently: the chain takes the
  // lower median of the agreeing aggregators' scores.
  const scores0 = {
    dave: { bob: 600_000, charlie: 200_000 },
    eve: { bob: 640_000, charlie: 220_000 },
    lazy: { bob: 580_000, charlie: 260_000 },
  };
  const aggregators = [k.dave, k.eve, k.lazy];
  const computed0 = await Promise.all(aggregators.map((who) => aggregate(who, task, 0)));
  computed0.forEach((c) => assert.equal(u8aToHex(c.hash), u8aToHex(computed0[0].hash), 'integer aggregation: the same bytes'));
  const global0 = u8aToHex(computed0[0].hash);
  const committed0 = await Promise.all(aggregators.map((who, i) => {
    const name = nameOf.get(who.address);
    return commitAggregate(who, task, 0, computed0[i].hash, computed0[i].owners.map((o) => scores0[name][o]));
  }));
  // The first reveal of the hash carries the payload; the others may leave it out.
  await revealAggregate(committed0[0], task, 0, computed0[0].bytes);
  const last0 = await Promise.all(committed0.slice(1).map((c) => revealAggregate(c, task, 0, null)));
  const [finalized0] = last0.flatMap((r) => eventsOf(r.events, 'RoundFinalized'));
  assert.ok(finalized0, 'the last reveal decides the round at once');
  assert.equal(finalized0.event.data.aggregate.toHex(), global0);
  assert.equal(finalized0.event.data.agreeing.toNumber(), 3);
  const median0 = { bob: lowerMedian([600_000, 640_000, 580_000]), charlie: lowerMedian([200_000, 220_000, 260_000]) };
  assert.deepEqual(median0, { bob: 600_000, charlie: 220_000 });
  const rewards0 = expectedRewards(median0, ['dave', 'eve', 'lazy']);
  assert.equal(finalized0.event.data.paid.toBigInt(), Object.values(rewards0).reduce((s, v) => s + v, 0n));

  // --- Round 1: Bob, Charlie and the two attacking trainers are selected.
  const trained1 = await Promise.all([train(k.bob, task, 1, 3000), train(k.charlie, task, 1, 5000)]);
  const [bob1, charlie1] = trained1;
  assert.equal(bob1.globalModel.unwrap().payloadHash.toHex(), global0, 'round 1 starts from round 0\'s aggregate');
  // Ferdie copies Bob's commitment from the chain; the sybil commits, under its own account, to
  // the bytes Charlie will reveal (Charlie handed them over off chain).
  await waitForDuty(k.ferdie, 'Train');
  const bobsCommitment = (await roundOf(task, 1)).trainers.find((t) => t.who.toString() === k.bob.address).commitment.unwrap();
  assert.equal(bobsCommitment.toHex(), u8aToHex(bob1.commitment));
  const sybilSalt = saltOf(k.sybil, task, 1, 'update');
  await Promise.all([
    sendOk(api.tx.federated.commitUpdate(task, 1, bobsCommitment), k.ferdie),
    waitForDuty(k.sybil, 'Train').then(() => sendOk(
      api.tx.federated.commitUpdate(task, 1, updateCommitment(k.sybil.address, task, 1, charlie1.update, sybilSalt)),
      k.sybil,
    )),
  ]);
  const selected1 = (await roundOf(task, 1)).trainers.map((t) => nameOf.get(t.who.toString())).sort();
  assert.deepEqual(selected1, ['bob', 'charlie', 'ferdie', 'sybil']);

  // The honest trainers reveal; then the attackers try.
  await Promise.all(trained1.map((t) => reveal(t, task, 1)));
  assert.equal((await waitForDuty(k.ferdie, 'Reveal')).commitment.toHex(), bobsCommitment.toHex());
  await Promise.all([
    // Bob's bytes and Bob's salt open Bob's commitment for Bob only.
    sendRefused(api.tx.federated.revealUpdate(task, 1, u8aToHex(bob1.update), bob1.salt), k.ferdie, 'CommitmentMismatch'),
    // The sybil's own commitment opens, but Charlie revealed these bytes first.
    sendRefused(api.tx.federated.revealUpdate(task, 1, u8aToHex(charlie1.update), sybilSalt), k.sybil, 'DuplicateUpdate'),
  ]);

  // The reveal phase runs to its end (two committed trainers never revealed); then aggregation
  // opens with the two honest updates. The lazy aggregator commits to nothing it computed.
  const computed1 = await Promise.all([aggregate(k.dave, task, 1), aggregate(k.eve, task, 1)]);
  computed1.forEach((c) => assert.deepEqual([...c.owners].sort(), ['bob', 'charlie']));
  await waitForDuty(k.lazy, 'Aggregate');
  const scores1 = { dave: { bob: 500_000, charlie: 300_000 }, eve: { bob: 520_000, charlie: 280_000 } };
  const [dave1, eve1] = await Promise.all([k.dave, k.eve].map((who, i) => {
    const name = nameOf.get(who.address);
    return commitAggregate(who, task, 1, computed1[i].hash, computed1[i].owners.map((o) => scores1[name][o]));
  }).concat([sendOk(api.tx.federated.commitAggregate(task, 1, blake2AsU8a('nothing computed', 256)), k.lazy)]));
  const global1 = u8aToHex(computed1[0].hash);
  assert.notEqual(global1, global0);

  await revealAggregate(dave1, task, 1, computed1[0].bytes);
  // The lazy aggregator copies Dave's revealed result from the chain: it does not open its own
  // commitment, with any salt.
  await waitForDuty(k.lazy, 'RevealAggregate');
  const davesResult = (await roundOf(task, 1)).aggregators.find((a) => a.who.toString() === k.dave.address).submission.unwrap();
  assert.equal(davesResult.aggregate.toHex(), global1);
  await Promise.all([
    revealAggregate(eve1, task, 1, null),
    sendRefused(
      api.tx.federated.revealAggregate(task, 1, davesResult.aggregate, davesResult.scores.map((x) => x.toNumber()), dave1.salt, null),
      k.lazy,
      'CommitmentMismatch',
    ),
  ]);

  // The aggregate reveal phase runs to its end (the lazy aggregator never revealed); the two
  // agreeing aggregators are a quorum.
  const round1 = await waitForDecision(task, 1);
  assert.equal(round1.phase.asFinalized.aggregate.toHex(), global1);
  const blocks = await recorder.stop();

  // --- What the chain did, from the blocks' events.
  const median1 = { bob: 500_000, charlie: 280_000 };
  const rewards1 = expectedRewards(median1, ['dave', 'eve']);
  assert.deepEqual(paidIn('Rewarded', task, 0), rewards0, 'round 0 paid everyone by the median scores');
  assert.deepEqual(paidIn('Rewarded', task, 1), rewards1, 'round 1 paid the honest ones only');
  assert.deepEqual(paidIn('Slashed', task, 0), {}, 'nobody is slashed in an honest round');
  assert.deepEqual(paidIn('Slashed', task, 1), {
    ferdie: { offence: 'NoReveal', amount: (trainerBond * PENALTY) / BILLION },
    sybil: { offence: 'NoReveal', amount: (trainerBond * PENALTY) / BILLION },
    lazy: { offence: 'NoAggregateReveal', amount: (aggregatorBond * PENALTY) / BILLION },
  });
  const failed = failuresIn(blocks)
    .map((f) => `${nameOf.get(f.signer)} ${f.section}.${f.method}: ${f.error.section}.${f.error.name}`)
    .sort();
  assert.deepEqual(failed, [
    'dave federated.createTask: federated.InvalidQuorum',
    'eve federated.createTask: federated.PenaltyTooLow',
    'ferdie federated.join: federated.BondTooLow',
    'ferdie federated.revealUpdate: federated.CommitmentMismatch',
    'lazy federated.revealAggregate: federated.CommitmentMismatch',
    'sybil federated.revealUpdate: federated.DuplicateUpdate',
  ], 'exactly the refusals the test provoked');

  // --- The finished rounds, read back through the runtime API.
  for (const [round, hash, medians, rewards] of [[0, global0, median0, rewards0], [1, global1, median1, rewards1]]) {
    const record = await roundOf(task, round);
    assert.equal(record.phase.asFinalized.aggregate.toHex(), hash);
    for (const t of record.trainers) {
      const who = nameOf.get(t.who.toString());
      if (who === 'ferdie' || who === 'sybil') {
        assert.ok(t.update.isNone && t.score.isNone, `${who}'s update was not accepted`);
      } else {
        assert.equal(t.score.unwrap().toNumber(), medians[who], `${who}'s score is the lower median`);
      }
      assert.equal(t.reward.toBigInt(), rewards[who] ?? 0n);
    }
    for (const a of record.aggregators) assert.equal(a.reward.toBigInt(), rewards[nameOf.get(a.who.toString())] ?? 0n);
    const aggregateAt = record.aggregates.find((p) => p.payloadHash.toHex() === hash);
    assert.equal(paramsOf(await fetchPayload(aggregateAt)).length, PARAMS);

    const summary = (await api.call.federatedApi.roundSummary(task, round)).unwrap();
    assert.equal(summary.outcome.asFinalized.aggregate.toHex(), hash);
    assert.equal(summary.started.toNumber(), record.started.toNumber());
    assert.equal(summary.updates.toNumber(), 2);
    assert.equal(summary.paid.toBigInt(), Object.values(rewards).reduce((s, v) => s + v, 0n));
  }
  assert.ok((await api.call.federatedApi.roundSummary(task, 2)).isNone, 'no third round');
  const done = (await api.call.federatedApi.task(task)).unwrap();
  assert.ok(done.status.isFinished);
  assert.equal(done.nextRound.toNumber(), 2);
  assert.equal(done.globalModel.unwrap().payloadHash.toHex(), global1);
  assert.equal(done.budget.toBigInt(), 0n);
  assert.ok(done.ended.isSome);
  assert.equal((await duties(k.bob)).length, 0, 'nothing left to do');

  // --- Balances: Bob's moved by exactly his bond, his rewards and his fees; Ferdie's by his
  // bond and his fees (he was paid nothing), and a tenth of his bond is gone.
  const bob = (await api.query.system.account(k.bob.address)).data;
  assert.equal(bob.reserved.toBigInt(), trainerBond, 'Bob\'s bond is still held, whole');
  assert.equal(bob.free.toBigInt(), start.bob - trainerBond + rewards0.bob + rewards1.bob - fees.get(k.bob.address));
  const ferdie = (await api.query.system.account(k.ferdie.address)).data;
  assert.equal(ferdie.reserved.toBigInt(), trainerBond - (trainerBond * PENALTY) / BILLION);
  assert.equal(ferdie.free.toBigInt(), start.ferdie - trainerBond - fees.get(k.ferdie.address));

  // An ended task is kept (with its deposit) for the retention period before anyone may prune it.
  await Promise.all([
    sendRefused(api.tx.federated.pruneTask(task), k.alice, 'NotPrunable'),
    sendOk(api.tx.federated.leave(task), k.bob),
    sendOk(api.tx.federated.leave(task), k.ferdie),
  ]);
  assert.equal(await reserved(k.bob), 0n, 'Bob\'s bond is back');
  assert.equal(await reserved(k.ferdie), 0n, 'what is left of Ferdie\'s bond is back');
});
