#!/usr/bin/env bash
# Bring the test lab up: Docker engine, then the VPS image. Idempotent; on a warm
# machine (dockerd running, image built) it takes well under a second.
# Timings go to stderr. Tests call this through packages/server/test/support/lab.ts.
set -euo pipefail
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

t0="$(now)"
t="$t0"; "$LAB/docker.sh";     printf '[lab] docker.sh     %6ss\n' "$(since "$t")" >&2
t="$(now)"; "$LAB/vps-image.sh"; printf '[lab] vps-image.sh  %6ss\n' "$(since "$t")" >&2
printf '[lab] up            %6ss\n' "$(since "$t0")" >&2
