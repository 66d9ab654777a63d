#!/usr/bin/env bash
# Ensures a PostgreSQL server for the tests on 127.0.0.1:${DEVFLOW_TEST_PG_PORT:-55432}.
# Installs Debian's postgresql when absent, runs its own cluster (no systemd needed),
# and is fast and idempotent when the server already answers.
set -euo pipefail
PORT="${DEVFLOW_TEST_PG_PORT:-55432}"
DIR="${DEVFLOW_TEST_PG_DIR:-/var/tmp/devflow-test-pg}"

pg_bin() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

if [ -z "$(pg_bin)" ]; then
  echo "postgres: installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(pg_bin)

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  echo "postgres: already running on 127.0.0.1:$PORT"
  exit 0
fi

if [ ! -f "$DIR/PG_VERSION" ]; then
  mkdir -p "$DIR"
  chown postgres:postgres "$DIR"
  su postgres -s /bin/sh -c "$BIN/initdb -D '$DIR' -U postgres --auth=trust -E UTF8 >/dev/null"
fi
chown -R postgres:postgres "$DIR"
# fsync off: a test cluster trades durability for speed.
su postgres -s /bin/sh -c "$BIN/pg_ctl -D '$DIR' -l '$DIR/server.log' -w -t 60 \
  -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start >/dev/null"
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"
echo "postgres: started on 127.0.0.1:$PORT ($DIR)"
