// The standalone `cohort-worker`: data owners and aggregators as processes of their own, each
// with its own folder (keystore, journal, data), against real nodes that run no worker. A dev node
// authors; a second node of the same chain (a full node, synced from the first) serves the data
// owners' workers, which name both nodes. The test shows, from the chain's own records:
// - the demo task, created by the aggregators' worker, finalizes rounds with every owner's update
//   and both aggregators agreeing, the nodes themselves running no worker;
// - an owners' worker killed (SIGKILL) right after committing, and restarted on its folder,
//   reveals what it committed: the round finalizes with its updates, and no commitment or reveal
//   of its keys was sent twice (every one of their extrinsics succeeded, one per round);
// - the owners' node stops: their workers move to the next node and the next round finalizes;
// - a worker whose node goes away never moves to a node of another chain (another genesis);
// - the worker's own keystore: keys generated, imported from a secret URI and from a polkadot.js
//   JSON export (made here with @polkadot/keyring), a wrong password refused;
// - the workers claim their keys' emission rewards themselves (owners B as soon as an era closes),
//   each paying what the era's record says; `cohort-worker rewards` lists what owners A's keys can
//   claim, exactly as the chain computes it, and `--claim` claims it all, once;
// - a task owner creates the documented example task (docs/examples/task.toml) with `cohort-worker
//   task new`: the dry run sends nothing and quotes what the chain then holds, phases in this
//   chain's blocks; a spec the chain refuses is refused with the chain's error, nothing sent; a
//   spec written by `cohort-node simulate --write-spec` is created naming the simulation's
//   held-out set;
// - a data owner lists a CSV file (`cohort-node dataset inspect`, `cohort-worker dataset list`);
//   `cohort-worker tasks` lists every live task with the chain's answer
//   (can join, or the reason), a stranger is refused with the data market's error, and
//   `cohort-worker task join` joins with the task's minimum bond; `cohort-worker status` shows
//   the key's task, stake and balance;
// - the same data owner changes its listing with `cohort-worker dataset update` (only what is
//   given changes, two updates in a row do not undo each other; a stranger is refused), pauses
//   and resumes it, leaves the task (`task leave`, waiting out a round it was drawn into),
//   joins again and runs its worker on a file that is not the listed data (one value changed):
//   the worker commits nothing, leaves the task by itself and says why; the owner then
//   delists the dataset (gone, its deposit back), unbonds its trainer stake (not withdrawable yet) and
//   rebonds it (`cohort-worker stake`);
// - a compute provider measures and offers its machine with `cohort-worker offer register` (the
//   dry run prices it at the chain's block time with the chain's least bond and sends nothing;
//   the chain keeps what it printed; `status` shows it; a second offer is refused), a consumer
//   is refused a lease above its ceiling and leases at the price it read (`lease new`, the
//   escrow held), the provider settles, only the consumer ends the lease (paid + refunded =
//   escrow); the provider reprices its offer (`offer update`: the rest kept), pauses it (a lease
//   is refused), resumes it and withdraws it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { startNode, connect, nodeBinary } from './lib/node.js';
import { eventsIn, recordBlocks } from './lib/blocks.js';
import { removeWorkerDir, runWorker, startWorker, workerDir } from './lib/worker.js';
import { assertFullRound as assertRound, waitForDecidedRound } from './lib/rounds.js';

// The first node's fixed network key and the peer id it gives (as in local-network.test.js).
const NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
// The dev keys of offchain-workers/worker/src/dev.rs: owners of datasets 1 to 4, aggregators.
const OWNERS_A = ['//Charlie', '//Dave'];
const OWNERS_B = ['//Eve', '//Ferdie'];
const AGGREGATORS = ['//Alice//stash', '//Bob//stash', '//Charlie//stash'];
const TASK = 0;

let authoring;
let full;
let api;
let recorder;
const dirs = [];
// The data owner of the CSV test: its folder, dataset, the task it joined and its address.
const dataOwner = {};
const workers = {};
const addressOf = {};

const devKeys = (uris) => uris.flatMap((uri) => ['--dev-key', uri]);
// The owners' workers: B claims its keys' rewards as soon as their era closes; A leaves them
// (not before 100,000 eras) for `cohort-worker rewards` to claim.
const OWNER_ARGS = {
  'owners-a': [...devKeys(OWNERS_A), '--claim-after-eras', '100000'],
  'owners-b': [...devKeys(OWNERS_B), '--claim-after-eras', '0'],
};

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  for (const uri of [...OWNERS_A, ...OWNERS_B, ...AGGREGATORS]) addressOf[uri] = keyring.addFromUri(uri).address;
  authoring = await startNode({ name: 'authoring', args: ['--dev', '--node-key', NODE_KEY] });
  full = await startNode({
    name: 'full',
    args: ['--chain', 'dev', '--bootnodes', `/ip4/127.0.0.1/tcp/${authoring.p2pPort}/p2p/${PEER_ID}`],
  });
  api = await connect(authoring.url);
  recorder = recordBlocks(api);
  const start = (name, nodes, args) => {
    const basePath = workerDir(name);
    dirs.push(basePath);
    workers[name] = startWorker({ name, nodes, basePath, args });
  };
  start('aggregators', [authoring.url], [...devKeys(AGGREGATORS), '--demo-task']);
  start('owners-a', [full.url, authoring.url], OWNER_ARGS['owners-a']);
  start('owners-b', [full.url, authoring.url], OWNER_ARGS['owners-b']);
});

after(async () => {
  await Promise.all(Object.values(workers).map((w) => w.stop()));
  await recorder?.stop().catch(() => {});
  await api?.disconnect();
  await Promise.all([authoring?.stop(), full?.stop()]);
  dirs.forEach(removeWorkerDir);
});

/** The round's record at the best block, once `ready(record)` holds. */
async function roundWhen(round, ready, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await api.call.federatedApi.round(TASK, round);
    if (record.isSome && ready(record.unwrap())) return record.unwrap();
    if (Date.now() > deadline) throw new Error(`round ${round}: not ready in time (${record.toString()})`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

const decidedRound = (round, timeoutMs) => waitForDecidedRound(api, TASK, round, timeoutMs);

const participants = { owners: [...OWNERS_A, ...OWNERS_B], aggregators: AGGREGATORS, addressOf };
const assertFullRound = (round, record) => assertRound(round, record, participants);

test('owners and aggregators as separate processes on different nodes finish rounds of the demo task', async () => {
  await workers.aggregators.waitForLog(/ML worker with 3 key\(s\): aggregator \/\/Alice\/\/stash, aggregator \/\/Bob\/\/stash, aggregator \/\/Charlie\/\/stash/);
  await workers.aggregators.waitForLog(new RegExp(`connected to ${authoring.url}`));
  for (const name of ['owners-a', 'owners-b']) await workers[name].waitForLog(new RegExp(`connected to ${full.url}`));
  await workers.aggregators.waitForLog(/creating the demo task/);
  const record = await decidedRound(0);
  assertFullRound(0, record);
  // The nodes serve RPC only: every worker is a process of its own.
  for (const node of [authoring, full]) assert.doesNotMatch(readFileSync(node.logPath, 'utf8'), /ML worker/);
});

test('a worker killed after committing and restarted on its folder reveals what it committed, sending nothing twice', async () => {
  const round = 1;
  const charlie = addressOf['//Charlie'];
  await roundWhen(round, (r) => r.trainers.some((t) => t.who.toString() === charlie && t.commitment.isSome));
  const killed = await workers['owners-a'].kill();
  assert.equal(killed.signal, 'SIGKILL');
  const restarted = startWorker({ name: 'owners-a', nodes: [full.url, authoring.url], basePath: workers['owners-a'].basePath, args: OWNER_ARGS['owners-a'] });
  workers['owners-a'] = restarted;
  await restarted.waitForLog(/ML worker with 2 key\(s\)/);
  const record = await decidedRound(round);
  assertFullRound(round, record);

  // From the blocks: one commitment and one reveal of each of the restarted worker's keys in the
  // round, and every commitment or reveal they ever sent succeeded (one sent twice would have
  // failed as a second one).
  const blocks = recorder.blocks;
  for (const uri of OWNERS_A) {
    const who = addressOf[uri];
    const sent = (method) => blocks.flatMap((b) => b.extrinsics.filter((x) => x.signer === who && x.section === 'federated' && x.method === method));
    const done = (method) => eventsIn(blocks, 'federated', method).filter((e) => e.data.who.toString() === who && e.data.task.toNumber() === TASK);
    for (const [call, event] of [['commitUpdate', 'UpdateCommitted'], ['revealUpdate', 'UpdateRevealed']]) {
      assert.equal(done(event).filter((e) => e.data.round.toNumber() === round).length, 1, `${uri}: one ${event} in round ${round}`);
      assert.equal(sent(call).length, done(event).length, `${uri}: every ${call} it sent succeeded, none twice`);
    }
    const failed = blocks.flatMap((b) => b.failures).filter((f) => f.signer === who);
    assert.deepEqual(failed, [], `${uri}: no extrinsic of its failed`);
  }
});

test('when the owners\' node goes away, their workers move to the next node and keep serving', async () => {
  const since = Object.fromEntries(['owners-a', 'owners-b'].map((n) => [n, workers[n].offset()]));
  await full.stop();
  for (const name of ['owners-a', 'owners-b']) {
    await workers[name].waitForLog(new RegExp(`lost ${full.url}`), { since: since[name] });
    await workers[name].waitForLog(new RegExp(`connected to ${authoring.url}`), { since: since[name] });
  }
  const round = 2;
  assertFullRound(round, await decidedRound(round));
});

test('the worker\'s keystore: generated keys, a secret URI and a polkadot.js JSON export; a wrong password adds nothing', async () => {
  const dir = workerDir('keys');
  dirs.push(dir);
  const generated = await runWorker(['key', 'generate', '--base-path', dir]);
  assert.equal(generated.code, 0, generated.stderr);
  const address = generated.stdout.match(/^Address: (\S+)$/m)[1];
  const phrase = generated.stdout.match(/shown only now\): (.+)$/m)[1];
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  assert.equal(keyring.addFromUri(phrase).address, address, 'the phrase shown is the key\'s');

  const alice = await runWorker(['key', 'import', '--base-path', dir, '--suri', '//Alice']);
  assert.equal(alice.stdout.trim(), `Imported ${keyring.addFromUri('//Alice').address}`);

  // An account as polkadot.js exports it, with its password.
  const exported = keyring.addFromUri(mnemonicGenerate());
  const json = join(dir, 'export.json');
  writeFileSync(json, JSON.stringify(exported.toJson('correct horse')));
  const wrong = join(dir, 'wrong');
  writeFileSync(wrong, 'battery staple\n');
  const refused = await runWorker(['key', 'import', '--base-path', dir, '--json', json, '--json-password-file', wrong]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /wrong password/);
  const imported = await runWorker(['key', 'import', '--base-path', dir, '--json', json], 'correct horse\n');
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stdout.trim(), `Imported ${exported.address}`);

  const listed = await runWorker(['key', 'list', '--base-path', dir]);
  assert.deepEqual(listed.stdout.trim().split('\n').sort(), [address, keyring.addFromUri('//Alice').address, exported.address].sort());
});

test('a worker never moves to a node of another chain', async () => {
  // A node of the `local` chain (another genesis) listed before the dev chain's node: the worker
  // follows the first node that answers, so once that one is gone the dev node is the other chain.
  const other = await startNode({
    name: 'other-chain',
    args: ['--chain', 'local', '--alice', '--node-key', '0000000000000000000000000000000000000000000000000000000000000003'],
  });
  const basePath = workerDir('other-chain');
  dirs.push(basePath);
  const worker = startWorker({ name: 'other-chain', nodes: [other.url, authoring.url], basePath });
  let otherUp = true;
  try {
    await worker.waitForLog(new RegExp(`connected to ${other.url}`));
    const since = worker.offset();
    await other.stop();
    otherUp = false;
    await worker.waitForLog(new RegExp(`${authoring.url} serves another chain`), { since });
    // It keeps trying its list (other, then authoring) and refuses the dev node each time.
    await worker.waitForLog(new RegExp(`${authoring.url} serves another chain`), { since: worker.offset() });
    assert.ok(!worker.text(since).includes(`connected to ${authoring.url}`), 'the worker did not follow the other chain');
  } finally {
    await worker.stop();
    if (otherUp) await other.stop();
  }
});

/** What a claim of `who`'s points as `role` in `era` pays at block `hash`: payout × points / role points. */
async function owed(hash, who, era, role) {
  const at = await api.at(hash);
  const field = { Trainer: 'trainers', Aggregator: 'aggregators', DataOwner: 'dataOwners', ComputeProvider: 'computeProviders' }[role];
  const record = (await at.query.incentives.eras(era)).unwrap();
  const points = (await at.query.incentives.points(era, [who, role])).unwrap().toBigInt();
  return { points, amount: (record.payout[field].toBigInt() * points) / record.points[field].toBigInt() };
}

test('the workers claim their keys\' rewards themselves; `cohort-worker rewards` lists what is left, as the chain computes it, and claims it once', async () => {
  // Owners B's worker claims for //Eve and //Ferdie as eras close, each paid what its points
  // are worth just before its claim.
  const claimedBy = (uri) => eventsIn(recorder.blocks, 'incentives', 'Claimed').filter((e) => e.data.who.toString() === addressOf[uri]);
  for (const deadline = Date.now() + 120_000; !OWNERS_B.every((uri) => claimedBy(uri).length > 0);) {
    assert.ok(Date.now() < deadline, 'owners B\'s worker claims its keys\' rewards');
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  for (const uri of OWNERS_B) {
    for (const { data, block } of claimedBy(uri)) {
      const parent = recorder.blocks.find((b) => b.number === block - 1).hash;
      const { amount } = await owed(parent, data.who.toString(), data.era.toNumber(), data.role.type);
      assert.equal(data.amount.toBigInt(), amount, `${uri}'s claim of era ${data.era} as ${data.role.type}`);
      const signer = recorder.blocks.find((b) => b.number === block).extrinsics.find((x) => x.section === 'incentives' && x.method === 'claim').signer;
      assert.ok(OWNERS_B.map((u) => addressOf[u]).includes(signer), 'the key claims (and pays for) its own reward');
    }
    console.log(`${uri}: ${claimedBy(uri).length} rewards claimed by its worker`);
  }
  for (const uri of OWNERS_A) assert.deepEqual(claimedBy(uri), [], `${uri}'s worker leaves its rewards`);

  // Owners A's rewards, listed and claimed with the command, from a keystore holding //Charlie.
  const dir = workerDir('rewards');
  dirs.push(dir);
  assert.equal((await runWorker(['key', 'import', '--base-path', dir, '--suri', '//Charlie'])).code, 0);
  const charlie = addressOf['//Charlie'];
  const listed = await runWorker(['rewards', '--node', authoring.url, '--base-path', dir, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const pending = JSON.parse(listed.stdout);
  assert.ok(pending.some((r) => r.role === 'Trainer') && pending.some((r) => r.role === 'DataOwner'), `//Charlie has trainer and data-owner rewards: ${listed.stdout}`);
  const finalized = await api.rpc.chain.getFinalizedHead();
  for (const r of pending) {
    assert.equal(r.who, charlie);
    const { points, amount } = await owed(finalized, charlie, r.era, r.role);
    assert.deepEqual([BigInt(r.points), BigInt(r.amount)], [points, amount], `era ${r.era} ${r.role}: as the chain computes it`);
  }
  const human = await runWorker(['rewards', '--node', authoring.url, '--base-path', dir]);
  assert.match(human.stdout, new RegExp(`^${charlie}: \\d+ rewards, [0-9.]+ COH$`, 'm'));

  const claimed = await runWorker(['rewards', '--node', authoring.url, '--base-path', dir, '--claim', '--json']);
  assert.equal(claimed.code, 0, claimed.stderr);
  const results = JSON.parse(claimed.stdout);
  assert.ok(results.length >= pending.length);
  results.forEach((r) => assert.equal(r.claimed, true, `era ${r.era} ${r.role}: ${r.claimed}`));
  await recorder.stop();
  const events = eventsIn(recorder.blocks, 'incentives', 'Claimed').filter((e) => e.data.who.toString() === charlie);
  assert.deepEqual(
    events.map(({ data }) => `${data.era}/${data.role.type}/${data.amount.toBigInt()}`).sort(),
    results.map((r) => `${r.era}/${r.role}/${r.amount}`).sort(),
    'each listed reward was paid once, what the listing said',
  );
  // The command reads the finalized head: once it holds the claims, they are no longer listed.
  const done = new Set(results.map((r) => `${r.era}/${r.role}`));
  for (const deadline = Date.now() + 60_000; ;) {
    const after = JSON.parse((await runWorker(['rewards', '--node', authoring.url, '--base-path', dir, '--json'])).stdout);
    if (after.every((r) => !done.has(`${r.era}/${r.role}`))) break;
    assert.ok(Date.now() < deadline, `claimed rewards are no longer listed once finalized: ${JSON.stringify(after)}`);
    await new Promise((ok) => setTimeout(ok, 1000));
  }
});

test('a task owner creates the documented example task from its spec file with `cohort-worker task new`: the dry run sends nothing and says what the chain then holds; a spec the chain refuses is refused with the chain\'s error; a spec written by a simulation is created', async () => {
  const example = fileURLToPath(new URL('../../docs/examples/task.toml', import.meta.url));
  const dir = workerDir('task-owner');
  dirs.push(dir);
  assert.equal((await runWorker(['key', 'import', '--base-path', dir, '--suri', '//Alice'])).code, 0);
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice').address;
  const newTask = (spec, ...flags) => runWorker(['task', 'new', '--node', authoring.url, '--spec', spec, '--base-path', dir, '--json', ...flags]);

  const nonce = (await api.rpc.system.accountNextIndex(alice)).toNumber();
  const dry = await newTask(example, '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  const quote = JSON.parse(dry.stdout);
  assert.equal(quote.task, undefined, 'a dry run creates nothing');
  // 10 rounds × (10 COH + 4 trainers × 0.5 COH of royalty), as the spec file says in COH.
  assert.equal(BigInt(quote.budget), 120n * 10n ** 12n);
  // Seconds in whole blocks of this chain: 120 s and 60 s, rounded up.
  const blocks = (seconds) => Math.ceil((seconds * 1000) / quote.blockTimeMillis);
  assert.deepEqual(quote.phases, [120, 60, 120, 60, 120, 60].map(blocks));
  assert.ok(BigInt(quote.fee) > 0n && BigInt(quote.deposit) > 0n, dry.stdout);

  // A quorum that is no majority: the chain's own check refuses it, and nothing is sent.
  const bad = join(dir, 'bad.toml');
  writeFileSync(bad, readFileSync(example, 'utf8').replace('quorum = 2', 'quorum = 1'));
  const refused = await newTask(bad);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /the chain refuses this spec: Federated::InvalidQuorum/);
  assert.equal((await api.rpc.system.accountNextIndex(alice)).toNumber(), nonce, 'neither the dry run nor the refused spec sent anything');

  const created = await newTask(example);
  assert.equal(created.code, 0, created.stderr);
  const { task } = JSON.parse(created.stdout);
  const info = (await api.query.federated.tasks(task)).unwrap();
  assert.equal(info.owner.toString(), alice);
  assert.deepEqual(
    [info.budget, info.deposit, info.minTrainerBond, info.minAggregatorBond].map((b) => b.toString()),
    [quote.budget, quote.deposit, quote.minTrainerBond, quote.minAggregatorBond],
    'the chain holds what the dry run said',
  );
  assert.equal(info.spec.phases.commit.toNumber(), quote.phases[0]);
  assert.equal(info.spec.rewardPerRound.toBigInt(), 10n * 10n ** 12n);
  assert.equal(info.spec.validationSet.toHex(), readFileSync(example, 'utf8').match(/^validation_set = "(0x[0-9a-f]{64})"/m)[1]);

  // A task written by a simulation: `cohort-node simulate --write-spec`, then dry-run and created.
  const written = join(dir, 'iris.toml');
  const simulated = await new Promise((ok) => execFile(nodeBinary(), ['simulate', '--dataset', 'iris', '--owners', '5', '--rounds', '2', '--epochs', '1', '--write-spec', written], (error, stdout, stderr) => ok({ error, stdout, stderr })));
  assert.equal(simulated.error, null, simulated.stderr);
  const hash = simulated.stdout.match(/^spec: .* \(validation set (0x[0-9a-f]{64}): /m)[1];
  const irisQuote = JSON.parse((await newTask(written, '--dry-run')).stdout);
  // 2 rounds × (10 COH + 5 trainers × 0.5 COH): the written defaults, the simulated rounds and owners.
  assert.equal(BigInt(irisQuote.budget), 25n * 10n ** 12n);
  const iris = await newTask(written);
  assert.equal(iris.code, 0, iris.stderr);
  const irisTask = (await api.query.federated.tasks(JSON.parse(iris.stdout).task)).unwrap();
  assert.equal(irisTask.spec.validationSet.toHex(), hash, 'the task names the held-out set the simulation wrote');
  assert.deepEqual(irisTask.spec.model.toJSON(), { mlp: { input: 4, hidden: [32], classes: 3 } });
  assert.deepEqual([irisTask.spec.maxTrainers.toNumber(), irisTask.spec.rounds.toNumber()], [5, 2]);
});

test('a data owner lists a CSV file with `cohort-worker dataset list`, finds the tasks it can join with `cohort-worker tasks` (the chain\'s own answer, with its reason where not) and joins one with `cohort-worker task join`; a stranger cannot join with it', async () => {
  const dir = workerDir('data-owner');
  dirs.push(dir);
  assert.equal((await runWorker(['key', 'import', '--base-path', dir, '--suri', '//Bob'])).code, 0);
  const bob = new Keyring({ type: 'sr25519' }).addFromUri('//Bob');
  // Bob's data, 30 rows of 64 features and a label (0..=9): it fits the digits tasks. The
  // listing and the statistics come from `cohort-node dataset inspect`, and go on chain with
  // `cohort-worker dataset list`.
  const csv = join(dir, 'bob.csv');
  const rows = Array.from({ length: 30 }, (_, r) => [...Array.from({ length: 64 }, (_, j) => ((r * 5 + j) % 17) / 16), r % 10]);
  writeFileSync(csv, `${rows.map((row) => row.join(',')).join('\n')}\n`);
  const [listingFile, statsFile] = [join(dir, 'listing.json'), join(dir, 'stats.json')];
  const inspected = await new Promise((ok) => execFile(nodeBinary(), ['dataset', 'inspect', csv, '--name', 'Bob\'s digits', '--royalty', String(10n ** 11n), '--args-out', listingFile, '--stats-out', statsFile], (error, stdout, stderr) => ok({ error, stdout, stderr })));
  assert.equal(inspected.error, null, inspected.stderr);
  const listedRun = await runWorker(['dataset', 'list', '--node', authoring.url, '--base-path', dir, '--listing', listingFile, '--stats', statsFile]);
  assert.equal(listedRun.code, 0, listedRun.stderr);
  const dataset = Number(listedRun.stdout.match(/listed dataset (\d+) \(30 samples, 64 features, 10 classes\)/)[1]);
  const onChain = (await api.query.dataMarket.datasets(dataset)).unwrap();
  assert.equal(onChain.owner.toString(), bob.address);
  assert.equal(onChain.listing.content.asFile.toHex(), JSON.parse(readFileSync(listingFile, 'utf8')).content.File, 'the listing inspect wrote');
  assert.equal(onChain.statedFeatures.toNumber(), 64, 'and its statistics');

  const list = async (...flags) => {
    const run = await runWorker(['tasks', '--node', authoring.url, '--dataset', String(dataset), '--base-path', dir, '--json', ...flags]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout);
  };
  // The command reads the finalized head: the tasks created above and the dataset count once final.
  const live = (await api.query.federated.activeTasks()).map((t) => t.toNumber()).sort((a, b) => a - b);
  const until = async (ready, what, ...flags) => {
    for (const deadline = Date.now() + 60_000; ;) {
      const rows = await list(...flags);
      if (ready(rows)) return rows;
      assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(rows)}`);
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  };
  const all = await until(
    (rows) => rows.map((t) => t.task).join() === live.join() && rows.every((t) => t.reason !== 'DataMarket::UnknownDataset'),
    'every live task is listed',
  );
  // The iris task written by the simulation above does not fit 64 features.
  const iris = all.find((t) => t.model === 'MLP 4-32-3');
  assert.equal(iris.joinable, false);
  assert.equal(iris.reason, 'DataMarket::SchemaMismatch');
  const open = await list('--open');
  assert.ok(open.length > 0 && open.every((t) => t.joinable), JSON.stringify(all));
  const target = open.at(-1).task;

  // A stranger (a funded dev key with no right to Bob's dataset) is told why not, and refused.
  const strangerDir = workerDir('stranger');
  dirs.push(strangerDir);
  await runWorker(['key', 'import', '--base-path', strangerDir, '--suri', '//Dave//stash']);
  const stranger = JSON.parse((await runWorker(['tasks', '--node', authoring.url, '--dataset', String(dataset), '--base-path', strangerDir, '--json'])).stdout);
  assert.ok(stranger.every((t) => !t.joinable && t.reason === 'DataMarket::NotOwnerOrDelegate'), JSON.stringify(stranger));
  const refused = await runWorker(['task', 'join', '--node', authoring.url, '--task', String(target), '--dataset', String(dataset), '--base-path', strangerDir]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /the chain refused the join: DataMarket::NotOwnerOrDelegate/);

  const joined = await runWorker(['task', 'join', '--node', authoring.url, '--task', String(target), '--dataset', String(dataset), '--base-path', dir]);
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout, new RegExp(`joined task ${target} as a trainer with dataset ${dataset}`));
  const participant = (await api.query.federated.participants(target, bob.address)).unwrap();
  assert.equal(participant.dataset.unwrap().id.toNumber(), dataset);
  const info = (await api.query.federated.tasks(target)).unwrap();
  assert.equal(participant.bond.toBigInt(), info.minTrainerBond.toBigInt(), 'the task\'s minimum bond by default');
  // Once joined (and final), the chain says so for that task.
  await until((rows) => rows.find((t) => t.task === target).reason === 'Federated::AlreadyJoined', 'the joined task');
  // `cohort-worker status`: the key's task, its committed stake and its balance, as the chain keeps them.
  const status = JSON.parse((await runWorker(['status', '--node', authoring.url, '--base-path', dir, '--json'])).stdout);
  assert.equal(status.length, 1);
  const [me] = status;
  assert.equal(me.who, bob.address);
  const [membership] = me.tasks.filter((t) => t.task === target);
  assert.deepEqual([membership.role, membership.dataset], ['Trainer', dataset]);
  // Drawn into the round under way or not, as the rounds go on: a round index or nothing.
  assert.ok(membership.selectedIn === null || Number.isInteger(membership.selectedIn), JSON.stringify(membership));
  const ledger = (await api.query.incentives.ledgers(bob.address, 'Trainer')).unwrap();
  const trainer = me.stake.find((x) => x.role === 'Trainer');
  assert.deepEqual([trainer.active, trainer.committed], [ledger.active.toString(), ledger.committed.toString()]);
  assert.ok(BigInt(trainer.committed) >= info.minTrainerBond.toBigInt());
  // Bob sends nothing more: his balance is the same at every block since the join.
  const { data: account } = await api.query.system.account(bob.address);
  assert.deepEqual([me.free, me.held], [account.free.toString(), account.reserved.toString()]);
  assert.ok(BigInt(me.held) >= BigInt(trainer.active), 'stake is held');
  Object.assign(dataOwner, { dir, dataset, task: target, address: bob.address });
});

/** Runs `cohort-worker <args>` and asserts it succeeded: its standard output. */
async function cli(...args) {
  const run = await runWorker(args);
  assert.equal(run.code, 0, `cohort-worker ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Runs `cohort-worker <args>` and asserts the chain refused it with `error`. */
async function refused(error, ...args) {
  const run = await runWorker(args);
  assert.notEqual(run.code, 0, `cohort-worker ${args.join(' ')} should fail: ${run.stdout}`);
  assert.match(run.stderr, new RegExp(`the chain refused .*: ${error}`), run.stderr);
}

test('the data owner changes its listing, pauses and resumes it, leaves the task, delists it and unbonds its stake, with `cohort-worker dataset`, `task leave` and `stake`, each doing what the chain then shows; its worker, given a file that is not the listed data, commits nothing, leaves the task by itself and says why', async () => {
  assert.ok(dataOwner.dataset !== undefined, 'the data owner of the test before listed a dataset');
  const { dir, dataset, task, address } = dataOwner;
  const node = ['--node', authoring.url, '--base-path', dir];
  const listing = async () => (await api.query.dataMarket.datasets(dataset)).unwrap();

  // Update: only what is given changes; the licence turns to selling access for 0.5 COH a minute.
  const before = await listing();
  await cli('dataset', 'update', ...node, '--dataset', String(dataset), '--royalty', '0.2', '--access-price', '0.5', '--access-seconds', '60');
  const after = await listing();
  assert.equal(after.listing.royalty.toBigInt(), 2n * 10n ** 11n);
  assert.equal(after.listing.name.toUtf8(), before.listing.name.toUtf8(), 'the name is kept');
  assert.equal(after.listing.content.toHex(), before.listing.content.toHex(), 'the content is what the dataset is');
  assert.ok(after.listing.licence.isAccess);
  assert.equal(after.listing.licence.asAccess.price.toBigInt(), 5n * 10n ** 11n);
  const blockMs = (await api.call.auraApi.slotDuration()).toNumber();
  assert.equal(after.listing.licence.asAccess.period.toNumber(), Math.ceil(60_000 / blockMs), 'a minute, in this chain\'s blocks');
  await cli('dataset', 'update', ...node, '--dataset', String(dataset), '--name', 'Bob\'s digits, v2', '--federated-only');
  const renamed = await listing();
  assert.equal(renamed.listing.name.toUtf8(), 'Bob\'s digits, v2');
  assert.ok(renamed.listing.licence.isFederatedOnly);
  assert.equal(renamed.listing.royalty.toBigInt(), 2n * 10n ** 11n, 'the royalty is kept');
  // A stranger's key cannot change it.
  const strangerDir = workerDir('stranger-update');
  dirs.push(strangerDir);
  await cli('key', 'import', '--base-path', strangerDir, '--suri', '//Dave//stash');
  await refused('DataMarket::NotOwner', 'dataset', 'update', '--node', authoring.url, '--base-path', strangerDir, '--dataset', String(dataset), '--royalty', '0');

  // Pause and resume.
  await cli('dataset', 'pause', ...node, '--dataset', String(dataset));
  assert.ok((await listing()).status.isPaused);
  await refused('DataMarket::NotListed', 'dataset', 'pause', ...node, '--dataset', String(dataset));
  await cli('dataset', 'resume', ...node, '--dataset', String(dataset));
  assert.ok((await listing()).status.isListed);

  // Leave the task (the chain refuses while the key is drawn into the round under way: then wait
  // for that round to end). Its bond is released, still bonded as trainer stake.
  const bond = (await api.query.federated.participants(task, address)).unwrap().bond.toBigInt();
  let left;
  for (const deadline = Date.now() + 180_000; ;) {
    const run = await runWorker(['task', 'leave', ...node, '--task', String(task)]);
    if (run.code === 0) { left = run.stdout; break; }
    assert.match(run.stderr, /Federated::SelectedInOpenRound/, run.stderr);
    assert.ok(Date.now() < deadline, 'the round Bob was drawn into ended');
    await new Promise((ok) => setTimeout(ok, 2000));
  }
  assert.ok((await api.query.federated.participants(task, address)).isNone);
  assert.match(left, new RegExp(`left task ${task} in block #\\d+; its bond of ([0-9.]+) COH`));
  assert.equal((await api.query.incentives.ledgers(address, 'Trainer')).unwrap().committed.toBigInt(), 0n, 'nothing committed any more');
  assert.ok(bond > 0n);

  // Bob joins another task (a dataset that left a task cannot join it again: its lineage there
  // is kept): one he creates from the example spec, for his dataset alone (so no round draws
  // him before his worker runs). Then he runs his worker on a file that is not the data his
  // listing commits to (one value changed). The worker trains nothing on it: it leaves the task
  // by itself before a round draws the key (or, drawn already, once that round is over), and
  // says why.
  await refused('DataMarket::AlreadyInTask', 'task', 'join', ...node, '--task', String(task), '--dataset', String(dataset));
  const example = fileURLToPath(new URL('../../docs/examples/task.toml', import.meta.url));
  const spec = join(dir, 'bobs-task.toml');
  writeFileSync(spec, `${readFileSync(example, 'utf8')}\n[datasets]\nallowlist = [${dataset}]\n`);
  const other = JSON.parse(await cli('task', 'new', ...node, '--spec', spec, '--json')).task;
  await cli('task', 'join', ...node, '--task', String(other), '--dataset', String(dataset));
  mkdirSync(join(dir, 'data', 'datasets'), { recursive: true });
  const altered = readFileSync(join(dir, 'bob.csv'), 'utf8').replace(/^[^,]+/, '0.5');
  writeFileSync(join(dir, 'data', 'datasets', `${dataset}.csv`), altered);
  const recording = recordBlocks(api);
  const bobWorker = startWorker({ name: 'bob', nodes: [authoring.url], basePath: dir });
  try {
    const said = await bobWorker.waitForLog(new RegExp(`leaving task ${other} before a round draws it \\(its bond back\\): the file of dataset ${dataset} .* is not the listed data`), { timeoutMs: 240_000 });
    assert.match(said, /put the listed file there and restart the worker, then join another task \(a dataset that left a task cannot join it again\)/);
    for (const deadline = Date.now() + 60_000; (await api.query.federated.participants(other, address)).isSome;) {
      assert.ok(Date.now() < deadline, 'the worker\'s leave is in a block');
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  } finally {
    await bobWorker.stop();
  }
  const blocks = await recording.stop();
  const committed = eventsIn(blocks, 'federated', 'UpdateCommitted').filter((e) => e.data.who.toString() === address);
  assert.deepEqual(committed, [], 'no update committed on data that is not the listed data');
  const ledger = (await api.query.incentives.ledgers(address, 'Trainer')).unwrap();
  assert.equal(ledger.committed.toBigInt(), 0n, 'its bond released');

  // Delist: no task uses it now, so it is gone and its deposit is back.
  const held = (await api.query.system.account(address)).data.reserved.toBigInt();
  const deposit = (await listing()).deposit.toBigInt();
  const delisted = await cli('dataset', 'delist', ...node, '--dataset', String(dataset));
  assert.match(delisted, /no task used it, so it is gone/);
  assert.ok((await api.query.dataMarket.datasets(dataset)).isNone);
  assert.equal((await api.query.system.account(address)).data.reserved.toBigInt(), held - deposit, 'the deposit came back');

  // Unbond the trainer stake; it cannot be withdrawn before the unbonding period ends; rebond part.
  const active = ledger.active.toBigInt();
  const unbonded = await cli('stake', 'unbond', ...node, '--role', 'trainer', '--amount', coh(active));
  assert.match(unbonded, /can be withdrawn from block #(\d+)/);
  const unbonding = (await api.query.incentives.ledgers(address, 'Trainer')).unwrap();
  assert.equal(unbonding.active.toBigInt(), 0n);
  assert.equal(unbonding.unlocking.reduce((sum, c) => sum + c.value.toBigInt(), 0n), active);
  await refused('Incentives::NothingToWithdraw', 'stake', 'withdraw', ...node, '--role', 'trainer');
  await cli('stake', 'rebond', ...node, '--role', 'trainer', '--amount', coh(active));
  assert.equal((await api.query.incentives.ledgers(address, 'Trainer')).unwrap().active.toBigInt(), active);
});

/** An amount in COH, as the commands take it. */
function coh(planck) {
  const unit = 10n ** 12n;
  return `${planck / unit}.${String(planck % unit).padStart(12, '0')}`;
}

test('a compute provider measures and offers its machine with `cohort-worker offer register`, a consumer leases it with `cohort-worker lease new` (never above the price it read), the provider settles, the consumer ends the lease, the provider reprices, pauses, resumes and withdraws its offer; the chain keeps exactly what the commands said', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const [provider, consumer] = [keyring.addFromUri('//Eve//stash'), keyring.addFromUri('//Ferdie//stash')];
  const [providerDir, consumerDir] = [workerDir('provider'), workerDir('consumer')];
  dirs.push(providerDir, consumerDir);
  await cli('key', 'import', '--base-path', providerDir, '--suri', '//Eve//stash');
  await cli('key', 'import', '--base-path', consumerDir, '--suri', '//Ferdie//stash');
  const asProvider = ['--node', authoring.url, '--base-path', providerDir];
  const asConsumer = ['--node', authoring.url, '--base-path', consumerDir];
  const blockMs = (await api.call.auraApi.slotDuration()).toNumber();

  // The dry run measures and prices the offer, and sends nothing.
  const terms = ['--price-per-hour', '0.6', '--min-lease', '10', '--max-lease', '3600'];
  const dry = JSON.parse(await cli('offer', 'register', ...asProvider, ...terms, '--dry-run', '--json'));
  assert.equal(dry.who, provider.address);
  assert.equal(dry.registeredIn, undefined);
  assert.equal(dry.blockTimeMillis, blockMs);
  assert.equal(BigInt(dry.pricePerBlock), (6n * 10n ** 11n * BigInt(blockMs)) / 3_600_000n, 'an hour\'s price per block, rounded down');
  assert.deepEqual([dry.minBlocks, dry.maxBlocks], [Math.ceil(10_000 / blockMs), Math.ceil(3_600_000 / blockMs)]);
  assert.equal(BigInt(dry.bond), (await api.call.computeLeaseApi.minOfferBond()).toBigInt(), 'the least bond the chain takes now');
  assert.ok(dry.claimedScore > 0 && dry.hardware.cores > 0 && dry.hardware.backends.includes('cpu'), JSON.stringify(dry));
  assert.ok(BigInt(dry.fee) > 0n);
  assert.ok((await api.query.computeLease.offers(provider.address)).isNone, 'nothing sent');

  // Registered: the chain keeps the hardware, the score and the terms the command printed.
  const registered = await cli('offer', 'register', ...asProvider, ...terms);
  assert.match(registered, /registered in block #\d+/);
  const offer = (await api.query.computeLease.offers(provider.address)).unwrap();
  assert.ok(offer.status.isActive);
  assert.equal(offer.hardware.cores.toNumber(), dry.hardware.cores);
  assert.equal(offer.hardware.memoryMib.toNumber(), dry.hardware.memoryMib);
  assert.equal(offer.terms.price.toBigInt(), BigInt(dry.pricePerBlock));
  assert.equal(offer.terms.bond.toBigInt(), BigInt(dry.bond));
  assert.deepEqual([offer.terms.minBlocks.toNumber(), offer.terms.maxBlocks.toNumber()], [dry.minBlocks, dry.maxBlocks]);
  assert.ok(offer.claimedScore.toNumber() > 0);
  assert.equal((await api.query.incentives.ledgers(provider.address, 'ComputeProvider')).unwrap().committed.toBigInt(), BigInt(dry.bond), 'the bond is committed stake');
  // `cohort-worker status` shows the offer once it is final.
  for (const deadline = Date.now() + 60_000; ;) {
    const [me] = JSON.parse(await cli('status', ...asProvider, '--json'));
    if (me.offer !== null) {
      assert.deepEqual(me.offer, {
        status: 'Active', slots: 1, leasedSlots: 0, pricePerBlock: dry.pricePerBlock, bond: dry.bond,
        claimedScore: offer.claimedScore.toNumber(), verifiedScore: null,
      });
      break;
    }
    assert.ok(Date.now() < deadline, 'the offer became final');
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  const twice = await runWorker(['offer', 'register', ...asProvider, ...terms]);
  assert.notEqual(twice.code, 0);
  assert.match(twice.stderr, /already has an offer \(`offer update` changes it, `offer withdraw` takes it off the market\)/);

  // A consumer whose ceiling is under the offer's price is refused by the chain, and pays nothing.
  await refused('ComputeLease::PriceAboveMax', 'lease', 'new', ...asConsumer, '--worker', provider.address, '--seconds', '60', '--max-price-per-hour', '0.3');
  // At the price it read: 60 s of this chain's blocks, the whole price held in escrow.
  // What the consumer holds in lease escrow (its other holds, a task's budget say, move as they will).
  const escrowHeld = async () => (await api.query.balances.holds(consumer.address))
    .filter((h) => h.id.isComputeLease && h.id.asComputeLease.isEscrow)
    .reduce((sum, h) => sum + h.amount.toBigInt(), 0n);
  const heldBefore = await escrowHeld();
  const leased = await cli('lease', 'new', ...asConsumer, '--worker', provider.address, '--seconds', '60');
  const [, id, end, escrowCoh] = leased.match(/as lease (\d+) in block #\d+, until block #(\d+), at [0-9.]+ COH per slot per block; ([0-9.]+) COH held in escrow/);
  const lease = (await api.query.computeLease.leases(Number(id))).unwrap();
  assert.equal(lease.consumer.toString(), consumer.address);
  assert.equal(lease.worker.toString(), provider.address);
  assert.equal(lease.end.toNumber(), Number(end));
  const blocks = Math.ceil(60_000 / blockMs);
  assert.equal(lease.end.toNumber() - lease.start.toNumber(), blocks);
  const escrow = offer.terms.price.toBigInt() * BigInt(blocks);
  assert.equal(escrowCoh, coh(escrow));
  assert.equal(await escrowHeld(), heldBefore + escrow);

  // The provider settles what was served so far; only the consumer may end the lease.
  const settled = await cli('lease', 'settle', ...asProvider, '--lease', id);
  const [, paid, paidUntil] = settled.match(/its worker was paid ([0-9.]+) COH, for the blocks before #(\d+)/);
  const afterSettle = (await api.query.computeLease.leases(Number(id))).unwrap();
  assert.equal(afterSettle.paidUntil.toNumber(), Number(paidUntil));
  assert.equal(paid, coh(offer.terms.price.toBigInt() * BigInt(Number(paidUntil) - lease.start.toNumber())));
  await refused('ComputeLease::NotConsumer', 'lease', 'end', ...asProvider, '--lease', id);
  const ended = await cli('lease', 'end', ...asConsumer, '--lease', id);
  const [, paidAtEnd, refunded] = ended.match(/its worker was paid ([0-9.]+) COH, ([0-9.]+) COH of the escrow came back/);
  const planck = (text) => BigInt(text.replace('.', ''));
  assert.equal(planck(paid) + planck(paidAtEnd) + planck(refunded), escrow, 'the escrow, all accounted for');
  assert.ok((await api.query.computeLease.leases(Number(id))).isNone);
  assert.equal(await escrowHeld(), heldBefore, 'nothing held in escrow any more');

  // The provider doubles its price (everything else kept: slots, lengths, bond, its claimed
  // score and hardware), pauses the
  // offer (a lease is then refused) and resumes it.
  const updated = JSON.parse(await cli('offer', 'update', ...asProvider, '--price-per-hour', '1.2', '--json'));
  assert.ok(updated.updatedIn > 0);
  assert.equal(updated.remeasured, false);
  const repriced = (await api.query.computeLease.offers(provider.address)).unwrap();
  assert.equal(repriced.terms.price.toBigInt(), (12n * 10n ** 11n * BigInt(blockMs)) / 3_600_000n);
  assert.equal(repriced.terms.slots.toNumber(), 1);
  assert.deepEqual([repriced.terms.minBlocks.toNumber(), repriced.terms.maxBlocks.toNumber()], [dry.minBlocks, dry.maxBlocks]);
  assert.equal(repriced.terms.bond.toBigInt(), BigInt(dry.bond));
  // Its claim and hardware are kept (not measured again: a benchmark varies from run to run).
  assert.equal(repriced.claimedScore.toNumber(), offer.claimedScore.toNumber());
  assert.equal(repriced.hardware.toHex(), offer.hardware.toHex());
  await cli('offer', 'pause', ...asProvider);
  assert.ok((await api.query.computeLease.offers(provider.address)).unwrap().status.isPaused);
  await refused('ComputeLease::NotActive', 'lease', 'new', ...asConsumer, '--worker', provider.address, '--seconds', '60');
  await cli('offer', 'resume', ...asProvider);
  assert.ok((await api.query.computeLease.offers(provider.address)).unwrap().status.isActive);

  // The provider withdraws its offer. No lease runs: the offer goes and its bond is released at
  // once, unless a challenge of the chain's holds it (then it waits, as the command says).
  const withdrawn = await cli('offer', 'withdraw', ...asProvider);
  const stored = await api.query.computeLease.offers(provider.address);
  const committed = (await api.query.incentives.ledgers(provider.address, 'ComputeProvider')).unwrap().committed.toBigInt();
  if (/it is gone, and its bond of ([0-9.]+) COH is released/.test(withdrawn)) {
    assert.equal(withdrawn.match(/its bond of ([0-9.]+) COH/)[1], coh(BigInt(dry.bond)));
    assert.ok(stored.isNone);
    assert.equal(committed, 0n);
  } else {
    assert.match(withdrawn, /takes no new lease; its bond is released once/);
    assert.ok(stored.unwrap().status.isWithdrawing);
    assert.ok(stored.unwrap().challenge.isSome || stored.unwrap().verifying.toNumber() > 0);
  }
});

