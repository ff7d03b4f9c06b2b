// The `local` chain as the README runs it by hand: Alice and Bob as two validator nodes that
// find each other, produce blocks and finalize them together (GRANDPA needs both votes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, connect } from './lib/node.js';
import { waitForHeader } from './lib/tx.js';

// Alice's fixed network key and the peer id it gives (as in the README).
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const BOB_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000002';

let alice;
let bob;
const apis = [];

before(async () => {
  alice = await startNode({ name: 'alice', args: ['--chain', 'local', '--alice', '--validator', '--node-key', ALICE_NODE_KEY] });
  bob = await startNode({
    name: 'bob',
    args: [
      '--chain', 'local', '--bob', '--validator', '--node-key', BOB_NODE_KEY,
      '--bootnodes', `/ip4/127.0.0.1/tcp/${alice.p2pPort}/p2p/${ALICE_PEER_ID}`,
    ],
  });
  for (const node of [alice, bob]) apis.push(await connect(node.url));
});

after(async () => {
  await Promise.all(apis.map((api) => api.disconnect()));
  await Promise.all([alice?.stop(), bob?.stop()]);
});

test('two validators peer, produce blocks and finalize them together', async () => {
  for (const api of apis) {
    assert.equal((await api.rpc.system.chain()).toString(), 'Cohort Local Testnet');
    const authorities = await api.query.aura.authorities();
    assert.equal(authorities.length, 2);
  }
  // Finality needs both of the two GRANDPA voters, so a finalized block #3 on each node shows
  // that they talk to each other.
  await Promise.all(apis.map((api) => waitForHeader((cb) => api.rpc.chain.subscribeFinalizedHeads(cb), 3, 180_000)));
  for (const api of apis) {
    assert.equal((await api.rpc.system.health()).peers.toNumber(), 1);
  }
  const [a, b] = await Promise.all(apis.map((api) => api.rpc.chain.getBlockHash(3)));
  assert.equal(a.toHex(), b.toHex(), 'both nodes have the same block #3');
  // Both authored: the authors of blocks #1..#6 include both Aura keys.
  const authors = new Set();
  for (let n = 1; n <= 6; n += 1) {
    await waitForHeader((cb) => apis[0].rpc.chain.subscribeNewHeads(cb), n, 120_000);
    const header = await apis[0].rpc.chain.getHeader(await apis[0].rpc.chain.getBlockHash(n));
    const preRuntime = header.digest.logs.find((log) => log.isPreRuntime).asPreRuntime;
    const slot = apis[0].createType('u64', preRuntime[1]).toNumber();
    authors.add(slot % 2);
  }
  assert.equal(authors.size, 2, 'Alice and Bob both author blocks');
});
