import { SECTION_MARK } from '../../core/server-facts.js';

/**
 * Fixed POSIX sh scripts run as `sh -c SCRIPT` (no user value is ever part of
 * them). Their output is split into `@@devflow:<name>` sections and parsed by
 * the pure functions of core/server-facts.ts.
 */

const section = `s() { printf '\\n${SECTION_MARK}%s\\n' "$1"; }`;

/** One command that reports OS, kernel, CPUs, memory, disk, service manager and tool versions. */
export const FACTS_SCRIPT = [
  'LC_ALL=C; export LC_ALL',
  section,
  's os; cat /etc/os-release 2>/dev/null',
  's kernel; uname -r',
  's arch; uname -m',
  's cpus; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN',
  's meminfo; cat /proc/meminfo',
  's df; df -B1 -P / 2>/dev/null',
  's service-manager; if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd; else echo service; fi',
  // name, then the command printing its version
  'v() { n=$1; shift; if command -v "$1" >/dev/null 2>&1; then s "tool:$n"; "$@" 2>&1 | head -n 3; fi; }',
  'v docker docker --version',
  'v nginx nginx -v',
  'v git git --version',
  'v restic restic version',
  'v curl curl --version',
  'v rsync rsync --version',
  'if command -v composer >/dev/null 2>&1; then s tool:composer; COMPOSER_ALLOW_SUPERUSER=1 composer --version --no-ansi --no-interaction 2>/dev/null | head -n 1; fi',
  'for p in /usr/bin/php[0-9]*; do [ -x "$p" ] && { s tool:php; "$p" -v 2>/dev/null | head -n 1; }; done',
  'for p in /usr/sbin/php-fpm[0-9]*; do [ -x "$p" ] && { s tool:php-fpm; "$p" -v 2>/dev/null | head -n 1; }; done',
  'exit 0',
].join('\n');

/** One command reading /proc/stat, /proc/meminfo, /proc/loadavg, /proc/net/dev and `df -B1 /`. */
export const METRICS_SCRIPT = [
  'LC_ALL=C; export LC_ALL',
  section,
  's stat; head -n 1 /proc/stat',
  's meminfo; cat /proc/meminfo',
  's loadavg; cat /proc/loadavg',
  's netdev; cat /proc/net/dev',
  's df; df -B1 -P /',
  'exit 0',
].join('\n');

/** The argv that runs a fixed script. */
export function scriptArgv(script: string): string[] {
  return ['sh', '-c', script];
}
