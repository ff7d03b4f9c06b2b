#!/usr/bin/env bash
# Lints the workspace: rustfmt's check (rustfmt.toml), then clippy on every target with the test
# build's features and warnings denied. scripts/test.sh runs it before the tests; on a machine
# that has built the tests it takes about half a minute, cold about six (docs/ci.md).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
log "formatting (cargo fmt --check)"
cargo fmt --all --check
log "clippy (features: $TEST_FEATURES, warnings denied)"
cargo clippy --locked --workspace --all-targets --features "$TEST_FEATURES" -- -D warnings
