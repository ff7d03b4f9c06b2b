// The parachain runtime on the omni-node (node/omni) in dev mode: no relay chain, the omni-node
// mocks the relay chain's inherent and seals and finalizes a block every 2 s. Driven by
// @polkadot/api as a wallet would, and by the standalone worker as data owners and aggregators
// would: the chain tells its token, produces blocks, moves a transfer, finishes rounds of the
// demo task with every owner's update, takes a hand-made task and refuses a bad one, and answers
// the Cohort runtime API. The chain spec is made as the howto makes it (scripts/parachain.sh
// spec, the omni-node's chain-spec-builder) from the runtime the test build made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { builtFile, startNode, connect } from './lib/node.js';
import { sendAndWait, waitForHeader, feePaid } from './lib/tx.js';
import { removeWorkerDir, startWorker, workerDir } from './lib/worker.js';
import { assertFullRound, waitForDecidedRound } from './lib/rounds.js';
import { RECOMMENDED_GATE } from './lib/gate.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The omni-node and the parachain runtime the test build made (scripts/test.sh). */
const OMNI_NODE_BIN = process.env.OMNI_NODE_BIN ?? builtFile('cohort-omni-node');
const PARACHAIN_WASM = process.env.PARACHAIN_WASM
  ?? builtFile('wbuild', 'cohort-parachain-runtime', 'cohort_parachain_runtime.wasm');

const UNIT = 10n ** 12n;
const GATE = RECOMMENDED_GATE;
// The dev keys of offchain-workers/worker/src/dev.rs: owners of datasets 1 to 4, aggregators.
const OWNERS = ['//Charlie', '//Dave', '//Eve', '//Ferdie'];
const AGGREGATORS = ['//Alice//stash', '//Bob//stash', '//Charlie//stash'];
const DEMO_TASK = 0;

let node;
let api;
let k;
let specDir;
const addressOf = {};

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  k = Object.fromEntries(['Alice', 'Bob', 'Ferdie'].map((n) => [n.toLowerCase(), keyring.addFromUri(`//${n}`)]));
  for (const uri of [...OWNERS, ...AGGREGATORS]) addressOf[uri] = keyring.addFromUri(uri).address;
  specDir = mkdtempSync(join(tmpdir(), 'cohort-parachain-spec-'));
  const spec = join(specDir, 'cohort-parachain-dev.json');
  execFileSync('bash', [resolve(here, '../../scripts/parachain.sh'), 'spec', PARACHAIN_WASM, spec], {
    env: { ...process.env, OMNI_NODE_BIN },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  node = await startNode({
    binary: OMNI_NODE_BIN,
    args: ['--chain', spec, '--dev-block-time', '2000', '--database', 'paritydb'],
    name: 'omni-node',
  });
  api = await connect(node.url);
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
  if (specDir) rmSync(specDir, { recursive: true, force: true });
});

test('the parachain tells wallets its token and runtime', async () => {
  const properties = await api.rpc.system.properties();
  assert.equal(properties.tokenSymbol.unwrap()[0].toString(), 'COH');
  assert.equal(properties.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(properties.ss58Format.unwrap().toNumber(), 42);
  assert.equal(api.runtimeVersion.specName.toString(), 'cohort-parachain');
  assert.equal((await api.query.parachainInfo.parachainId()).toNumber(), 2000);
});

test('the omni-node produces blocks with the parachain runtime', async () => {
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  const header = await waitForHeader((cb) => api.rpc.chain.subscribeNewHeads(cb), start + 3);
  assert.ok(header.number.toNumber() >= start + 3);
});

test('a transfer moves COH and pays a fee', async () => {
  const amount = 5n * UNIT;
  const before = (await api.query.system.account(k.ferdie.address)).data.free.toBigInt();
  const { events, error } = await sendAndWait(
    api,
    api.tx.balances.transferKeepAlive(k.ferdie.address, amount),
    k.bob,
  );
  assert.equal(error, null);
  assert.ok(events.some(({ event }) => api.events.balances.Transfer.is(event)));
  assert.ok(feePaid(events, k.bob) > 0n, 'Bob paid a fee');
  const after = (await api.query.system.account(k.ferdie.address)).data.free.toBigInt();
  assert.equal(after - before, amount);
});

test('standalone workers finish a round of the demo task on the collator, every owner\'s update in it', async () => {
  const devKeys = (uris) => uris.flatMap((uri) => ['--dev-key', uri]);
  const workers = [];
  const dirs = [];
  const start = (name, args) => {
    const basePath = workerDir(name);
    dirs.push(basePath);
    const worker = startWorker({ name, nodes: [node.url], basePath, args });
    workers.push(worker);
    return worker;
  };
  try {
    const aggregators = start('aggregators', [...devKeys(AGGREGATORS), '--demo-task']);
    start('owners', devKeys(OWNERS));
    await aggregators.waitForLog(/creating the demo task/);
    const record = await waitForDecidedRound(api, DEMO_TASK, 0);
    assertFullRound(0, record, { owners: OWNERS, aggregators: AGGREGATORS, addressOf });
    // The collator runs no ML worker: the rounds are the standalone workers' alone.
    assert.doesNotMatch(readFileSync(node.logPath, 'utf8'), /ML worker/);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    dirs.forEach(removeWorkerDir);
  }
});

test('a federated task is taken, held for, and answered by the runtime API', async () => {
  const task = (await api.query.federated.nextTaskId()).toNumber();
  const spec = {
    model: { Mlp: { input: 64, hidden: [32], classes: 10 } },
    initialModel: { Seed: 7 },
    training: { epochs: 5, batchSize: 16, optimizer: 'Sgd', learningRateMicros: 100_000, fedproxMuMicros: null, dp: null },
    scale: 1 << 16,
    aggregation: 'WeightedMean',
    gate: GATE,
    maxSamples: 2000,
    rounds: 2,
    minTrainers: 2,
    maxTrainers: 4,
    aggregators: 3,
    quorum: 2,
    phases: { commit: 5, reveal: 5, score: 5, scoreReveal: 5, aggregate: 5, aggregateReveal: 5 },
    maxPayloadBytes: 64 * 1024,
    rewardPerRound: 10n * UNIT,
    aggregatorShare: 200_000_000,
    penalty: 100_000_000,
    validationSet: `0x${'07'.repeat(32)}`,
    datasets: { maxRoyalty: UNIT / 2n, minReputation: 0, allowlist: [] },
  };
  const { events, error } = await sendAndWait(api, api.tx.federated.createTask(spec), k.alice);
  assert.equal(error, null);
  const created = events.find(({ event }) => api.events.federated.TaskCreated.is(event));
  assert.ok(created, 'TaskCreated');
  assert.equal(created.event.data.task.toNumber(), task);
  const info = (await api.call.federatedApi.task(task)).unwrap();
  assert.equal(info.spec.rounds.toNumber(), 2);
  // A task whose single aggregator could decide a round alone is refused by the same rules as
  // on the solochain.
  const refused = await sendAndWait(api, api.tx.federated.createTask({ ...spec, quorum: 1 }), k.bob);
  assert.equal(refused.error?.name, 'InvalidQuorum');
});
