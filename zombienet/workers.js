// The zndsl test's steps that zombienet cannot express itself, as a `js-script`
// (`alice: js-script ./workers.js with "<step>,<args>" return is equal to 1 within N seconds`):
// the standalone workers as processes of their own, each against a different node, and what the
// chain shows of them. Each step resolves with 1 once what it waits for holds (zombienet's
// `within` bounds the wait) and throws on a violation.
//
// The workers' folders, logs and pids live in COHORT_WORKERS_DIR (scripts/zombienet.sh makes it
// and kills what is left there when the test ends, however it ends).
const { spawn } = require('child_process');
// The end-to-end tests' @polkadot/api, not the one zombienet hands its scripts (`zombie`): that
// one (14.x) predates the runtime's metadata version and sees no runtime APIs.
const { ApiPromise, Keyring, WsProvider } = require('@polkadot/api');
const fs = require('fs');
const net = require('net');
const path = require('path');

const DIR = process.env.COHORT_WORKERS_DIR;
const BIN = process.env.COHORT_WORKER_BIN || 'cohort-worker';
const TASK = 0;
// The background watch of `watch` (this module stays loaded between steps).
let watching = null;

// Who runs where: the aggregators (and the demo task's owner) on alice's node, the data owners
// on bob's and charlie's; each worker names further nodes to move to when its node goes away.
const WORKERS = {
  aggregators: { nodes: ['alice', 'dave'], args: ['--dev-key', '//Alice//stash', '--dev-key', '//Bob//stash', '--dev-key', '//Charlie//stash', '--demo-task'] },
  'owners-a': { nodes: ['bob', 'charlie'], args: ['--dev-key', '//Charlie', '--dev-key', '//Dave'] },
  'owners-b': { nodes: ['charlie', 'dave'], args: ['--dev-key', '//Eve', '--dev-key', '//Ferdie'] },
};
const OWNERS = { '//Charlie': 'owners-a', '//Dave': 'owners-a', '//Eve': 'owners-b', '//Ferdie': 'owners-b' };

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const folder = (name) => path.join(DIR, name);
const logOf = (name) => path.join(folder(name), 'worker.log');
const state = (key, value) => {
  const file = path.join(DIR, `${key}.json`);
  if (value === undefined) return JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify(value));
  return value;
};
const logText = (name) => fs.readFileSync(logOf(name), 'utf8').replace(/\x1b\[[0-9;]*m/g, '');

function start(name, networkInfo) {
  const { nodes, args } = WORKERS[name];
  fs.mkdirSync(folder(name), { recursive: true });
  const out = fs.openSync(logOf(name), 'a');
  const urls = nodes.flatMap((n) => ['--node', networkInfo.nodesByName[n].wsUri]);
  const child = spawn(BIN, [...urls, '--base-path', folder(name), ...args], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.writeFileSync(path.join(folder(name), 'pid'), String(child.pid));
  return child.pid;
}

function pidOf(name) {
  return Number(fs.readFileSync(path.join(folder(name), 'pid'), 'utf8'));
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function until(check, everyMs = 1000) {
  for (;;) {
    const value = await check();
    if (value) return value;
    await sleep(everyMs);
  }
}

async function api(networkInfo, node) {
  const provider = new WsProvider(networkInfo.nodesByName[node].wsUri);
  return ApiPromise.create({ provider, noInitWarn: true });
}

const addressOf = (uri) => new Keyring({ type: 'sr25519' }).addFromUri(uri).address;

/** The round's record at the finalized head, once decided: the end-to-end tests' reading (an ES
 * module, hence the dynamic import), with no deadline of its own (zombienet's `within` is it). */
async function decided(chain, round) {
  const { waitForDecidedRound } = await import('../tests/e2e/lib/rounds.js');
  return waitForDecidedRound(chain, TASK, round, Infinity);
}

/** Throws unless the round finalized with an update of every owner. */
function assertFull(round, record) {
  if (!record.phase.isFinalized) throw new Error(`round ${round} failed: ${record.phase.toString()}`);
  const updated = new Set(record.trainers.filter((t) => t.update.isSome).map((t) => t.who.toString()));
  for (const uri of Object.keys(OWNERS)) {
    if (!updated.has(addressOf(uri))) throw new Error(`round ${round}: no update of ${uri}`);
  }
}

/** The round the task is in (the last one the chain has a record of). */
async function currentRound(chain) {
  let round = 0;
  while ((await chain.call.federatedApi.round(TASK, round + 1)).isSome) round += 1;
  return round;
}

const steps = {
  // Starts every worker; 1 once each is connected to its node.
  async start(networkInfo) {
    for (const name of Object.keys(WORKERS)) start(name, networkInfo);
    for (const name of Object.keys(WORKERS)) {
      const first = networkInfo.nodesByName[WORKERS[name].nodes[0]].wsUri;
      await until(() => fs.existsSync(logOf(name)) && logText(name).includes(`connected to ${first}`));
    }
    return 1;
  },

  // 1 once round `round` of the demo task is finalized with every owner's update.
  async round(networkInfo, round) {
    const chain = await api(networkInfo, 'alice');
    try {
      const record = await decided(chain, Number(round));
      assertFull(round, record);
      return 1;
    } finally {
      await chain.disconnect();
    }
  },

  // 1 once the round after the current one is finalized with every owner's update.
  async 'next-round'(networkInfo) {
    const chain = await api(networkInfo, 'alice');
    try {
      const round = (await currentRound(chain)) + 1;
      assertFull(round, await decided(chain, round));
      return 1;
    } finally {
      await chain.disconnect();
    }
  },

  // Starts watching, in the background, alice's finalized height and whether `node` answers on
  // its RPC port (every 500 ms), so that a later step can tell what finality did while `node`
  // was down: zombienet's `restart` returns only once the node is back.
  async watch(networkInfo, node) {
    const chain = await ApiPromise.create({ provider: new WsProvider(networkInfo.nodesByName.alice.wsUri), noInitWarn: true });
    const { hostname, port } = new URL(networkInfo.nodesByName[node].wsUri);
    const watched = { node, finalized: [], up: [], stop: null };
    const unsubscribe = await chain.rpc.chain.subscribeFinalizedHeads((head) => {
      watched.finalized.push([Date.now(), head.number.toNumber()]);
    });
    const timer = setInterval(() => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      const done = (up) => { socket.destroy(); watched.up.push([Date.now(), up]); };
      socket.setTimeout(400, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    }, 500);
    watched.stop = async () => { clearInterval(timer); unsubscribe(); await chain.disconnect(); };
    watching = watched;
    return 1;
  },

  // Stops the watch; 1 if `node` was seen down and up again, and alice finalized at least
  // `blocks` blocks while it was down.
  async 'finalized-while-down'(networkInfo, node, blocks) {
    const watched = watching;
    if (!watched || watched.node !== node) throw new Error(`no watch of ${node} (step "watch,${node}")`);
    watching = null;
    // zombienet's `restart` returns once it has spawned the node again, which may be before the
    // node listens on its RPC port: keep watching (the step's `within` bounds it) until it does.
    const seenUpAgain = () => {
      const downAt = watched.up.find(([, up]) => !up);
      return downAt && watched.up.find(([at, up]) => up && at > downAt[0]);
    };
    for (let i = 0; i < 50 && !seenUpAgain(); i += 1) await sleep(500);
    await watched.stop();
    const downAt = watched.up.find(([, up]) => !up);
    if (!downAt) throw new Error(`${node} was never seen down`);
    const upAgain = watched.up.find(([at, up]) => up && at > downAt[0]);
    if (!upAgain) throw new Error(`${node} was never seen up again`);
    const during = watched.finalized.filter(([at]) => at >= downAt[0] && at <= upAgain[0]).map(([, n]) => n);
    const before = watched.finalized.filter(([at]) => at < downAt[0]).map(([, n]) => n);
    const from = before.length ? before[before.length - 1] : during[0];
    const gained = during.length ? Math.max(...during) - from : 0;
    const seconds = Math.round((upAgain[0] - downAt[0]) / 1000);
    if (gained < Number(blocks)) throw new Error(`while ${node} was down (${seconds} s), finality went on by ${gained} blocks only (from #${from})`);
    console.log(`while ${node} was down (${seconds} s), alice finalized ${gained} blocks (from #${from})`);
    return 1;
  },

  // 1 once `node` has caught up: its best block is at least alice's best when asked, and it
  // finalizes what alice finalized then.
  async 'caught-up'(networkInfo, node) {
    const [reference, chain] = await Promise.all([api(networkInfo, 'alice'), api(networkInfo, node)]);
    try {
      const best = (await reference.rpc.chain.getHeader()).number.toNumber();
      const finalized = (await reference.rpc.chain.getHeader(await reference.rpc.chain.getFinalizedHead())).number.toNumber();
      await until(async () => {
        const own = (await chain.rpc.chain.getHeader()).number.toNumber();
        const ownFinalized = (await chain.rpc.chain.getHeader(await chain.rpc.chain.getFinalizedHead())).number.toNumber();
        return own >= best && ownFinalized >= finalized;
      });
      return 1;
    } finally {
      await Promise.all([reference.disconnect(), chain.disconnect()]);
    }
  },

  // SIGKILLs the worker of owner `uri` once it committed in the current round and before it
  // revealed, and starts it again on its folder; 1 once it is back.
  async 'kill-after-commit'(networkInfo, uri) {
    const name = OWNERS[uri];
    const chain = await api(networkInfo, 'alice');
    try {
      const who = addressOf(uri);
      // Between its commitment and its reveal: what it committed is only in its folder.
      const { round } = await until(async () => {
        const now = await currentRound(chain);
        const record = await chain.call.federatedApi.round(TASK, now);
        const slot = record.isSome && record.unwrap().trainers.find((t) => t.who.toString() === who);
        return slot && slot.commitment.isSome && slot.update.isNone ? { round: now } : null;
      }, 300);
      const pid = pidOf(name);
      process.kill(pid, 'SIGKILL');
      await until(() => !alive(pid), 200);
      const offset = fs.statSync(logOf(name)).size;
      state('killed', { uri, round, offset });
      start(name, networkInfo);
      await until(() => fs.readFileSync(logOf(name)).subarray(offset).toString().includes('connected to'));
      return 1;
    } finally {
      await chain.disconnect();
    }
  },

  // 1 once the round the worker was killed in finalized with every owner's update, the killed
  // worker's keys having committed and revealed exactly once in it and none of their
  // extrinsics having failed since the round began (a commitment sent twice fails).
  async 'killed-round'(networkInfo) {
    const { uri, round } = state('killed');
    const chain = await api(networkInfo, 'alice');
    try {
      const record = await decided(chain, round);
      assertFull(round, record);
      const keys = Object.keys(OWNERS).filter((u) => OWNERS[u] === OWNERS[uri]).map(addressOf);
      const count = { UpdateCommitted: new Map(), UpdateRevealed: new Map() };
      const finalized = (await chain.rpc.chain.getHeader(await chain.rpc.chain.getFinalizedHead())).number.toNumber();
      for (let n = record.started.toNumber(); n <= finalized; n += 1) {
        const hash = await chain.rpc.chain.getBlockHash(n);
        const [block, events] = await Promise.all([chain.rpc.chain.getBlock(hash), (await chain.at(hash)).query.system.events()]);
        for (const { phase, event } of events) {
          if (event.section === 'federated' && count[event.method] && event.data.round.toNumber() === round) {
            const who = event.data.who.toString();
            count[event.method].set(who, (count[event.method].get(who) || 0) + 1);
          }
          if (chain.events.system.ExtrinsicFailed.is(event) && phase.isApplyExtrinsic) {
            const xt = block.block.extrinsics[phase.asApplyExtrinsic.toNumber()];
            if (xt.isSigned && keys.includes(xt.signer.toString())) {
              throw new Error(`block #${n}: ${xt.method.section}.${xt.method.method} of ${xt.signer} failed`);
            }
          }
        }
      }
      for (const who of keys) {
        for (const [method, by] of Object.entries(count)) {
          if (by.get(who) !== 1) throw new Error(`round ${round}: ${by.get(who) || 0} ${method} of ${who}`);
        }
      }
      return 1;
    } finally {
      await chain.disconnect();
    }
  },

  // 1 once the worker `name` logged that it lost node `from` and connected to node `to`.
  async moved(networkInfo, name, from, to) {
    const lost = `lost ${networkInfo.nodesByName[from].wsUri}`;
    const connected = `connected to ${networkInfo.nodesByName[to].wsUri}`;
    await until(() => {
      const text = logText(name);
      const at = text.lastIndexOf(lost);
      return at >= 0 && text.indexOf(connected, at) > at;
    });
    return 1;
  },

  // Stops every worker (SIGTERM); 1 once each has exited, cleanly.
  async stop() {
    for (const name of Object.keys(WORKERS)) {
      const pid = pidOf(name);
      if (alive(pid)) process.kill(pid, 'SIGTERM');
    }
    for (const name of Object.keys(WORKERS)) {
      await until(() => !alive(pidOf(name)), 200);
      if (!logText(name).includes('stopped')) throw new Error(`worker ${name} did not stop cleanly`);
    }
    return 1;
  },
};

async function run(nodeName, networkInfo, args) {
  const [step, ...rest] = args;
  if (!DIR) throw new Error('COHORT_WORKERS_DIR is not set (run the test with scripts/zombienet.sh)');
  if (!steps[step]) throw new Error(`no step ${step}`);
  return steps[step](networkInfo, ...rest);
}

module.exports = { run };
