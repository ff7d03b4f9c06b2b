// Federated-learning rounds on a real dev node, by hand-made extrinsics from @polkadot/api, as
// honest participants and as attackers would send them. Every trainer first lists a dataset of
// its own in the data market (2 features, 2 classes, a royalty per accepted update); a task owner
// creates a task on a tiny model (2 inputs, 2 classes) with a validation set the test made, and
// a royalty cap; two trainers (each with its own dataset) and three aggregators join with the
// task's minimum bonds, while joins the data market must refuse are refused with its errors (a
// stranger's dataset, a dataset of the wrong schema, a royalty above the cap, and in round 1 the
// same dataset twice, by its owner's delegate). They run round 0 honestly through every phase:
// trainers commit (bound to their account, the task and the round) and reveal updates that
// carry their sample counts; aggregators score every update (a trust score, the cosine to a
// reference direction), commit and reveal the scores; the chain fixes the accepted updates by
// the lower median of the scores; the aggregators aggregate exactly those (weighted by samples),
// evaluate the new model on the validation set, commit and reveal hash and metrics.
//
// In round 1 attackers take part: a trainer that copies another's commitment, a second account
// revealing an update identical to another's, a trainer revealing a poisoned update (−10 × an
// honest one), two trainers claiming 0 and more than `maxSamples` samples, and an aggregator that
// commits to nothing, copies another's revealed scores and result, and claims an accuracy above
// 100%. The chain refuses each with the pallet's error, keeps the poisoned update out of the
// model (scored low, not accepted, its trainer slashed with `Rejected` and unpaid), finalizes
// the aggregate of exactly the accepted updates, pays the honest ones, and pays each accepted
// update's royalty to its dataset's owner out of the task's budget (none for the rejected one).
// Everything is read back through the FederatedApi and DataMarketApi runtime APIs (rounds,
// summaries, the round history with metrics and royalties, the task's lineage) and the blocks'
// events. Bonds are stake in the participant's role (`incentives.ledgers`): a join commits the
// bond out of the account's stake and bonds only what it lacks from its free balance; slashes
// take stake; leaving releases the bond from the task, and it stays bonded (held) as stake.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startNode, connect } from './lib/node.js';
import { extrinsicFailures, feePaid, sendAndWait } from './lib/tx.js';
import { aggregateCommitment, scoresCommitment, updateCommitment } from './lib/commitment.js';
import { eventsIn, failuresIn, recordBlocks } from './lib/blocks.js';
import { AGGREGATE, UPDATE, decodePayload, dequantize, encodePayload, payloadAt } from './lib/payload.js';
import { encodeCohd, evaluateMlp } from './lib/model.js';
import { RECOMMENDED_GATE, judge } from './lib/gate.js';

const UNIT = 10n ** 12n;
const BILLION = 1_000_000_000n;
const SCALE = 1 << 16;
const MODEL = { input: 2, hidden: [], classes: 2 }; // 2×2 weights + 2 biases
const PARAMS = 6;
const REWARD = 100n * UNIT;
const AGGREGATOR_SHARE = 250_000_000n; // Perbill: 25%
const PENALTY = 100_000_000n; // Perbill: 10%
const MAX_SCORE = 1_000_000;
// The recommended gate with a weight cap that never bites here (ten times the median weight):
// the test's aggregate weighs each update by its samples.
const GATE = { ...RECOMMENDED_GATE, maxWeightPercent: 1000 };
const MAX_SAMPLES = 1000;
// The most royalty the task pays per accepted update.
const MAX_ROYALTY = 2n * UNIT;
// The datasets the trainers list (the task's schema: 2 features, 2 classes): samples, the
// most an update trained on it may claim (`greedy`'s bound is the task's), and royalty. The
// poisoner also lists one priced above the task's cap.
const DATASETS = {
  bob: { samples: 300, royalty: MAX_ROYALTY },
  charlie: { samples: 400, royalty: UNIT },
  ferdie: { samples: 1000, royalty: UNIT },
  sybil: { samples: 1000, royalty: UNIT },
  poisoner: { samples: 1000, royalty: UNIT },
  zero: { samples: 1000, royalty: UNIT },
  greedy: { samples: 5000, royalty: UNIT },
};
// The copier's dataset in the dev genesis (owned by //Dave//stash, `greedy` here): 64 features,
// 10 classes, which does not fit the task's model.
const GENESIS_DATASET_OF_GREEDY = 9;

// The validation set: points of the plane, class 0 where x0 > x1. The task names it by the
// BLAKE2-256 of its `.cohd` bytes, as it would name a file the aggregators hold.
const VALIDATION = (() => {
  const x = [];
  const y = [];
  for (let i = 0; i < 24; i += 1) {
    const [a, b] = [((i * 7) % 11) - 5, ((i * 5 + 3) % 13) - 6];
    if (a === b) continue;
    x.push([a / 4, b / 4]);
    y.push(a > b ? 0 : 1);
  }
  return { x, y, classes: 2 };
})();

// What training on it moves the model towards: W = [[1, -1], [-1, 1]] / 2 (logit 0 − logit 1 =
// x0 − x1), no bias, in fixed point. Honest updates are this plus a little noise of their own;
// each aggregator's reference update (trained on the validation set, with a seed of its own) is
// this plus a little noise of its own, so honest aggregators' scores differ in the last digits.
const DIRECTION = [0.5, -0.5, -0.5, 0.5, 0, 0].map((v) => Math.round(v * SCALE));
const noisy = (seed, amplitude) => DIRECTION.map((v, j) => v + (((seed * 31 + j * 17) % 13) - 6) * amplitude);
const honestUpdate = (seed) => noisy(seed, 400);

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
    poisoner: '//Eve//stash', // round 1: reveals −10 × an honest update
    zero: '//Bob//stash', // round 1: claims 0 samples
    greedy: '//Dave//stash', // round 1: claims more samples than the task allows
  };
  // greedy (//Dave//stash) owns the dev genesis's dataset 9: checked below, so that its
  // SchemaMismatch is the one the test means.
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
 * Sends and asserts that the runtime refused it with `<section>.<name>` (`federated.<name>`
 * unless said otherwise; a join the data market refuses fails with `dataMarket.<name>`): the
 * extrinsic is in a block, its `system.ExtrinsicFailed` event carries that module error
 * (decoded with `api.registry.findMetaError`), and the signer paid its fee.
 */
async function sendRefused(tx, signer, name, section = 'federated') {
  const result = await send(tx, signer);
  const failures = extrinsicFailures(api, result.events);
  assert.equal(failures.length, 1, `${tx.method.method} by ${nameOf.get(signer.address)} failed`);
  assert.deepEqual({ section: failures[0].section, name: failures[0].name }, { section, name });
  assert.deepEqual(result.error, { section, name });
  assert.ok(feePaid(result.events, signer) > 0n, 'a refused extrinsic still costs its fee');
  return result;
}

const saltOf = (who, task, round, what) => blake2AsU8a(`${who.address}/${task}/${round}/${what}`, 256);
const duties = async (who) => (await api.call.federatedApi.duties(who.address)).toArray();
const roundOf = async (task, round) => (await api.call.federatedApi.round(task, round)).unwrap();
const eventsOf = (events, method) => events.filter(({ event }) => event.section === 'federated' && event.method === method);
/** The `federated.<method>` events among several extrinsics' results. */
const eventsAmong = (results, method) => results.flatMap((r) => eventsOf(r.events, method));
const fetchPayload = (ref) => payloadAt(api, ref);
const paramsOf = (bytes) => decodePayload(bytes).values;

/**
 * Lists a dataset owned by `who` in the data market, in the task's schema (2 features, 2
 * classes, tabular), and returns its id and the deposit held, from the `DatasetListed` event.
 * Its content commitment is a claim the chain cannot check (here the BLAKE2-256 of a label).
 */
async function listDataset(who, { samples, royalty }, label = nameOf.get(who.address)) {
  const listing = {
    name: `${label}'s points`,
    description: '',
    schema: { features: MODEL.input, classes: MODEL.classes, samples, modality: 'Tabular' },
    content: { File: u8aToHex(blake2AsU8a(`${label}'s data`, 256)) },
    licence: 'FederatedOnly',
    royalty,
    privacyBudget: null,
  };
  const result = await sendOk(api.tx.dataMarket.listDataset(listing), who);
  const listed = result.events.filter(({ event }) => event.section === 'dataMarket' && event.method === 'DatasetListed');
  assert.equal(listed.length, 1, `${label} listed a dataset`);
  const { data } = listed[0].event;
  assert.equal(data.owner.toString(), who.address);
  return { id: data.dataset.toNumber(), deposit: data.deposit.toBigInt(), royalty };
}

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

/** Polls until the round is over; asserts it was finalized. */
async function waitForDecision(task, round, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await api.call.federatedApi.round(task, round);
    if (record.isSome && record.unwrap().phase.isFinalized) return record.unwrap();
    assert.ok(!(record.isSome && record.unwrap().phase.isFailed), `round ${round} failed: ${record.isSome && record.unwrap().phase.toString()}`);
    if (Date.now() > deadline) throw new Error(`round ${round} of task ${task} was not decided in time`);
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

// --- what participants compute -----------------------------------------------------------------

/** The lower median: the middle value, or the lower of the two middle ones. */
const lowerMedian = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/**
 * A trust score against one reference (the engine's `cone_scores` with a single reference): round((1 + cos(update, reference)) / 2 ·
 * 1_000_000): the reference's direction scores 1_000_000, an orthogonal update 500_000, the
 * opposite direction 0.
 */
function trustScore(update, reference) {
  const dot = update.reduce((s, u, j) => s + u * reference[j], 0);
  const norms = Math.hypot(...update) * Math.hypot(...reference);
  if (!(norms > 0)) return MAX_SCORE / 2;
  return Math.round(((1 + Math.max(-1, Math.min(1, dot / norms))) / 2) * MAX_SCORE);
}

/**
 * The next global model: `global` plus the mean of `updates` (`{ values, samples }`) weighted by
 * their samples, each coordinate rounded down. Every update must lie within the task's norm
 * bound (`clipNormPercent` of their median norm), so the bound changes nothing here.
 */
function weightedAggregate(global, updates) {
  const norms = updates.map((u) => Math.hypot(...u.values));
  const median = lowerMedian(norms);
  norms.forEach((n) => assert.ok(n <= (median * GATE.clipNormPercent) / 100, 'within the norm bound'));
  const total = updates.reduce((s, u) => s + u.samples, 0);
  return global.map((g, j) => g + Math.floor(updates.reduce((s, u) => s + u.samples * u.values[j], 0) / total));
}

/** The model `values` (fixed point) on the validation set: real numbers, and millionths. */
const evaluate = (values) => evaluateMlp(MODEL, dequantize(values, SCALE), VALIDATION);

/** The global model a duty starts from: the last aggregate, or (round 0) zeros, the test's
 * stand-in for the task's seeded initial model (the chain never reads parameters). */
async function globalOf(duty) {
  return duty.globalModel.isSome ? paramsOf(await fetchPayload(duty.globalModel.unwrap())) : new Array(PARAMS).fill(0);
}

// --- what participants do ---------------------------------------------------------------------

/** A trainer's Train duty: frames `values` with `samples` as an update, and commits to it. */
async function train(who, task, round, values, samples) {
  const duty = await waitForDuty(who, 'Train');
  assert.equal(duty.task.toNumber(), task);
  assert.equal(duty.round.toNumber(), round);
  const update = encodePayload({ kind: UPDATE, task, round, scale: SCALE, samples }, values);
  const salt = saltOf(who, task, round, 'update');
  const commitment = updateCommitment(who.address, task, round, update, salt);
  const result = await sendOk(api.tx.federated.commitUpdate(task, round, commitment), who);
  assert.equal(eventsOf(result.events, 'UpdateCommitted')[0].event.data.commitment.toHex(), u8aToHex(commitment));
  return { who, update, salt, commitment, samples, globalModel: duty.globalModel, result };
}

/** A trainer's Reveal duty: reveals what it committed. */
async function reveal({ who, update, salt, commitment }, task, round) {
  const duty = await waitForDuty(who, 'Reveal');
  assert.equal(duty.commitment.toHex(), u8aToHex(commitment));
  const result = await sendOk(api.tx.federated.revealUpdate(task, round, u8aToHex(update), salt), who);
  assert.equal(eventsOf(result.events, 'UpdateRevealed').length, 1);
  return result;
}

/**
 * An aggregator's Score duty: reads every revealed update where the runtime API says, scores
 * each against its own reference, and commits to the scores (in the duty's order).
 */
async function score(who, task, round, referenceSeed) {
  const duty = await waitForDuty(who, 'Score');
  assert.equal(duty.round.toNumber(), round);
  const owners = duty.updates.map(([owner]) => nameOf.get(owner.toString()));
  const updates = await Promise.all(duty.updates.map(([, ref]) => fetchPayload(ref).then(decodePayload)));
  const reference = noisy(referenceSeed, 150);
  const scores = updates.map((u) => trustScore(u.values, reference));
  const salt = saltOf(who, task, round, 'scores');
  const commitment = scoresCommitment(who.address, task, round, scores, salt);
  const result = await sendOk(api.tx.federated.commitScores(task, round, commitment), who);
  assert.equal(eventsOf(result.events, 'ScoresCommitted')[0].event.data.commitment.toHex(), u8aToHex(commitment));
  return { who, owners, updates, scores, salt, commitment, result };
}

/** An aggregator's RevealScores duty: reveals what `score` committed. */
async function revealScores({ who, scores, salt, commitment }, task, round) {
  const duty = await waitForDuty(who, 'RevealScores');
  assert.equal(duty.commitment.toHex(), u8aToHex(commitment));
  const result = await sendOk(api.tx.federated.revealScores(task, round, scores, salt), who);
  assert.deepEqual(eventsOf(result.events, 'ScoresRevealed')[0].event.data.scores.map((s) => s.toNumber()), scores);
  return result;
}

/**
 * An aggregator's Aggregate duty: reads exactly the accepted updates where the runtime API says,
 * aggregates them onto the global model weighted by the samples the chain recorded, and
 * evaluates the result on the validation set. `lossOffset` stands for the last digits in which
 * aggregators' float evaluations differ.
 */
async function aggregate(who, task, round, lossOffset = 0) {
  const duty = await waitForDuty(who, 'Aggregate');
  assert.equal(duty.round.toNumber(), round);
  const accepted = duty.updates.map((u) => ({ owner: nameOf.get(u.who.toString()), ref: u.update, samples: u.samples.toNumber() }));
  const payloads = await Promise.all(accepted.map((u) => fetchPayload(u.ref).then(decodePayload)));
  payloads.forEach((p, i) => assert.equal(p.samples, accepted[i].samples, 'the duty has the samples the update claims'));
  const global = await globalOf(duty);
  const values = weightedAggregate(global, payloads.map((p, i) => ({ values: p.values, samples: accepted[i].samples })));
  const bytes = encodePayload({ kind: AGGREGATE, task, round, scale: SCALE }, values);
  const { metrics } = evaluate(values);
  return {
    owners: accepted.map((u) => u.owner),
    samples: accepted.map((u) => u.samples),
    global,
    values,
    bytes,
    hash: blake2AsU8a(bytes, 256),
    metrics: { lossMicros: metrics.lossMicros + lossOffset, accuracyMicros: metrics.accuracyMicros },
  };
}

/** Commits to an aggregate hash and metrics. */
async function commitAggregate(who, task, round, { hash, metrics }) {
  const salt = saltOf(who, task, round, 'aggregate');
  const commitment = aggregateCommitment(who.address, task, round, hash, metrics, salt);
  const result = await sendOk(api.tx.federated.commitAggregate(task, round, commitment), who);
  return { who, hash, metrics, salt, commitment, result };
}

/** Reveals what `commitAggregate` committed, with the payload or (`bytes` null) without. */
async function revealAggregate({ who, hash, metrics, salt, commitment }, task, round, bytes) {
  const duty = await waitForDuty(who, 'RevealAggregate');
  assert.equal(duty.commitment.toHex(), u8aToHex(commitment));
  const known = duty.payloadKnown.map((h) => h.toHex());
  assert.equal(known.includes(u8aToHex(hash)), bytes === null, 'the payload goes with the first reveal of a hash');
  return sendOk(api.tx.federated.revealAggregate(task, round, hash, metrics, salt, bytes && u8aToHex(bytes)), who);
}

// --- what the chain must pay ------------------------------------------------------------------

/** `Perbill * amount` as the runtime computes it: rounded to the nearest, ties down. */
function perbillOf(parts, amount) {
  const product = amount * parts;
  const [q, r] = [product / BILLION, product % BILLION];
  return r * 2n > BILLION ? q + 1n : q;
}

/**
 * What a finalized round pays: the aggregators' share in equal parts to the agreeing
 * aggregators, the rest to the trainers of accepted updates in proportion to their (median)
 * scores, rounded down. `scores` holds the accepted updates only.
 */
function expectedRewards(scores, agreeing) {
  const aggregatorPool = perbillOf(AGGREGATOR_SHARE, REWARD);
  const trainerPool = REWARD - aggregatorPool;
  const total = Object.values(scores).reduce((s, v) => s + BigInt(v), 0n);
  const rewards = {};
  for (const [who, s] of Object.entries(scores)) rewards[who] = (trainerPool * BigInt(s)) / total;
  for (const who of agreeing) rewards[who] = aggregatorPool / BigInt(agreeing.length);
  return rewards;
}

const sum = (amounts) => Object.values(amounts).reduce((s, v) => s + v, 0n);
const ofRound = (method, task, round) => eventsIn(recorder.blocks, 'federated', method)
  .filter(({ data }) => data.task.toNumber() === task && data.round.toNumber() === round);
const name = (who) => nameOf.get(who.toString()) ?? who.toString();

/** `{ name: amount }` of the `Rewarded` events of a round (one per account). */
function rewardedIn(task, round) {
  const out = {};
  for (const { data } of ofRound('Rewarded', task, round)) {
    assert.equal(out[name(data.who)], undefined, 'one Rewarded event per account and round');
    out[name(data.who)] = data.amount.toBigInt();
  }
  return out;
}

/** The `Slashed` events of a round as `name offence amount` lines, sorted. */
const slashedIn = (task, round) => ofRound('Slashed', task, round)
  .map(({ data }) => `${name(data.who)} ${data.offence.type} ${data.amount.toBigInt()}`)
  .sort();

/** The `dataMarket.RoyaltyPaid` events of a round as `owner dataset amount` lines, sorted. */
const royaltiesIn = (task, round) => eventsIn(recorder.blocks, 'dataMarket', 'RoyaltyPaid')
  .filter(({ data }) => data.task.toNumber() === task && data.round.toNumber() === round)
  .map(({ data }) => `${name(data.owner)} ${data.dataset.toNumber()} ${data.amount.toBigInt()}`)
  .sort();

/** `{ name: { score, accepted } }` of the `UpdateScored` events of a round. */
const scoredIn = (task, round) => Object.fromEntries(ofRound('UpdateScored', task, round)
  .map(({ data }) => [name(data.who), { score: data.score.toNumber(), accepted: data.accepted.isTrue }]));

const account = async (who) => (await api.query.system.account(who.address)).data;
/** `who`'s stake as a trainer (`incentives.ledgers`): bonded (`active`, committed included) and committed to tasks. */
async function trainerStake(who) {
  const ledger = await api.query.incentives.ledgers(who.address, 'Trainer');
  if (ledger.isNone) return { active: 0n, committed: 0n };
  const { active, committed } = ledger.unwrap();
  return { active: active.toBigInt(), committed: committed.toBigInt() };
}
/** What a join with `bond` bonds anew from the free balance, given the role's stake before it. */
const bondedAnew = ({ active, committed }, bond) => (bond > active - committed ? bond - (active - committed) : 0n);
const reserved = async (who) => (await account(who)).reserved.toBigInt();
const metricsOf = (m) => ({ lossMicros: m.lossMicros.toNumber(), accuracyMicros: m.accuracyMicros.toNumber() });

test('two rounds by hand-made extrinsics: scores keep a poisoned update out of the model; honest work is paid, copied, lazy, mis-sized and poisoned work is refused or rejected, slashed and unpaid', async () => {
  // Balances and trainer stake before anything happens. Stake is bonded per role: Ferdie
  // (//Ferdie) starts with the dev genesis's 100 COH of trainer stake, Bob has none, and the
  // poisoner (//Eve//stash) has aggregator stake only; a join commits the bond out of the
  // account's uncommitted stake in its role and bonds only the shortfall from its free balance.
  const start = Object.fromEntries(await Promise.all(['bob', 'ferdie', 'poisoner'].map(async (n) => {
    const { free, reserved } = await account(k[n]);
    return [n, { free: free.toBigInt(), reserved: reserved.toBigInt(), stake: await trainerStake(k[n]) }];
  })));

  // --- Every trainer lists a dataset of its own; the poisoner also lists one priced above the
  // task's royalty cap. Charlie authorises its second account, the sybil, to train on Charlie's.
  const listed = Object.fromEntries(await Promise.all(Object.entries(DATASETS).map(async ([n, terms]) => [n, await listDataset(k[n], terms)])));
  const [pricey, delegated] = await Promise.all([
    listDataset(k.poisoner, { samples: 1000, royalty: MAX_ROYALTY + 1n }, 'poisoner (pricey)'),
    sendOk(api.tx.dataMarket.addDelegate(listed.charlie.id, k.sybil.address), k.charlie),
  ]);
  // A delegate is storage the owner pays for: Charlie's deposit grew by what was held in that
  // block.
  const heldAt = async (hash) => (await (await api.at(hash)).query.system.account(k.charlie.address)).data.reserved.toBigInt();
  const delegateDeposit = (await heldAt(delegated.blockHash)) - (await heldAt((await api.rpc.chain.getHeader(delegated.blockHash)).parentHash));
  assert.ok(delegateDeposit > 0n, 'a delegate raises the deposit');
  listed.charlie.deposit += delegateDeposit;
  assert.equal(new Set([...Object.values(listed), pricey].map((d) => d.id)).size, Object.keys(DATASETS).length + 1, 'each listing has an id of its own');
  for (const [n, { id, deposit }] of Object.entries(listed)) {
    const stored = (await api.call.dataMarketApi.dataset(id)).unwrap();
    assert.equal(stored.owner.toString(), k[n].address);
    assert.equal(stored.deposit.toBigInt(), deposit);
    assert.equal(stored.listing.royalty.toBigInt(), DATASETS[n].royalty);
    assert.equal(stored.listing.schema.samples.toNumber(), DATASETS[n].samples);
    assert.ok(stored.status.isListed);
  }
  const deposits = { bob: listed.bob.deposit, ferdie: listed.ferdie.deposit, poisoner: listed.poisoner.deposit + pricey.deposit };
  // The genesis dataset greedy owns is for another model (64 features, 10 classes).
  const genesis = (await api.call.dataMarketApi.dataset(GENESIS_DATASET_OF_GREEDY)).unwrap();
  assert.equal(genesis.owner.toString(), k.greedy.address);
  assert.notDeepEqual([genesis.listing.schema.features.toNumber(), genesis.listing.schema.classes.toNumber()], [MODEL.input, MODEL.classes]);
  const validation = encodeCohd(VALIDATION);
  const spec = {
    model: { Mlp: MODEL },
    initialModel: { Seed: 42 },
    training: { epochs: 1, batchSize: 8, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: SCALE,
    aggregation: 'WeightedMean',
    gate: GATE,
    maxSamples: MAX_SAMPLES,
    rounds: 2,
    minTrainers: 2,
    maxTrainers: 8,
    aggregators: 3,
    quorum: 2,
    // Commit phases close as soon as everyone has committed. The reveal phases are short: in
    // round 1 some reveals never succeed, so those phases run to their end.
    phases: { commit: 30, reveal: 5, score: 30, scoreReveal: 5, aggregate: 30, aggregateReveal: 5 },
    maxPayloadBytes: 1024,
    rewardPerRound: REWARD,
    aggregatorShare: AGGREGATOR_SHARE,
    penalty: PENALTY,
    validationSet: u8aToHex(blake2AsU8a(validation, 256)),
    datasets: { maxRoyalty: MAX_ROYALTY, minReputation: 0, allowlist: [] },
  };
  // Every round's reward and the most royalties its accepted updates can earn.
  const budget = 2n * (REWARD + BigInt(spec.maxTrainers) * MAX_ROYALTY);

  // --- The owner creates the task: budget and deposit are held. Bad specs (sent in the same
  // block by others) are refused.
  const aliceHeld = await reserved(k.alice);
  const [created] = await Promise.all([
    sendOk(api.tx.federated.createTask(spec), k.alice),
    sendRefused(api.tx.federated.createTask({ ...spec, quorum: 1 }), k.dave, 'InvalidQuorum'),
    sendRefused(api.tx.federated.createTask({ ...spec, penalty: 0 }), k.eve, 'PenaltyTooLow'),
    // A gate that slashes updates it accepts.
    sendRefused(api.tx.federated.createTask({ ...spec, gate: { ...GATE, slashBeyond: GATE.acceptWithin - 1 } }), k.bob, 'InvalidGate'),
  ]);
  const [{ event: createdEvent }] = eventsOf(created.events, 'TaskCreated');
  const task = createdEvent.data.task.toNumber();
  assert.equal(createdEvent.data.budget.toBigInt(), budget, 'rounds × (reward + maxTrainers × maxRoyalty)');
  const deposit = createdEvent.data.deposit.toBigInt();
  assert.ok(deposit > 0n, 'a task holds a storage deposit');
  assert.equal(await reserved(k.alice), aliceHeld + budget + deposit, 'budget and deposit are held');

  // --- The task's minimum bonds make a no-show lose at least what a round pays its role.
  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.equal(info.deposit.toBigInt(), deposit);
  assert.equal(info.spec.gate.acceptWithin.toNumber(), GATE.acceptWithin);
  assert.equal(info.spec.gate.maxWeightPercent.toNumber(), GATE.maxWeightPercent);
  assert.equal(info.spec.maxSamples.toNumber(), MAX_SAMPLES);
  const trainerBond = info.minTrainerBond.toBigInt();
  const aggregatorBond = info.minAggregatorBond.toBigInt();
  const aggregatorPool = perbillOf(AGGREGATOR_SHARE, REWARD);
  assert.ok(perbillOf(PENALTY, trainerBond) >= (REWARD - aggregatorPool) / 2n + MAX_ROYALTY, 'penalty × trainer bond ≥ a trainer\'s pay and its dataset\'s royalty');
  assert.ok(perbillOf(PENALTY, aggregatorBond) >= aggregatorPool / 2n, 'penalty × aggregator bond ≥ an aggregator\'s pay');

  const asTrainer = (dataset) => ({ Trainer: { dataset } });
  await Promise.all([
    sendOk(api.tx.federated.join(task, asTrainer(listed.bob.id), trainerBond), k.bob),
    sendOk(api.tx.federated.join(task, asTrainer(listed.charlie.id), trainerBond), k.charlie),
    sendOk(api.tx.federated.join(task, 'Aggregator', aggregatorBond), k.dave),
    sendOk(api.tx.federated.join(task, 'Aggregator', aggregatorBond), k.eve),
    sendOk(api.tx.federated.join(task, 'Aggregator', aggregatorBond), k.lazy),
    // A bond below the task's minimum is refused.
    sendRefused(api.tx.federated.join(task, asTrainer(listed.ferdie.id), trainerBond - 1n), k.ferdie, 'BondTooLow'),
    // The data market refuses another owner's dataset, one whose schema does not fit the
    // task's model, and one priced above the task's royalty cap.
    sendRefused(api.tx.federated.join(task, asTrainer(listed.bob.id), trainerBond), k.zero, 'NotOwnerOrDelegate', 'dataMarket'),
    sendRefused(api.tx.federated.join(task, asTrainer(GENESIS_DATASET_OF_GREEDY), trainerBond), k.greedy, 'SchemaMismatch', 'dataMarket'),
    sendRefused(api.tx.federated.join(task, asTrainer(pricey.id), trainerBond), k.poisoner, 'RoyaltyTooHigh', 'dataMarket'),
  ]);
  // The trainers joined on their datasets' terms; the refused joins left nothing behind.
  for (const n of ['bob', 'charlie']) {
    const joined = (await api.query.federated.participants(task, k[n].address)).unwrap().dataset.unwrap();
    assert.equal(joined.id.toNumber(), listed[n].id);
    assert.deepEqual(
      { owner: joined.terms.owner.toString(), royalty: joined.terms.royalty.toBigInt(), samples: joined.terms.samples.toNumber() },
      { owner: k[n].address, royalty: DATASETS[n].royalty, samples: DATASETS[n].samples },
      `${n} joined on its dataset's terms`,
    );
    const uses = (await api.call.dataMarketApi.datasetTasks(listed[n].id)).toArray();
    assert.deepEqual(uses.map((u) => [u.task.toNumber(), u.usage.active.isTrue]), [[task, true]]);
  }
  for (const n of ['ferdie', 'zero', 'greedy', 'poisoner']) {
    assert.ok((await api.query.federated.participants(task, k[n].address)).isNone, `${n}'s refused join left no participant`);
  }
  for (const id of [listed.ferdie.id, pricey.id, GENESIS_DATASET_OF_GREEDY]) {
    assert.equal((await api.call.dataMarketApi.datasetTasks(id)).length, 0, `dataset ${id} is in no task`);
  }
  const memberships = (await api.call.federatedApi.memberships(k.bob.address)).toArray();
  assert.equal(memberships.length, 1);
  assert.equal(memberships[0].task.toNumber(), task);

  // --- Round 0 starts with Bob and Charlie. The attacking trainers join now, for round 1.
  await waitForDuty(k.bob, 'Train');
  await Promise.all([
    ...['ferdie', 'poisoner', 'zero', 'greedy'].map((n) => sendOk(api.tx.federated.join(task, asTrainer(listed[n].id), trainerBond), k[n])),
    (async () => {
      // Charlie's delegate may train on Charlie's dataset, but one dataset is one trainer in a
      // task: the sybil cannot enter Charlie's data a second time. It joins with a listing of
      // its own, for data it does not have (the chain cannot tell).
      await sendRefused(api.tx.federated.join(task, asTrainer(listed.charlie.id), trainerBond), k.sybil, 'AlreadyInTask', 'dataMarket');
      await sendOk(api.tx.federated.join(task, asTrainer(listed.sybil.id), trainerBond), k.sybil);
    })(),
  ]);
  assert.deepEqual((await roundOf(task, 0)).trainers.map((t) => name(t.who)).sort(), ['bob', 'charlie']);

  // --- Round 0, everyone honest: every phase closes as soon as everyone in it has acted.
  const trained0 = await Promise.all([train(k.bob, task, 0, honestUpdate(1), 300), train(k.charlie, task, 0, honestUpdate(2), 100)]);
  assert.equal(eventsAmong(trained0.map((t) => t.result), 'RevealOpened').length, 1, 'the last commitment opens the reveal phase');
  const revealed0 = await Promise.all(trained0.map((t) => reveal(t, task, 0)));
  const [scoringOpened0] = eventsAmong(revealed0, 'ScoringOpened');
  assert.ok(scoringOpened0, 'the last reveal opens the score phase');
  assert.equal(scoringOpened0.event.data.updates.toNumber(), 2);

  // Each aggregator scores against a reference of its own: the scores differ in the last digits.
  const aggregators = [k.dave, k.eve, k.lazy];
  const scored0 = await Promise.all(aggregators.map((who, i) => score(who, task, 0, 10 + i)));
  assert.equal(eventsAmong(scored0.map((s) => s.result), 'ScoreRevealOpened').length, 1, 'the last score commitment opens the score reveal');
  scored0.forEach((s) => assert.deepEqual(s.owners, scored0[0].owners, 'one order of updates'));
  const scoreReveals0 = await Promise.all(scored0.map((s) => revealScores(s, task, 0)));
  const median0 = Object.fromEntries(scored0[0].owners.map((owner, j) => [owner, lowerMedian(scored0.map((s) => s.scores[j]))]));
  const verdicts0 = judge([median0.bob, median0.charlie], GATE);
  assert.ok(verdicts0.every((v) => v.accepted && !v.slashed), `honest updates score ${median0.bob} and ${median0.charlie}`);
  assert.deepEqual(
    Object.fromEntries(eventsAmong(scoreReveals0, 'UpdateScored').map(({ event: { data } }) => [name(data.who), { score: data.score.toNumber(), accepted: data.accepted.isTrue }])),
    { bob: { score: median0.bob, accepted: true }, charlie: { score: median0.charlie, accepted: true } },
    'the last score reveal fixes each update\'s score (the lower median) and the accepted set',
  );
  const [aggregationOpened0] = eventsAmong(scoreReveals0, 'AggregationOpened');
  assert.ok(aggregationOpened0, 'the last score reveal opens aggregation');
  assert.equal(aggregationOpened0.event.data.updates.toNumber(), 2);

  // Each aggregator aggregates the accepted updates itself: integer aggregation, the same
  // bytes. Their float evaluations differ in the last digits: the chain keeps the lower median.
  const computed0 = await Promise.all(aggregators.map((who, i) => aggregate(who, task, 0, [0, 3, 7][i])));
  computed0.forEach((c) => assert.equal(u8aToHex(c.hash), u8aToHex(computed0[0].hash), 'integer aggregation: the same bytes'));
  assert.deepEqual(computed0[0].owners, scored0[0].owners, 'both updates are accepted, in the round\'s order');
  assert.deepEqual(Object.fromEntries(computed0[0].owners.map((o, i) => [o, computed0[0].samples[i]])), { bob: 300, charlie: 100 });
  const global0 = u8aToHex(computed0[0].hash);
  const committed0 = await Promise.all(aggregators.map((who, i) => commitAggregate(who, task, 0, computed0[i])));
  assert.equal(eventsAmong(committed0.map((c) => c.result), 'AggregateRevealOpened').length, 1);
  // The first reveal of the hash carries the payload; the others may leave it out.
  await revealAggregate(committed0[0], task, 0, computed0[0].bytes);
  const last0 = await Promise.all(committed0.slice(1).map((c) => revealAggregate(c, task, 0, null)));
  const [finalized0] = eventsAmong(last0, 'RoundFinalized');
  assert.ok(finalized0, 'the last reveal decides the round at once');
  assert.equal(finalized0.event.data.aggregate.toHex(), global0);
  assert.equal(finalized0.event.data.agreeing.toNumber(), 3);
  const metrics0 = {
    lossMicros: lowerMedian(computed0.map((c) => c.metrics.lossMicros)),
    accuracyMicros: lowerMedian(computed0.map((c) => c.metrics.accuracyMicros)),
  };
  assert.deepEqual(metrics0, { ...computed0[1].metrics }, 'the middle aggregator\'s loss');
  assert.deepEqual(metricsOf(finalized0.event.data.metrics), metrics0, 'the round keeps the lower median of the metrics');
  const rewards0 = expectedRewards({ bob: median0.bob, charlie: median0.charlie }, ['dave', 'eve', 'lazy']);
  assert.equal(finalized0.event.data.paid.toBigInt(), sum(rewards0));
  // Each accepted update's royalty went to its dataset's owner.
  const royalties = { bob: DATASETS.bob.royalty, charlie: DATASETS.charlie.royalty };
  assert.equal(finalized0.event.data.royalties.toBigInt(), sum(royalties), 'round 0 paid both datasets\' royalties');

  // --- Round 1: Bob, Charlie and the five attacking trainers are selected.
  const poisonerHonest = honestUpdate(5);
  const trained1 = await Promise.all([
    train(k.bob, task, 1, honestUpdate(3), 300),
    train(k.charlie, task, 1, honestUpdate(4), 100),
    // The poisoner trains as an honest trainer would, then sends −10 × its update, claiming as
    // many samples as Bob.
    train(k.poisoner, task, 1, poisonerHonest.map((v) => -10 * v), 300),
    // Two trainers misstate the samples their update was trained on.
    train(k.zero, task, 1, honestUpdate(6), 0),
    train(k.greedy, task, 1, honestUpdate(7), MAX_SAMPLES + 1),
  ]);
  const [bob1, charlie1, poisoner1, zero1, greedy1] = trained1;
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
  const selected1 = (await roundOf(task, 1)).trainers.map((t) => name(t.who)).sort();
  assert.deepEqual(selected1, ['bob', 'charlie', 'ferdie', 'greedy', 'poisoner', 'sybil', 'zero']);

  // The honest trainers and the poisoner reveal (a poisoned update is well-formed); then the
  // other attackers try.
  await Promise.all([bob1, charlie1, poisoner1].map((t) => reveal(t, task, 1)));
  assert.equal((await waitForDuty(k.ferdie, 'Reveal')).commitment.toHex(), bobsCommitment.toHex());
  await Promise.all([
    // Bob's bytes and Bob's salt open Bob's commitment for Bob only.
    sendRefused(api.tx.federated.revealUpdate(task, 1, u8aToHex(bob1.update), bob1.salt), k.ferdie, 'CommitmentMismatch'),
    // The sybil's own commitment opens, but Charlie revealed these bytes first.
    sendRefused(api.tx.federated.revealUpdate(task, 1, u8aToHex(charlie1.update), sybilSalt), k.sybil, 'DuplicateUpdate'),
    // An update must claim 1..=maxSamples samples.
    sendRefused(api.tx.federated.revealUpdate(task, 1, u8aToHex(zero1.update), zero1.salt), k.zero, 'SamplesOutOfRange'),
    sendRefused(api.tx.federated.revealUpdate(task, 1, u8aToHex(greedy1.update), greedy1.salt), k.greedy, 'SamplesOutOfRange'),
  ]);

  // The reveal phase runs to its end (four committed trainers never revealed); then scoring
  // opens with the three revealed updates. The lazy aggregator commits to scores it never
  // computed.
  const scored1 = await Promise.all([score(k.dave, task, 1, 20), score(k.eve, task, 1, 21)]);
  scored1.forEach((s) => assert.deepEqual(s.owners, scored1[0].owners, 'one order of updates'));
  assert.deepEqual([...scored1[0].owners].sort(), ['bob', 'charlie', 'poisoner'], 'every revealed update is scored');
  await waitForDuty(k.lazy, 'Score');
  await sendOk(api.tx.federated.commitScores(task, 1, blake2AsU8a('no scores computed', 256)), k.lazy);
  const at1 = (owner) => scored1[0].owners.indexOf(owner);
  for (const s of scored1) {
    const verdicts = judge(s.scores, GATE);
    assert.ok(verdicts[at1('poisoner')].slashed, `the poisoned update scores ${s.scores[at1('poisoner')]}, far below the honest ones (${s.scores})`);
    assert.ok(verdicts[at1('bob')].accepted && verdicts[at1('charlie')].accepted);
  }
  const [daveScores1, eveScores1] = scored1;
  await revealScores(daveScores1, task, 1);
  // The lazy aggregator copies Dave's revealed scores: they do not open its own commitment.
  await waitForDuty(k.lazy, 'RevealScores');
  const davesScores = (await roundOf(task, 1)).aggregators.find((a) => a.who.toString() === k.dave.address).scores.unwrap();
  assert.deepEqual(davesScores.map((s) => s.toNumber()), daveScores1.scores);
  await Promise.all([
    revealScores(eveScores1, task, 1),
    sendRefused(api.tx.federated.revealScores(task, 1, davesScores, saltOf(k.lazy, task, 1, 'scores')), k.lazy, 'CommitmentMismatch'),
  ]);

  // The score reveal phase runs to its end (the lazy aggregator never revealed). The chain
  // accepts Bob's and Charlie's updates, not the poisoned one: aggregation opens with exactly
  // those two, weighted by their samples.
  const computed1 = await Promise.all([aggregate(k.dave, task, 1), aggregate(k.eve, task, 1, 3)]);
  computed1.forEach((c) => {
    assert.deepEqual([...c.owners].sort(), ['bob', 'charlie'], 'the Aggregate duty lists exactly the accepted updates');
    assert.deepEqual(Object.fromEntries(c.owners.map((o, i) => [o, c.samples[i]])), { bob: 300, charlie: 100 });
    assert.equal(u8aToHex(c.hash), u8aToHex(computed1[0].hash));
  });
  const global1 = u8aToHex(computed1[0].hash);
  assert.notEqual(global1, global0);
  // Had the poisoned update entered (every revealed update, weighted by its claimed samples),
  // the model would be another, and worse.
  const everyUpdate = scored1[0].updates.map((u) => ({ values: u.values, samples: u.samples }));
  const total = everyUpdate.reduce((s, u) => s + u.samples, 0);
  const poisonedModel = computed1[0].global.map((g, j) => g + Math.floor(everyUpdate.reduce((s, u) => s + u.samples * u.values[j], 0) / total));
  const [honestQuality, poisonedQuality] = [evaluate(computed1[0].values), evaluate(poisonedModel)];
  assert.ok(poisonedQuality.accuracy < honestQuality.accuracy, `poisoned: accuracy ${poisonedQuality.accuracy}, accepted only: ${honestQuality.accuracy}`);
  assert.ok(honestQuality.accuracy >= evaluate(computed1[0].global).accuracy, 'the accepted updates do not make the model worse');

  // The lazy aggregator commits to a result it never computed, claiming more than 100%.
  await waitForDuty(k.lazy, 'Aggregate');
  const lazyResult = { hash: blake2AsU8a('no aggregate computed', 256), metrics: { lossMicros: 0, accuracyMicros: MAX_SCORE + 1 } };
  const [dave1, eve1, lazy1] = await Promise.all([
    commitAggregate(k.dave, task, 1, computed1[0]),
    commitAggregate(k.eve, task, 1, computed1[1]),
    commitAggregate(k.lazy, task, 1, lazyResult),
  ]);
  await revealAggregate(dave1, task, 1, computed1[0].bytes);
  // It copies Dave's revealed result from the chain: that does not open its own commitment, with
  // any salt. Its own commitment opens, but no accuracy is above 100%.
  await waitForDuty(k.lazy, 'RevealAggregate');
  const davesResult = (await roundOf(task, 1)).aggregators.find((a) => a.who.toString() === k.dave.address).submission.unwrap();
  assert.equal(davesResult.aggregate.toHex(), global1);
  await Promise.all([
    revealAggregate(eve1, task, 1, null),
    (async () => {
      await sendRefused(
        api.tx.federated.revealAggregate(task, 1, davesResult.aggregate, davesResult.metrics, dave1.salt, null),
        k.lazy,
        'CommitmentMismatch',
      );
      await sendRefused(
        api.tx.federated.revealAggregate(task, 1, lazy1.hash, lazy1.metrics, lazy1.salt, null),
        k.lazy,
        'MetricsOutOfRange',
      );
    })(),
  ]);

  // The aggregate reveal phase runs to its end (the lazy aggregator never revealed); the two
  // agreeing aggregators are a quorum.
  const round1 = await waitForDecision(task, 1);
  assert.equal(round1.phase.asFinalized.aggregate.toHex(), global1, 'the aggregate of exactly the accepted updates is the new model');
  const blocks = await recorder.stop();

  // --- What the chain did, from the blocks' events.
  const median1 = Object.fromEntries(scored1[0].owners.map((owner, j) => [owner, lowerMedian(scored1.map((s) => s.scores[j]))]));
  assert.deepEqual(scoredIn(task, 0), { bob: { score: median0.bob, accepted: true }, charlie: { score: median0.charlie, accepted: true } });
  assert.deepEqual(scoredIn(task, 1), {
    bob: { score: median1.bob, accepted: true },
    charlie: { score: median1.charlie, accepted: true },
    poisoner: { score: median1.poisoner, accepted: false },
  }, 'round 1: the poisoned update is scored, and not accepted');
  const [aggregationOpened1] = ofRound('AggregationOpened', task, 1);
  assert.equal(aggregationOpened1.data.updates.toNumber(), 2, 'aggregation opens with the accepted updates only');
  assert.equal(ofRound('ScoringOpened', task, 1)[0].data.updates.toNumber(), 3);

  const rewards1 = expectedRewards({ bob: median1.bob, charlie: median1.charlie }, ['dave', 'eve']);
  assert.deepEqual(rewardedIn(task, 0), rewards0, 'round 0 paid everyone by the median scores');
  assert.deepEqual(rewardedIn(task, 1), rewards1, 'round 1 paid the honest ones only');
  assert.deepEqual(slashedIn(task, 0), [], 'nobody is slashed in an honest round');
  const trainerSlash = perbillOf(PENALTY, trainerBond);
  const lazySlash = perbillOf(PENALTY, aggregatorBond);
  assert.deepEqual(slashedIn(task, 1), [
    `ferdie NoReveal ${trainerSlash}`,
    `greedy NoReveal ${trainerSlash}`,
    `lazy NoAggregateReveal ${perbillOf(PENALTY, aggregatorBond - lazySlash)}`,
    `lazy NoScoresReveal ${lazySlash}`,
    `poisoner Rejected ${trainerSlash}`,
    `sybil NoReveal ${trainerSlash}`,
    `zero NoReveal ${trainerSlash}`,
  ]);
  const [finalized1] = ofRound('RoundFinalized', task, 1);
  const metrics1 = {
    lossMicros: lowerMedian(computed1.map((c) => c.metrics.lossMicros)),
    accuracyMicros: lowerMedian(computed1.map((c) => c.metrics.accuracyMicros)),
  };
  assert.deepEqual(metricsOf(finalized1.data.metrics), metrics1);
  assert.equal(finalized1.data.agreeing.toNumber(), 2);
  assert.equal(finalized1.data.royalties.toBigInt(), sum(royalties), 'round 1 paid the accepted updates\' royalties, not the poisoner\'s');
  // The royalties, from the data market's events: each accepted update's dataset owner, once a
  // round, at the royalty it joined with; nothing for the rejected update.
  for (const round of [0, 1]) {
    const paid = royaltiesIn(task, round);
    assert.deepEqual(paid, ['bob', 'charlie'].map((n) => `${n} ${listed[n].id} ${royalties[n]}`).sort(), `round ${round}'s royalties`);
  }
  const [finished] = eventsIn(blocks, 'federated', 'TaskFinished').filter(({ data }) => data.task.toNumber() === task);
  assert.equal(
    finished.data.refund.toBigInt(),
    budget - sum(rewards0) - sum(rewards1) - 2n * sum(royalties),
    'what the rounds did not spend of the budget went back to the owner',
  );
  const failed = failuresIn(blocks)
    .map((f) => `${nameOf.get(f.signer)} ${f.section}.${f.method}: ${f.error.section}.${f.error.name}`)
    .sort();
  assert.deepEqual(failed, [
    'bob federated.createTask: federated.InvalidGate',
    'dave federated.createTask: federated.InvalidQuorum',
    'eve federated.createTask: federated.PenaltyTooLow',
    'ferdie federated.join: federated.BondTooLow',
    'ferdie federated.revealUpdate: federated.CommitmentMismatch',
    'greedy federated.join: dataMarket.SchemaMismatch',
    'greedy federated.revealUpdate: federated.SamplesOutOfRange',
    'lazy federated.revealAggregate: federated.CommitmentMismatch',
    'lazy federated.revealAggregate: federated.MetricsOutOfRange',
    'lazy federated.revealScores: federated.CommitmentMismatch',
    'poisoner federated.join: dataMarket.RoyaltyTooHigh',
    'sybil federated.join: dataMarket.AlreadyInTask',
    'sybil federated.revealUpdate: federated.DuplicateUpdate',
    'zero federated.join: dataMarket.NotOwnerOrDelegate',
    'zero federated.revealUpdate: federated.SamplesOutOfRange',
  ].sort(), 'exactly the refusals the test provoked');

  // --- The finished rounds, read back through the runtime API.
  const expected = [
    { round: 0, hash: global0, medians: median0, rewards: rewards0, metrics: metrics0, updates: 2, accepted: 2 },
    { round: 1, hash: global1, medians: median1, rewards: rewards1, metrics: metrics1, updates: 3, accepted: 2 },
  ];
  const samplesOf = { bob: 300, charlie: 100, poisoner: 300 };
  for (const { round, hash, medians, rewards, metrics, updates, accepted } of expected) {
    const record = await roundOf(task, round);
    assert.equal(record.phase.asFinalized.aggregate.toHex(), hash);
    for (const t of record.trainers) {
      const who = name(t.who);
      const revealed = who in medians;
      assert.equal(t.update.isSome, revealed, `${who}'s update is on chain iff it was revealed`);
      assert.equal(t.samples.toNumber(), revealed ? samplesOf[who] : 0, `${who}'s samples`);
      assert.equal(t.score.isSome ? t.score.unwrap().toNumber() : null, revealed ? medians[who] : null, `${who}'s score is the lower median`);
      assert.equal(t.accepted.isTrue, revealed && who !== 'poisoner', `${who}'s update is accepted iff honest`);
      assert.equal(t.reward.toBigInt(), rewards[who] ?? 0n, `${who}'s reward`);
    }
    for (const a of record.aggregators) assert.equal(a.reward.toBigInt(), rewards[name(a.who)] ?? 0n);
    const aggregateAt = record.aggregates.find((p) => p.payloadHash.toHex() === hash);
    const payload = decodePayload(await fetchPayload(aggregateAt));
    assert.deepEqual({ kind: payload.kind, samples: payload.samples, params: payload.values.length }, { kind: AGGREGATE, samples: 0, params: PARAMS });

    const summary = (await api.call.federatedApi.roundSummary(task, round)).unwrap();
    assert.equal(summary.outcome.asFinalized.aggregate.toHex(), hash);
    assert.equal(summary.started.toNumber(), record.started.toNumber());
    assert.deepEqual([summary.updates.toNumber(), summary.accepted.toNumber()], [updates, accepted]);
    assert.deepEqual(metricsOf(summary.metrics.unwrap()), metrics);
    assert.equal(summary.paid.toBigInt(), sum(rewards));
    assert.equal(summary.royalties.toBigInt(), sum(royalties), `round ${round}'s summary has its royalties`);
  }
  assert.ok((await api.call.federatedApi.roundSummary(task, 2)).isNone, 'no third round');
  const history = (await api.call.federatedApi.roundHistory(task)).toArray();
  assert.deepEqual(
    history.map(([round, s]) => ({
      round: round.toNumber(),
      hash: s.outcome.asFinalized.aggregate.toHex(),
      updates: s.updates.toNumber(),
      accepted: s.accepted.toNumber(),
      metrics: metricsOf(s.metrics.unwrap()),
      paid: s.paid.toBigInt(),
      royalties: s.royalties.toBigInt(),
    })),
    expected.map(({ round, hash, updates, accepted, metrics, rewards }) => ({ round, hash, updates, accepted, metrics, paid: sum(rewards), royalties: sum(royalties) })),
    'the round history: every round, oldest first, with its metrics and royalties',
  );
  // The lineage, through the DataMarketApi: round by round, the datasets whose updates entered
  // the model, with their owners, trainers, scores and royalties.
  const lineage = (await api.call.dataMarketApi.taskLineage(task)).toArray();
  assert.deepEqual(
    lineage.map((r) => ({
      round: r.round.toNumber(),
      datasets: r.datasets.map((u) => ({
        dataset: u.dataset.toNumber(),
        owner: name(u.owner),
        trainer: name(u.trainer),
        score: u.score.toNumber(),
        royalty: u.royalty.toBigInt(),
      })).sort((a, b) => a.dataset - b.dataset),
    })),
    expected.map(({ round, medians }) => ({
      round,
      datasets: ['bob', 'charlie']
        .map((n) => ({ dataset: listed[n].id, owner: n, trainer: n, score: medians[n], royalty: royalties[n] }))
        .sort((a, b) => a.dataset - b.dataset),
    })),
    'the lineage names exactly the accepted updates\' datasets, not the poisoner\'s',
  );
  for (const n of ['bob', 'charlie', 'poisoner']) {
    const uses = (await api.call.dataMarketApi.datasetTasks(listed[n].id)).toArray();
    const earned = n === 'poisoner' ? { rounds: 0, royalties: 0n } : { rounds: 2, royalties: 2n * royalties[n] };
    assert.deepEqual(
      uses.map((u) => ({ task: u.task.toNumber(), active: u.usage.active.isTrue, rounds: u.usage.rounds.toNumber(), royalties: u.usage.royalties.toBigInt() })),
      [{ task, active: true, ...earned }],
      `${n}'s dataset trained ${earned.rounds} rounds of the task`,
    );
  }
  assert.ok(metrics1.lossMicros < metrics0.lossMicros, 'the validation loss fell from round 0 to round 1');
  const done = (await api.call.federatedApi.task(task)).unwrap();
  assert.ok(done.status.isFinished);
  assert.equal(done.nextRound.toNumber(), 2);
  assert.equal(done.globalModel.unwrap().payloadHash.toHex(), global1);
  assert.equal(done.budget.toBigInt(), 0n);
  assert.ok(done.ended.isSome);
  assert.equal((await duties(k.bob)).length, 0, 'nothing left to do');

  // --- Balances: Bob's moved by exactly his bond, his listing's deposit, his rewards, his
  // dataset's royalties and his fees; Ferdie's and the poisoner's by what their bonds took from
  // their free balance, deposits and fees (they were paid nothing), and a tenth of each bond is
  // gone from their stake. Bob and the poisoner had no trainer stake: their whole bond was
  // bonded anew; Ferdie's genesis stake covered part of his.
  const anew = Object.fromEntries(['bob', 'ferdie', 'poisoner'].map((n) => [n, bondedAnew(start[n].stake, trainerBond)]));
  assert.deepEqual(anew, { bob: trainerBond, ferdie: trainerBond - start.ferdie.stake.active, poisoner: trainerBond });
  assert.ok(start.ferdie.stake.active > 0n && start.ferdie.stake.committed === 0n, 'Ferdie starts with trainer stake, committed to nothing');
  const bob = await account(k.bob);
  assert.equal(bob.reserved.toBigInt(), start.bob.reserved + trainerBond + deposits.bob, 'Bob\'s bond is still held, whole, and his listing\'s deposit');
  assert.equal(
    bob.free.toBigInt(),
    start.bob.free - deposits.bob - trainerBond + rewards0.bob + rewards1.bob + 2n * royalties.bob - fees.get(k.bob.address),
  );
  assert.deepEqual(await trainerStake(k.bob), { active: trainerBond, committed: trainerBond }, 'Bob\'s bond is his trainer stake, committed to the task');
  for (const who of ['ferdie', 'poisoner']) {
    const now = await account(k[who]);
    assert.equal(now.reserved.toBigInt(), start[who].reserved + anew[who] - trainerSlash + deposits[who], `${who} lost a tenth of its bond`);
    assert.equal(now.free.toBigInt(), start[who].free - anew[who] - deposits[who] - fees.get(k[who].address), `${who} was paid nothing`);
    assert.equal((await api.query.federated.participants(task, k[who].address)).unwrap().bond.toBigInt(), trainerBond - trainerSlash);
    assert.deepEqual(
      await trainerStake(k[who]),
      { active: start[who].stake.active + anew[who] - trainerSlash, committed: trainerBond - trainerSlash },
      `${who}'s trainer stake lost the slash; the rest of its bond is still committed`,
    );
  }

  // An ended task is kept (with its deposit) for the retention period before anyone may prune it.
  const bobFees = fees.get(k.bob.address);
  const [, bobLeft] = await Promise.all([
    sendRefused(api.tx.federated.pruneTask(task), k.alice, 'NotPrunable'),
    sendOk(api.tx.federated.leave(task), k.bob),
    sendOk(api.tx.federated.leave(task), k.poisoner),
  ]);
  const released = bobLeft.events.filter(({ event }) => event.section === 'incentives' && event.method === 'Released')
    .map(({ event: { data } }) => ({ who: data.who.toString(), role: data.role.type, amount: data.amount.toBigInt() }));
  assert.deepEqual(released, [{ who: k.bob.address, role: 'Trainer', amount: trainerBond }], 'Bob\'s leave released his bond from the task');
  // Leaving releases the bond from the task; it stays bonded as trainer stake (held, and
  // committed to nothing) until its owner unbonds it.
  assert.equal(await reserved(k.bob), start.bob.reserved + trainerBond + deposits.bob, 'Bob\'s bond stays held as his stake, and so does his listing\'s deposit');
  assert.deepEqual(await trainerStake(k.bob), { active: trainerBond, committed: 0n }, 'Bob\'s bond is released from the task, still bonded');
  assert.equal(await reserved(k.poisoner), start.poisoner.reserved + trainerBond - trainerSlash + deposits.poisoner, 'what is left of the poisoner\'s bond stays held as its stake');
  assert.deepEqual(await trainerStake(k.poisoner), { active: trainerBond - trainerSlash, committed: 0n }, 'what is left of the poisoner\'s bond is released from the task, still bonded');
  assert.equal((await account(k.bob)).free.toBigInt(), bob.free.toBigInt() - fees.get(k.bob.address) + bobFees, 'leaving gave Bob nothing back to his free balance (he paid its fee)');
  const left = (await api.call.dataMarketApi.datasetTasks(listed.bob.id)).toArray();
  assert.deepEqual(left.map((u) => [u.task.toNumber(), u.usage.active.isTrue]), [[task, false]], 'Bob\'s dataset left the task with him');
});
