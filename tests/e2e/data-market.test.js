// The data market on a real dev node with the ML worker (`--dev --ml-worker`): data owners list
// what is on their disk, are paid a royalty for each of their updates a round accepts, and the
// chain records which datasets trained which round of a model.
//
// - The dev genesis lists the worker's simulated owners' datasets 1..=4: `cohort-node dataset
//   inspect` on the files the worker wrote prints the commitment and sample count on chain.
// - An owner lists a new dataset from a CSV file the test writes: the command's `--args-out`
//   JSON goes straight to `api.tx.dataMarket.listDataset`; the chain stores the printed
//   commitment (the BLAKE2-256 of the data's binary form, also computed here) and holds the
//   event's deposit.
// - A stranger's join with another owner's dataset is refused with `dataMarket.NotOwnerOrDelegate`
//   and changes nothing but its fee.
// - A task of two rounds runs on the genesis datasets through the worker; every money flow is
//   accounted for from the blocks' events: each owner's royalties are one per accepted update,
//   each owner's balance moved by exactly royalties + rewards − fees − slashes (its bond is
//   committed out of its genesis stake, and only what that lacks is held anew), and the task
//   owner's by exactly what was paid out, its fees and its deposit, less the author's part of
//   every fee (the task owner, Alice, authors the dev chain's blocks).
// - The DataMarketApi's lineage of the task names exactly the accepted updates' datasets, round
//   by round, and `datasetTasks(1)` the task with its rounds and royalties.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex, u8aToString } from '@polkadot/util';
import { startNode, connect, nodeBinary } from './lib/node.js';
import { feePaid, sendAndWait } from './lib/tx.js';
import { eventsIn, recordBlocks } from './lib/blocks.js';
import { encodeCohd, parseCohd } from './lib/model.js';
import { waitForDecidedRound } from './lib/rounds.js';
import { RECOMMENDED_GATE } from './lib/gate.js';

const UNIT = 10n ** 12n;
const ROUNDS = 2;
const MODEL = { input: 64, hidden: [32], classes: 10 };
// What every dataset of the dev genesis asks per accepted update: 0.5 COH.
const ROYALTY = 500_000_000_000n;
const REWARD = 10n * UNIT;
const MAX_SAMPLES = 2000;
// The worker's simulated owners, by the dataset the dev genesis lists for each
// (offchain-workers/worker/src/dev.rs).
const OWNERS = { 1: '//Charlie', 2: '//Dave', 3: '//Eve', 4: '//Ferdie' };
const AGGREGATORS = ['//Alice//stash', '//Bob//stash', '//Charlie//stash'];

const run = promisify(execFile);

let node;
let api;
let dir;
let data;
let recorder;
let validationHash;
/** Key pairs: the task owner, the stranger who also lists a CSV dataset, the owners by dataset. */
let alice;
let bob;
const owners = {};
const uriOf = new Map();
/** What the tests share: the task, the block before it was created, the recorded blocks. */
let task = null;
let startBlock = null;
/** The owners' and the task owner's accounts at `startBlock`, by address. */
const startAccounts = new Map();
/** The owners' trainer stake (`incentives.ledgers`) at `startBlock`, by address. */
const startStakes = new Map();
let blocks = null;
let budget = null;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  for (const [id, uri] of Object.entries(OWNERS)) owners[id] = keyring.addFromUri(uri);
  for (const uri of ['//Alice', '//Bob', ...Object.values(OWNERS), ...AGGREGATORS]) uriOf.set(keyring.addFromUri(uri).address, uri);

  dir = mkdtempSync(join(tmpdir(), 'cohort-data-market-e2e-'));
  // The dev validation set's hash, as the node binary computes it: what the task names.
  const info = JSON.parse(execFileSync(nodeBinary(), ['ml-validation-set', '--out', join(dir, 'validation.cohd')], { encoding: 'utf8' }));
  validationHash = info.hash;
  data = join(dir, 'ml');
  node = await startNode({ args: ['--dev', '--ml-worker', '--ml-data', data], name: 'data-market' });
  api = await connect(node.url);
  recorder = recordBlocks(api);
  // The worker writes the owners' datasets and the validation set into its data directory
  // when it starts: the aggregators join only tasks whose validation set they hold.
  const files = [...Object.keys(OWNERS).map((id) => join(data, 'datasets', `${id}.cohd`)), join(data, 'validation', `${info.hash}.cohd`)];
  await until(() => files.every((f) => existsSync(f)), 60_000, `the worker wrote ${files.join(', ')}`);
});

after(async () => {
  await recorder?.stop().catch(() => {});
  await api?.disconnect();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Polls `ready` (sync or async) every half second until it holds. */
async function until(ready, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

const name = (who) => uriOf.get(who.toString()) ?? who.toString();
const accountAt = async (hash, who) => (await (await api.at(hash)).query.system.account(who)).data;
/** `who`'s trainer stake at a block: bonded (`active`, committed included) and committed to tasks. */
async function trainerStakeAt(hash, who) {
  const ledger = await (await api.at(hash)).query.incentives.ledgers(who, 'Trainer');
  if (ledger.isNone) return { active: 0n, committed: 0n };
  const { active, committed } = ledger.unwrap();
  return { active: active.toBigInt(), committed: committed.toBigInt() };
}
const totalOf = (account) => account.free.toBigInt() + account.reserved.toBigInt();

/** `cohort-node dataset inspect <args>`: what it printed, parsed (commitment and schema). */
async function inspect(args) {
  const { stdout } = await run(nodeBinary(), ['dataset', 'inspect', ...args], { encoding: 'utf8', timeout: 60_000 });
  const field = (key) => {
    const match = stdout.match(new RegExp(`^${key}:\\s+(\\S+)`, 'm'));
    assert.ok(match, `\`dataset inspect\` prints its ${key}:\n${stdout}`);
    return match[1];
  };
  return {
    stdout,
    commitment: field('commitment'),
    samples: Number(field('samples')),
    features: Number(field('features')),
    classes: Number(field('classes')),
    modality: field('modality'),
  };
}

/** The inclusion block of a transaction's result, and its parent: state just before it. */
async function blockAndParent(result) {
  const header = await api.rpc.chain.getHeader(result.blockHash);
  return { hash: result.blockHash, parent: header.parentHash, number: header.number.toNumber() };
}

const decidedRound = (round, timeoutMs) => waitForDecidedRound(api, task, round, timeoutMs);

test('the genesis listings 1..=4 commit to the files the worker\'s owners hold', async () => {
  for (const [id, owner] of Object.entries(owners)) {
    const file = join(data, 'datasets', `${id}.cohd`);
    const printed = await inspect([file]);
    const bytes = new Uint8Array(readFileSync(file));
    // The command commits to the file itself: the BLAKE2-256 of its bytes.
    assert.equal(printed.commitment, u8aToHex(blake2AsU8a(bytes, 256)), `dataset ${id}: the commitment is the file's hash`);
    const parsed = parseCohd(bytes);
    assert.deepEqual([printed.samples, printed.features, printed.classes, printed.modality], [parsed.x.length, parsed.features, parsed.classes, 'tabular']);

    const stored = (await api.call.dataMarketApi.dataset(Number(id))).unwrap();
    assert.equal(stored.owner.toString(), owner.address, `dataset ${id} is ${OWNERS[id]}'s`);
    const { listing } = stored;
    assert.ok(listing.content.isFile, `dataset ${id} commits to one file`);
    assert.equal(listing.content.asFile.toHex(), printed.commitment, `dataset ${id}: the chain has the commitment of the file on disk`);
    assert.equal(listing.schema.samples.toNumber(), printed.samples, `dataset ${id}: the chain bounds updates by the samples on disk`);
    assert.deepEqual([listing.schema.features.toNumber(), listing.schema.classes.toNumber()], [printed.features, printed.classes]);
    assert.ok(listing.schema.modality.isTabular);
    assert.ok(listing.licence.isFederatedOnly);
    assert.equal(listing.royalty.toBigInt(), ROYALTY);
    assert.ok(stored.status.isListed);
    assert.ok(stored.reputation.isNone, 'never scored yet');
    const mine = (await api.call.dataMarketApi.datasetsOf(owner.address)).toArray();
    assert.deepEqual(mine.map(([d]) => d.toNumber()), [Number(id)], `${OWNERS[id]} owns dataset ${id} only`);
  }
});

test('an owner lists a dataset from a CSV file: the command\'s JSON is the call\'s argument, the chain keeps the printed commitment and holds the deposit', async () => {
  // 20 samples of 64 features (multiples of 1/16, exact in f32) and labels 0..=9: 10 classes.
  const x = Array.from({ length: 20 }, (_, r) => Array.from({ length: MODEL.input }, (_, j) => ((r * 7 + j * 3) % 17) / 16));
  const y = x.map((_, r) => r % 10);
  const csv = join(dir, 'bob-digits.csv');
  writeFileSync(csv, `# Bob's digits: 64 features, then the label\n${x.map((row, r) => [...row, y[r]].join(',')).join('\n')}\n`);
  const argsOut = join(dir, 'bob-digits.json');
  const royalty = 250_000_000_000n;
  const printed = await inspect([csv, '--name', 'Bob\'s digits', '--description', 'twenty rows, by hand', '--royalty', String(royalty), '--args-out', argsOut]);
  assert.deepEqual([printed.samples, printed.features, printed.classes, printed.modality], [20, 64, 10, 'tabular']);
  // The commitment is the BLAKE2-256 of the data's binary form (what the worker keeps).
  assert.equal(printed.commitment, u8aToHex(blake2AsU8a(encodeCohd({ x, y, classes: 10 }), 256)), 'the commitment is the hash of the binary form');
  const listing = JSON.parse(readFileSync(argsOut, 'utf8'));
  assert.deepEqual(listing.content, { File: printed.commitment });
  assert.deepEqual(listing.schema, { features: 64, classes: 10, samples: 20, modality: 'Tabular' });

  const result = await sendAndWait(api, api.tx.dataMarket.listDataset(listing), bob);
  assert.equal(result.error, null, 'the listing is taken');
  const [{ event }] = result.events.filter(({ event }) => event.section === 'dataMarket' && event.method === 'DatasetListed');
  const id = event.data.dataset.toNumber();
  const deposit = event.data.deposit.toBigInt();
  assert.equal(event.data.owner.toString(), bob.address);
  assert.ok(deposit >= UNIT, `a listing holds a deposit (${deposit})`);

  // Bob's balance, just before and just after the block: the deposit moved from free to held,
  // and the fee is gone.
  const { hash, parent } = await blockAndParent(result);
  const [before, after] = await Promise.all([accountAt(parent, bob.address), accountAt(hash, bob.address)]);
  assert.equal(after.reserved.toBigInt() - before.reserved.toBigInt(), deposit, 'the reserved balance rose by the deposit');
  assert.equal(before.free.toBigInt() - after.free.toBigInt(), deposit + feePaid(result.events, bob), 'the free balance fell by the deposit and the fee');

  const stored = (await api.call.dataMarketApi.dataset(id)).unwrap();
  assert.equal(stored.owner.toString(), bob.address);
  assert.equal(stored.listing.content.asFile.toHex(), printed.commitment, 'the chain keeps the printed commitment');
  assert.deepEqual(
    {
      name: u8aToString(stored.listing.name),
      description: u8aToString(stored.listing.description),
      samples: stored.listing.schema.samples.toNumber(),
      royalty: stored.listing.royalty.toBigInt(),
      deposit: stored.deposit.toBigInt(),
    },
    { name: 'Bob\'s digits', description: 'twenty rows, by hand', samples: 20, royalty, deposit },
  );
  assert.ok(stored.status.isListed);
  assert.ok(stored.listing.licence.isFederatedOnly && stored.listing.privacyBudget.isNone);
  assert.deepEqual((await api.call.dataMarketApi.datasetsOf(bob.address)).toArray().map(([d]) => d.toNumber()), [id]);
});

test('a stranger\'s join with another owner\'s dataset is refused (dataMarket.NotOwnerOrDelegate) and changes nothing but its fee', async () => {
  // Every money flow of the task is accounted for from here on: balances at this block (read
  // now, before state pruning could drop it), then the events of every later block.
  const head = await api.rpc.chain.getHeader();
  startBlock = { number: head.number.toNumber(), hash: head.hash.toHex() };
  for (const who of [alice, ...Object.values(owners)]) startAccounts.set(who.address, await accountAt(startBlock.hash, who.address));
  for (const who of Object.values(owners)) startStakes.set(who.address, await trainerStakeAt(startBlock.hash, who.address));
  const spec = {
    model: { Mlp: MODEL },
    initialModel: { Seed: 7 },
    training: { epochs: 5, batchSize: 16, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: 1 << 16,
    aggregation: 'WeightedMean',
    // docs/scoring.md's recommended gate, as ml-worker.test.js.
    gate: RECOMMENDED_GATE,
    maxSamples: MAX_SAMPLES,
    rounds: ROUNDS,
    // The worker's four owners join (and suffice) and are selected in every round; every
    // aggregator is selected, and two of three agree. Every phase closes as soon as everyone
    // in it has acted.
    minTrainers: 4,
    maxTrainers: 4,
    aggregators: 3,
    quorum: 2,
    phases: { commit: 20, reveal: 10, score: 20, scoreReveal: 10, aggregate: 20, aggregateReveal: 10 },
    maxPayloadBytes: 64 * 1024,
    rewardPerRound: REWARD,
    aggregatorShare: 200_000_000,
    penalty: 100_000_000,
    validationSet: validationHash,
    datasets: { maxRoyalty: ROYALTY, minReputation: 0, allowlist: [] },
  };
  const created = await sendAndWait(api, api.tx.federated.createTask(spec), alice);
  assert.equal(created.error, null);
  const [{ event: createdEvent }] = created.events.filter(({ event }) => event.section === 'federated' && event.method === 'TaskCreated');
  task = createdEvent.data.task.toNumber();
  budget = createdEvent.data.budget.toBigInt();
  assert.equal(budget, BigInt(ROUNDS) * (REWARD + 4n * ROYALTY), 'rounds × (reward + maxTrainers × maxRoyalty)');

  // Bob owns no genesis dataset; dataset 2 is Dave's.
  const { minTrainerBond } = (await api.call.federatedApi.task(task)).unwrap();
  const result = await sendAndWait(api, api.tx.federated.join(task, { Trainer: { dataset: 2 } }, minTrainerBond), bob);
  assert.deepEqual(result.error, { section: 'dataMarket', name: 'NotOwnerOrDelegate' });
  const fee = feePaid(result.events, bob);
  assert.ok(fee > 0n, 'a refused join still costs its fee');
  assert.equal(result.events.filter(({ event }) => event.section === 'federated' || event.section === 'dataMarket').length, 0, 'no federated or data market event');

  // The state just before and just after its block: Bob paid the fee and nothing else; he is
  // not a participant; the task's trainers and dataset 2's tasks grew only by the joins of the
  // worker's owners in the same block, if any.
  const { hash, parent } = await blockAndParent(result);
  const [before, after] = await Promise.all([accountAt(parent, bob.address), accountAt(hash, bob.address)]);
  assert.equal(before.free.toBigInt() - after.free.toBigInt(), fee, 'Bob\'s free balance fell by the fee only');
  assert.equal(after.reserved.toBigInt(), before.reserved.toBigInt(), 'nothing of Bob\'s is held for the task');
  const [atBefore, atAfter] = await Promise.all([api.at(parent), api.at(hash)]);
  assert.ok((await atAfter.query.federated.participants(task, bob.address)).isNone, 'Bob is not a participant');
  const inBlock = (await atAfter.query.system.events()).map(({ event }) => event);
  const joinedInBlock = inBlock.filter((e) => e.section === 'federated' && e.method === 'Joined' && e.data.task.toNumber() === task);
  joinedInBlock.forEach((e) => assert.notEqual(e.data.who.toString(), bob.address));
  const trainers = async (at) => (await at.call.federatedApi.task(task)).unwrap().trainers.toNumber();
  assert.equal(
    await trainers(atAfter),
    (await trainers(atBefore)) + joinedInBlock.filter((e) => e.data.role.isTrainer).length,
    'the task\'s trainers grew only by others\' joins',
  );
  const joins2 = inBlock.filter((e) => e.section === 'dataMarket' && e.method === 'DatasetJoined' && e.data.dataset.toNumber() === 2);
  joins2.forEach((e) => assert.equal(e.data.trainer.toString(), owners[2].address, 'only Dave joins with dataset 2'));
  const tasksOf2 = async (at) => (await at.query.dataMarket.datasets(2)).unwrap().tasks.toNumber();
  assert.equal(await tasksOf2(atAfter), (await tasksOf2(atBefore)) + joins2.length);
});

test('two rounds through the ML worker: each owner is paid its royalty per accepted update, and every balance moved by exactly what the events say', async () => {
  assert.ok(task !== null, 'the task of the previous test exists');
  const rounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const record = await decidedRound(round);
    assert.ok(record.phase.isFinalized, `round ${round} finalized (not ${record.phase.toString()})`);
    rounds.push(record);
  }
  // Every block up to the best one (past the finalized round), then the state at the last.
  blocks = await recorder.stop();
  assert.ok(blocks[0].number <= startBlock.number + 1, 'the blocks since the task was created are recorded');
  const window = blocks.filter((b) => b.number > startBlock.number);
  const end = window[window.length - 1];
  const ofTask = (section, method) => eventsIn(window, section, method).filter(({ data }) => data.task.toNumber() === task);
  assert.equal(ofTask('federated', 'TaskFinished').length, 1, 'the task finished its rounds');

  // Who trained on which dataset: each genesis dataset joined with its owner as the trainer.
  const joined = ofTask('dataMarket', 'DatasetJoined').map(({ data }) => ({ dataset: data.dataset.toNumber(), trainer: data.trainer.toString(), royalty: data.royalty.toBigInt() }));
  assert.deepEqual(
    joined.sort((a, b) => a.dataset - b.dataset),
    Object.entries(owners).map(([id, owner]) => ({ dataset: Number(id), trainer: owner.address, royalty: ROYALTY })),
    'the worker\'s owners joined with their own datasets, at the listed royalty',
  );
  const datasetOf = new Map(joined.map(({ dataset, trainer }) => [trainer, dataset]));

  // Royalties: one per accepted update, to its dataset's owner, in the round that accepted it.
  const accepted = ofTask('federated', 'UpdateScored').filter(({ data }) => data.accepted.isTrue);
  const royaltyPaid = ofTask('dataMarket', 'RoyaltyPaid');
  const key = (round, dataset) => `round ${round} dataset ${dataset}`;
  assert.deepEqual(
    royaltyPaid.map(({ data }) => key(data.round.toNumber(), data.dataset.toNumber())).sort(),
    accepted.map(({ data }) => key(data.round.toNumber(), datasetOf.get(data.who.toString()))).sort(),
    'a royalty for exactly each accepted update',
  );
  royaltyPaid.forEach(({ data }) => assert.equal(data.amount.toBigInt(), ROYALTY));
  const sumOf = (events, pick) => events.reduce((s, e) => s + pick(e), 0n);
  for (let round = 0; round < ROUNDS; round += 1) {
    const [finalized] = ofTask('federated', 'RoundFinalized').filter(({ data }) => data.round.toNumber() === round);
    const inRound = royaltyPaid.filter(({ data }) => data.round.toNumber() === round);
    assert.ok(inRound.length >= 1, `round ${round} accepted an update`);
    assert.equal(finalized.data.royalties.toBigInt(), sumOf(inRound, ({ data }) => data.amount.toBigInt()), `round ${round}: RoundFinalized says what was paid in royalties`);
    const summary = (await api.call.federatedApi.roundSummary(task, round)).unwrap();
    assert.equal(summary.accepted.toNumber(), inRound.length);
    assert.equal(summary.royalties.toBigInt(), finalized.data.royalties.toBigInt(), `round ${round}'s summary has its royalties`);
    assert.equal(summary.paid.toBigInt(), finalized.data.paid.toBigInt());
  }

  // Each owner: royalty × its accepted updates; its balance moved by exactly its royalties and
  // rewards less its fees and slashes; its bond was committed out of its trainer stake (the dev
  // genesis stakes each owner), and only what that stake lacked was bonded from its free
  // balance and held anew; slashes came out of the stake.
  const amountsTo = (events, field, who) => sumOf(events.filter(({ data }) => data[field].toString() === who), ({ data }) => data.amount.toBigInt());
  const fees = (who) => sumOf(
    eventsIn(window, 'transactionPayment', 'TransactionFeePaid').filter(({ data }) => data.who.toString() === who),
    ({ data }) => data.actualFee.toBigInt(),
  );
  const rewarded = ofTask('federated', 'Rewarded');
  const slashed = ofTask('federated', 'Slashed');
  for (const [id, owner] of Object.entries(owners)) {
    const who = owner.address;
    const updates = accepted.filter(({ data }) => data.who.toString() === who).length;
    const royalties = amountsTo(royaltyPaid, 'owner', who);
    assert.equal(royalties, ROYALTY * BigInt(updates), `${OWNERS[id]}: ${updates} accepted updates, ${royalties} in royalties`);
    const [start, now] = [startAccounts.get(who), await accountAt(end.hash, who)];
    const rewards = amountsTo(rewarded, 'who', who);
    const slashes = amountsTo(slashed, 'who', who);
    console.log(`${OWNERS[id]} (dataset ${id}): ${updates} accepted, royalties ${royalties}, rewards ${rewards}, fees ${fees(who)}, slashed ${slashes}`);
    assert.equal(totalOf(now) - totalOf(start), royalties + rewards - fees(who) - slashes, `${OWNERS[id]}'s balance moved by its royalties and rewards less its fees and slashes`);
    const [{ data: join }] = ofTask('federated', 'Joined').filter(({ data }) => data.who.toString() === who);
    const bond = join.bond.toBigInt();
    const stake = startStakes.get(who);
    const uncommitted = stake.active - stake.committed;
    const anew = bond > uncommitted ? bond - uncommitted : 0n;
    const bonded = sumOf(eventsIn(window, 'incentives', 'Bonded').filter(({ data }) => data.who.toString() === who), ({ data }) => data.amount.toBigInt());
    assert.equal(bonded, anew, `${OWNERS[id]} bonded anew exactly what its stake lacked for the bond`);
    assert.equal(now.reserved.toBigInt() - start.reserved.toBigInt(), anew - slashes, `${OWNERS[id]}'s bond is held as stake (${anew} of it anew), less slashes`);
    assert.deepEqual(
      await trainerStakeAt(end.hash, who),
      { active: stake.active + anew - slashes, committed: stake.committed + bond - slashes },
      `${OWNERS[id]}'s trainer stake: its bond, less slashes, is committed to the task`,
    );
  }

  // The task owner: what the rounds paid (rewards and royalties) left its budget, the rest came
  // back, and its deposit is still held until the task is pruned. On --dev the task owner,
  // Alice, also authors every block: she received the author's part of every fee in the window
  // (a fifth of the fee, rounded down, and the tip).
  const [{ data: created }] = ofTask('federated', 'TaskCreated');
  const deposit = created.deposit.toBigInt();
  const paidOut = sumOf(rewarded, ({ data }) => data.amount.toBigInt()) + sumOf(royaltyPaid, ({ data }) => data.amount.toBigInt());
  const [{ data: finished }] = ofTask('federated', 'TaskFinished');
  assert.equal(finished.refund.toBigInt(), budget - paidOut, 'what was not paid out of the budget went back');
  const [start, now] = [startAccounts.get(alice.address), await accountAt(end.hash, alice.address)];
  const authored = sumOf(eventsIn(window, 'transactionPayment', 'TransactionFeePaid'), ({ data }) => {
    const [fee, tip] = [data.actualFee.toBigInt() - data.tip.toBigInt(), data.tip.toBigInt()];
    return (fee * 20n) / 100n + tip;
  });
  assert.ok(authored > 0n, 'the author earned a part of the fees');
  assert.equal(
    start.free.toBigInt() - now.free.toBigInt(),
    paidOut + fees(alice.address) + deposit - authored,
    'the task owner paid exactly what was paid out, its fees and its deposit, and earned the author\'s part of the fees',
  );
  assert.equal(now.reserved.toBigInt() - start.reserved.toBigInt(), deposit, 'only the deposit is still held');
  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.ok(info.status.isFinished && info.budget.isZero());
});

test('the lineage of the task names exactly the accepted updates\' datasets, round by round; datasetTasks(1) lists the task with its rounds and royalties', async () => {
  assert.ok(blocks, 'the rounds of the previous test ran');
  const window = blocks.filter((b) => b.number > startBlock.number);
  const ofTask = (section, method) => eventsIn(window, section, method).filter(({ data }) => data.task.toNumber() === task);
  const datasetOf = new Map(ofTask('dataMarket', 'DatasetJoined').map(({ data }) => [data.trainer.toString(), data.dataset.toNumber()]));
  const ownerOf = new Map(Object.entries(owners).map(([id, owner]) => [Number(id), owner.address]));
  const scored = ofTask('federated', 'UpdateScored');
  const royaltyOf = new Map(ofTask('dataMarket', 'RoyaltyPaid').map(({ data }) => [`${data.round}/${data.dataset}`, data.amount.toBigInt()]));

  const byDataset = (a, b) => a.dataset - b.dataset;
  const lineage = (await api.call.dataMarketApi.taskLineage(task)).toArray().map((r) => ({
    round: r.round.toNumber(),
    datasets: r.datasets.map((u) => ({
      dataset: u.dataset.toNumber(),
      owner: name(u.owner),
      trainer: name(u.trainer),
      score: u.score.toNumber(),
      royalty: u.royalty.toBigInt(),
    })).sort(byDataset),
  }));
  const expected = [...Array(ROUNDS).keys()].map((round) => ({
    round,
    datasets: scored
      .filter(({ data }) => data.round.toNumber() === round && data.accepted.isTrue)
      .map(({ data }) => {
        const dataset = datasetOf.get(data.who.toString());
        return { dataset, owner: name(ownerOf.get(dataset)), trainer: name(data.who), score: data.score.toNumber(), royalty: royaltyOf.get(`${round}/${dataset}`) };
      })
      .sort(byDataset),
  }));
  console.log(`lineage: ${lineage.map((r) => `round ${r.round}: datasets ${r.datasets.map((d) => d.dataset).join(', ')}`).join('; ')}`);
  assert.deepEqual(lineage, expected, 'every finalized round, with the datasets, owners, trainers, scores and royalties of exactly its accepted updates');
  expected.forEach(({ datasets }) => datasets.forEach(({ royalty }) => assert.equal(royalty, ROYALTY)));

  // Dataset 1 (Charlie's): the task, the rounds it entered and what it earned; the same on its
  // record (it trained no other task); its reputation is the moving average of every score its
  // updates earned (r ← (7r + score) / 8, from the neutral 500,000).
  const mine = lineage.flatMap((r) => r.datasets.filter((d) => d.dataset === 1));
  const earned = mine.reduce((s, d) => s + d.royalty, 0n);
  const tasks = (await api.call.dataMarketApi.datasetTasks(1)).toArray();
  assert.deepEqual(
    tasks.map((t) => ({ task: t.task.toNumber(), active: t.usage.active.isTrue, rounds: t.usage.rounds.toNumber(), royalties: t.usage.royalties.toBigInt() })),
    [{ task, active: true, rounds: mine.length, royalties: earned }],
  );
  const info = (await api.call.dataMarketApi.dataset(1)).unwrap();
  assert.deepEqual([info.rounds.toNumber(), info.royalties.toBigInt(), info.tasks.toNumber()], [mine.length, earned, 1]);
  const charlies = scored.filter(({ data }) => data.who.toString() === owners[1].address).map(({ data }) => data.score.toNumber());
  const datasetScored = eventsIn(window, 'dataMarket', 'DatasetScored').filter(({ data }) => data.dataset.toNumber() === 1);
  assert.deepEqual(datasetScored.map(({ data }) => data.score.toNumber()), charlies, 'every score of its updates moved its reputation');
  const reputation = charlies.reduce((r, s) => Math.floor((7 * r + s) / 8), 500_000);
  assert.equal(info.reputation.unwrap().toNumber(), reputation);
});
