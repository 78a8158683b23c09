#!/usr/bin/env bash
# Builds the named functions (default: all) to functions/<name>/build with worker-build, release
# profile. A function whose build output is newer than every source it depends on is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

all=(objects login catalog helper book waitlist cancel progress ops events notify)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

stale() { # name
  local out="functions/$1/build/index_bg.wasm"
  [ -f "$out" ] || return 0
  # The catalog function embeds the API description.
  local extra=()
  [ "$1" = catalog ] && extra=(openapi.yaml)
  [ -n "$(find Cargo.toml Cargo.lock "${extra[@]}" shared adapter "functions/$1" \
      -path "functions/$1/build" -prune -o -type f -newer "$out" -print -quit)" ]
}

for name in "${names[@]}"; do
  [ -d "functions/$name" ] || { echo "no function $name" >&2; exit 2; }
  if ! stale "$name"; then
    echo "[build] $name is up to date" >&2
    continue
  fi
  echo "[build] $name" >&2
  (cd "functions/$name" && env "${YUYUE_WASM_BUILD_ENV[@]}" "$WORKER_BUILD_BIN" --release >&2)
  # The name section (function names, for debuggers and stack traces) is a tenth of a module
  # that every cold start pays for, and no answer needs it: a panic's message and location are
  # logged by the panic hook from the data section. Stripped, each module is about 8% smaller
  # gzipped (`npm run bench:sizes`).
  wasm="functions/$name/build/index_bg.wasm"
  "$WASM_OPT_BIN" "$wasm" --strip-debug --strip-producers -o "$wasm" >&2
done
