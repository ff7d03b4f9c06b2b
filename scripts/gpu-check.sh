#!/usr/bin/env bash
# Runs burn's wgpu backend test (offchain-workers/engine/src/wgpu_tests.rs: the forward pass on
# the GPU equals the CPU's, training there lowers the loss) on the first Vulkan device: the real
# GPU where there is one, else Mesa's lavapipe on the CPU, which this script installs. Not part
# of scripts/test.sh: the backend cost three to five minutes of a cold test build on 2 cores
# (docs/ci.md). Its own time is not measured yet (docs/ml-worker.md#wgpu).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
COHORT_WITH_VULKAN=1 "$ROOT/scripts/setup.sh"

export COHORT_REQUIRE_VULKAN=1
started=$SECONDS
log "cohort-ml's wgpu test (features: wgpu)"
cargo test --locked -p cohort-ml --features wgpu --lib wgpu_tests -- --nocapture
log "wgpu check: $((SECONDS - started)) s"
