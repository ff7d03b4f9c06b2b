#!/usr/bin/env bash
# The ML engine's and worker's numbers, each next to its baseline from the same run:
#  1. aggregation throughput (GB/s) per rule on the CPU and on OpenCL, next to a memory copy of
#     the same bytes; training samples per second (release build of the engine's example);
#  2. the wall time of whole federated rounds on a dev chain (the node as scripts/dev.sh builds
#     it, with the worker, four simulated owners and the demo task), split by the worker into
#     training, aggregation and waiting for blocks.
# Usage: scripts/benchmark-ml.sh [rounds to time, default 3]; SKIP_ENGINE=1 skips part 1.
# Not a test: it only prints.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ROOT/scripts/setup.sh"
rounds="${1:-3}"

if [ -z "${SKIP_ENGINE:-}" ]; then
	log "engine: aggregation and training throughput (release build)"
	cargo run --locked --release -p cohort-ml --example benchmark
	if python3 -c 'import torch' 2>/dev/null; then
		python3 "$ROOT/scripts/torch-baseline.py"
	else
		echo "training baseline: none (no python3 with torch here; pip install torch to get one)"
	fi
fi

log "dev chain: timing $rounds rounds of the demo task"
build_tested
base="$(mktemp -d)"
: >"$base/node.log"
port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
"$TESTED_NODE" --dev --base-path "$base" --ml-worker --ml-demo-task \
	--rpc-port "$(port)" --listen-addr "/ip4/127.0.0.1/tcp/$(port)" \
	--no-prometheus --no-telemetry --no-mdns >"$base/node.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$base"' EXIT
deadline=$((SECONDS + 600))
while [ "$(grep -c '⏱️' "$base/node.log" || true)" -lt "$rounds" ]; do
	kill -0 "$pid" 2>/dev/null || { tail -20 "$base/node.log"; die "the node exited"; }
	[ $SECONDS -lt $deadline ] || { tail -20 "$base/node.log"; die "no $rounds rounds in 10 minutes"; }
	sleep 2
done
grep -E '🧠 ML worker|⏱️' "$base/node.log" | sed 's/^[0-9-]* [0-9:]* //'
