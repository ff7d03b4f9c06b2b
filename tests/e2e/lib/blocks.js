// Records every block of the best chain while a test runs: who signed each extrinsic, every
// event (including those of the hooks, where rounds close, pay and slash), and each failed
// extrinsic's decoded error. Read at import time, so that state pruning never loses them.
import { dispatchErrorOf } from './tx.js';

/** One block: its extrinsics' signers and calls, its events, and its failed extrinsics. */
async function readBlock(api, number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const [signed, at] = await Promise.all([api.rpc.chain.getBlock(hash), api.at(hash)]);
  const records = await at.query.system.events();
  const extrinsics = signed.block.extrinsics.map((xt) => ({
    signer: xt.isSigned ? xt.signer.toString() : null,
    section: xt.method.section,
    method: xt.method.method,
  }));
  const events = records.map(({ phase, event }) => ({
    index: phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : null,
    section: event.section,
    method: event.method,
    data: event.data,
    event,
  }));
  const failures = events
    .filter(({ event }) => api.events.system.ExtrinsicFailed.is(event))
    .map(({ index, data }) => ({
      block: number,
      index,
      ...(index === null ? {} : extrinsics[index]),
      error: dispatchErrorOf(api, data.dispatchError),
    }));
  return { number, hash: hash.toHex(), extrinsics, events, failures };
}

/**
 * Starts recording blocks from the next new head on (every number, also those the head
 * subscription skipped). `stop()` (once; later calls get the same promise) catches up to the best
 * block, stops, and resolves with the blocks in order; `blocks` holds them as they come.
 */
export function recordBlocks(api) {
  const blocks = [];
  let next = null;
  let queue = Promise.resolve();
  let failed = null;
  const upTo = (target) => {
    queue = queue
      .then(async () => {
        if (next === null) next = target;
        for (; next <= target; next += 1) blocks.push(await readBlock(api, next));
      })
      .catch((e) => { failed ??= e; });
    return queue;
  };
  const subscribed = api.rpc.chain.subscribeNewHeads((header) => upTo(header.number.toNumber()));
  let stopped = null;
  const stop = async () => {
    const unsubscribe = await subscribed;
    await upTo((await api.rpc.chain.getHeader()).number.toNumber());
    unsubscribe();
    await queue;
    if (failed) throw failed;
    return blocks;
  };
  return {
    blocks,
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

/** The events of `section.method` in `blocks`, each with its block number. */
export function eventsIn(blocks, section, method) {
  return blocks.flatMap((b) =>
    b.events.filter((e) => e.section === section && e.method === method).map((e) => ({ ...e, block: b.number })),
  );
}

/** Every failed extrinsic in `blocks`: block, index, signer, call and decoded error. */
export function failuresIn(blocks) {
  return blocks.flatMap((b) => b.failures);
}
