import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ssh2 from 'ssh2';
import { fingerprintOfBlob } from './key-material.js';
import { buildKillCommand, buildRemoteCommand, encodeEnv, takePid } from './remote-command.js';
import {
  CommandFailedError,
  HostKeyMismatchError,
  redactText,
  SshError,
  tail,
} from './ssh-errors.js';
import type { ConnectOptions, ExecOptions, ExecResult, SshExecutor, SshTarget, TransferOptions } from './ssh-executor.js';

type Client = ssh2.Client;
type ClientChannel = ssh2.ClientChannel;

export interface Ssh2ExecutorOptions {
  /** Limit of TCP connect + handshake + authentication (default 10 s). */
  connectTimeoutMs?: number;
  /** Keepalive probe interval on idle connections (default 15 s). */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as dead (default 3). */
  keepaliveCountMax?: number;
  /** Channels open at once per connection; OpenSSH allows 10 sessions (MaxSessions), one is kept for kills (default 8). */
  maxChannels?: number;
  /** Time limit of a command without its own (default 60 s). */
  defaultTimeoutMs?: number;
  /** Connections unused this long are closed (default 5 min). */
  idleCloseMs?: number;
  /** Extra connection attempts after a transient network failure, with backoff (default 2). */
  connectRetries?: number;
  /** First retry delay; doubles per attempt (default 250 ms). */
  retryBaseMs?: number;
  /** Name resolution (default: the system resolver). */
  lookup?: (host: string) => Promise<string>;
  /** Largest stdout/stderr kept per command; older output is dropped (default 8 MiB). */
  maxOutputBytes?: number;
}

const TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** One SSH connection of the pool, shared by many channels. */
class PooledConnection {
  readonly client: Client;
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
    this.client = new ssh2.Client();
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

function lost(t: SshTarget): SshError {
  return new SshError('ssh.connection_lost', `The SSH connection to ${t.host}:${t.port} was lost.`);
}

function cancelled(t: SshTarget): SshError {
  return new SshError('ssh.cancelled', `The command on ${t.host} was cancelled.`);
}

function signatureOf(t: SshTarget): string {
  return createHash('sha256').update(`${t.host}\0${t.port}\0${t.user}\0${t.privateKey}`).digest('hex');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * SshExecutor over ssh2: one pooled connection per server carrying many
 * channels, keepalive, reconnect with backoff, host keys verified against the
 * pinned fingerprint before authentication, and every command time-limited
 * and cancellable — cancelling kills the remote process tree.
 */
export class Ssh2Executor implements SshExecutor {
  private readonly pool = new Map<string, PooledConnection>();
  private readonly failures = new Map<string, { count: number; until: number }>();
  private readonly o: Required<Omit<Ssh2ExecutorOptions, 'lookup'>> & { lookup: (host: string) => Promise<string> };
  private readonly sweeper: NodeJS.Timeout;

  constructor(opts: Ssh2ExecutorOptions = {}) {
    this.o = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
      maxChannels: opts.maxChannels ?? 8,
      defaultTimeoutMs: opts.defaultTimeoutMs ?? 60_000,
      idleCloseMs: opts.idleCloseMs ?? 5 * 60_000,
      connectRetries: opts.connectRetries ?? 2,
      retryBaseMs: opts.retryBaseMs ?? 250,
      maxOutputBytes: opts.maxOutputBytes ?? 8 * 1024 * 1024,
      lookup: opts.lookup ?? (async (host) => (await dnsLookup(host)).address),
    };
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, this.o.idleCloseMs)).unref();
  }

  /** Number of open pooled connections (for metrics and benchmarks). */
  get connections(): number {
    return [...this.pool.values()].filter((c) => !c.closed).length;
  }

  async connect(target: SshTarget, opts: ConnectOptions = {}): Promise<{ hostKeyFingerprint: string }> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.o.connectTimeoutMs + 5_000);
    if (opts.fresh) await this.disconnect(target.id);
    const conn = await this.connection(target, deadline, opts.signal, !!opts.fresh);
    return { hostKeyFingerprint: conn.hostKeyFingerprint as string };
  }

  async exec(target: SshTarget, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
      throw new SshError('ssh.invalid_command', 'A remote command must be a non-empty array of strings.');
    }
    const env = encodeEnv(opts.env);
    const sudo = opts.sudo ?? target.user !== 'root';
    let command: string;
    try {
      command = buildRemoteCommand(argv, { sudo, envCount: env.count, cwd: opts.cwd });
    } catch (err) {
      throw new SshError('ssh.invalid_command', (err as Error).message, { cause: err });
    }
    const secrets = [...(opts.secrets ?? []), ...Object.values(opts.env ?? {})];
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    if (opts.signal?.aborted) throw cancelled(target);
    const conn = await this.connection(target, deadline, opts.signal, false);
    await conn.acquire(this.o.maxChannels, deadline, opts.signal);
    try {
      const result = await this.run(conn, command, argv, {
        ...opts,
        stdinPrefix: env.payload,
        secrets,
        sudo,
        deadline,
        timeoutMs,
      });
      if ((opts.check ?? true) && result.exitCode !== 0) {
        if (sudo && result.exitCode === 1 && /^sudo: /m.test(result.stderr) && !result.sawPid) {
          throw new SshError('ssh.sudo_failed', `sudo -n refused to run the command as root on ${target.host}: ${result.stderr.trim().split('\n').pop() ?? ''}. Give ${target.user} passwordless sudo.`, {
            meta: { argv: argv.map((a) => redactText(a, secrets)), stderrTail: tail(redactText(result.stderr, secrets)) },
          });
        }
        throw new CommandFailedError(
          argv.map((a) => redactText(a, secrets)),
          result.exitCode,
          result.signal,
          tail(redactText(result.stderr, secrets)),
          target.host,
        );
      }
      return { exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs };
    } finally {
      conn.release();
    }
  }

  async upload(target: SshTarget, remotePath: string, data: string | Buffer, opts: TransferOptions = {}): Promise<void> {
    await this.withSftp(target, opts, 'upload', remotePath, (sftp, done) => {
      const stream = sftp.createWriteStream(remotePath, { mode: opts.mode ?? 0o644 });
      stream.on('error', done);
      stream.on('close', () => done());
      stream.end(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    });
  }

  async download(target: SshTarget, remotePath: string, opts: TransferOptions = {}): Promise<Buffer> {
    const max = opts.maxBytes ?? 64 * 1024 * 1024;
    let out = Buffer.alloc(0);
    await this.withSftp(target, opts, 'download', remotePath, (sftp, done) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const stream = sftp.createReadStream(remotePath);
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) {
          stream.destroy();
          done(new Error(`larger than ${max} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on('error', done);
      stream.on('end', () => {
        out = Buffer.concat(chunks);
        done();
      });
    });
    return out;
  }

  async disconnect(targetId: string): Promise<void> {
    const conn = this.pool.get(targetId);
    this.pool.delete(targetId);
    this.failures.delete(targetId);
    conn?.end();
  }

  async close(): Promise<void> {
    for (const id of [...this.pool.keys()]) await this.disconnect(id);
  }

  /** Stops the idle sweeper too; call when the process shuts down. */
  async destroy(): Promise<void> {
    clearInterval(this.sweeper);
    await this.close();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, c] of this.pool) {
      if (c.closed || (c.active === 0 && now - c.lastUsed > this.o.idleCloseMs)) {
        this.pool.delete(id);
        c.end();
      }
    }
  }

  /** The pooled connection of a target, (re)connecting with backoff when needed. */
  private async connection(target: SshTarget, deadline: number, signal: AbortSignal | undefined, fresh: boolean): Promise<PooledConnection> {
    const signature = signatureOf(target);
    const existing = this.pool.get(target.id);
    if (existing && !existing.closed && existing.signature === signature) {
      await existing.ready;
      // A connection trusted a key before it was pinned: reuse it only if the pin matches what it saw.
      if (!target.hostKeyFingerprint || existing.hostKeyFingerprint === target.hostKeyFingerprint) return existing;
    }
    if (existing) {
      this.pool.delete(target.id);
      existing.end();
    }
    let attempt = 0;
    for (;;) {
      if (signal?.aborted) throw cancelled(target);
      const backoff = this.failures.get(target.id);
      if (!fresh && backoff && backoff.until > Date.now()) {
        const wait = backoff.until - Date.now();
        if (Date.now() + wait >= deadline) {
          throw new SshError('ssh.unreachable', `${target.host}:${target.port} failed ${backoff.count} times in a row; retrying in ${Math.ceil(wait / 1000)} s.`);
        }
        await sleep(wait);
      }
      const conn = this.open(target, signature, deadline);
      this.pool.set(target.id, conn);
      try {
        await conn.ready;
        this.failures.delete(target.id);
        return conn;
      } catch (err) {
        if (this.pool.get(target.id) === conn) this.pool.delete(target.id);
        conn.end();
        const transient = err instanceof SshError && err.code === 'ssh.unreachable' && TRANSIENT.has(String(err.meta.errno ?? ''));
        const prev = this.failures.get(target.id)?.count ?? 0;
        const delay = Math.min(30_000, this.o.retryBaseMs * 2 ** prev);
        this.failures.set(target.id, { count: prev + 1, until: Date.now() + delay });
        attempt++;
        if (!transient || attempt > this.o.connectRetries || Date.now() + delay >= deadline) throw err;
        fresh = false;
      }
    }
  }

  private open(target: SshTarget, signature: string, deadline: number): PooledConnection {
    const conn = new PooledConnection(signature, target);
    conn.ready = (async () => {
      let address: string;
      try {
        address = isIP(target.host.replace(/^\[|\]$/g, '')) ? target.host.replace(/^\[|\]$/g, '') : await this.o.lookup(target.host);
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
        const budget = Math.max(1000, Math.min(this.o.connectTimeoutMs, deadline - Date.now()));
        const timer = setTimeout(() => {
          conn.client.end();
          finish(new SshError('ssh.connect_timeout', `No SSH answer from ${target.host}:${target.port} within ${Math.round(budget / 1000)} s.`));
        }, budget);
        conn.client.on('ready', () => finish());
        conn.client.on('error', (err: Error & { level?: string; code?: string }) => finish(this.classify(target, conn, err, budget)));
        conn.client.on('close', () => {
          conn.closed = true;
          if (this.pool.get(target.id) === conn) this.pool.delete(target.id);
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
            keepaliveInterval: this.o.keepaliveIntervalMs,
            keepaliveCountMax: this.o.keepaliveCountMax,
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

  private classify(target: SshTarget, conn: PooledConnection, err: Error & { level?: string; code?: string }, budget: number): SshError {
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
  private async openChannel(conn: PooledConnection, command: string, deadline = Date.now() + 5000): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.openChannelOnce(conn, command);
      } catch (err) {
        const busy = /open failed/i.test(String((err as SshError).cause instanceof Error ? ((err as SshError).cause as Error).message : ''));
        const delay = Math.min(200, 5 * 2 ** attempt);
        if (!busy || conn.closed || Date.now() + delay >= deadline) throw err;
        await sleep(delay);
      }
    }
  }

  private openChannelOnce(conn: PooledConnection, command: string): Promise<ClientChannel> {
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

  private async run(
    conn: PooledConnection,
    command: string,
    argv: readonly string[],
    o: ExecOptions & { stdinPrefix: Buffer; secrets: string[]; sudo: boolean; deadline: number; timeoutMs: number },
  ): Promise<ExecResult & { sawPid: boolean }> {
    const started = Date.now();
    const ch = await this.openChannel(conn, command, o.deadline);
    const target = conn.target;
    return new Promise((resolve, reject) => {
      const out = new OutputBuffer(this.o.maxOutputBytes);
      const err = new OutputBuffer(this.o.maxOutputBytes);
      let head = '';
      let headDone = false;
      let pid: number | undefined;
      let pidWaiters: (() => void)[] = [];
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let stopping: SshError | undefined;
      let settled = false;
      const mask = (s: string) => (o.secrets.length ? redactText(s, o.secrets) : s);

      const onStderrText = (text: string) => {
        err.push(text);
        if (text) o.onStderr?.(mask(text));
      };
      ch.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        out.push(text);
        o.onStdout?.(mask(text));
      });
      ch.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (headDone) return onStderrText(text);
        head += text;
        const r = takePid(head);
        if (!r.complete) return;
        headDone = true;
        pid = r.pid;
        for (const w of pidWaiters) w();
        pidWaiters = [];
        onStderrText(r.rest);
      });
      ch.on('exit', (code: number | null, signalName?: string) => {
        exitCode = typeof code === 'number' ? code : null;
        exitSignal = signalName ?? null;
      });
      ch.on('close', (code?: number | null, signalName?: string) => {
        cleanup();
        // A fast command's exit-status can arrive in the same TCP read as the channel confirmation, before
        // the 'exit' listener exists; ssh2 repeats the status as arguments of 'close'.
        if (exitCode === null && exitSignal === null) {
          exitCode = typeof code === 'number' ? code : null;
          exitSignal = signalName ?? null;
        }
        if (!headDone && head) onStderrText(head);
        if (settled) return;
        settled = true;
        if (stopping) return; // the stop path settles after the kill
        if (exitCode === null && exitSignal === null && conn.closed) return reject(lost(target));
        resolve({ exitCode, signal: exitSignal, stdout: out.text(), stderr: err.text(), durationMs: Date.now() - started, sawPid: pid !== undefined });
      });

      const stop = (why: SshError) => {
        if (stopping || settled) return;
        stopping = why;
        void (async () => {
          try {
            ch.signal('KILL');
          } catch {
            // the channel may be closing already
          }
          if (pid === undefined) {
            await new Promise<void>((r) => {
              pidWaiters.push(r);
              setTimeout(r, 2000).unref();
            });
          }
          if (pid !== undefined) await this.kill(conn, pid, o.sudo).catch(() => undefined);
          try {
            ch.close();
          } catch {
            // already closed
          }
          settled = true;
          reject(why);
        })();
      };
      const timer = setTimeout(
        () => stop(new SshError('ssh.command_timeout', `${argv.join(' ').slice(0, 200)} did not finish within ${Math.round(o.timeoutMs / 1000)} s on ${target.host}; it was killed.`, { meta: { argv: argv.map((a) => redactText(a, o.secrets)) } })),
        Math.max(0, o.deadline - Date.now()),
      );
      const onAbort = () => stop(cancelled(target));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      if (o.signal?.aborted) onAbort();

      const stdin = o.stdin === undefined ? Buffer.alloc(0) : typeof o.stdin === 'string' ? Buffer.from(o.stdin, 'utf8') : o.stdin;
      ch.end(o.stdinPrefix.length || stdin.length ? Buffer.concat([o.stdinPrefix, stdin]) : undefined);
    });
  }

  /** Kills the remote process tree of `pid` through a channel of its own. */
  private async kill(conn: PooledConnection, pid: number, sudo: boolean): Promise<void> {
    const ch = await this.openChannel(conn, buildKillCommand(pid, sudo));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ch.close();
        resolve();
      }, 5000);
      ch.on('data', () => undefined);
      ch.stderr.on('data', () => undefined);
      ch.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ch.end();
    });
  }

  private async withSftp(
    target: SshTarget,
    opts: TransferOptions,
    what: 'upload' | 'download',
    remotePath: string,
    work: (sftp: ssh2.SFTPWrapper, done: (err?: unknown) => void) => void,
  ): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const conn = await this.connection(target, deadline, opts.signal, false);
    await conn.acquire(this.o.maxChannels, deadline, opts.signal);
    try {
      const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) =>
        conn.client.sftp((err, s) => (err ? reject(new SshError('ssh.transfer_failed', `SFTP is not available on ${target.host}: ${err.message}.`, { cause: err })) : resolve(s))),
      );
      try {
        await new Promise<void>((resolve, reject) => {
          const fail = (err: SshError) => {
            cleanup();
            reject(err);
          };
          const timer = setTimeout(() => fail(new SshError('ssh.command_timeout', `The ${what} of ${remotePath} took longer than ${Math.round(timeoutMs / 1000)} s.`)), Math.max(0, deadline - Date.now()));
          const onAbort = () => fail(cancelled(target));
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          const cleanup = () => {
            clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
          };
          work(sftp, (err) => {
            cleanup();
            if (err) reject(new SshError('ssh.transfer_failed', `The ${what} of ${remotePath} on ${target.host} failed: ${(err as Error).message ?? String(err)}.`, { cause: err }));
            else resolve();
          });
        });
      } finally {
        sftp.end();
      }
    } finally {
      conn.release();
    }
  }
}

/** Keeps at most `max` bytes of text, dropping the oldest. */
class OutputBuffer {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(text: string): void {
    if (!text) return;
    this.parts.push(text);
    this.size += text.length;
    while (this.size > this.max && this.parts.length > 1) this.size -= (this.parts.shift() as string).length;
  }
  text(): string {
    return this.parts.join('');
  }
}
