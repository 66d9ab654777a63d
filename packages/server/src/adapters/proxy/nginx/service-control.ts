import { phpFpmServiceName } from '../../../core/php-fpm/php-fpm-paths.js';
import { redactText, tail } from '../../ssh/ssh-errors.js';
import type { ExecOptions, ExecResult } from '../../ssh/ssh-executor.js';
import { ProxyError } from '../proxy-errors.js';

/** Runs one argv on the server being configured (the executor and target bound in). */
export type Run = (argv: readonly string[], opts?: Pick<ExecOptions, 'check' | 'stdin'>) => Promise<ExecResult>;

/** How services are managed on a host: systemd, SysV `service`, or neither (signals). */
export type ServiceManager = 'systemd' | 'service' | 'none';

/** A fixed script (no values in it): the same test core/server-facts uses, plus hosts with neither. */
const DETECT = 'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd; elif command -v service >/dev/null 2>&1; then echo service; else echo none; fi';

/** Asks the host which service manager it has. */
export async function detectServiceManager(run: Run): Promise<ServiceManager> {
  const out = (await run(['sh', '-c', DETECT])).stdout.trim();
  return out === 'systemd' || out === 'service' ? out : 'none';
}

/** The reload command of nginx under each manager. */
export function nginxReloadArgv(manager: ServiceManager): string[] {
  if (manager === 'systemd') return ['systemctl', 'reload', 'nginx'];
  if (manager === 'service') return ['service', 'nginx', 'reload'];
  return ['nginx', '-s', 'reload'];
}

/** The reload command of one PHP version's FPM (USR2: a graceful restart that keeps the sockets). */
export function phpFpmReloadArgv(manager: ServiceManager, version: string): string[] {
  const name = phpFpmServiceName(version);
  if (manager === 'systemd') return ['systemctl', 'reload', name];
  if (manager === 'service') return ['service', name, 'reload'];
  // A fixed script; the pid file path is its argument.
  return ['sh', '-c', 'kill -USR2 "$(cat "$1")"', 'devflow-reload', `/run/php/${name}.pid`];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The pid of the running nginx master, or null when there is none. */
export async function nginxMasterPid(run: Run): Promise<string | null> {
  const pid = (await run(['cat', '/run/nginx.pid'], { check: false })).stdout.trim();
  return /^\d+$/.test(pid) ? pid : null;
}

/**
 * Pids of the master's workers that accept connections. A worker told to quit
 * renames itself "worker process is shutting down" as it closes its listening
 * sockets, so it is no longer listed. Null when pgrep is missing.
 */
export async function nginxWorkers(run: Run, master: string): Promise<Set<string> | null> {
  const res = await run(['pgrep', '-P', master, '-f', '^nginx: worker process$'], { check: false });
  if (res.exitCode !== 0 && res.exitCode !== 1) return null;
  return new Set(res.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
}

/**
 * Waits until every accepting worker is a new one (a reload is asynchronous:
 * the command returns before the master has re-read the files). Resolves
 * false when no new worker came in time: the master refused the
 * configuration (e.g. a port it cannot bind) and still serves the old one.
 */
export async function waitForNginxReload(run: Run, master: string | null, before: Set<string> | null, timeoutMs: number): Promise<boolean> {
  if (!master || !before) return true;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await nginxWorkers(run, master);
    if (!now) return true;
    if (now.size > 0 && [...now].every((p) => !before.has(p))) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Waits until each socket exists (a new pool's socket appears once php-fpm has restarted). */
export async function waitForSockets(run: Run, sockets: readonly string[], timeoutMs: number, host: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const socket of sockets) {
    for (;;) {
      if ((await run(['test', '-S', socket], { check: false })).exitCode === 0) break;
      if (Date.now() > deadline) {
        throw new ProxyError('proxy.reload_failed', `php-fpm did not open ${socket} on ${host} within ${Math.round(timeoutMs / 1000)} s after the reload; see the php-fpm log.`, { meta: { socket } });
      }
      await sleep(50);
    }
  }
}

/** A reload command that failed: the files are in place and checked, but the old configuration still serves. */
export function reloadFailed(service: string, host: string, res: ExecResult, argv: readonly string[]): ProxyError {
  const stderrTail = tail(redactText(`${res.stderr}${res.stdout}`), 2000);
  return new ProxyError(
    'proxy.reload_failed',
    `Reloading ${service} on ${host} failed (exit ${res.exitCode ?? res.signal}); the new files are in place and valid but not live yet: ${stderrTail.trim().split('\n').pop() ?? ''}`,
    { meta: { service, argv, exitCode: res.exitCode, stderrTail } },
  );
}
