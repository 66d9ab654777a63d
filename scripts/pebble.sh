#!/usr/bin/env bash
# Starts Pebble (Let's Encrypt's test ACME server) and pebble-challtestsrv (its
# mock DNS server) in the background for the domain and certificate tests.
# Idempotent: when both already answer, it prints where they are and exits.
#
#   bash scripts/pebble.sh          start (or confirm) both
#   bash scripts/pebble.sh stop     stop both (by the pids this script recorded)
#   bash scripts/pebble.sh env      print the variables tests read
#
# Addresses (all on loopback):
#   ACME directory   https://127.0.0.1:14000/dir   (TLS cert made here, in $PEBBLE_DIR/ca.pem)
#   management       https://127.0.0.1:15000       (issuing root: /roots/0)
#   mock DNS         127.0.0.1:8053 (udp+tcp)      (Pebble resolves every name here)
#   DNS management   http://127.0.0.1:8055         (add-a, set-txt, clear-txt, …)
#
# How Pebble reaches a lab server's nginx for HTTP-01: tests point the test
# host name at the lab container's bridge address with challtestsrv's
# `/add-a`, and Pebble validates on port $PEBBLE_HTTP_PORT (default 80, where
# nginx listens in every container). Names nobody added resolve to 127.0.0.1.
set -euo pipefail

DIR=${PEBBLE_DIR:-/tmp/devflow-pebble}
HTTP_PORT=${PEBBLE_HTTP_PORT:-80}
WAIT=${PEBBLE_WAIT_SECONDS:-30}
mkdir -p "$DIR"
chmod 0700 "$DIR"

log() { printf '[pebble] %s\n' "$*" >&2; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

directory_answers() {
  curl -sf --max-time 2 --cacert "$DIR/ca.pem" https://127.0.0.1:14000/dir >/dev/null 2>&1
}

dns_answers() {
  curl -sf --max-time 2 -X POST -d '{"host":"devflow-probe.test.","addresses":["127.0.0.1"]}' http://127.0.0.1:8055/add-a >/dev/null 2>&1
}

stop_one() {
  local pidfile=$1
  if alive "$pidfile"; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case "${1:-start}" in
  stop)
    stop_one "$DIR/pebble.pid"
    stop_one "$DIR/challtestsrv.pid"
    exit 0
    ;;
  env)
    echo "DEVFLOW_TEST_ACME_DIRECTORY=https://127.0.0.1:14000/dir"
    echo "DEVFLOW_TEST_ACME_CA=$DIR/ca.pem"
    echo "DEVFLOW_TEST_DNS=127.0.0.1:8053"
    echo "DEVFLOW_TEST_DNS_MANAGEMENT=http://127.0.0.1:8055"
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 [start|stop|env]" >&2
    exit 2
    ;;
esac

exec 9>"$DIR/.lock"
flock -w 60 9

# Every tool this script calls: pebble, pebble-challtestsrv, openssl, curl.
need=()
{ command -v pebble && command -v pebble-challtestsrv; } >/dev/null 2>&1 || need+=(pebble)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing Debian's ${need[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# Pebble ships no TLS certificate: a self-made CA signs one for 127.0.0.1 and localhost.
if [ ! -s "$DIR/cert.pem" ] || [ ! -s "$DIR/ca.pem" ]; then
  log "making a TLS certificate for 127.0.0.1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj '/CN=DevFlow test Pebble CA' -keyout "$DIR/ca-key.pem" -out "$DIR/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1' \
    -keyout "$DIR/key.pem" -out "$DIR/cert.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$DIR/ext.cnf"
  openssl x509 -req -in "$DIR/cert.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca-key.pem" -CAcreateserial \
    -days 3650 -extfile "$DIR/ext.cnf" -out "$DIR/cert.pem" 2>/dev/null
  chmod 0600 "$DIR/key.pem" "$DIR/ca-key.pem"
fi

cat >"$DIR/config.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:14000",
    "managementListenAddress": "127.0.0.1:15000",
    "certificate": "$DIR/cert.pem",
    "privateKey": "$DIR/key.pem",
    "httpPort": $HTTP_PORT,
    "tlsPort": 5001,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
JSON

if ! alive "$DIR/challtestsrv.pid" || ! dns_answers; then
  stop_one "$DIR/challtestsrv.pid"
  log "starting pebble-challtestsrv (DNS 127.0.0.1:8053, management 127.0.0.1:8055)"
  setsid pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 '' -dns01 127.0.0.1:8053 -http01 '' -https01 '' -tlsalpn01 '' \
    -management 127.0.0.1:8055 >"$DIR/challtestsrv.log" 2>&1 </dev/null 9>&- &
  echo $! >"$DIR/challtestsrv.pid"
fi

if ! alive "$DIR/pebble.pid" || ! directory_answers; then
  stop_one "$DIR/pebble.pid"
  log "starting pebble (directory https://127.0.0.1:14000/dir, HTTP-01 on port $HTTP_PORT)"
  # No artificial validation delay; every nonce accepted; every order validated afresh (no reused
  # authorizations), so a renewal really proves control again and a broken challenge really fails.
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 setsid pebble -config "$DIR/config.json" -dnsserver 127.0.0.1:8053 -strict=false \
    >"$DIR/pebble.log" 2>&1 </dev/null 9>&- &
  echo $! >"$DIR/pebble.pid"
fi

deadline=$((SECONDS + WAIT))
until directory_answers && dns_answers; do
  if [ $SECONDS -ge $deadline ]; then
    log "Pebble or challtestsrv did not answer within ${WAIT}s; logs:"
    tail -n 20 "$DIR/pebble.log" "$DIR/challtestsrv.log" >&2 || true
    exit 1
  fi
  if ! alive "$DIR/pebble.pid" || ! alive "$DIR/challtestsrv.pid"; then
    log "a process exited; logs:"
    tail -n 20 "$DIR/pebble.log" "$DIR/challtestsrv.log" >&2 || true
    exit 1
  fi
  sleep 0.2
done
log "ready: pebble pid $(cat "$DIR/pebble.pid"), challtestsrv pid $(cat "$DIR/challtestsrv.pid")"
