#!/usr/bin/env bash
# Cohort as a parachain, on the polkadot omni-node (docs/howto-deploy-parachain.md):
#   scripts/parachain.sh install   builds polkadot-omni-node $OMNI_NODE_VERSION (stable2609) from
#                                  crates.io once, into ~/.cache/cohort (its own target folder),
#                                  with the benchmarking host functions so that it also runs the
#                                  runtime the test build makes (benchmarks compiled in);
#   scripts/parachain.sh spec      builds the parachain runtime's WASM (release, no benchmarks)
#                                  and its chain spec with the omni-node's chain-spec-builder;
#   scripts/parachain.sh dev       runs the omni-node in dev mode on it: no relay chain, a block
#                                  every 2 s, RPC on 127.0.0.1:9944 (Ctrl-C stops it);
#   scripts/parachain.sh check     the dev-mode end-to-end checks (tests/e2e/omni-node.check.js)
#                                  on the runtime the test build made, after `install`.
# None of this is in CI: building the omni-node does not fit its budget (docs/ci.md). The
# parachain runtime's own tests, validate_block among them, are (scripts/test.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OMNI_NODE_VERSION="0.24.0"
OMNI_NODE_ROOT="${OMNI_NODE_ROOT:-$HOME/.cache/cohort/omni-node-$OMNI_NODE_VERSION}"
export OMNI_NODE_BIN="${OMNI_NODE_BIN:-$OMNI_NODE_ROOT/bin/polkadot-omni-node}"
PARACHAIN_WASM="$CARGO_TARGET_DIR/release/wbuild/cohort-parachain-runtime/cohort_parachain_runtime.compact.compressed.wasm"
# The one the test build makes (scripts/test.sh), benchmarks compiled in.
TESTED_PARACHAIN_WASM="$CARGO_TARGET_DIR/debug/wbuild/cohort-parachain-runtime/cohort_parachain_runtime.wasm"
export PARACHAIN_SPEC="${PARACHAIN_SPEC:-$CARGO_TARGET_DIR/cohort-parachain-dev.json}"
# The parachain id of the runtime's presets (genesis_config_presets::DEFAULT_PARA_ID).
PARA_ID=2000

install_omni_node() {
	if [ -x "$OMNI_NODE_BIN" ]; then
		log "polkadot-omni-node $OMNI_NODE_VERSION: $OMNI_NODE_BIN"
		return
	fi
	log "building polkadot-omni-node $OMNI_NODE_VERSION from crates.io (once)"
	local started=$SECONDS
	# Its own target folder: its features (RocksDB, the in-process relay chain) differ from the
	# workspace's, so sharing one would rebuild the node's crates back and forth.
	CARGO_TARGET_DIR="$OMNI_NODE_ROOT/target" cargo install --locked \
		--features runtime-benchmarks --root "$OMNI_NODE_ROOT" \
		"polkadot-omni-node@$OMNI_NODE_VERSION"
	rm -rf "$OMNI_NODE_ROOT/target"
	log "polkadot-omni-node built in $((SECONDS - started)) s"
}

# A chain spec of the development preset for the runtime WASM $1.
chain_spec() {
	local wasm="$1"
	[ -f "$wasm" ] || die "no WASM at $wasm"
	log "chain spec $PARACHAIN_SPEC (chain-spec-builder, preset development, para id $PARA_ID)"
	# The token's properties are cohort_runtime_common's TOKEN_SYMBOL, TOKEN_DECIMALS and
	# SS58_PREFIX; the check asserts what wallets read.
	"$OMNI_NODE_BIN" chain-spec-builder --chain-spec-path "$PARACHAIN_SPEC" create \
		--chain-name "Cohort parachain (development)" --chain-id cohort_parachain_dev \
		-t development --relay-chain rococo-local --para-id "$PARA_ID" \
		--properties tokenSymbol=COH,tokenDecimals=12,ss58Format=42 \
		--runtime "$wasm" named-preset development
}

# The release WASM a deployment uses: no benchmarks.
build_release_spec() {
	log "building the parachain runtime (release WASM, without benchmarks)"
	cargo build --locked --release -p cohort-parachain-runtime
	chain_spec "$PARACHAIN_WASM"
}

case "${1:-check}" in
	install) install_omni_node ;;
	spec)
		install_omni_node
		build_release_spec
		;;
	dev)
		[ -f "$PARACHAIN_SPEC" ] || { install_omni_node; build_release_spec; }
		exec "$OMNI_NODE_BIN" --chain "$PARACHAIN_SPEC" --dev-block-time 2000 --tmp \
			--rpc-port 9944 --no-telemetry --no-mdns
		;;
	check)
		install_omni_node
		[ -f "$TESTED_PARACHAIN_WASM" ] || build_tested
		chain_spec "$TESTED_PARACHAIN_WASM"
		log "dev-mode checks against the omni-node (@polkadot/api)"
		cd "$ROOT/tests/e2e"
		npm ci --no-audit --no-fund --loglevel=error
		node --test --test-concurrency=1 --test-timeout=600000 omni-node.check.js
		;;
	*) die "unknown command $1 (install, spec, dev or check)" ;;
esac
