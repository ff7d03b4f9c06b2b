// Compute leases on a real dev node with the ML worker (`--dev --ml-worker`): a consumer leases
// a slot, the node's worker heartbeats, answers a challenge that other workers confirm,
// aggregates a round of the consumer's task, and the provider settles exactly what the served
// blocks are worth.
//
// The worker registers an offer for each dev compute provider by itself: `//Ferdie//stash` (the
// provider this test leases, which does nothing else) and the aggregators `//Alice//stash` and
// `//Bob//stash` (so that a challenge of one has the two others to verify it: the runtime's
// quorum is two). The consumer (`//Alice`) leases one slot of `//Ferdie//stash` at the offer's
// price, with the whole price held in escrow, and creates a one-round digits task that only
// the four dev data owners may join (an allowlist, set in the block that creates the task), with
// a single aggregator: the dev aggregators are refused, so the round finalizes only because the
// leased worker joins the consumer's task as its aggregator (a worker leased by a task's owner
// may join it whatever the allowlist). Meanwhile the test checks, from the chain's own records:
// - the leased worker heartbeats while its lease runs, never letting the interval pass;
// - Root challenges it (`sudo(computeLease.challenge)`); it commits and reveals its answer, the
//   two other providers verify it with the same answer, and the challenge passes with that
//   answer as the quorum's and a verified score in the offer, nobody slashed;
// - the round finalizes with the leased worker's aggregate, the only one revealed;
// - a third account settles the lease: the worker is paid exactly slots × price × the blocks
//   served (up to the settling block, its heartbeats being on time), its free balance rises by
//   exactly that (less any fee it paid in that block), and the consumer's escrow falls by it;
// - the consumer ends the lease: the worker is paid for the blocks since, the consumer gets the
//   unserved rest back, no escrow is left, and settled + paid + refunded is the whole escrow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, connect, nodeBinary } from './lib/node.js';
import { dispatchErrorOf, feePaid, sendAndWait } from './lib/tx.js';
import { eventsIn, recordBlocks } from './lib/blocks.js';
import { AGGREGATE, decodePayload, payloadAt } from './lib/payload.js';
import { RECOMMENDED_GATE } from './lib/gate.js';

const UNIT = 10n ** 12n;
const SCALE = 1 << 16;
// The dev keys of offchain-workers/worker/src/dev.rs.
const OWNERS = ['//Charlie', '//Dave', '//Eve', '//Ferdie'];
const DEV_AGGREGATORS = ['//Alice//stash', '//Bob//stash', '//Charlie//stash'];
const PROVIDER = '//Ferdie//stash';
const VERIFIERS = ['//Alice//stash', '//Bob//stash'];
// The consumer (also the sudo key, which challenges) and a third account that settles.
const CONSUMER = '//Alice';
const SETTLER = '//Bob';
const SLOTS = 1;
// Long enough for the challenge and the round (the consumer ends it early); clamped to the
// offer's range.
const WANTED_BLOCKS = 200;
const GATE = RECOMMENDED_GATE;

let node;
let api;
let dir;
let recorder;
let validationHash;
let k;
const uriOf = new Map();
const name = (address) => uriOf.get(address.toString()) ?? address.toString();

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  k = {};
  for (const uri of new Set([...OWNERS, ...DEV_AGGREGATORS, PROVIDER, ...VERIFIERS, CONSUMER, SETTLER])) {
    k[uri] = keyring.addFromUri(uri);
    uriOf.set(k[uri].address, uri);
  }
  dir = mkdtempSync(join(tmpdir(), 'cohort-compute-e2e-'));
  // The dev validation set's hash, as the node binary computes it: what the task names (the
  // worker writes the same set into its data directory, and aggregators need it).
  validationHash = JSON.parse(
    execFileSync(nodeBinary(), ['ml-validation-set', '--out', join(dir, 'validation.cohd')], { encoding: 'utf8' }),
  ).hash;
  node = await startNode({ args: ['--dev', '--ml-worker', '--ml-data', join(dir, 'ml')], name: 'compute-lease' });
  api = await connect(node.url);
  recorder = recordBlocks(api);
});

after(async () => {
  await recorder?.stop().catch(() => {});
  await api?.disconnect();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Polls `probe` (async; a value other than undefined/false/null ends it) every half second. */
async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      const head = (await api.rpc.chain.getHeader()).number.toNumber();
      throw new Error(`${what}: not within ${timeoutMs / 1000} s (best block #${head})`);
    }
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

/** The recorded events of `section.method` that satisfy `pred`, each with its block number. */
const recorded = (section, method, pred = () => true) => eventsIn(recorder.blocks, section, method).filter(pred);

/** Waits for the first recorded event of `section.method` that satisfies `pred`. */
const waitForEvent = (section, method, pred, timeoutMs, what = `${section}.${method}`) =>
  until(what, () => recorded(section, method, pred)[0], timeoutMs);

const blockNumberOf = async (hash) => (await api.rpc.chain.getHeader(hash)).number.toNumber();
const parentOf = async (hash) => (await api.rpc.chain.getHeader(hash)).parentHash;
const eventsAt = async (hash) => (await api.at(hash)).query.system.events();

/** What `who` has held under `ComputeLease::Escrow` at block `hash`. */
async function escrowAt(hash, who) {
  const holds = await (await api.at(hash)).query.balances.holds(who);
  return holds
    .filter(({ id }) => id.isComputeLease && id.asComputeLease.isEscrow)
    .reduce((sum, { amount }) => sum + amount.toBigInt(), 0n);
}

const freeAt = async (hash, who) => (await (await api.at(hash)).query.system.account(who)).data.free.toBigInt();

/**
 * Signs `txs` with `signer`'s consecutive nonces and submits them together, so that they go in
 * the same block; resolves with each one's block hash, events and error, in order.
 */
async function sendTogether(signer, txs, timeoutMs = 120_000) {
  const first = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
  const signed = [];
  for (const [i, tx] of txs.entries()) signed.push(await tx.signAsync(signer, { nonce: first + i }));
  return Promise.all(signed.map((tx) => new Promise((ok, fail) => {
    let unsub = null;
    const timer = setTimeout(() => { unsub?.(); fail(new Error(`${tx.method.section}.${tx.method.method}: not in a block within ${timeoutMs} ms`)); }, timeoutMs);
    tx.send(({ status, events, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        clearTimeout(timer);
        unsub?.();
        fail(new Error(`${tx.method.section}.${tx.method.method}: transaction ${status.type}`));
      } else if (status.isInBlock) {
        clearTimeout(timer);
        unsub?.();
        ok({ blockHash: status.asInBlock, events, error: dispatchErrorOf(api, dispatchError) });
      }
    }).then((u) => { unsub = u; }).catch((e) => { clearTimeout(timer); fail(e); });
  })));
}

test('a consumer leases a slot: the worker heartbeats, passes a challenge its peers confirm, aggregates the consumer\'s round, and is paid exactly the blocks it served', async () => {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const provider = k[PROVIDER].address;
  const consumer = k[CONSUMER];

  // --- 1. The worker registers the dev providers' offers by itself.
  const providers = [PROVIDER, ...VERIFIERS];
  const offers = await until(
    'the dev providers\' offers',
    async () => {
      const all = await Promise.all(providers.map((uri) => api.query.computeLease.offers(k[uri].address)));
      return all.every((o) => o.isSome) && all.map((o) => o.unwrap());
    },
    240_000,
  );
  const minBond = api.consts.computeLease.minBond.toBigInt();
  offers.forEach((offer, i) => {
    const t = offer.terms;
    assert.ok(offer.status.isActive, `${providers[i]}'s offer is active`);
    assert.ok(t.slots.toNumber() >= SLOTS && t.price.toBigInt() > 0n && t.bond.toBigInt() >= minBond, `${providers[i]}'s terms: ${t}`);
    assert.ok(offer.claimedScore.toNumber() > 0, `${providers[i]} claims the score its benchmark measured`);
  });
  const offer = offers[0];
  const { terms } = offer;
  // Each was registered by its own key (OfferRegistered, read from the blocks up to now).
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const registered = new Map();
  for (let n = 1; n <= head; n += 1) {
    const hash = await api.rpc.chain.getBlockHash(n);
    const [signed, events] = await Promise.all([api.rpc.chain.getBlock(hash), eventsAt(hash)]);
    for (const { phase, event } of events) {
      if (!api.events.computeLease.OfferRegistered.is(event)) continue;
      const xt = signed.block.extrinsics[phase.asApplyExtrinsic.toNumber()];
      registered.set(event.data.worker.toString(), { block: n, signer: xt.signer.toString(), data: event.data });
    }
  }
  for (const uri of providers) {
    const r = registered.get(k[uri].address);
    assert.ok(r, `an OfferRegistered event for ${uri}`);
    assert.equal(r.signer, k[uri].address, `${uri} registered its own offer`);
  }
  const pdata = registered.get(provider).data;
  assert.deepEqual(
    [pdata.slots.toNumber(), pdata.price.toBigInt(), pdata.bond.toBigInt(), pdata.claimedScore.toNumber()],
    [terms.slots.toNumber(), terms.price.toBigInt(), terms.bond.toBigInt(), offer.claimedScore.toNumber()],
  );
  const PRICE = terms.price.toBigInt();
  const BLOCKS = Math.min(Math.max(WANTED_BLOCKS, terms.minBlocks.toNumber()), terms.maxBlocks.toNumber());
  console.log(`[${elapsed()}] offers registered (blocks ${providers.map((u) => registered.get(k[u].address).block).join(', ')}); ${PROVIDER}: ${terms.slots} slots at ${PRICE} per slot per block, leases of ${terms.minBlocks} to ${terms.maxBlocks} blocks, bond ${terms.bond}, claimed score ${offer.claimedScore}`);

  // --- 2. In one block: the consumer leases a slot of the provider and creates a one-round task
  // that only the dev data owners may join, with one aggregator.
  const task = (await api.query.federated.nextTaskId()).toNumber();
  const spec = {
    model: { Mlp: { input: 64, hidden: [32], classes: 10 } },
    initialModel: { Seed: 7 },
    training: { epochs: 5, batchSize: 16, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: SCALE,
    aggregation: 'WeightedMean',
    gate: GATE,
    maxSamples: 2000,
    rounds: 1,
    minTrainers: OWNERS.length,
    maxTrainers: OWNERS.length,
    aggregators: 1,
    quorum: 1,
    phases: { commit: 20, reveal: 10, score: 20, scoreReveal: 10, aggregate: 20, aggregateReveal: 10 },
    maxPayloadBytes: 64 * 1024,
    rewardPerRound: 10n * UNIT,
    aggregatorShare: 200_000_000,
    penalty: 100_000_000,
    validationSet: validationHash,
    datasets: { maxRoyalty: UNIT / 2n, minReputation: 0, allowlist: [] },
  };
  const [leased, created, allowed] = await sendTogether(consumer, [
    api.tx.computeLease.lease(provider, SLOTS, BLOCKS, PRICE),
    api.tx.federated.createTask(spec),
    api.tx.federated.setAllowlist(task, OWNERS.map((u) => k[u].address)),
  ]);
  assert.equal(leased.error, null, 'the lease');
  assert.equal(created.error, null, 'the task');
  assert.equal(allowed.error, null, 'the allowlist');
  assert.equal(created.events.find(({ event }) => event.method === 'TaskCreated').event.data.task.toNumber(), task);
  assert.equal(created.blockHash.toHex(), allowed.blockHash.toHex(), 'the allowlist is set in the block that creates the task, before anyone joins');

  const [startedEvent] = leased.events.filter(({ event }) => api.events.computeLease.LeaseStarted.is(event));
  assert.ok(startedEvent, 'LeaseStarted');
  const ls = startedEvent.event.data;
  const lease = ls.lease.toBigInt();
  const leaseBlock = await blockNumberOf(leased.blockHash);
  const ESCROW = BigInt(SLOTS) * PRICE * BigInt(BLOCKS);
  assert.deepEqual(
    { worker: ls.worker.toString(), consumer: ls.consumer.toString(), slots: ls.slots.toNumber(), price: ls.price.toBigInt(), end: ls.end.toNumber(), escrow: ls.escrow.toBigInt() },
    { worker: provider, consumer: consumer.address, slots: SLOTS, price: PRICE, end: leaseBlock + BLOCKS, escrow: ESCROW },
    'the lease: one slot at the offer\'s price from this block, slots × price × blocks in escrow',
  );
  assert.equal(await escrowAt(await parentOf(leased.blockHash), consumer.address), 0n, 'no escrow before');
  assert.equal(await escrowAt(leased.blockHash, consumer.address), ESCROW, 'the consumer\'s Escrow hold is the whole price');
  const leaseRecord = (await api.call.computeLeaseApi.lease(lease)).unwrap();
  assert.equal(leaseRecord.start.toNumber(), leaseBlock);
  assert.equal(leaseRecord.paidUntil.toNumber(), leaseBlock);
  console.log(`[${elapsed()}] lease ${lease} of ${PROVIDER} from block #${leaseBlock} to #${leaseBlock + BLOCKS}, ${ESCROW} in escrow; task ${task} created`);

  // --- 3. Root challenges the leased worker (a scheduled challenge may have come first: then
  // that one is the test's).
  const sudid = await sendAndWait(api, api.tx.sudo.sudo(api.tx.computeLease.challenge(provider)), consumer);
  assert.equal(sudid.error, null);
  const sudoResult = sudid.events.find(({ event }) => event.section === 'sudo' && event.method === 'Sudid').event.data.sudoResult;
  let challenge;
  if (sudoResult.isOk) {
    const issued = sudid.events.find(({ event }) => api.events.computeLease.ChallengeIssued.is(event));
    assert.ok(issued, 'ChallengeIssued');
    assert.equal(issued.event.data.worker.toString(), provider);
    challenge = issued.event.data.challenge.toNumber();
  } else {
    const error = dispatchErrorOf(api, sudoResult.asErr);
    assert.deepEqual(error, { section: 'computeLease', name: 'ChallengeOpen' }, 'the challenge was refused only because one is open');
    challenge = (await api.query.computeLease.offers(provider)).unwrap().challenge.unwrap().toNumber();
  }
  const open = (await api.query.computeLease.challenges(challenge)).unwrap();
  // The chain drew the verifiers when it issued the challenge: here the only two other offers.
  const drawn = open.verifiers.map(([who]) => name(who.toString())).sort();
  assert.deepEqual(drawn, [...VERIFIERS].sort(), 'the chain drew both other providers as verifiers');
  // polkadot.js names the field `size_`: `size` is a Map's (a Struct's number of fields).
  const size = open.size_.toNumber();
  // Sized so that a worker as fast as it claims computes it in a block (at most 2^20 values per
  // update): 8 updates of claimed score × block time / 8 values.
  const millisPerBlock = api.consts.computeLease.millisPerBlock.toNumber();
  const claimed = offer.claimedScore.toNumber();
  assert.equal(size, Math.min(Math.max(Math.floor((claimed * millisPerBlock) / 8), 1), 1 << 20), 'the challenge\'s size follows the claimed score');
  console.log(`[${elapsed()}] challenge ${challenge} of ${PROVIDER}: size ${size}, commit by #${open.commitBy}, reveal by #${open.revealBy}`);

  // --- 4. The worker heartbeats while the lease runs.
  const interval = api.consts.computeLease.heartbeatInterval.toNumber();
  const firstBeat = await waitForEvent(
    'computeLease', 'Heartbeat', ({ data, block }) => data.worker.toString() === provider && block > leaseBlock,
    (interval + 10) * 6_000, `a heartbeat of ${PROVIDER}`,
  );
  assert.ok(firstBeat.block <= leaseBlock + interval, `the first heartbeat (#${firstBeat.block}) came within the interval (${interval} blocks)`);
  console.log(`[${elapsed()}] ${PROVIDER} heartbeat in block #${firstBeat.block}`);

  // --- 5. The challenge: the worker and both other providers commit and reveal the same answer;
  // it passes with a verified score, nobody slashed.
  const ofChallenge = ({ data }) => data.challenge.toNumber() === challenge;
  const resolved = await waitForEvent(
    'computeLease', 'ChallengeResolved', ofChallenge,
    (open.revealBy.toNumber() - leaseBlock + 10) * 6_000, `challenge ${challenge} resolved`,
  );
  const committed = recorded('computeLease', 'ChallengeCommitted', ofChallenge).map(({ data }) => name(data.who)).sort();
  const revealed = new Map(recorded('computeLease', 'ChallengeRevealed', ofChallenge).map(({ data }) => [name(data.who), data.answer.toHex()]));
  const r = resolved.data;
  console.log(`[${elapsed()}] challenge ${challenge} resolved in #${resolved.block}: ${r.verdict}, quorum ${r.quorum}, verified score ${r.verifiedScore}; committed: ${committed.join(', ')}; revealed: ${[...revealed].map(([w, a]) => `${w} ${a.slice(0, 10)}…`).join(', ')}`);
  assert.equal(r.worker.toString(), provider);
  assert.ok(r.verdict.isPassed, `the verdict is Passed (${r.verdict})`);
  assert.ok(r.quorum.isSome, 'a quorum of verifiers agreed');
  const answer = r.quorum.unwrap().toHex();
  assert.equal(revealed.get(PROVIDER), answer, 'the quorum\'s answer is the worker\'s');
  VERIFIERS.forEach((uri) => assert.equal(revealed.get(uri), answer, `${uri} verified it with the same answer`));
  assert.deepEqual(committed, [PROVIDER, ...VERIFIERS].sort(), 'the worker and both verifiers committed');
  assert.equal(r.slashed.toBigInt(), 0n, 'the worker is not slashed');
  assert.deepEqual(recorded('computeLease', 'VerifierSlashed', ofChallenge), [], 'no verifier is slashed');
  assert.ok(r.verifiedScore.isSome && r.verifiedScore.unwrap().toNumber() > 0, 'a verified score');
  const verified = r.verifiedScore.unwrap().toNumber();
  // The score its answer shows: the values it aggregated over the blocks it took to commit
  // (less the block that issued the challenge, at least one), at most its claim.
  const [ownCommit] = recorded('computeLease', 'ChallengeCommitted', (ev) => ofChallenge(ev) && ev.data.who.toString() === provider);
  const took = Math.max(ownCommit.block - open.issued.toNumber() - 1, 1) * millisPerBlock;
  assert.equal(verified, Math.max(Math.min(Math.floor((size * 8) / took), claimed), 1), `the verified score is what answering in ${took} ms shows`);
  assert.ok(verified <= claimed, `the verified score (${verified}) is at most the claim (${claimed})`);
  const afterChallenge = (await (await api.at(recorder.blocks.find((b) => b.number === resolved.block).hash)).query.computeLease.offers(provider)).unwrap();
  assert.equal(afterChallenge.verifiedScore.unwrap().toNumber(), verified, 'the offer keeps the verified score');
  assert.ok(afterChallenge.challenge.isNone, 'no challenge is open any more');
  assert.ok((await api.query.computeLease.challenges(challenge)).isNone, 'the challenge is gone');

  // --- 6. The round of the consumer's task finalizes with the leased worker's aggregate.
  const finalized = await waitForEvent(
    'federated', 'RoundFinalized', ({ data }) => data.task.toNumber() === task,
    360_000, `round 0 of task ${task} finalized`,
  );
  const failed = recorded('federated', 'RoundFailed', ({ data }) => data.task.toNumber() === task);
  assert.deepEqual(failed.map(({ data }) => data.reason.toString()), [], 'no round of the task failed');
  const record = (await (await api.at(recorder.blocks.find((b) => b.number === finalized.block).hash)).call.federatedApi.round(task, 0)).unwrap();
  assert.ok(record.phase.isFinalized, `round 0 is finalized (${record.phase})`);
  const aggregate = record.phase.asFinalized.aggregate;
  assert.deepEqual(record.aggregators.map((a) => a.who.toString()), [provider], 'the leased worker is the round\'s aggregator');
  const [slot] = record.aggregators;
  assert.ok(slot.submission.isSome && slot.submission.unwrap().aggregate.eq(aggregate), 'its revealed aggregate is the round\'s model');
  assert.equal(finalized.data.agreeing.toNumber(), 1);
  assert.ok(finalized.data.aggregate.eq(aggregate));
  const payload = decodePayload(await payloadAt(api, record.aggregates.find((a) => a.payloadHash.eq(aggregate))));
  assert.deepEqual({ kind: payload.kind, task: payload.task, round: payload.round }, { kind: AGGREGATE, task, round: 0 }, 'the aggregate\'s payload is in the block body');
  const revealedBy = recorded('federated', 'AggregateRevealed', ({ data }) => data.task.toNumber() === task).map(({ data }) => name(data.who));
  assert.deepEqual(revealedBy, [PROVIDER], 'only the leased worker revealed an aggregate');
  // Who joined: the four owners as trainers and the leased worker as the one aggregator; the dev
  // aggregators were refused (not on the allowlist, not leased).
  const joined = recorded('federated', 'Joined', ({ data }) => data.task.toNumber() === task)
    .map(({ data }) => `${name(data.who)} ${data.role.type}`).sort();
  assert.deepEqual(joined, [...OWNERS.map((u) => `${u} Trainer`), `${PROVIDER} Aggregator`].sort(), 'who joined the task');
  const accepted = record.trainers.filter((t) => t.accepted.isTrue).length;
  console.log(`[${elapsed()}] round 0 of task ${task} finalized in #${finalized.block} with ${PROVIDER}'s aggregate ${aggregate.toHex().slice(0, 10)}… (${accepted}/${record.trainers.length} updates accepted, accuracy ${finalized.data.metrics.accuracyMicros.toNumber() / 1e4}%)`);

  // The heartbeats kept the lease served: never more than the interval apart since it began.
  const beats = [leaseBlock, ...recorded('computeLease', 'Heartbeat', ({ data, block }) => data.worker.toString() === provider && block > leaseBlock).map(({ block }) => block)];
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  [...beats, now].slice(1).forEach((b, i) => assert.ok(b - beats[i] <= interval, `heartbeats of ${PROVIDER} at most ${interval} blocks apart: ${beats.join(', ')}`));
  assert.ok(recorded('computeLease', 'HeartbeatMissed').length === 0, 'nobody missed a heartbeat');

  // --- 7. A third account settles: the worker gets exactly the served blocks' worth.
  const settled = await sendAndWait(api, api.tx.computeLease.settle(lease), k[SETTLER]);
  assert.equal(settled.error, null, 'settle');
  const settleBlock = await blockNumberOf(settled.blockHash);
  const [s] = settled.events.filter(({ event }) => api.events.computeLease.Settled.is(event)).map(({ event }) => event.data);
  assert.ok(s, 'Settled');
  assert.equal(s.lease.toBigInt(), lease);
  assert.equal(s.worker.toString(), provider);
  assert.equal(s.paidUntil.toNumber(), settleBlock, 'served up to the settling block: the heartbeats are on time');
  const SETTLED = BigInt(SLOTS) * PRICE * BigInt(s.paidUntil.toNumber() - leaseBlock);
  assert.equal(s.amount.toBigInt(), SETTLED, 'paid slots × price × blocks served');
  const settleParent = await parentOf(settled.blockHash);
  const providerFee = feePaid(await eventsAt(settled.blockHash), { address: provider });
  assert.equal(
    (await freeAt(settled.blockHash, provider)) - (await freeAt(settleParent, provider)),
    SETTLED - providerFee,
    `${PROVIDER}'s free balance rose by exactly the payment (less the fee of ${providerFee} it paid in that block)`,
  );
  assert.equal(
    (await escrowAt(settleParent, consumer.address)) - (await escrowAt(settled.blockHash, consumer.address)),
    SETTLED,
    'the consumer\'s escrow fell by exactly the payment',
  );
  assert.equal(await escrowAt(settled.blockHash, consumer.address), ESCROW - SETTLED);
  assert.equal((await (await api.at(settled.blockHash)).query.computeLease.leases(lease)).unwrap().paidUntil.toNumber(), settleBlock);
  console.log(`[${elapsed()}] settled in #${settleBlock}: ${SETTLED} for ${settleBlock - leaseBlock} blocks (fee paid by the provider in that block: ${providerFee})`);

  // --- 8. The consumer ends the lease: paid since, the rest refunded, no escrow left.
  const ended = await sendAndWait(api, api.tx.computeLease.endLease(lease), consumer);
  assert.equal(ended.error, null, 'endLease');
  const endBlock = await blockNumberOf(ended.blockHash);
  const [e] = ended.events.filter(({ event }) => api.events.computeLease.LeaseEnded.is(event)).map(({ event }) => event.data);
  assert.ok(e, 'LeaseEnded');
  assert.equal(e.lease.toBigInt(), lease);
  assert.ok(e.reason.isConsumer, `ended by the consumer (${e.reason})`);
  const PAID = BigInt(SLOTS) * PRICE * BigInt(endBlock - settleBlock);
  const REFUNDED = BigInt(SLOTS) * PRICE * BigInt(leaseBlock + BLOCKS - endBlock);
  assert.equal(e.paid.toBigInt(), PAID, 'the worker is paid for the blocks since the settlement');
  assert.equal(e.refunded.toBigInt(), REFUNDED, 'the consumer gets the unserved blocks back');
  assert.equal(SETTLED + e.paid.toBigInt() + e.refunded.toBigInt(), ESCROW, 'settled + paid + refunded is the whole escrow');
  assert.equal(await escrowAt(ended.blockHash, consumer.address), 0n, 'no escrow is left');
  const endParent = await parentOf(ended.blockHash);
  assert.equal(
    (await freeAt(ended.blockHash, provider)) - (await freeAt(endParent, provider)),
    PAID - feePaid(await eventsAt(ended.blockHash), { address: provider }),
    `${PROVIDER}'s free balance rose by exactly the last payment`,
  );
  const atEnd = await api.at(ended.blockHash);
  assert.ok((await atEnd.query.computeLease.leases(lease)).isNone, 'the lease is gone');
  assert.equal((await atEnd.query.computeLease.leasesOf(provider)).length, 0, 'the provider runs no lease');
  assert.equal((await atEnd.query.computeLease.offers(provider)).unwrap().leasedSlots.toNumber(), 0, 'its slot is free again');
  console.log(`[${elapsed()}] lease ended in #${endBlock}: paid ${e.paid}, refunded ${e.refunded}; settled ${SETTLED} + paid + refunded = ${ESCROW}`);
});
