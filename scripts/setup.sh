#!/usr/bin/env bash
# Installs what building and testing Cohort needs on a fresh Debian machine:
# the Rust toolchain of rust-toolchain.toml (with its WASM target), the mold linker,
# protoc, Node.js with npm for the end-to-end tests, and OpenCL (the ICD loader to link against,
# and PoCL, the CPU driver the OpenCL aggregation tests run on), libclang (bindgen, for the
# omni-node's RocksDB), and Python with the end-to-end tests' packages in tests/e2e/.venv (an
# exported model read by safetensors and NumPy). Safe to run again: it skips what is there. (`scripts/gpu-check.sh` adds
# Vulkan for burn's wgpu backend.)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need_apt=()
command -v mold >/dev/null || need_apt+=(mold)
command -v protoc >/dev/null || need_apt+=(protobuf-compiler)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v curl >/dev/null || need_apt+=(curl)
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
[ -e /usr/lib/x86_64-linux-gnu/libOpenCL.so ] || [ -e /usr/lib/aarch64-linux-gnu/libOpenCL.so ] ||
	need_apt+=(ocl-icd-opencl-dev)
[ -n "$(ls /etc/OpenCL/vendors/pocl*.icd 2>/dev/null)" ] || need_apt+=(pocl-opencl-icd)
# Vulkan (scripts/gpu-check.sh only): the loader and Mesa's drivers, lavapipe among them.
if [ -n "${COHORT_WITH_VULKAN:-}" ]; then
	[ -n "$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null)" ] || need_apt+=(mesa-vulkan-drivers)
	ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 || need_apt+=(libvulkan1)
fi
# libclang: bindgen generates RocksDB's bindings for the parachain's omni-node (node/omni), whose
# embedded relay chain node keeps its databases in RocksDB.
compgen -G '/usr/lib/llvm-*/lib/libclang.so' >/dev/null || compgen -G '/usr/lib/*/libclang.so' >/dev/null ||
	need_apt+=(libclang-dev clang)
if ((${#need_apt[@]})); then
	log "installing Debian packages: ${need_apt[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v rustup >/dev/null; then
	log "installing rustup"
	curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
	# shellcheck disable=SC1091
	source "$HOME/.cargo/env"
fi
log "Rust toolchain from rust-toolchain.toml (with the wasm32v1-none target)"
rustup toolchain install >/dev/null
rustc --version

log "Python packages of the end-to-end tests (tests/e2e/python/requirements.txt)"
venv="$ROOT/tests/e2e/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/e2e/python/requirements.txt"
"$venv/bin/python" -c 'import numpy, safetensors; print("numpy", numpy.__version__, "safetensors", safetensors.__version__)'
