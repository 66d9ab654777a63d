#!/usr/bin/env bash
# Runs `.ci/run` the way CI does on a NEW machine: inside a fresh container made
# from Debian 12's base (debootstrap minbase) with only what a new machine of this
# project's kind has (Node + npm with this machine's npm settings and CA file,
# python3, make, g++, git, ca-certificates). Nothing the suite installs (Docker,
# PostgreSQL, Pebble, BIND, PowerDNS, Chromium, debootstrap, the lab image) is in
# it, so a tool that a script calls without installing it fails here as it would
# on a fresh CI machine.
#
#   bash scripts/fresh-machine-ci.sh [REV]     # default: HEAD of this checkout
#
# The suite needs a Docker engine of its own: the container runs one (nested, with
# the capabilities shared/LAB.md lists; privileged containers are refused here),
# its /var/lib/docker on a host directory so overlay2 works. Its own network
# namespace means its services never meet the host's. Output: the run's log on
# stdout, exit code of `.ci/run`. Needs root and a Docker engine (lab/docker.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
REV=${1:-HEAD}
IMAGE=devflow-fresh-debian:1
WORK=$(mktemp -d /var/tmp/devflow-fresh.XXXXXX)
NAME="devflow-fresh-$$"
log() { printf '[fresh] %s\n' "$*" >&2; }
cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  # The inner engine's layers belong to root and may hold mounts: unmount, then remove.
  grep -o " $WORK[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

bash lab/docker.sh

mirror() {
  awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null
}

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { apt-get install -y -qq debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }; }
  root="$WORK/rootfs"
  log "debootstrap bookworm minbase (+ what a new machine has) into $root"
  debootstrap --variant=minbase --include=ca-certificates,git,python3,make,g++ bookworm "$root" "$(mirror)" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
  grep -o " $root[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  # Node and npm as this machine has them, with its npm settings (registry, CA file, nodedir).
  cp -a /usr/bin/node "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules" "$root/usr/include" "$root/usr/etc" "$root/root"
  cp -a /usr/lib/node_modules/npm "$root/usr/lib/node_modules/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  [ -d /usr/include/node ] && cp -a /usr/include/node "$root/usr/include/"
  for f in /etc/npmrc /usr/etc/npmrc /root/.npmrc; do [ -f "$f" ] && cp -a "$f" "$root$f"; done
  cp -a /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2>/dev/null || true
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
  rm -rf --one-file-system "$root"
  log "image $IMAGE built"
fi

log "cloning $REV into $WORK/main"
git clone -q "$REPO" "$WORK/main"
git -C "$WORK/main" checkout -q "$(git rev-parse "$REV")"
[ -d "$REPO/../shared" ] && cp -a "$REPO/../shared" "$WORK/shared"
mkdir -p "$WORK/docker"

log "running .ci/run in a fresh container ($NAME)"
set +e
docker run --name "$NAME" --cgroupns=host \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /var/run \
  -v "$WORK/docker:/var/lib/docker" -v "$WORK/main:/ci/main" -v "$WORK/shared:/ci/shared:ro" \
  ${FRESH_DOCKER_ARGS:-} -e CI=true -w /ci/main "$IMAGE" bash -c 'bash .ci/run </dev/null'
rc=$?
set -e
log ".ci/run exited $rc"
exit "$rc"
