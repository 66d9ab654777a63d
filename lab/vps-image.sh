#!/usr/bin/env bash
# Build the lab "VPS" image (default devflow-lab-vps:2) offline, only when missing.
#
#   lab/vps-image.sh            # fast (one `docker image inspect`) when the image is current
#   LAB_VPS_REBUILD=1 lab/vps-image.sh   # force a rebuild
#
# No image registry is reachable, so the image is made from scratch:
#   1. debootstrap --variant=minbase (Debian 12) into a fresh mktemp -d
#   2. apt-get inside the chroot for php8.2-fpm (see "systemd" below), then again
#      for the framework packages and MariaDB (see FRAMEWORK_PACKAGES)
#   3. tar | docker import  -> devflow-lab-vps-base:2   (~15 s; 1 and 2 take ~3-4 min)
#   4. docker build FROM it  -> devflow-lab-vps:2        (entrypoint only, ~1 s)
# Each image carries a `devflow-lab.recipe` label (hash of its recipe); when the
# recipe in this file changes, the stale image is rebuilt. Editing only the
# entrypoint rebuilds step 4, not the rootfs.
#
# Why php8.2-fpm is not in --include: it depends on "systemd | systemd-tmpfiles" and
# debootstrap's resolver always takes the first alternative, which would put
# systemd (and a `systemctl` that cannot work without systemd as PID 1) into the
# image. apt inside the chroot resolves the alternative properly with
# systemd-standalone-tmpfiles, so the image has no systemd, like a container VPS.
#
# The Debian mirror is read at runtime from /etc/apt/sources.list.d/debian.sources
# (override: LAB_DEBIAN_MIRROR). Needs root (debootstrap, chroot, mounts).
set -euo pipefail

IMAGE="${LAB_VPS_IMAGE:-devflow-lab-vps:2}"
BASE_IMAGE="${LAB_VPS_BASE_IMAGE:-devflow-lab-vps-base:2}"
SUITE=bookworm
LOCK_FILE="${DEVFLOW_LAB_IMAGE_LOCK:-/tmp/devflow-lab-vps-image.lock}"
BUILD_LOG="${LAB_VPS_BUILD_LOG:-/tmp/devflow-lab-vps-build.log}"
DEBOOTSTRAP_CACHE="${LAB_DEBOOTSTRAP_CACHE:-/var/cache/devflow-lab/debootstrap}"

# Packages debootstrap installs (none of them pulls systemd through an alternative).
INCLUDE_PACKAGES=(
  openssh-server        # the way DevFlow reaches the server
  nginx-light           # web server DevFlow configures
  php8.2-cli
  git                   # deployments clone/pull
  ca-certificates curl
  procps                # ps, pgrep, kill: tests and DevFlow look at processes
  sudo                  # non-root deploy users
  iproute2              # ss/ip: check listening ports
  rsync                 # deploys that upload artifacts
)
# Packages apt installs in the chroot afterwards (+ LAB_VPS_EXTRA_PACKAGES, space-separated).
# php8.2 and php (metapackages) after php8.2-fpm, so their "libapache2-mod-php8.2 | php8.2-fpm"
# alternative is already met and nothing later pulls Apache in.
APT_PACKAGES=(systemd-standalone-tmpfiles php8.2-fpm php8.2 php)
# Real framework code and what it needs to run, installed by a second apt call once
# php8.2-fpm and nginx-light are there, so `wordpress` takes them for its
# "apache2 | httpd" and "libapache2-mod-php | php" alternatives instead of Apache.
# The deployment tests copy the frameworks from /usr/share/php and /usr/share/wordpress
# into fixture repositories (test/fixtures/real-frameworks.ts); MariaDB is there for
# WordPress and is started only by the tests that ask for it (LAB_SERVICES).
FRAMEWORK_PACKAGES=(
  php8.2-sqlite3 php8.2-mysql php8.2-mbstring php8.2-xml
  php-laravel-framework         # Laravel 8.83 (Illuminate + Symfony 5.4 components)
  php-symfony-framework-bundle php-symfony-dotenv  # Symfony 5.4
  wordpress                     # WordPress 6.1
  mariadb-server
)
read -r -a EXTRA_PACKAGES <<<"${LAB_VPS_EXTRA_PACKAGES:-}"
# Bump when the rootfs post-processing below changes.
ROOTFS_RECIPE_VERSION=3

log() { printf '[lab/vps-image] %s\n' "$*" >&2; }
die() { printf '[lab/vps-image] ERROR: %s\n' "$*" >&2; exit 1; }

docker_bin() {
  if [ -x /usr/bin/docker ]; then echo /usr/bin/docker
  elif command -v docker >/dev/null 2>&1; then command -v docker
  else return 1
  fi
}
DOCKER="$(docker_bin)" || die "no docker client; run lab/docker.sh first"

# --- the final layer: what a VPS does at boot ----------------------------------
ENTRYPOINT_SH='#!/bin/sh
# devflow lab VPS "init": what a real server does at boot. sshd runs as a normal
# service (not as the main process), so `service ssh restart` works like on a VPS
# instead of stopping the container. Run the image with --init (lab/servers.sh does)
# so PID 1 reaps orphans and forwards signals.
#   LAB_AUTHORIZED_KEYS  keys appended (once) to /root/.ssh/authorized_keys
#   LAB_SERVICES         services started besides ssh (default "nginx php8.2-fpm"; "" for none)
set -u
mkdir -p /run/sshd
ssh-keygen -A >/dev/null
if [ -n "${LAB_AUTHORIZED_KEYS:-}" ]; then
  install -d -m 700 /root/.ssh
  touch /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  printf "%s\n" "$LAB_AUTHORIZED_KEYS" | while IFS= read -r key; do
    [ -n "$key" ] || continue
    grep -qxF -- "$key" /root/.ssh/authorized_keys || printf "%s\n" "$key" >>/root/.ssh/authorized_keys
  done
fi
unset LAB_AUTHORIZED_KEYS
for svc in ${LAB_SERVICES-nginx php8.2-fpm}; do
  service "$svc" start >/dev/null || echo "lab-entrypoint: WARNING: service $svc failed to start" >&2
done
service ssh start >/dev/null || { echo "lab-entrypoint: sshd failed to start" >&2; /usr/sbin/sshd -t; exit 1; }
echo "lab-entrypoint: up (ssh ${LAB_SERVICES-nginx php8.2-fpm})" >&2
trap "exit 0" TERM INT
while :; do sleep 3600 & wait $!; done
'
DOCKERFILE="FROM $BASE_IMAGE
COPY entrypoint.sh /usr/local/sbin/devflow-lab-entrypoint
# No syslog in the container: sshd logs to /var/log/auth.log itself.
RUN chmod 755 /usr/local/sbin/devflow-lab-entrypoint && install -d -m 700 /root/.ssh \\
 && echo 'SSHD_OPTS=\"-E /var/log/auth.log\"' >>/etc/default/ssh
EXPOSE 22 80
ENTRYPOINT [\"/usr/local/sbin/devflow-lab-entrypoint\"]
CMD []
"

hash() { sha256sum | cut -c1-16; }
BASE_RECIPE="$(printf '%s\n' "$SUITE" "${INCLUDE_PACKAGES[*]}" "${APT_PACKAGES[*]}" "${FRAMEWORK_PACKAGES[*]}" "${EXTRA_PACKAGES[*]:-}" "$ROOTFS_RECIPE_VERSION" | hash)"
FINAL_RECIPE="$(printf '%s\n' "$BASE_RECIPE" "$ENTRYPOINT_SH" "$DOCKERFILE" | hash)"

image_recipe() { "$DOCKER" image inspect -f '{{index .Config.Labels "devflow-lab.recipe"}}' "$1" 2>/dev/null || true; }
image_current() { [ "${LAB_VPS_REBUILD:-0}" != 1 ] && [ "$(image_recipe "$1")" = "$2" ]; }

# Fast path.
if image_current "$IMAGE" "$FINAL_RECIPE"; then exit 0; fi

[ "$(id -u)" = 0 ] || die "building $IMAGE needs root"
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
  log "another build holds $LOCK_FILE; waiting"
  flock -w 1800 9 || die "timed out waiting for $LOCK_FILE"
fi
# Somebody else may have built it while we waited.
if image_current "$IMAGE" "$FINAL_RECIPE"; then exit 0; fi

WORK=""
unmount_under() {
  local root="$1" _pass m
  for _pass in 1 2 3; do
    mapfile -t mounts < <(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
    [ "${#mounts[@]}" -eq 0 ] && return 0
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print "  still mounted: " $2 }' /proc/self/mounts >&2
}
cleanup() {
  local rc=$?
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    unmount_under "$WORK"
    rm -rf --one-file-system "$WORK" || log "could not remove $WORK completely"
  fi
  if [ "$rc" != 0 ]; then
    log "build failed (exit $rc); last lines of $BUILD_LOG:"
    tail -n 25 "$BUILD_LOG" >&2 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/devflow-lab-vps.XXXXXX")"
WORK="$(realpath "$WORK")"
: >"$BUILD_LOG"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

build_base() {
  local rootfs="$WORK/rootfs" mirror t
  mirror="${LAB_DEBIAN_MIRROR:-}"
  if [ -z "$mirror" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: the URIs of the first stanza whose Suites lists $SUITE, else the first URIs.
    mirror="$(awk -v suite="$SUITE" 'BEGIN { RS = "" }
      { uri = ""; ok = 0; n = split($0, L, "\n")
        for (i = 1; i <= n; i++) {
          if (L[i] ~ /^URIs:/) { split(L[i], a, /[ \t]+/); uri = a[2] }
          if (L[i] ~ /^Suites:/) { m = split(L[i], s, /[ \t]+/); for (j = 2; j <= m; j++) if (s[j] == suite) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit } }' /etc/apt/sources.list.d/debian.sources)"
    [ -n "$mirror" ] || mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
    mirror="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources (set LAB_DEBIAN_MIRROR)"

  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends debootstrap >>"$BUILD_LOG" 2>&1 \
      || { apt-get update -qq >>"$BUILD_LOG" 2>&1 && apt-get install -y -qq --no-install-recommends debootstrap >>"$BUILD_LOG" 2>&1; } \
      || die "could not install debootstrap"
  fi

  mkdir -p "$DEBOOTSTRAP_CACHE"
  t="$(now)"
  log "debootstrap $SUITE (minbase + ${#INCLUDE_PACKAGES[@]} packages) into $rootfs; log: $BUILD_LOG"
  local include
  include="$(IFS=,; echo "${INCLUDE_PACKAGES[*]}")"
  debootstrap --variant=minbase --include="$include" --cache-dir="$DEBOOTSTRAP_CACHE" \
    "$SUITE" "$rootfs" "$mirror" >>"$BUILD_LOG" 2>&1
  log "debootstrap done in $(since "$t")s"

  t="$(now)"
  # Daemons must not start inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  mount -t proc proc "$rootfs/proc"
  local in_root=(chroot "$rootfs" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive)
  apt_install() {
    if ! "${in_root[@]}" apt-get install -y -q --no-install-recommends "$@" >>"$BUILD_LOG" 2>&1; then
      "${in_root[@]}" apt-get update -q >>"$BUILD_LOG" 2>&1
      "${in_root[@]}" apt-get install -y -q --no-install-recommends "$@" >>"$BUILD_LOG" 2>&1
    fi
  }
  apt_install "${APT_PACKAGES[@]}" "${EXTRA_PACKAGES[@]}"
  # MariaDB's defaults would put a 100 MB redo log into the image and give every running
  # server a 128 MB buffer pool: a lab needs neither. In place before the package's
  # postinst creates the data directory.
  mkdir -p "$rootfs/etc/mysql/mariadb.conf.d"
  printf '[mariadbd]\ninnodb_log_file_size = 8M\ninnodb_buffer_pool_size = 32M\n' >"$rootfs/etc/mysql/mariadb.conf.d/60-devflow-lab.cnf"
  apt_install "${FRAMEWORK_PACKAGES[@]}"
  "${in_root[@]}" apt-get clean
  umount "$rootfs/proc"
  rm -f "$rootfs/usr/sbin/policy-rc.d"
  # Slim and de-personalise: every container makes its own host keys at boot.
  rm -f "$rootfs"/etc/ssh/ssh_host_*
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
         "$rootfs"/usr/share/locale/* \
         "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
  find "$rootfs/var/log" -type f -exec truncate -s 0 {} +
  echo devflow-vps >"$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
  [ ! -e "$rootfs/usr/bin/systemctl" ] && [ ! -e "$rootfs/bin/systemctl" ] || die "systemd crept into the image"
  [ ! -e "$rootfs/usr/sbin/apache2" ] || die "apache2 crept into the image (wordpress took the wrong alternative)"
  log "php8.2-fpm, frameworks + cleanup done in $(since "$t")s ($(du -sh --one-file-system "$rootfs" | cut -f1))"

  t="$(now)"
  tar -C "$rootfs" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . \
    | "$DOCKER" import \
        -c 'LABEL devflow-lab=1' -c "LABEL devflow-lab.recipe=$BASE_RECIPE" \
        -c 'CMD ["/usr/sbin/sshd", "-D", "-e"]' \
        - "$BASE_IMAGE" >>"$BUILD_LOG"
  log "docker import $BASE_IMAGE done in $(since "$t")s"
}

if image_current "$BASE_IMAGE" "$BASE_RECIPE"; then
  log "base image $BASE_IMAGE is current; rebuilding only $IMAGE"
else
  build_base
fi

t="$(now)"
mkdir -p "$WORK/ctx"
printf '%s' "$ENTRYPOINT_SH" >"$WORK/ctx/entrypoint.sh"
printf '%s' "$DOCKERFILE" >"$WORK/ctx/Dockerfile"
DOCKER_BUILDKIT=0 "$DOCKER" build -q --label devflow-lab=1 --label "devflow-lab.recipe=$FINAL_RECIPE" \
  -t "$IMAGE" "$WORK/ctx" >>"$BUILD_LOG" 2>&1
log "docker build $IMAGE done in $(since "$t")s"
# Drop our own images that the rebuild left untagged.
"$DOCKER" image prune -f --filter label=devflow-lab=1 >/dev/null 2>&1 || true
image_current "$IMAGE" "$FINAL_RECIPE" || die "$IMAGE missing after build"
