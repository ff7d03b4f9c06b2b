#!/usr/bin/env bash
# The multi-node network of zombienet/ (four validators on the `local-four` chain), with
# zombienet's native provider:
#   scripts/zombienet.sh          runs the zndsl test (zombienet/four-validators.zndsl): nodes,
#                                 finality, the standalone workers, and the faults;
#   scripts/zombienet.sh spawn    starts the network and keeps it running (Ctrl-C stops it).
# It uses the binaries the test build made (COHORT_NODE_BIN, COHORT_WORKER_BIN to override), and
# builds them first if they are missing.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mode="${1:-test}"
export COHORT_NODE_BIN="${COHORT_NODE_BIN:-$TESTED_NODE}"
export COHORT_WORKER_BIN="${COHORT_WORKER_BIN:-$TESTED_WORKER}"
if [ ! -x "$COHORT_NODE_BIN" ] || [ ! -x "$COHORT_WORKER_BIN" ]; then
	log "building the node and the worker (features: $TEST_FEATURES)"
	build_tested
fi

cd "$ROOT/zombienet"
npm ci --no-audit --no-fund --loglevel=error

work="$(mktemp -d "${TMPDIR:-/tmp}/cohort-zombienet.XXXXXX")"
export COHORT_WORKERS_DIR="$work/workers"
export COHORT_CHAIN_SPEC="$work/local-four.json"
mkdir -p "$COHORT_WORKERS_DIR"
log "nodes' and workers' folders in $work${KEEP_NODE_LOGS:+ (kept)}"
# Whatever happens, no worker outlives the run.
cleanup() {
	for pid in "$COHORT_WORKERS_DIR"/*/pid; do
		[ -f "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null || true
	done
	[ -n "${KEEP_NODE_LOGS:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# A raw chain spec: zombienet then uses the chain exactly as the preset makes it.
# (The node logs to stderr; its log is shown only if it fails.)
"$COHORT_NODE_BIN" build-spec --chain local-four --raw --disable-default-bootnode \
	>"$COHORT_CHAIN_SPEC" 2>"$work/build-spec.log" || {
	cat "$work/build-spec.log" >&2
	die "build-spec --chain local-four failed"
}

started=$SECONDS
case "$mode" in
	spawn) npx zombienet spawn --provider native --dir "$work/network" four-validators.toml ;;
	test) npx zombienet test --provider native --dir "$work/network" four-validators.zndsl ;;
	*) die "unknown mode $mode (test or spawn)" ;;
esac
log "zombienet $mode: $((SECONDS - started)) s"
