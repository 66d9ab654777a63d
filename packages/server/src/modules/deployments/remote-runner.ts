import type { ExecResult, SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import { CommandFailedError } from '../../adapters/ssh/ssh-errors.js';
import type { DeploymentLog } from './deployment-log.js';
import type { DeployServer, StepHandle } from './strategy.js';

/** A step-like target for commands outside persisted steps (compensation, recovery). */
export interface CommandScope {
  name: string;
  signal: AbortSignal;
  deadline: number;
  exitCode?(code: number | null): void;
}

/**
 * Runs remote commands for a deployment: logs the command line, streams its
 * output into the deployment log line by line (masked), limits it to the
 * step's remaining time and records its exit code on the step.
 */
export class RemoteRunner {
  constructor(
    private readonly ssh: SshExecutor,
    private readonly log: DeploymentLog,
    private readonly secrets: readonly string[],
    private readonly multi: boolean,
  ) {}

  private prefix(server: DeployServer): string {
    return this.multi ? `[${server.name}] ` : '';
  }

  /** Runs argv on a server within the step; `label` is what the log shows instead of the script text. */
  async exec(
    server: DeployServer,
    step: StepHandle | CommandScope,
    label: string,
    argv: string[],
    opts: { cwd?: string; stdin?: string; check?: boolean; quiet?: boolean } = {},
  ): Promise<ExecResult> {
    const prefix = this.prefix(server);
    this.log.line(step.name, 'system', `${prefix}$ ${label}`);
    try {
      const res = await this.ssh.exec(server.target, argv, {
        timeoutMs: Math.max(1000, step.deadline - Date.now()),
        signal: step.signal,
        secrets: this.secrets,
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
        ...(opts.check !== undefined ? { check: opts.check } : {}),
        ...(opts.quiet
          ? {}
          : {
              onStdout: (c: string) => this.log.chunk(step.name, 'stdout', c, prefix),
              onStderr: (c: string) => this.log.chunk(step.name, 'stderr', c, prefix),
            }),
      });
      step.exitCode?.(res.exitCode);
      return res;
    } catch (err) {
      if (err instanceof CommandFailedError) step.exitCode?.(err.exitCode);
      throw err;
    } finally {
      this.log.endCommand(step.name, prefix);
    }
  }

  /** Logs a line for a server. */
  note(server: DeployServer, step: string, text: string): void {
    this.log.line(step, 'system', `${this.prefix(server)}${text}`);
  }
}

/** Runs `fn` on every server at once; waits for all, then throws the first failure (no half-finished command is abandoned). */
export async function onAll<T>(servers: readonly DeployServer[], fn: (s: DeployServer) => Promise<T>): Promise<T[]> {
  const results = await Promise.allSettled(servers.map(fn));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** A scope for cleanup commands: not tied to the (possibly aborted) deployment signal. */
export function cleanupScope(name: string, timeoutMs = 60_000): CommandScope {
  return { name, signal: AbortSignal.timeout(timeoutMs), deadline: Date.now() + timeoutMs };
}
