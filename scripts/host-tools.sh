#!/usr/bin/env bash
# Installs the host tools that the test scripts and the tests themselves call, when
# missing (a new machine, or Debian's base image, may lack them): pgrep/ps (procps)
# for lab/docker.sh, curl and openssl for the service scripts, ssh and ssh-keygen
# (openssh-client) and git for the tests. Quiet and fast when all are there.
set -euo pipefail
declare -A package_of=(
  [pgrep]=procps [ps]=procps [curl]=curl [openssl]=openssl
  [ssh]=openssh-client [ssh-keygen]=openssh-client [git]=git
)
need=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || need+=("${package_of[$tool]}")
done
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "host-tools: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
