// The chain runs: a real cohort-node in --dev, driven by @polkadot/api as a wallet would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, connect } from './lib/node.js';
import { sendAndWait, waitForHeader } from './lib/tx.js';

const UNIT = 10n ** 12n;
let node;
let api;
let accounts;

before(async () => {
  await cryptoWaitReady();
  node = await startNode({ args: ['--dev'], name: 'dev' });
  api = await connect(node.url);
  const keyring = new Keyring({ type: 'sr25519' });
  accounts = Object.fromEntries(
    ['Alice', 'Bob', 'Charlie', 'Dave'].map((n) => [n.toLowerCase(), keyring.addFromUri(`//${n}`)]),
  );
  accounts.nobody = keyring.addFromUri('//CohortE2eUnfundedAccount');
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();
const eventsOf = (events, section, method) =>
  events.filter(({ event }) => event.section === section && event.method === method);

test('the node tells wallets the chain and its token', async () => {
  assert.equal((await api.rpc.system.chain()).toString(), 'Cohort Development');
  assert.deepEqual(api.registry.chainTokens, ['COH']);
  assert.deepEqual(api.registry.chainDecimals, [12]);
  assert.equal(api.runtimeVersion.specName.toString(), 'cohort');
  const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  for (const p of ['System', 'Timestamp', 'Aura', 'Grandpa', 'Balances', 'TransactionPayment', 'Sudo', 'Federated', 'DataMarket']) {
    assert.ok(pallets.includes(p), `${p} is in the runtime`);
  }
});

test('blocks are produced', async () => {
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  const header = await waitForHeader((cb) => api.rpc.chain.subscribeNewHeads(cb), start + 2);
  assert.ok(header.number.toNumber() >= start + 2);
});

test('a transfer from Alice to Bob lands, with its events, and is finalized', async () => {
  const amount = 7n * UNIT;
  const bobBefore = await free(accounts.bob);
  const { blockHash, events, error } = await sendAndWait(
    api,
    api.tx.balances.transferKeepAlive(accounts.bob.address, amount),
    accounts.alice,
  );
  assert.equal(error, null);
  assert.equal(eventsOf(events, 'system', 'ExtrinsicSuccess').length, 1);
  const [transfer] = eventsOf(events, 'balances', 'Transfer');
  assert.ok(transfer, 'a Balances.Transfer event');
  const { from, to, amount: moved } = transfer.event.data;
  assert.equal(from.toString(), accounts.alice.address);
  assert.equal(to.toString(), accounts.bob.address);
  assert.equal(moved.toBigInt(), amount);
  assert.equal(eventsOf(events, 'transactionPayment', 'TransactionFeePaid').length, 1);

  const atBlock = await api.at(blockHash);
  const bobAtBlock = (await atBlock.query.system.account(accounts.bob.address)).data.free.toBigInt();
  assert.equal(bobAtBlock, bobBefore + amount);

  // GRANDPA finalizes the block that holds the transfer.
  const number = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  await waitForHeader((cb) => api.rpc.chain.subscribeFinalizedHeads(cb), number);
  const finalizedHash = await api.rpc.chain.getBlockHash(number);
  assert.equal(finalizedHash.toHex(), blockHash.toHex(), 'the finalized block is the one with the transfer');
});

test('a transfer of more than the balance fails with the runtime error and moves nothing but the fee', async () => {
  const charlieBefore = await free(accounts.charlie);
  const daveBefore = await free(accounts.dave);
  const { blockHash, events, error } = await sendAndWait(
    api,
    api.tx.balances.transferKeepAlive(accounts.dave.address, charlieBefore + UNIT),
    accounts.charlie,
  );
  assert.deepEqual(error, { token: 'FundsUnavailable' });
  assert.equal(eventsOf(events, 'system', 'ExtrinsicFailed').length, 1);
  assert.equal(eventsOf(events, 'balances', 'Transfer').length, 0);
  const [{ event: feeEvent }] = eventsOf(events, 'transactionPayment', 'TransactionFeePaid');
  const fee = feeEvent.data.actualFee.toBigInt();

  const atBlock = await api.at(blockHash);
  const account = async (who) => (await atBlock.query.system.account(who.address)).data.free.toBigInt();
  assert.equal(await account(accounts.dave), daveBefore, "the recipient's balance is unchanged");
  assert.equal(await account(accounts.charlie), charlieBefore - fee, 'the sender paid only the fee');
});

test('an account that cannot pay the fee is refused by the pool and changes nothing', async () => {
  const bobBefore = await free(accounts.bob);
  assert.equal(await free(accounts.nobody), 0n);
  await assert.rejects(
    api.tx.balances.transferKeepAlive(accounts.bob.address, UNIT).signAndSend(accounts.nobody),
    /Inability to pay some fees/,
  );
  // Let a block pass, then check nothing moved.
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitForHeader((cb) => api.rpc.chain.subscribeNewHeads(cb), now + 1);
  assert.equal(await free(accounts.bob), bobBefore);
  assert.equal(await free(accounts.nobody), 0n);
});
