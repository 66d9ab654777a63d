#!/usr/bin/env bash
# The whole suite, from a fresh machine: installs and starts what the tests need,
# then lint, type-check, and every test. `npm test` runs this; so does .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "host tools (procps, curl, openssl, openssh-client, git)"
bash scripts/host-tools.sh

step "dependencies"
npm ci --no-audit --no-fund

step "services: PostgreSQL"
bash scripts/postgres.sh

step "services: Pebble (ACME) and pebble-challtestsrv (mock DNS)"
bash scripts/pebble.sh

step "services: PowerDNS and BIND (DNS providers)"
bash scripts/dns.sh

if [ -x lab/up.sh ] || [ -f lab/up.sh ]; then
  step "services: lab (Docker engine, VPS image)"
  bash lab/up.sh
fi

step "services: Chromium (dashboard e2e)" && bash scripts/chromium.sh

step "build"
npm run build

step "lint"
npx eslint .

step "type-check (tests included)"
npx tsc -p packages/server/tsconfig.test.json

step "tests"
node scripts/run-tests.mjs
