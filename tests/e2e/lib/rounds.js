import assert from 'node:assert/strict';

// Reading a federated task's rounds as a client would: through the runtime API.

/** Polls round `round` of `task` at the finalized head until it is decided (finalized or
 * failed), and returns its record. */
export async function waitForDecidedRound(api, task, round, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await api.at(await api.rpc.chain.getFinalizedHead());
    const record = await at.call.federatedApi.round(task, round);
    if (record.isSome && (record.unwrap().phase.isFinalized || record.unwrap().phase.isFailed)) return record.unwrap();
    if (Date.now() > deadline) throw new Error(`round ${round} of task ${task} was not decided in time`);
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

/**
 * Asserts that round `round`'s record finalized with an update of every owner (`owners`, dev
 * key URIs) scored, some updates accepted, and every aggregator (`aggregators`) revealing the
 * finalized aggregate; `addressOf` maps a URI to its address.
 */
export function assertFullRound(round, record, { owners, aggregators, addressOf }) {
  assert.ok(record.phase.isFinalized, `round ${round} finalized (not ${record.phase.toString()})`);
  const updated = new Set(record.trainers.filter((t) => t.update.isSome && t.score.isSome).map((t) => t.who.toString()));
  for (const uri of owners) assert.ok(updated.has(addressOf[uri]), `round ${round}: ${uri} trained and was scored`);
  assert.ok(record.trainers.some((t) => t.accepted.isTrue), `round ${round}: updates entered the model`);
  const aggregate = record.phase.asFinalized.aggregate.toHex();
  const revealed = record.aggregators.filter((a) => a.submission.isSome).map((a) => [a.who.toString(), a.submission.unwrap().aggregate.toHex()]);
  assert.deepEqual(
    revealed.sort(),
    aggregators.map((uri) => [addressOf[uri], aggregate]).sort(),
    `round ${round}: every aggregator revealed the finalized aggregate`,
  );
}
