import { buildKillCommand, takePid } from './remote-command.js';
import { cancelled, lost, openChannel, type PooledConnection } from './ssh2-connection.js';
import { redactText, SshError } from './ssh-errors.js';
import type { ExecOptions, ExecResult } from './ssh-executor.js';

/** What a command run needs beyond ExecOptions. */
export interface RunSettings extends ExecOptions {
  stdinPrefix: Buffer;
  secrets: string[];
  sudo: boolean;
  deadline: number;
  timeoutMs: number;
  maxOutputBytes: number;
}

/**
 * Runs one wrapped command on its own channel: streams output, takes the PID
 * line off stderr, and on timeout or abort sends KILL through the channel and
 * kills the remote session, process group and PID through a second channel
 * before rejecting — so nothing keeps running on the server.
 */
export async function runCommand(conn: PooledConnection, command: string, argv: readonly string[], o: RunSettings): Promise<ExecResult & { sawPid: boolean }> {
  const started = Date.now();
  const ch = await openChannel(conn, command, o.deadline);
  const target = conn.target;
  return new Promise((resolve, reject) => {
    const out = new OutputBuffer(o.maxOutputBytes);
    const err = new OutputBuffer(o.maxOutputBytes);
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
    // Decoded by the streams, so a character split across two packets stays whole.
    ch.setEncoding('utf8');
    ch.stderr.setEncoding('utf8');
    ch.on('data', (text: string) => {
      out.push(text);
      o.onStdout?.(mask(text));
    });
    ch.stderr.on('data', (text: string) => {
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
        if (pid !== undefined) await killRemote(conn, pid, o.sudo).catch(() => undefined);
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
export async function killRemote(conn: PooledConnection, pid: number, sudo: boolean): Promise<void> {
  const ch = await openChannel(conn, buildKillCommand(pid, sudo));
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
