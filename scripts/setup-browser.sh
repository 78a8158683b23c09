#!/usr/bin/env bash
# Chromium for the ops dashboard's browser test (tests/dashboard.test.mjs), from Debian's
# packages: test tools cannot download their own browser here. Only `make test` needs it.
set -euo pipefail
say() { printf '[setup-browser] %s\n' "$*" >&2; }
command -v chromium >/dev/null 2>&1 && exit 0
say "installing Debian's chromium"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq chromium >&2 || {
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >&2
}
command -v chromium >/dev/null 2>&1 || { say "chromium is still missing"; exit 1; }
