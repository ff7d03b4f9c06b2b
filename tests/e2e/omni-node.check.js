// The parachain runtime on the polkadot omni-node in dev mode (no relay chain: the omni-node
// mocks the relay chain's inherent and seals a block every 2 s), driven by @polkadot/api as a
// wallet would: the chain tells its token, produces blocks, moves a transfer, takes a federated
// task, and answers the Cohort runtime APIs.
//
// Not part of `npm test` (its name does not end in .test.js): building the omni-node takes
// longer than CI's budget allows (docs/ci.md). `scripts/parachain.sh check` builds what it
// needs and runs it with OMNI_NODE_BIN and PARACHAIN_SPEC set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, connect } from './lib/node.js';
import { sendAndWait, waitForHeader, feePaid } from './lib/tx.js';

const UNIT = 10n ** 12n;
const GATE = { minScore: 550_000, slashBelow: 450_000, clipNormPercent: 150 };

let node;
let api;
let k;

before(async () => {
  assert.ok(process.env.OMNI_NODE_BIN, 'OMNI_NODE_BIN: the polkadot-omni-node binary');
  assert.ok(process.env.PARACHAIN_SPEC, 'PARACHAIN_SPEC: the parachain chain spec');
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  k = Object.fromEntries(['Alice', 'Bob', 'Ferdie'].map((n) => [n.toLowerCase(), keyring.addFromUri(`//${n}`)]));
  node = await startNode({
    binary: process.env.OMNI_NODE_BIN,
    args: ['--chain', process.env.PARACHAIN_SPEC, '--dev-block-time', '2000'],
    name: 'omni-node',
  });
  api = await connect(node.url);
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

test('the parachain tells wallets its token and runtime', async () => {
  const properties = await api.rpc.system.properties();
  assert.equal(properties.tokenSymbol.unwrap()[0].toString(), 'COH');
  assert.equal(properties.tokenDecimals.unwrap()[0].toNumber(), 12);
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
