#!/usr/bin/env bash
# Starts two real DNS servers on loopback for the DNS provider tests, in the
# background, idempotently (when both answer, it only prints where they are):
#
#   PowerDNS Authoritative (sqlite3 backend, HTTP API with an API key)
#     DNS 127.0.0.1:8153, API http://127.0.0.1:8181, zone pdns.devflow.test.
#     API key in $DNS_DIR/pdns.api-key
#   BIND 9 (RFC 2136 dynamic updates signed with a TSIG key)
#     DNS 127.0.0.1:8253, zone rfc2136.devflow.test, key "devflow-tsig"
#     (hmac-sha256), secret in $DNS_DIR/tsig.secret
#
#   A second Pebble that resolves through PowerDNS (so a DNS-01 order can be
#   answered with the PowerDNS provider): directory https://127.0.0.1:14100/dir,
#   management https://127.0.0.1:15100, same TLS certificate as scripts/pebble.sh
#   makes (run that first; its CA is $PEBBLE_DIR/ca.pem).
#
#   bash scripts/dns.sh          start (or confirm) all three
#   bash scripts/dns.sh stop     stop them (by the pids this script recorded)
#
# Installs Debian's pdns-server, pdns-backend-sqlite3, bind9, sqlite3, bind9-dnsutils (dig)
# and curl when missing: every tool this script calls.
set -euo pipefail

DIR=${DNS_DIR:-/tmp/devflow-dns}
WAIT=${DNS_WAIT_SECONDS:-30}
mkdir -p "$DIR/bind"
chmod 0700 "$DIR"

log() { printf '[dns] %s\n' "$*" >&2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop_one() {
  local pidfile=$1 pid
  if alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

if [ "${1:-start}" = stop ]; then
  stop_one "$DIR/pebble-pdns.pid"
  stop_one "$DIR/pdns.pid"
  stop_one "$DIR/named.pid.launcher"
  exit 0
fi

exec 9>"$DIR/.lock"
flock -w 60 9

need=()
command -v pdns_server >/dev/null 2>&1 || need+=(pdns-server)
[ -d /usr/share/pdns-backend-sqlite3 ] || need+=(pdns-backend-sqlite3)
command -v named >/dev/null 2>&1 || need+=(bind9)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)   # bind9 without recommends brings no dig
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

pdns_answers() {
  [ -s "$DIR/pdns.api-key" ] &&
    curl -sf --max-time 2 -H "X-API-Key: $(cat "$DIR/pdns.api-key")" http://127.0.0.1:8181/api/v1/servers/localhost/zones/pdns.devflow.test. >/dev/null 2>&1
}
named_answers() {
  dig +time=1 +tries=1 -p 8253 @127.0.0.1 rfc2136.devflow.test SOA +short 2>/dev/null | grep -q .
}

# ------------------------------------------------------------------ PowerDNS
if ! alive "$DIR/pdns.pid" || ! pdns_answers; then
  stop_one "$DIR/pdns.pid"
  [ -s "$DIR/pdns.api-key" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$DIR/pdns.api-key"
  cat >"$DIR/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$DIR/pdns.sqlite3
local-address=127.0.0.1
local-port=8153
api=yes
api-key=$(cat "$DIR/pdns.api-key")
webserver=yes
webserver-address=127.0.0.1
webserver-port=8181
webserver-allow-from=127.0.0.0/8
socket-dir=$DIR
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
CONF
  if [ ! -s "$DIR/pdns.sqlite3" ]; then
    sqlite3 "$DIR/pdns.sqlite3" </usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
    pdnsutil --config-dir="$DIR" create-zone pdns.devflow.test ns1.pdns.devflow.test >/dev/null
  fi
  log "starting PowerDNS (DNS 127.0.0.1:8153, API http://127.0.0.1:8181)"
  setsid pdns_server --config-dir="$DIR" >"$DIR/pdns.log" 2>&1 </dev/null 9>&- &
  echo $! >"$DIR/pdns.pid"
fi

# ------------------------------------------------------------------ BIND 9
if ! alive "$DIR/named.pid.launcher" || ! named_answers; then
  stop_one "$DIR/named.pid.launcher"
  [ -s "$DIR/tsig.secret" ] || head -c 32 /dev/urandom | base64 >"$DIR/tsig.secret"
  cat >"$DIR/named.conf" <<CONF
options {
  directory "$DIR/bind";
  pid-file "$DIR/named.pid";
  listen-on port 8253 { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { 127.0.0.1; };
  dnssec-validation no;
};
controls { };
key "devflow-tsig" {
  algorithm hmac-sha256;
  secret "$(cat "$DIR/tsig.secret")";
};
zone "rfc2136.devflow.test" {
  type primary;
  file "$DIR/bind/rfc2136.devflow.test.zone";
  allow-update { key "devflow-tsig"; };
};
CONF
  # A fresh zone on each start (updates of earlier runs are dropped with the journal).
  rm -f "$DIR/bind/"*.jnl
  cat >"$DIR/bind/rfc2136.devflow.test.zone" <<'ZONE'
$TTL 60
@   IN SOA ns1.rfc2136.devflow.test. hostmaster.rfc2136.devflow.test. ( 1 60 60 600 60 )
    IN NS  ns1.rfc2136.devflow.test.
ns1 IN A   127.0.0.1
ZONE
  named-checkconf "$DIR/named.conf"
  log "starting BIND 9 (DNS 127.0.0.1:8253, TSIG key devflow-tsig)"
  setsid named -g -c "$DIR/named.conf" >"$DIR/named.log" 2>&1 </dev/null 9>&- &
  echo $! >"$DIR/named.pid.launcher"
fi

# ------------------------------------------------------------------ Pebble resolving through PowerDNS
PEBBLE_DIR=${PEBBLE_DIR:-/tmp/devflow-pebble}
pebble_pdns_answers() {
  curl -sf --max-time 2 --cacert "$PEBBLE_DIR/ca.pem" https://127.0.0.1:14100/dir >/dev/null 2>&1
}
if [ -s "$PEBBLE_DIR/cert.pem" ] && command -v pebble >/dev/null 2>&1; then
  if ! alive "$DIR/pebble-pdns.pid" || ! pebble_pdns_answers; then
    stop_one "$DIR/pebble-pdns.pid"
    cat >"$DIR/pebble-pdns.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:14100", "managementListenAddress": "127.0.0.1:15100",
 "certificate": "$PEBBLE_DIR/cert.pem", "privateKey": "$PEBBLE_DIR/key.pem", "httpPort": 80, "tlsPort": 5001,
 "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
    log "starting a second Pebble resolving through PowerDNS (https://127.0.0.1:14100/dir)"
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 setsid pebble -config "$DIR/pebble-pdns.json" -dnsserver 127.0.0.1:8153 -strict=false \
      >"$DIR/pebble-pdns.log" 2>&1 </dev/null 9>&- &
    echo $! >"$DIR/pebble-pdns.pid"
  fi
else
  log "no Pebble certificate yet (run scripts/pebble.sh first): the PowerDNS Pebble is not started"
fi

deadline=$((SECONDS + WAIT))
until pdns_answers && named_answers && { [ ! -f "$DIR/pebble-pdns.pid" ] || pebble_pdns_answers; }; do
  if [ $SECONDS -ge $deadline ] || ! alive "$DIR/pdns.pid" || ! alive "$DIR/named.pid.launcher"; then
    log "PowerDNS or BIND did not come up; logs:"
    tail -n 20 "$DIR/pdns.log" "$DIR/named.log" >&2 || true
    exit 1
  fi
  sleep 0.2
done
log "ready: PowerDNS pid $(cat "$DIR/pdns.pid"), named pid $(cat "$DIR/named.pid.launcher")"
