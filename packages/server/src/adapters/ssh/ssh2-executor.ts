import { lookup as dnsLookup } from 'node:dns/promises';
import type ssh2 from 'ssh2';
import { buildRemoteCommand, encodeEnv } from './remote-command.js';
import { runCommand } from './ssh2-command.js';
import { cancelled, openConnection, signatureOf, sleep, TRANSIENT, type PooledConnection } from './ssh2-connection.js';
import { CommandFailedError, redactText, SshError, tail } from './ssh-errors.js';
import type { ConnectOptions, ExecOptions, ExecResult, SshExecutor, SshTarget, TransferOptions } from './ssh-executor.js';

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
      const result = await runCommand(conn, command, argv, {
        ...opts,
        maxOutputBytes: this.o.maxOutputBytes,
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
      const conn = openConnection(target, signature, deadline, this.o, (c) => {
        if (this.pool.get(target.id) === c) this.pool.delete(target.id);
      });
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
