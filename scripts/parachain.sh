#!/usr/bin/env bash
# Cohort as a parachain, on the omni-node (node/omni; docs/howto-deploy-parachain.md):
#   scripts/parachain.sh spec [WASM OUT]  the chain spec of the development preset, made with the
#                                  omni-node's chain-spec-builder: by default of the release
#                                  runtime (built, without benchmarks) into
#                                  $CARGO_TARGET_DIR/cohort-parachain-dev.json;
#   scripts/parachain.sh dev       runs the omni-node in dev mode on that spec: no relay chain, a
#                                  block every 2 s, RPC on 127.0.0.1:9944 (Ctrl-C stops it);
#   scripts/parachain.sh check     the dev-mode end-to-end checks (tests/e2e/omni-node.test.js,
#                                  also part of scripts/test.sh) on what the test build makes;
#   scripts/parachain.sh relay     the relay-chain network (zombienet/parachain.zndsl): two
#                                  rococo-local validators and two Cohort collators, on what the
#                                  test build makes plus the Rococo runtime in the relay chain's
#                                  node (node/relay, built from crates.io's polkadot-cli into the
#                                  target directory; it prints how long that took). Not in CI
#                                  (docs/ci.md).
# OMNI_NODE_BIN names the omni-node for spec and dev; by default the release build of node/omni
# (check and relay use the test build's).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export OMNI_NODE_BIN="${OMNI_NODE_BIN:-$CARGO_TARGET_DIR/release/cohort-omni-node}"
PARACHAIN_WASM="$CARGO_TARGET_DIR/release/wbuild/cohort-parachain-runtime/cohort_parachain_runtime.compact.compressed.wasm"
PARACHAIN_SPEC="$CARGO_TARGET_DIR/cohort-parachain-dev.json"
# The parachain id of the runtime's presets (genesis_config_presets::DEFAULT_PARA_ID).
PARA_ID=2000

# The release omni-node and runtime a deployment uses: no benchmarks.
build_release() {
	log "building the omni-node and the parachain runtime (release, without benchmarks)"
	cargo build --locked --release -p cohort-omni-node -p cohort-parachain-runtime
}

# The test build with the Rococo runtime compiled into the relay chain's node, for the
# rococo-local chain spec: the same feature set otherwise, so it adds Rococo's runtime and
# recompiles the crates whose features Rococo changes (15 min after a test build here,
# docs/ci.md; the crates.io `polkadot`, in its own target folder and release, would compile some
# 1,300 crates again).
build_relay() {
	log "building the test build with the relay chain's node and the Rococo runtime (node/relay)"
	local started=$SECONDS
	cargo build --locked --workspace --features "$TEST_FEATURES,cohort-relay/rococo-native"
	log "built in $((SECONDS - started)) s"
}

# The chain spec of preset $3 (by default development) for the runtime WASM $1, written to $2.
chain_spec() {
	local wasm="$1" spec="$2" preset="${3:-development}" type=local
	[ "$preset" != development ] || type=development
	[ -f "$wasm" ] || die "no WASM at $wasm"
	[ -x "$OMNI_NODE_BIN" ] || die "no omni-node at $OMNI_NODE_BIN"
	log "chain spec $spec (chain-spec-builder, preset $preset, para id $PARA_ID)"
	# The token's properties are cohort_runtime_common's TOKEN_SYMBOL, TOKEN_DECIMALS and
	# SS58_PREFIX (chain-spec-builder cannot read them from the runtime); omni-node.test.js
	# asserts what wallets read.
	"$OMNI_NODE_BIN" chain-spec-builder --chain-spec-path "$spec" create \
		--chain-name "Cohort parachain ($preset)" --chain-id "cohort_parachain_$preset" \
		-t "$type" --relay-chain rococo-local --para-id "$PARA_ID" \
		--properties tokenSymbol=COH,tokenDecimals=12,ss58Format=42 \
		--runtime "$wasm" named-preset "$preset"
}

case "${1:-check}" in
	spec)
		if [ $# -ge 3 ]; then
			chain_spec "$2" "$3"
		else
			build_release
			chain_spec "$PARACHAIN_WASM" "$PARACHAIN_SPEC"
		fi
		;;
	dev)
		if [ ! -f "$PARACHAIN_SPEC" ]; then
			build_release
			chain_spec "$PARACHAIN_WASM" "$PARACHAIN_SPEC"
		fi
		# ParityDB: the runtime's weights assume it (docs/howto-deploy-parachain.md).
		exec "$OMNI_NODE_BIN" --chain "$PARACHAIN_SPEC" --dev-block-time 2000 --tmp \
			--database paritydb --rpc-port 9944 --no-telemetry --no-mdns
		;;
	check)
		build_tested
		export OMNI_NODE_BIN="$TESTED_OMNI_NODE" COHORT_WORKER_BIN="$TESTED_WORKER" \
			PARACHAIN_WASM="$TESTED_PARACHAIN_WASM"
		log "dev-mode checks against the omni-node (@polkadot/api, standalone workers)"
		cd "$ROOT/tests/e2e"
		npm ci --no-audit --no-fund --loglevel=error
		node --test --test-concurrency=1 --test-timeout=600000 omni-node.test.js
		;;
	relay)
		build_relay
		export POLKADOT_BIN="$TESTED_RELAY_NODE" OMNI_NODE_BIN="$TESTED_OMNI_NODE"
		work="$(mktemp -d "${TMPDIR:-/tmp}/cohort-relay.XXXXXX")"
		export COHORT_PARACHAIN_SPEC="$work/cohort-parachain-local.json"
		# The runtime the test build made (benchmarks compiled in: the validators' PVF executor
		# leaves the benchmarking host functions unresolved, and validate_block never calls them).
		chain_spec "$TESTED_PARACHAIN_WASM" "$COHORT_PARACHAIN_SPEC" local_testnet
		cd "$ROOT/zombienet"
		npm ci --no-audit --no-fund --loglevel=error
		started=$SECONDS
		npx zombienet test --provider native --dir "$work/network" parachain.zndsl
		log "relay-chain network: $((SECONDS - started)) s"
		[ -n "${KEEP_NODE_LOGS:-}" ] || rm -rf "$work"
		;;
	*) die "unknown command $1 (spec, dev, check or relay)" ;;
esac
