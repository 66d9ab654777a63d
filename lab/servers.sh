#!/usr/bin/env bash
# Lab "VPS" servers: containers of devflow-lab-vps:2 with sshd on a loopback port.
#
#   lab/servers.sh up NAME PORT [PUBKEY_FILE]
#       Start container NAME, sshd published on 127.0.0.1:PORT (PORT "0" or "auto":
#       Docker picks a free port). root's authorized_keys come from PUBKEY_FILE
#       and/or $LAB_AUTHORIZED_KEYS. Waits (LAB_SSH_WAIT_SECONDS, default 30) until
#       sshd sends its banner, then prints the port on stdout.
#       A stale lab container of the same name is replaced.
#       $LAB_SERVICES: services started besides ssh (default "nginx php8.2-fpm").
#   lab/servers.sh down NAME...     remove these lab containers (missing ones are fine)
#   lab/servers.sh down-all         remove every container labelled devflow-lab=1
#   lab/servers.sh ls               list lab containers
#
# Every container is labelled devflow-lab=1 and publishes on 127.0.0.1 only.
# Run lab/up.sh (or lab/docker.sh + lab/vps-image.sh) first.
set -euo pipefail

IMAGE="${LAB_VPS_IMAGE:-devflow-lab-vps:2}"
LABEL=devflow-lab=1
SSH_WAIT_SECONDS="${LAB_SSH_WAIT_SECONDS:-30}"

log() { printf '[lab/servers] %s\n' "$*" >&2; }
die() { printf '[lab/servers] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker
else DOCKER="$(command -v docker)" || die "no docker client; run lab/up.sh first"
fi

is_lab_container() {
  [ "$("$DOCKER" inspect -f '{{index .Config.Labels "devflow-lab"}}' "$1" 2>/dev/null || true)" = 1 ]
}
exists() { "$DOCKER" inspect -f '{{.Id}}' "$1" >/dev/null 2>&1; }

remove() {
  local name
  for name in "$@"; do
    if ! exists "$name"; then continue; fi
    if ! is_lab_container "$name"; then
      log "refusing to remove $name: it is not labelled $LABEL"; continue
    fi
    "$DOCKER" rm -f -v "$name" >/dev/null
  done
}

# True when something on 127.0.0.1:$1 speaks SSH (docker-proxy accepts connections
# before the container's sshd listens, so an open port alone proves nothing).
ssh_banner() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 line <&3 && [[ "$line" == SSH-* ]]' _ "$1" 2>/dev/null
}

cmd_up() {
  [ $# -ge 2 ] && [ $# -le 3 ] || usage
  local name="$1" port="$2" keyfile="${3:-}" keys="${LAB_AUTHORIZED_KEYS:-}"
  [[ "$name" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "bad container name: $name"
  case "$port" in
    0|auto) port="" ;;
    *) [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port: $port" ;;
  esac
  if [ -n "$keyfile" ]; then
    [ -r "$keyfile" ] || die "cannot read $keyfile"
    keys="$(cat "$keyfile")${keys:+$'\n'$keys}"
  fi
  [ -n "$keys" ] || log "warning: no authorized key given; nobody can log in as root"
  "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || die "image $IMAGE missing; run lab/up.sh"

  if exists "$name"; then
    is_lab_container "$name" || die "a container named $name exists and is not a lab container"
    log "replacing existing lab container $name"
    remove "$name"
  fi

  local run_env=(-e "LAB_AUTHORIZED_KEYS=$keys")
  [ -z "${LAB_SERVICES+x}" ] || run_env+=(-e "LAB_SERVICES=$LAB_SERVICES")
  if ! "$DOCKER" run -d --name "$name" --hostname "${name:0:63}" --label "$LABEL" --init \
    -p "127.0.0.1:${port}:22" "${run_env[@]}" "$IMAGE" >/dev/null; then
    remove "$name"   # a failed start (e.g. port taken) leaves a "Created" container
    die "could not start $name${port:+ on 127.0.0.1:$port}"
  fi

  if [ -z "$port" ]; then
    port="$("$DOCKER" port "$name" 22/tcp | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n1)"
    [ -n "$port" ] || { remove "$name"; die "could not read the published port of $name"; }
  fi

  local deadline=$(( $(date +%s) + SSH_WAIT_SECONDS ))
  until ssh_banner "$port"; do
    if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
      "$DOCKER" logs --tail 30 "$name" >&2 2>&1 || true
      die "container $name stopped before sshd answered"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      "$DOCKER" logs --tail 30 "$name" >&2 2>&1 || true
      die "sshd in $name did not answer on 127.0.0.1:$port within ${SSH_WAIT_SECONDS}s"
    fi
    sleep 0.2
  done
  echo "$port"
}

cmd_down_all() {
  local ids
  ids="$("$DOCKER" ps -aq --filter "label=$LABEL")"
  [ -z "$ids" ] || "$DOCKER" rm -f -v $ids >/dev/null
}

sub="${1:-}"; [ $# -gt 0 ] && shift
case "$sub" in
  up) cmd_up "$@" ;;
  down) [ $# -ge 1 ] || usage; remove "$@" ;;
  down-all) cmd_down_all ;;
  ls) "$DOCKER" ps -a --filter "label=$LABEL" --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}' ;;
  *) usage ;;
esac
