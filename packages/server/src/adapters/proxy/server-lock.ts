import type { SshExecutor, SshTarget } from '../ssh/ssh-executor.js';
import { ProxyError } from './proxy-errors.js';

/** Where the lock of web-server changes lives on a managed server (tmpfs, gone at reboot with every holder). */
export const PROXY_LOCK_PATH = '/run/lock/devflow-proxy.lock';

/** Printed by the holder once the lock is taken. */
const LOCKED = 'devflow-locked';
/** Printed by a waiter that gave up, followed by the lock file's content (the holder). */
const HELD_BY = 'devflow-held-by:';

/**
 * Holds `flock` on `$1` while DevFlow works on the server. Positional
 * parameters: `$1` lock file, `$2` seconds to wait, `$3` holder line,
 * `$4` seconds to hold at most. The holder line is written into the file so a
 * waiter that times out can name who holds it. While holding, a dot is
 * written every second: when the control plane's connection drops, sshd
 * closes the pipe, the write fails and the lock is released instead of
 * lingering until the hold limit.
 */
const LOCK_SCRIPT = [
  'f=$1; w=$2; who=$3; max=$4',
  'mkdir -p -- "${f%/*}" || exit 70',
  'exec 9>>"$f" || exit 70',
  'if ! flock -w "$w" 9; then',
  `  printf '${HELD_BY}'`,
  '  cat -- "$f"',
  '  exit 75',
  'fi',
  // Truncating rewrites the text only: the lock belongs to the inode, which stays.
  `printf '%s\\n' "$who" > "$f"`,
  `printf '${LOCKED}\\n' || exit 0`,
  'i=0',
  'while [ "$i" -lt "$max" ]; do',
  '  sleep 1 9>&-',
  "  printf . || exit 0",
  '  i=$((i + 1))',
  'done',
].join('\n');

export interface ServerLockOptions {
  /** Lock file on the server (default PROXY_LOCK_PATH). */
  path?: string;
  /** How long to wait for another holder (ms). */
  waitMs: number;
  /** Longest the lock is held: a stuck holder lets go after this (ms). */
  maxHoldMs: number;
  /** Who takes the lock and for what: one line, written into the lock file. */
  holder: string;
  /** Aborting while waiting gives up (the executor kills the remote waiter). */
  signal?: AbortSignal | undefined;
}

/** A lock held on a server; `release` lets the next waiter in. */
export interface ServerLock {
  release(): Promise<void>;
}

/** One line, printable, bounded: what goes into the lock file. */
export function holderLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 500);
}

/**
 * Takes an exclusive `flock` on a file of the server itself, so every DevFlow
 * process (serve, any number of workers, on any host) that changes the
 * server's web configuration goes one at a time. Resolves once held; rejects
 * with `proxy.locked` naming the holder after `waitMs`.
 */
export async function acquireServerLock(ssh: SshExecutor, target: SshTarget, o: ServerLockOptions): Promise<ServerLock> {
  const path = o.path ?? PROXY_LOCK_PATH;
  const waitS = Math.max(1, Math.ceil(o.waitMs / 1000));
  const holdS = Math.max(1, Math.ceil(o.maxHoldMs / 1000));
  const hold = new AbortController();
  const onCallerAbort = () => hold.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onCallerAbort, { once: true });

  let out = '';
  let onLocked!: () => void;
  const locked = new Promise<void>((resolve) => (onLocked = resolve));
  const holding = ssh.exec(target, ['sh', '-c', LOCK_SCRIPT, 'devflow-lock', path, String(waitS), holderLine(o.holder), String(holdS)], {
    // Past the wait and the hold, the executor kills it: the lock can never outlive both.
    timeoutMs: (waitS + holdS + 30) * 1000,
    check: false,
    signal: hold.signal,
    onStdout(chunk) {
      if (out.length < 4096) out += chunk;
      if (out.includes(`${LOCKED}\n`)) onLocked();
    },
  });
  // Whatever happens to the holding command later (release, timeout) is handled by `release`.
  holding.catch(() => undefined);

  const outcome = await Promise.race([locked.then(() => 'locked' as const), holding.then((r) => r, (err: unknown) => err as Error)]);
  o.signal?.removeEventListener('abort', onCallerAbort);
  if (outcome === 'locked') {
    let released: Promise<void> | undefined;
    return {
      release() {
        released ??= (async () => {
          hold.abort();
          await holding.catch(() => undefined);
        })();
        return released;
      },
    };
  }
  if (outcome instanceof Error) throw outcome;
  if (outcome.exitCode === 75) {
    const holder = holderLine(outcome.stdout.slice(outcome.stdout.indexOf(HELD_BY) + HELD_BY.length)) || 'unknown (the lock file is empty)';
    throw new ProxyError(
      'proxy.locked',
      `Another change to the web server on ${target.host} held ${path} for more than ${waitS} s; it is held by: ${holder}`,
      { meta: { path, holder, waitedMs: waitS * 1000 } },
    );
  }
  throw new ProxyError('proxy.apply_failed', `Cannot take ${path} on ${target.host} (exit ${outcome.exitCode}): ${outcome.stderr.trim().slice(-500)}`, {
    meta: { path, exitCode: outcome.exitCode },
  });
}
