// Starts a real cohort-node on free local ports and stops it again.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';

const here = dirname(fileURLToPath(import.meta.url));

/** A file the test build leaves in the debug profile of `CARGO_TARGET_DIR` (or the workspace's target). */
export function builtFile(...path) {
  const target = process.env.CARGO_TARGET_DIR ?? resolve(here, '../../../target');
  return join(target, 'debug', ...path);
}

/** The node binary: `COHORT_NODE_BIN`, or the one `cargo build` leaves in the workspace target. */
export function nodeBinary() {
  return process.env.COHORT_NODE_BIN ?? builtFile('cohort-node');
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * Starts `cohort-node <args>` (or another Substrate node: `binary`, e.g. the polkadot omni-node)
 * with its own base path, RPC and p2p ports on 127.0.0.1, and resolves once its RPC answers.
 * `stop()` ends it and removes its files.
 */
export async function startNode({
  args = ['--dev'],
  name = 'node',
  readyTimeoutMs = 180_000,
  binary = nodeBinary(),
} = {}) {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const basePath = mkdtempSync(join(tmpdir(), `cohort-${name}-`));
  const logPath = join(basePath, 'node.log');
  const log = createWriteStream(logPath);
  const child = spawn(
    binary,
    [
      ...args,
      '--base-path', basePath,
      '--rpc-port', String(rpcPort),
      '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
      '--no-prometheus',
      '--no-telemetry',
      '--no-mdns',
      '--name', name,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  // A binary that cannot start (missing, not executable) fails at once, not at the timeout.
  child.on('error', (error) => { exited = { error: error.message }; });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const done = await Promise.race([
        new Promise((ok) => child.once('exit', () => ok(true))),
        new Promise((ok) => setTimeout(() => ok(false), 20_000)),
      ]);
      if (!done) child.kill('SIGKILL');
    }
    await new Promise((ok) => log.end(ok));
    if (!process.env.KEEP_NODE_LOGS) rmSync(basePath, { recursive: true, force: true });
  };

  // The end of the node's log, for error messages (read before `stop` removes it).
  const logTail = async () => {
    await new Promise((ok) => (log.writableFinished ? ok() : log.end(ok)));
    return readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
  };

  const url = `ws://127.0.0.1:${rpcPort}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      const tail = await logTail();
      await stop();
      throw new Error(`${name} exited early (${JSON.stringify(exited)}):\n${tail}`);
    }
    if (await rpcAnswers(rpcPort)) break;
    if (Date.now() > deadline) {
      const tail = await logTail();
      await stop();
      throw new Error(`${name} did not answer RPC within ${readyTimeoutMs} ms:\n${tail}`);
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  return { url, rpcPort, p2pPort, basePath, logPath, child, stop };
}

/** Whether `system_health` answers over HTTP on the node's RPC port. */
async function rpcAnswers(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'system_health', params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** An `ApiPromise` connected to the node; throws rather than retrying forever. */
export async function connect(url) {
  const provider = new WsProvider(url, false);
  await provider.connect();
  return ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
}
