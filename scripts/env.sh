# Sourced by the build and setup scripts: where the pinned tools live and how worker-build finds
# them (it would otherwise download wasm-bindgen and wasm-opt from hosts this machine cannot reach).
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export YUYUE_TOOLS="${YUYUE_TOOLS:-$HOME/.cache/yuyue/tools}"
export WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT_DIR/Cargo.lock")"
export WASM_BINDGEN_VERSION
export WASM_BINDGEN_BIN="$YUYUE_TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
export WORKER_BUILD_BIN="$YUYUE_TOOLS/worker-build-$WORKER_BUILD_VERSION/bin/worker-build"
export WASM_OPT_BIN="$ROOT_DIR/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT_DIR/node_modules/@esbuild/linux-x64/bin/esbuild"
export PATH="$ROOT_DIR/node_modules/.bin:$PATH"
YUYUE_WASM_BUILD_ENV=()
if [ -f "$YUYUE_TOOLS/debian-web.env" ]; then
  # Written by setup-debian-wasm.sh when the rustup target could not be had.
  # shellcheck disable=SC1091
  source "$YUYUE_TOOLS/debian-web.env"
fi
