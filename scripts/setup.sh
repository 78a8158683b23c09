#!/usr/bin/env bash
# Installs everything the build and the local stack need, idempotently: a second run checks and
# returns. Tools are cached under ~/.cache/yuyue/tools, keyed by version, so fresh clones on the
# same machine reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

say() { printf '[setup] %s\n' "$*" >&2; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || { say "missing $1: $2"; exit 1; }
}
need_cmd cargo "install Rust (rustup) first"
need_cmd npm "install Node.js and npm first"

# --- the wasm32 target ---------------------------------------------------------------------
# Prefer rustup's prebuilt std for wasm32; where rustup cannot fetch it, fall back to Debian's
# rustc-web toolchain, which builds std from source (build-std) with RUSTC_BOOTSTRAP.
wasm_target_ok() {
  [ -d "$(rustc --target wasm32-unknown-unknown --print target-libdir 2>/dev/null)" ] &&
    [ -n "$(ls "$(rustc --target wasm32-unknown-unknown --print target-libdir)" 2>/dev/null)" ]
}
if [ "${YUYUE_TOOLCHAIN:-}" = "debian-web" ]; then
  :
elif wasm_target_ok; then
  :
elif command -v rustup >/dev/null 2>&1 && rustup target add wasm32-unknown-unknown >&2 && wasm_target_ok; then
  say "installed the wasm32-unknown-unknown target with rustup"
else
  say "rustup cannot provide wasm32 std here; using Debian's rustc-web toolchain"
  bash scripts/setup-debian-wasm.sh
fi

# --- wasm-bindgen-cli (must equal the locked wasm-bindgen crate) and worker-build ------------
install_crate() { # crate version bin
  local crate=$1 version=$2 bin=$3 root="$YUYUE_TOOLS/$1-$2"
  if [ -x "$root/bin/$bin" ]; then return; fi
  say "installing $crate $version (cached in $root)"
  # Host tools: build them with the host toolchain even when the wasm build uses rustc-web.
  env -u RUSTC -u CARGO_BUILD_TARGET -u RUSTC_BOOTSTRAP -u CARGO_UNSTABLE_BUILD_STD \
    cargo install "$crate" --version "$version" --locked --root "$root.tmp" >&2
  rm -rf "$root" && mv "$root.tmp" "$root"
}
install_crate wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
install_crate worker-build "$WORKER_BUILD_VERSION" worker-build

# --- Node 22, miniflare, wrangler, binaryen, esbuild (pinned devDependencies) -----------------
stamp=node_modules/.yuyue-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing npm devDependencies"
  # `npm ci` rejects the lock file that npm 11 writes here (it records only this platform's
  # optional workerd binaries), so install from the lock without rewriting it.
  npm install --no-audit --no-fund --no-save >&2
  touch "$stamp"
fi
[ -x node_modules/.bin/node ] || { say "node_modules/.bin/node missing after npm ci"; exit 1; }
