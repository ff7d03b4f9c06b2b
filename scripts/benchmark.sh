#!/usr/bin/env bash
# Runs the runtime's pallet benchmarks and writes the Cohort pallets' weights files.
# Usage: scripts/benchmark.sh [pallet ...]   (default: every Cohort pallet)
# It uses the node binary of the test build (same features), so after `scripts/test.sh` it
# builds nothing. Steps and repeats can be raised with STEPS and REPEAT.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ROOT/scripts/setup.sh"

log "building the node with runtime benchmarks (as the test run does)"
build_tested

# The runtime the test build made (compacted and compressed where the builder did so).
wasm_dir="$CARGO_TARGET_DIR/debug/wbuild/cohort-runtime"
runtime_wasm="$wasm_dir/cohort_runtime.compact.compressed.wasm"
[ -f "$runtime_wasm" ] || runtime_wasm="$wasm_dir/cohort_runtime.wasm"

pallets=("$@")
((${#pallets[@]})) || pallets=(pallet_federated pallet_data_market pallet_incentives pallet_compute_lease)
for pallet in "${pallets[@]}"; do
	name="${pallet#pallet_}"
	dir="pallets/${name//_/-}"
	log "benchmarking $pallet into $dir/src/weights.rs"
	"$TESTED_NODE" benchmark pallet \
		--runtime "$runtime_wasm" \
		--genesis-builder runtime \
		--pallet "$pallet" --extrinsic '*' \
		--steps "${STEPS:-20}" --repeat "${REPEAT:-10}" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--template scripts/templates/frame-weight-template.hbs \
		--output "$dir/src/weights.rs"
done
