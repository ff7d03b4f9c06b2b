// Submits extrinsics and waits for chain events the way a wallet does.

/**
 * Runs `start(callback)` (a polkadot.js subscription returning a promise of its unsubscribe
 * function) until `onValue` settles the returned promise, then unsubscribes, whichever of the
 * two arrives first.
 */
function subscribeUntil(start, onValue, timeoutMs, what) {
  return new Promise((ok, fail) => {
    let settled = false;
    let unsub = null;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (unsub) unsub();
      fn(value);
    };
    const timer = setTimeout(() => finish(fail, new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
    start((value) => onValue(value, (v) => finish(ok, v), (e) => finish(fail, e)))
      .then((u) => { unsub = u; if (settled) u(); })
      .catch((e) => finish(fail, e));
  });
}

/**
 * Signs and sends `tx` (with `nonce`, or the next one the node knows of), resolving when it is
 * in a block with its events, block hash and, if it failed, the decoded runtime error (`{ section, name }` for a module error, `{ token }` for a
 * token error). Rejects if the pool refuses it.
 */
export function sendAndWait(api, tx, signer, timeoutMs = 120_000, nonce = -1) {
  return subscribeUntil(
    (cb) => tx.signAndSend(signer, { nonce }, cb),
    ({ status, events, dispatchError }, ok, fail) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        fail(new Error(`transaction ${status.type}`));
      } else if (status.isInBlock || status.isFinalized) {
        // A node that finalizes the block it seals at once (the omni-node's dev mode) may report
        // only Finalized.
        const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized;
        ok({ blockHash, events, error: dispatchErrorOf(api, dispatchError) });
      }
    },
    timeoutMs,
    'transaction inclusion',
  );
}

/**
 * A `DispatchError` as `{ section, name }` for a module error (the pallet's error, found in the
 * metadata with `api.registry.findMetaError`), `{ token }` for a token error, `{ other }` for
 * the rest; `null` for none.
 */
export function dispatchErrorOf(api, dispatchError) {
  if (!dispatchError) return null;
  if (dispatchError.isModule) {
    const { section, name } = api.registry.findMetaError(dispatchError.asModule);
    return { section, name };
  }
  if (dispatchError.isToken) return { token: dispatchError.asToken.type };
  return { other: dispatchError.toString() };
}

/**
 * The decoded errors of the `system.ExtrinsicFailed` events among `records` (a transaction's or
 * a block's event records), with the index of the extrinsic each belongs to.
 */
export function extrinsicFailures(api, records) {
  return records
    .filter(({ event }) => api.events.system.ExtrinsicFailed.is(event))
    .map(({ phase, event }) => ({
      index: phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : null,
      ...dispatchErrorOf(api, event.data.dispatchError),
    }));
}

/** Resolves with the first header from `subscribe` (new or finalized heads) at or past `target`. */
export function waitForHeader(subscribe, target, timeoutMs = 120_000) {
  return subscribeUntil(
    subscribe,
    (header, ok) => { if (header.number.toNumber() >= target) ok(header); },
    timeoutMs,
    `header #${target}`,
  );
}

/** The fee `who` paid in these events (from `TransactionFeePaid`), as a bigint. */
export function feePaid(events, who) {
  return events
    .filter(({ event }) => event.section === 'transactionPayment' && event.method === 'TransactionFeePaid')
    .filter(({ event }) => event.data.who.toString() === who.address)
    .reduce((sum, { event }) => sum + event.data.actualFee.toBigInt(), 0n);
}
