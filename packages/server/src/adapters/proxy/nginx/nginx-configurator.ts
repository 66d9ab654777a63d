import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { managedConfigOf } from '../../../core/nginx/nginx-paths.js';
import { phpFpmBinary, phpFpmServiceName } from '../../../core/php-fpm/php-fpm-paths.js';
import { redactText, tail } from '../../ssh/ssh-errors.js';
import type { ExecResult, SshExecutor, SshTarget } from '../../ssh/ssh-executor.js';
import { KeyedMutex } from '../keyed-mutex.js';
import type { ApplyResult, ConfigFile, ProxyConfigurator, ProxyOptions, ReloadRequest } from '../proxy-configurator.js';
import { ConfigRejectedError, ProxyError } from '../proxy-errors.js';
import { acquireServerLock, PROXY_LOCK_PATH } from '../server-lock.js';
import {
  detectServiceManager,
  nginxMasterPid,
  nginxReloadArgv,
  nginxWorkers,
  phpFpmReloadArgv,
  reloadFailed,
  waitForNginxReload,
  waitForSockets,
  type Run,
} from './service-control.js';

export interface NginxConfiguratorOptions {
  /** Time limit of each remote command when the caller gives none (default 30 s). */
  commandTimeoutMs?: number;
  /** How long a reload may take to show (new nginx workers, new php-fpm sockets); default 10 s. */
  settleTimeoutMs?: number;
  /** How long an operation waits for the server's lock held by another process (default 120 s). */
  lockWaitMs?: number;
  /** Longest one operation holds the server's lock before it lets go (default 15 min). */
  lockMaxHoldMs?: number;
  /** The lock file on each server (default /run/lock/devflow-proxy.lock). */
  lockPath?: string;
  /** Who this process is, written into the lock (default `<hostname> pid <pid>`). */
  processName?: string;
}

/** Services touched by a set of paths. */
interface Services {
  nginx: boolean;
  phpVersions: string[];
}

/** One file moved into place, and how to take it back. */
interface Swap {
  path: string;
  hadPrevious: boolean;
}

/**
 * Where the previous version of a file waits while the new one is checked,
 * and stays afterwards for a manual rollback. A dotfile: nginx's
 * `include sites-enabled/*` and every `*.conf` glob skip it.
 */
export function lastGoodPath(path: string): string {
  const cut = path.lastIndexOf('/');
  return `${path.slice(0, cut)}/.${path.slice(cut + 1)}.devflow-last-good`;
}

/** The upload name next to the destination (same file system, so `mv -T` is an atomic rename). */
export function stagingPath(path: string, token: string): string {
  const cut = path.lastIndexOf('/');
  return `${path.slice(0, cut)}/.${path.slice(cut + 1)}.devflow-tmp-${token}`;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function servicesOf(paths: readonly string[]): Services {
  const versions = new Set<string>();
  let nginx = false;
  for (const p of paths) {
    const kind = managedConfigOf(p);
    if (kind?.service === 'nginx') nginx = true;
    else if (kind?.service === 'php-fpm') versions.add(kind.phpVersion);
  }
  return { nginx, phpVersions: [...versions].sort() };
}

function checkPaths(paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const p of paths) {
    if (!managedConfigOf(p)) {
      throw new ProxyError(
        'proxy.unmanaged_path',
        `DevFlow only writes devflow-*.conf files in /etc/nginx/sites-enabled, /etc/nginx/conf.d and /etc/php/<version>/fpm/pool.d, not ${JSON.stringify(p)}.`,
        { meta: { path: p } },
      );
    }
    if (seen.has(p)) throw new ProxyError('proxy.unmanaged_path', `${p} is given twice.`, { meta: { path: p } });
    seen.add(p);
  }
}

/** The socket a pool file listens on, when it is a Unix socket. */
function poolSocket(content: string): string | null {
  return /^listen\s*=\s*(\/\S+)\s*$/m.exec(content)?.[1] ?? null;
}

/**
 * ProxyConfigurator for nginx + PHP-FPM on Debian/Ubuntu over an SshExecutor.
 * Each file is uploaded next to its destination, the current one is copied
 * aside as a last-good dotfile, the new one renamed into place (`mv -T`), then
 * `nginx -t` / `php-fpm<ver> -t` run; a failure puts every previous file back
 * so a broken config never goes live. Operations on one server are serialized:
 * in this process by a mutex, across processes and hosts by `flock` on a file
 * of the server itself, which names its holder for anyone left waiting.
 * Every command is an argv array; no value is ever part of shell text.
 */
export class NginxConfigurator implements ProxyConfigurator {
  private readonly locks = new KeyedMutex();
  private readonly commandTimeoutMs: number;
  private readonly settleTimeoutMs: number;
  private readonly lock: { waitMs: number; maxHoldMs: number; path: string; processName: string };

  constructor(
    private readonly ssh: SshExecutor,
    opts: NginxConfiguratorOptions = {},
  ) {
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
    this.settleTimeoutMs = opts.settleTimeoutMs ?? 10_000;
    this.lock = {
      waitMs: opts.lockWaitMs ?? 120_000,
      maxHoldMs: opts.lockMaxHoldMs ?? 15 * 60_000,
      path: opts.lockPath ?? PROXY_LOCK_PATH,
      processName: opts.processName ?? `${hostname()} pid ${process.pid}`,
    };
  }

  /**
   * Runs `fn` holding this process's mutex for the server (so one process sends
   * one waiter at a time), then the server's own lock (so other processes wait).
   */
  private serialized<T>(target: SshTarget, what: string, opts: ProxyOptions, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(
      target.id,
      async () => {
        const held = await acquireServerLock(this.ssh, target, {
          path: this.lock.path,
          waitMs: this.lock.waitMs,
          maxHoldMs: this.lock.maxHoldMs,
          holder: `${this.lock.processName}${opts.reason ? ` for ${opts.reason}` : ''}: ${what} since ${new Date().toISOString()}`,
          signal: opts.signal,
        });
        try {
          return await fn();
        } finally {
          await held.release();
        }
      },
      opts.signal,
    );
  }

  async apply(target: SshTarget, files: readonly ConfigFile[], opts: ProxyOptions = {}): Promise<ApplyResult> {
    checkPaths(files.map((f) => f.path));
    for (const f of files) {
      if (typeof f.content !== 'string' || f.content.includes('\0')) {
        throw new ProxyError('proxy.apply_failed', `The content of ${f.path} must be text without NUL bytes.`, { meta: { path: f.path } });
      }
    }
    if (files.length === 0) return { changed: [], unchanged: [], reloaded: [] };
    return this.serialized(target, `apply ${files.map((f) => f.path).join(' ')}`, opts, () => this.applyLocked(target, files, opts));
  }

  async remove(target: SshTarget, paths: readonly string[], opts: ProxyOptions = {}): Promise<ApplyResult> {
    checkPaths(paths);
    if (paths.length === 0) return { changed: [], unchanged: [], reloaded: [] };
    return this.serialized(target, `remove ${paths.join(' ')}`, opts, () => this.removeLocked(target, paths, opts));
  }

  async reload(target: SshTarget, what: ReloadRequest, opts: ProxyOptions = {}): Promise<string[]> {
    const services: Services = { nginx: !!what.nginx, phpVersions: [...new Set(what.phpFpmVersions ?? [])].sort() };
    services.phpVersions.forEach((v) => phpFpmServiceName(v)); // validates each version
    const names = [...(services.nginx ? ['nginx'] : []), ...services.phpVersions.map(phpFpmServiceName)];
    return this.serialized(target, `reload ${names.join(' ')}`, opts, async () => (await this.reloadServices(target, this.runner(target, opts), services, [])).reloaded);
  }

  /** `run` with the caller's signal (for forward steps) and without it (for restores, which must finish). */
  private runner(target: SshTarget, opts: ProxyOptions, cancellable = true): Run {
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    return (argv, o = {}) =>
      this.ssh.exec(target, argv, {
        timeoutMs,
        check: o.check ?? true,
        // Messages parsed below (`No such file or directory`) are in English whatever the server's locale.
        env: { LC_ALL: 'C' },
        ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
        ...(cancellable && opts.signal ? { signal: opts.signal } : {}),
      });
  }

  private async applyLocked(target: SshTarget, files: readonly ConfigFile[], opts: ProxyOptions): Promise<ApplyResult> {
    const run = this.runner(target, opts);
    const current = await this.hashes(target, run, files.map((f) => f.path));
    const changed = files.filter((f) => current.get(f.path) !== sha256(f.content));
    const unchanged = files.filter((f) => !changed.includes(f)).map((f) => f.path);
    if (changed.length === 0) return { changed: [], unchanged, reloaded: [] };

    const token = randomBytes(6).toString('hex');
    const staged: string[] = [];
    const swaps: Swap[] = [];
    try {
      for (const f of changed) {
        const tmp = stagingPath(f.path, token);
        staged.push(tmp);
        // Through exec rather than SFTP, so a sudo user can write where only root may.
        await run(['install', '-m', '0644', '-T', '/dev/stdin', tmp], { stdin: f.content }).catch((err: unknown) => {
          throw new ProxyError('proxy.apply_failed', `Cannot write ${f.path} on ${target.host}: ${(err as Error).message}`, { cause: err, meta: { path: f.path } });
        });
      }
      // Uploads happen first, so the swap below is quick and never waits on the network for file content.
      for (const f of changed) {
        const hadPrevious = current.get(f.path) !== null;
        // A copy, not a move: the destination never disappears, even for a moment.
        if (hadPrevious) await run(['cp', '-a', '-T', '--', f.path, lastGoodPath(f.path)]);
        await run(['mv', '-f', '-T', '--', stagingPath(f.path, token), f.path]);
        swaps.push({ path: f.path, hadPrevious });
      }
      await this.check(target, run, servicesOf(changed.map((f) => f.path)), changed.map((f) => f.path));
    } catch (err) {
      await this.restore(target, opts, swaps, staged, err);
      throw asProxyError(err, target, 'apply');
    }
    const sockets = changed.filter((f) => managedConfigOf(f.path)?.service === 'php-fpm').map((f) => poolSocket(f.content)).filter((s): s is string => !!s);
    const { reloaded, nginxRefused } = await this.reloadServices(target, run, servicesOf(changed.map((f) => f.path)), sockets);
    if (nginxRefused) {
      // PHP-FPM already runs the new pools: only nginx's files go back, to match what nginx serves.
      await this.restore(target, opts, swaps.filter((s) => managedConfigOf(s.path)?.service === 'nginx'), [], nginxRefused);
      throw nginxRefused;
    }
    return { changed: changed.map((f) => f.path), unchanged, reloaded };
  }

  private async removeLocked(target: SshTarget, paths: readonly string[], opts: ProxyOptions): Promise<ApplyResult> {
    const run = this.runner(target, opts);
    const current = await this.hashes(target, run, paths);
    const present = paths.filter((p) => current.get(p) !== null);
    const unchanged = paths.filter((p) => current.get(p) === null);
    if (present.length === 0) return { changed: [], unchanged, reloaded: [] };
    const moved: string[] = [];
    try {
      for (const p of present) {
        await run(['mv', '-f', '-T', '--', p, lastGoodPath(p)]);
        moved.push(p);
      }
      await this.check(target, run, servicesOf(present), present);
    } catch (err) {
      await this.putBack(target, opts, moved, err);
      throw asProxyError(err, target, 'remove');
    }
    const { reloaded, nginxRefused } = await this.reloadServices(target, run, servicesOf(present), []);
    if (nginxRefused) {
      await this.putBack(target, opts, moved.filter((p) => managedConfigOf(p)?.service === 'nginx'), nginxRefused);
      throw nginxRefused;
    }
    return { changed: present, unchanged, reloaded };
  }

  /** sha256 of each path's current content, or null when it does not exist. */
  private async hashes(target: SshTarget, run: Run, paths: readonly string[]): Promise<Map<string, string | null>> {
    const res = await run(['sha256sum', '--', ...paths], { check: false });
    const out = new Map<string, string | null>();
    for (const line of res.stdout.split('\n')) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (m && paths.includes(m[2] as string)) out.set(m[2] as string, m[1] as string);
    }
    for (const p of paths) {
      if (out.has(p)) continue;
      if (!res.stderr.includes(`${p}: No such file or directory`)) {
        throw new ProxyError('proxy.apply_failed', `Cannot read ${p} on ${target.host}: ${tail(redactText(res.stderr), 500).trim()}`, { meta: { path: p } });
      }
      out.set(p, null);
    }
    return out;
  }

  /** Runs each affected checker; the first refusal throws ConfigRejectedError. */
  private async check(target: SshTarget, run: Run, services: Services, paths: readonly string[]): Promise<void> {
    const checks: [string, string[]][] = [
      ...services.phpVersions.map((v): [string, string[]] => [phpFpmBinary(v), [phpFpmBinary(v), '-t']]),
      ...(services.nginx ? [['nginx', ['nginx', '-t']] as [string, string[]]] : []),
    ];
    for (const [name, argv] of checks) {
      const res = await run(argv, { check: false });
      if (res.exitCode !== 0) throw new ConfigRejectedError(name, tail(redactText(res.stderr || res.stdout), 2000), paths, target.host);
    }
  }

  /** Takes back swapped files (newest first) and deletes staged uploads; never uses the caller's signal. */
  private async restore(target: SshTarget, opts: ProxyOptions, swaps: readonly Swap[], staged: readonly string[], why: unknown): Promise<void> {
    const run = this.runner(target, opts, false);
    const failed: string[] = [];
    for (const s of [...swaps].reverse()) {
      const argv = s.hadPrevious ? ['mv', '-f', '-T', '--', lastGoodPath(s.path), s.path] : ['rm', '-f', '--', s.path];
      await run(argv).catch(() => failed.push(s.path));
    }
    if (staged.length) await run(['rm', '-f', '--', ...staged], { check: false }).catch(() => undefined);
    if (failed.length) throw restoreFailed(target, failed, why);
  }

  /** Moves removed files back from their last-good copies. */
  private async putBack(target: SshTarget, opts: ProxyOptions, moved: readonly string[], why: unknown): Promise<void> {
    const run = this.runner(target, opts, false);
    const failed: string[] = [];
    for (const p of [...moved].reverse()) await run(['mv', '-f', '-T', '--', lastGoodPath(p), p]).catch(() => failed.push(p));
    if (failed.length) throw restoreFailed(target, failed, why);
  }

  /**
   * Reloads PHP-FPM first (so a new pool's socket exists before nginx sends
   * to it), waits for the given sockets, then reloads nginx and waits for its
   * new workers. `nginxRefused` is set when nginx kept its old configuration.
   */
  private async reloadServices(
    target: SshTarget,
    run: Run,
    services: Services,
    sockets: readonly string[],
  ): Promise<{ reloaded: string[]; nginxRefused?: ProxyError }> {
    const reloaded: string[] = [];
    if (!services.nginx && services.phpVersions.length === 0) return { reloaded };
    const manager = await detectServiceManager(run);
    for (const v of services.phpVersions) {
      const argv = phpFpmReloadArgv(manager, v);
      const res = await run(argv, { check: false });
      if (res.exitCode !== 0) throw reloadFailed(phpFpmServiceName(v), target.host, res, argv);
      reloaded.push(phpFpmServiceName(v));
    }
    await waitForSockets(run, sockets, this.settleTimeoutMs, target.host);
    if (services.nginx) {
      const master = await nginxMasterPid(run);
      const before = master ? await nginxWorkers(run, master) : null;
      const argv = nginxReloadArgv(manager);
      const res: ExecResult = await run(argv, { check: false });
      if (res.exitCode !== 0) throw reloadFailed('nginx', target.host, res, argv);
      if (!(await waitForNginxReload(run, master, before, this.settleTimeoutMs))) {
        const log = await run(['tail', '-n', '20', '/var/log/nginx/error.log'], { check: false }).catch(() => undefined);
        const stderrTail = tail(redactText(log?.stdout ?? ''), 2000);
        // The cause, not nginx's closing "still could not bind()" summary.
        const fatal = stderrTail.split('\n').filter((l) => /\[(?:emerg|alert|crit)\]/.test(l));
        const emerg = fatal.filter((l) => !/still could not/.test(l)).pop() ?? fatal.pop() ?? '';
        return {
          reloaded,
          nginxRefused: new ProxyError(
            'proxy.reload_failed',
            `nginx on ${target.host} passed its check but kept the old configuration when reloading; the previous nginx files are back${emerg ? `: ${emerg.slice(0, 300)}` : ' (see /var/log/nginx/error.log).'}`,
            { meta: { service: 'nginx', stderrTail } },
          ),
        };
      }
      reloaded.push('nginx');
    }
    return { reloaded };
  }
}

function restoreFailed(target: SshTarget, paths: readonly string[], why: unknown): ProxyError {
  return new ProxyError(
    'proxy.restore_failed',
    `Could not put back ${paths.join(', ')} on ${target.host} after a failed change; the last good copies are the .devflow-last-good files next to them. Nothing was reloaded.`,
    { cause: why, meta: { paths } },
  );
}

function asProxyError(err: unknown, target: SshTarget, what: string): unknown {
  if (err instanceof ProxyError) return err;
  return new ProxyError('proxy.apply_failed', `The ${what} on ${target.host} failed and was undone: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
