// Starts the standalone `cohort-worker` as a process of its own, reads its log, stops it.
import { spawn, execFile } from 'node:child_process';
import { appendFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtFile } from './node.js';

/** The worker binary: `COHORT_WORKER_BIN`, or the one the test build leaves next to the node. */
export function workerBinary() {
  return process.env.COHORT_WORKER_BIN ?? builtFile('cohort-worker');
}

/** Runs `cohort-worker <args>` to its end: its exit code, standard output and error. */
export function runWorker(args, input) {
  return new Promise((ok) => {
    const child = execFile(workerBinary(), args, (error, stdout, stderr) => {
      ok({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** A worker folder that `removeWorkerDir` (or the end of the test) removes. */
export function workerDir(name) {
  return mkdtempSync(join(tmpdir(), `cohort-worker-${name}-`));
}

export function removeWorkerDir(dir) {
  if (!process.env.KEEP_NODE_LOGS) rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts `cohort-worker --node <url>... --base-path <basePath> <args>`, logging to
 * `<basePath>/worker.log` (appended to, so a restarted worker's log follows the first one's).
 * `waitForLog(pattern)` resolves with the first line matching after `since` (a log offset; by
 * default where this process's log starts); `stop()` sends SIGTERM and waits for the exit;
 * `kill()` sends SIGKILL.
 */
export function startWorker({ name, nodes, basePath, args = [] }) {
  const logPath = join(basePath, 'worker.log');
  // Created now, so that the log can be read before the worker writes to it.
  appendFileSync(logPath, '');
  // Offsets are in bytes of the file.
  const offset = () => readFileSync(logPath).length;
  const start = offset();
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(
    workerBinary(),
    [...nodes.flatMap((url) => ['--node', url]), '--base-path', basePath, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  const exit = new Promise((ok) => child.on('exit', (code, signal) => { exited = { code, signal }; ok(exited); }));

  const text = (since = 0) => readFileSync(logPath).subarray(since).toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
  const waitForLog = async (pattern, { timeoutMs = 180_000, since = start } = {}) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = text(since).split('\n');
      const line = lines.find((l) => pattern.test(l));
      if (line) return line;
      if (exited) throw new Error(`worker ${name} exited (${JSON.stringify(exited)}) before logging ${pattern}:\n${lines.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`worker ${name} did not log ${pattern} in time:\n${lines.slice(-20).join('\n')}`);
      await new Promise((ok) => setTimeout(ok, 250));
    }
  };
  const finish = async () => { await new Promise((ok) => (log.writableFinished ? ok() : log.end(ok))); };
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const done = await Promise.race([exit.then(() => true), new Promise((ok) => setTimeout(() => ok(false), 20_000))]);
      if (!done) child.kill('SIGKILL');
      await exit;
    }
    await finish();
    return exited;
  };
  const kill = async () => {
    if (!exited) child.kill('SIGKILL');
    await exit;
    await finish();
    return exited;
  };
  return { name, basePath, logPath, child, waitForLog, offset, text, stop, kill, exited: () => exited };
}
