import { SshError } from '../../adapters/ssh/ssh-errors.js';
import { AppError } from '../../lib/errors.js';
import type { DeploymentLog } from './deployment-log.js';
import type { DeploymentStore, StepRow } from './deployment-store.js';
import type { StepHandle, StepRunner } from './strategy.js';

/** A message for users: SSH failures name the command and its exit code; secrets are masked by the caller. */
export function describeError(err: unknown): string {
  if (err instanceof SshError && err.code === 'ssh.command_failed') {
    const m = err.meta as { exitCode?: number | null; stderrTail?: string };
    const lines = (m.stderrTail ?? '').trim().split('\n').filter(Boolean);
    // git and curl say what went wrong on a fatal:/error: or HTTP line; other tools on their last line.
    const last = lines.filter((l) => /^(fatal|error|ERROR|HTTP \d{3})\b/.test(l)).pop() ?? lines.pop();
    return `a command exited with ${m.exitCode ?? 'a signal'}${last ? `: ${last.slice(0, 300)}` : ''}`;
  }
  if (err instanceof AppError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs the persisted steps of one deployment: each is marked running with
 * its start time, limited to its own timeout (besides the deployment's
 * signal), and finished with its status, end time, exit code and a note.
 */
export class PersistedSteps implements StepRunner {
  private readonly timeouts: Map<string, number>;

  constructor(
    private readonly store: DeploymentStore,
    private readonly deploymentId: string,
    steps: StepRow[],
    private readonly signal: AbortSignal,
    private readonly log: DeploymentLog,
  ) {
    this.timeouts = new Map(steps.map((s) => [s.name, s.timeout_ms || 60_000]));
  }

  async run<T>(name: string, fn: (step: StepHandle) => Promise<T>): Promise<T> {
    const timeoutMs = this.timeouts.get(name) ?? 60_000;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error(`step ${name} timed out`)), timeoutMs);
    const signal = AbortSignal.any([this.signal, timeout.signal]);
    const started = Date.now();
    let exit: number | null = null;
    let note: string | null = null;
    // The `running` mark is written while the step's first command is under way (one database
    // round trip less per step); the outcome is written only after it, so rows and events stay in order.
    const marked = this.store.setStep(this.deploymentId, name, { status: 'running', started_at: this.store.now() });
    marked.catch(() => undefined);
    this.log.line(name, 'system', `==> ${name}`);
    try {
      if (signal.aborted) throw signal.reason;
      const out = await fn({ name, signal, deadline: started + timeoutMs, exitCode: (c) => (exit = c), note: (t) => (note = t) });
      await marked;
      await this.store.setStep(this.deploymentId, name, { status: 'succeeded', finished_at: this.store.now(), exit_code: exit ?? 0, detail: note === null ? null : this.log.redact(note) });
      this.log.line(name, 'system', `<== ${name} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s${note ? `: ${note}` : ''}`);
      return out;
    } catch (err) {
      const timedOut = timeout.signal.aborted && !this.signal.aborted;
      const cancelled = this.signal.aborted && (this.signal.reason as { why?: string } | undefined)?.why === 'cancelled';
      const detail = this.log.redact(timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : cancelled ? 'cancelled' : describeError(err));
      await marked.catch(() => undefined);
      await this.store.setStep(this.deploymentId, name, { status: cancelled ? 'cancelled' : 'failed', finished_at: this.store.now(), exit_code: exit, detail: detail.slice(0, 1000) });
      this.log.line(name, 'system', `<== ${name} ${cancelled ? 'cancelled' : 'failed'} after ${((Date.now() - started) / 1000).toFixed(1)} s: ${detail}`);
      if (timedOut) throw new AppError('unprocessable', 'deployment.step_timeout', `Step ${name} timed out after ${Math.round(timeoutMs / 1000)} s.`, { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async skip(name: string, reason: string): Promise<void> {
    const now = this.store.now();
    await this.store.setStep(this.deploymentId, name, { status: 'skipped', started_at: now, finished_at: now, detail: reason });
    this.log.line(name, 'system', `--- ${name} skipped: ${reason}`);
  }
}
