import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type ssh2Types from 'ssh2';
import { ssh2 } from './load-ssh2.js';
import { fingerprintOfBlob } from './key-material.js';
import { HostKeyMismatchError, SshError } from './ssh-errors.js';
import type { SshTarget } from './ssh-executor.js';

type ClientChannel = ssh2Types.ClientChannel;

/** What opening a connection needs from the executor's options. */
export interface ConnectionSettings {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  lookup: (host: string) => Promise<string>;
}

/** Network errors worth another connection attempt. */
export const TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** One SSH connection of the pool, shared by many channels. */
export class PooledConnection {
  readonly client: ssh2Types.Client;
  ready!: Promise<void>;
  hostKeyFingerprint: string | undefined;
  presentedFingerprint: string | undefined;
  closed = false;
  active = 0;
  lastUsed = Date.now();
  private readonly waiters: (() => void)[] = [];
  constructor(
    readonly signature: string,
    readonly target: SshTarget,
  ) {
    this.client = new (ssh2().Client)();
  }

  /** Waits for a free channel slot (bounded by `deadline` and `signal`). */
  async acquire(max: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    while (this.active >= max) {
      if (this.closed) throw lost(this.target);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          remove();
          reject(new SshError('ssh.command_timeout', `Timed out waiting for a free channel to ${this.target.host}.`));
        }, Math.max(0, deadline - Date.now()));
        const onAbort = () => {
          remove();
          reject(cancelled(this.target));
        };
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const remove = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(wake);
      });
    }
    this.active++;
    this.lastUsed = Date.now();
  }

  release(): void {
    this.active = Math.max(0, this.active - 1);
    this.lastUsed = Date.now();
    this.waiters.shift()?.();
  }

  end(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    this.client.end();
  }
}

export function lost(t: SshTarget): SshError {
  return new SshError('ssh.connection_lost', `The SSH connection to ${t.host}:${t.port} was lost.`);
}

export function cancelled(t: SshTarget): SshError {
  return new SshError('ssh.cancelled', `The command on ${t.host} was cancelled.`);
}

export function signatureOf(t: SshTarget): string {
  return createHash('sha256').update(`${t.host}\0${t.port}\0${t.user}\0${t.privateKey}`).digest('hex');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts a connection: resolves the name, connects, verifies the host key
 * against the pin before authenticating, and classifies every failure.
 * `onClose` runs when the connection ends (the pool forgets it).
 */
export function openConnection(target: SshTarget, signature: string, deadline: number, o: ConnectionSettings, onClose: (conn: PooledConnection) => void): PooledConnection {
  const conn = new PooledConnection(signature, target);
  conn.ready = (async () => {
    let address: string;
    try {
      address = isIP(target.host.replace(/^\[|\]$/g, '')) ? target.host.replace(/^\[|\]$/g, '') : await o.lookup(target.host);
    } catch (err) {
      throw new SshError('ssh.unknown_host', `The host name ${target.host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}).`, { cause: err });
    }
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const budget = Math.max(1000, Math.min(o.connectTimeoutMs, deadline - Date.now()));
      const timer = setTimeout(() => {
        conn.client.end();
        finish(new SshError('ssh.connect_timeout', `No SSH answer from ${target.host}:${target.port} within ${Math.round(budget / 1000)} s.`));
      }, budget);
      conn.client.on('ready', () => {
        // Small request/response packets: without this, Nagle + delayed ACK add ~40 ms per command.
        conn.client.setNoDelay(true);
        finish();
      });
      conn.client.on('error', (err: Error & { level?: string; code?: string }) => finish(classify(target, conn, err, budget)));
      conn.client.on('close', () => {
        conn.closed = true;
        onClose(conn);
        finish(conn.presentedFingerprint && target.hostKeyFingerprint && conn.presentedFingerprint !== target.hostKeyFingerprint
          ? new HostKeyMismatchError(target.host, target.hostKeyFingerprint, conn.presentedFingerprint)
          : lost(target));
      });
      try {
        conn.client.connect({
          host: address,
          port: target.port,
          username: target.user,
          privateKey: target.privateKey,
          readyTimeout: budget + 1000,
          keepaliveInterval: o.keepaliveIntervalMs,
          keepaliveCountMax: o.keepaliveCountMax,
          // Verified before authentication: with the wrong key nothing is sent, let alone run.
          hostVerifier: (key: Buffer) => {
            const fp = fingerprintOfBlob(key);
            conn.presentedFingerprint = fp;
            if (target.hostKeyFingerprint && fp !== target.hostKeyFingerprint) return false;
            conn.hostKeyFingerprint = fp;
            return true;
          },
        });
      } catch (err) {
        finish(new SshError('ssh.auth_failed', `Cannot use the SSH key for ${target.host}: ${(err as Error).message}.`, { cause: err }));
      }
    });
  })();
  conn.ready.catch(() => undefined);
  return conn;
}

function classify(target: SshTarget, conn: PooledConnection, err: Error & { level?: string; code?: string }, budget: number): SshError {
  const where = `${target.host}:${target.port}`;
  if (conn.presentedFingerprint && target.hostKeyFingerprint && conn.presentedFingerprint !== target.hostKeyFingerprint) {
    return new HostKeyMismatchError(target.host, target.hostKeyFingerprint, conn.presentedFingerprint);
  }
  if (err.level === 'client-authentication') {
    return new SshError('ssh.auth_failed', `${where} refused the SSH key for user ${target.user}. Add the key's public line to ~${target.user}/.ssh/authorized_keys.`, { cause: err });
  }
  if (err.level === 'client-timeout') {
    return new SshError('ssh.connect_timeout', `No SSH answer from ${where} within ${Math.round(budget / 1000)} s.`, { cause: err });
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new SshError('ssh.unknown_host', `The host name ${target.host} does not resolve.`, { cause: err });
  }
  if (err.code === 'ECONNREFUSED') {
    return new SshError('ssh.unreachable', `Nothing accepts connections on ${where} (connection refused). Check the port and that sshd runs.`, { cause: err, meta: { errno: err.code } });
  }
  if (err.code) {
    return new SshError('ssh.unreachable', `Cannot reach ${where}: ${err.code}.`, { cause: err, meta: { errno: err.code } });
  }
  return new SshError('ssh.unreachable', `SSH to ${where} failed: ${err.message}.`, { cause: err, meta: { errno: 'ECONNRESET' } });
}

/**
 * Opens an exec channel. sshd frees a session slot a moment after the
 * channel closes, so "open failed" (MaxSessions reached) is retried briefly.
 */
export async function openChannel(conn: PooledConnection, command: string, deadline = Date.now() + 5000): Promise<ClientChannel> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openChannelOnce(conn, command);
    } catch (err) {
      const busy = /open failed/i.test(String((err as SshError).cause instanceof Error ? ((err as SshError).cause as Error).message : ''));
      const delay = Math.min(200, 5 * 2 ** attempt);
      if (!busy || conn.closed || Date.now() + delay >= deadline) throw err;
      await sleep(delay);
    }
  }
}

function openChannelOnce(conn: PooledConnection, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    if (conn.closed) {
      reject(lost(conn.target));
      return;
    }
    try {
      conn.client.exec(command, (err, ch) => (err ? reject(new SshError('ssh.connection_lost', `Cannot open a channel to ${conn.target.host}: ${err.message}.`, { cause: err })) : resolve(ch)));
    } catch (err) {
      reject(new SshError('ssh.connection_lost', `Cannot open a channel to ${conn.target.host}: ${(err as Error).message}.`, { cause: err }));
    }
  });
}
