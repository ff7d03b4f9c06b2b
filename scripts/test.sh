#!/usr/bin/env bash
# Runs every test: the lints (scripts/lint.sh: rustfmt, clippy), the Rust unit and integration
# tests of the workspace (pallets, runtime, node), then the end-to-end tests that start the real
# node and drive it with @polkadot/api, then the zombienet test of a four-validator network
# (scripts/zombienet.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ROOT/scripts/setup.sh"

started=$SECONDS
"$ROOT/scripts/lint.sh"
log "Rust tests (features: $TEST_FEATURES)"
# setup.sh installed PoCL: the OpenCL kernels must run here, not be skipped.
export COHORT_REQUIRE_OPENCL=1
"${RUST_TEST[@]}" --locked --workspace --features "$TEST_FEATURES" --no-fail-fast
rust_done=$SECONDS

# The test build above also built the node, the standalone worker and the parachain's omni-node
# with the same features (the three crates have integration tests); the end-to-end tests use
# those binaries (omni-node.test.js: the parachain runtime in dev mode).
export COHORT_NODE_BIN="$TESTED_NODE"
export COHORT_WORKER_BIN="$TESTED_WORKER"
export OMNI_NODE_BIN="$TESTED_OMNI_NODE" PARACHAIN_WASM="$TESTED_PARACHAIN_WASM"

log "end-to-end tests (@polkadot/api against $COHORT_NODE_BIN)"
cd "$ROOT/tests/e2e"
npm ci --no-audit --no-fund --loglevel=error
npm test
e2e_done=$SECONDS

log "zombienet: four validators, standalone workers, faults"
"$ROOT/scripts/zombienet.sh" test

log "timings: lints and Rust build and tests $((rust_done - started)) s, end-to-end $((e2e_done - rust_done)) s, zombienet $((SECONDS - e2e_done)) s"
