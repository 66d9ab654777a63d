#!/usr/bin/env bash
# Ensure a Docker engine answers on this machine (no systemd needed).
#
#   lab/docker.sh            # idempotent; returns in well under a second when dockerd is up
#
# - installs Debian's docker.io when dockerd is missing (apt-get update only when needed)
# - starts `dockerd` in the background, logging to /var/log/dockerd.log
# - waits (bounded by DOCKER_WAIT_SECONDS, default 60) until `docker info` answers
#
# Quiet on the fast path; diagnostics go to stderr. Needs root to install/start.
set -euo pipefail

DOCKER_WAIT_SECONDS="${DOCKER_WAIT_SECONDS:-60}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
LOCK_FILE="${DEVFLOW_LAB_DOCKER_LOCK:-/tmp/devflow-lab-docker.lock}"

log() { printf '[lab/docker] %s\n' "$*" >&2; }
die() { printf '[lab/docker] ERROR: %s\n' "$*" >&2; exit 1; }

# The Debian client (/usr/bin/docker, API 1.41) matches the Debian daemon. A newer
# client (e.g. /usr/local/bin/docker 28.x) negotiates the API version down, but we
# prefer the matching one so nothing depends on that negotiation.
docker_bin() {
  if [ -x /usr/bin/docker ]; then echo /usr/bin/docker
  elif command -v docker >/dev/null 2>&1; then command -v docker
  else return 1
  fi
}

docker_ok() {
  local bin
  bin="$(docker_bin)" || return 1
  timeout 10 "$bin" info >/dev/null 2>&1
}

# apt-get install, running `apt-get update` first only when a package has no
# install candidate, and once more if the install fails (stale package lists).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local p policy need_update=0
  for p in "$@"; do
    # (capture first: `apt-cache | grep -q` under pipefail fails on SIGPIPE)
    policy="$(apt-cache policy "$p" 2>/dev/null || true)"
    if ! grep -Eq 'Candidate: [^(]' <<<"$policy"; then need_update=1; fi
  done
  if [ "$need_update" = 1 ]; then
    log "apt-get update (no install candidate for some of: $*)"
    apt-get update -qq
  fi
  if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    log "install failed; retrying after apt-get update"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# Fast path: already running.
if docker_ok; then exit 0; fi

[ "$(id -u)" = 0 ] || die "docker is not answering and starting it needs root"

# Serialise installs/starts between concurrent callers.
exec 9>"$LOCK_FILE"
flock -w 600 9 || die "timed out waiting for $LOCK_FILE"
if docker_ok; then exit 0; fi

if ! command -v dockerd >/dev/null 2>&1 || [ ! -x /usr/bin/docker ]; then
  log "installing docker.io from Debian"
  apt_install docker.io
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing docker.io"

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd is running but not answering yet; waiting"
else
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid + nohup: the daemon must outlive this script and its caller's process group.
  # 9>&-: the daemon must not inherit (and hold forever) our lock.
  setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
fi

deadline=$(( $(date +%s) + DOCKER_WAIT_SECONDS ))
until docker_ok; do
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
    die "dockerd exited; see $DOCKERD_LOG"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
    die "docker info did not answer within ${DOCKER_WAIT_SECONDS}s; see $DOCKERD_LOG"
  fi
  sleep 0.5
done
log "docker engine ready ($("$(docker_bin)" version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
