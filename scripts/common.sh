# Shared by the scripts: where things are, and the one feature set of the test build.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The Cargo target directory lives outside the clone by default so that a fresh clone on the
# same machine (as CI makes) builds incrementally. Set CARGO_TARGET_DIR to put it elsewhere.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cohort/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# In CI (CI set) every run builds a new commit, mostly from scratch: incremental compilation's
# bookkeeping for the workspace's own crates and test binaries costs there and saves nothing.
[ -z "${CI:-}" ] || export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# One feature set for the whole test run, so nothing is compiled twice: the benchmarks are
# compiled in, so that their tests run and `benchmark pallet` works on the tested binary. burn's
# wgpu backend is not: it cost three to five minutes of a cold test build on 2 cores for one test,
# which `scripts/gpu-check.sh` runs (docs/ci.md); build the node with `--features wgpu` to train
# on a GPU.
TEST_FEATURES="runtime-benchmarks"

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The test runner: cargo-nextest where installed, else cargo test.
if cargo nextest --version >/dev/null 2>&1; then
	RUST_TEST=(cargo nextest run)
else
	RUST_TEST=(cargo test)
fi

# The node binary the test build makes (the node crate has integration tests, so building its
# tests builds the binary too, with the same features).
TESTED_NODE="$CARGO_TARGET_DIR/debug/cohort-node"
# The standalone worker the test build makes, likewise (offchain-workers/standalone/tests).
TESTED_WORKER="$CARGO_TARGET_DIR/debug/cohort-worker"
# The omni-node the test build makes for the parachain runtime (node/omni/tests), likewise.
TESTED_OMNI_NODE="$CARGO_TARGET_DIR/debug/cohort-omni-node"
# The local test relay chain's node and its PVF workers (node/relay), likewise; the test build
# makes them without a relay runtime, `scripts/parachain.sh relay` adds Rococo's.
TESTED_RELAY_NODE="$CARGO_TARGET_DIR/debug/polkadot"
# The parachain runtime's WASM the test build makes (benchmarks compiled in).
TESTED_PARACHAIN_WASM="$CARGO_TARGET_DIR/debug/wbuild/cohort-parachain-runtime/cohort_parachain_runtime.wasm"

# Builds every test binary and the node exactly as the test run does, without running them.
build_tested() {
	"${RUST_TEST[@]}" --locked --workspace --features "$TEST_FEATURES" --no-run
}

# The engine's simulator (its `simulate` example) in the release profile, for
# scripts/simulate-matrix.sh and scripts/simulate-attacks.sh: prints its path. SIMULATOR names an
# already built one and skips the build.
release_simulator() {
	if [ -z "${SIMULATOR:-}" ]; then
		log "building the simulator (release)" >&2
		cargo build --locked --release -p cohort-ml --example simulate >&2
	fi
	echo "${SIMULATOR:-$CARGO_TARGET_DIR/release/examples/simulate}"
}
