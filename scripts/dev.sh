#!/usr/bin/env bash
# Builds the node (if needed) and starts a single-node development chain: Alice authors and
# finalizes blocks, the usual dev accounts hold COH. The ML worker runs in the node with four
# simulated data owners and three aggregators, and a demo task (digits) starts at once, so
# federated rounds show in the log and in Polkadot.js apps (COHORT_ML=0: without the worker;
# COHORT_ML_CHEATERS=1: with a copying trainer and a lazy aggregator that the chain refuses and a
# colluding aggregator that it penalises;
# COHORT_ML_POISONERS=scale:-10: with a data owner per attack, comma-separated, whose poisoned
# updates the aggregators' scores keep out of the model).
# State is thrown away on exit.
# Extra arguments go to the node, e.g. `scripts/dev.sh --rpc-port 9955`.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ROOT/scripts/setup.sh"

# Built exactly as the test run builds it (same features, benchmarks included), so that
# running the tests afterwards builds nothing again.
log "building cohort-node (the first build takes a while)"
build_tested

rpc_port=9944
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	[ "${args[$i]}" = "--rpc-port" ] && rpc_port="${args[$((i + 1))]}"
done

cat <<MSG

Cohort dev chain starting. Point Polkadot.js apps at it:
  https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A${rpc_port}#/explorer
(JSON-RPC and WebSocket on ws://127.0.0.1:${rpc_port}). Ctrl-C stops it.

MSG
# COHORT_ML=0: a plain chain, without the worker (docs/howto-run-a-task.md does the worker's
# part by hand).
ml=(--ml-worker --ml-demo-task)
[ "${COHORT_ML_CHEATERS:-0}" = 1 ] && ml+=(--ml-dev-cheaters)
[ -n "${COHORT_ML_POISONERS:-}" ] && ml+=(--ml-dev-poisoners "$COHORT_ML_POISONERS")
[ "${COHORT_ML:-1}" = 0 ] && ml=()
exec "$TESTED_NODE" --dev --tmp --rpc-cors all "${ml[@]}" "$@"
