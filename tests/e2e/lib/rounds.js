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
