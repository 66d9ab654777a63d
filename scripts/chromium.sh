#!/usr/bin/env bash
# Chromium for the dashboard's end-to-end test (packages/server/test/e2e/), from the
# Debian archive. Does nothing when /usr/bin/chromium exists; quiet unless it fails.
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0

export DEBIAN_FRONTEND=noninteractive
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Package lists may be missing on a fresh machine: update only when the install needs it.
if ! $sudo apt-get install -y -q --no-install-recommends chromium >"$log" 2>&1; then
  if ! { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "chromium.sh: could not install chromium" >&2
    exit 1
  fi
fi
[ -x /usr/bin/chromium ] || { echo "chromium.sh: /usr/bin/chromium still missing after install" >&2; exit 1; }
