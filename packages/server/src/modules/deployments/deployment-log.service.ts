import { isTerminal } from '../../core/deploy/state-machine.js';
import type { EventBus } from '../../events/event-bus.js';
import type { LogLine } from '../../lib/line-log.js';
import type { DeploymentStore } from './deployment-store.js';

/** What following a deployment's log yields: each stored line in order, then the end with the final status. */
export type LogEvent = { kind: 'line'; line: LogLine } | { kind: 'end'; status: string };

const BATCH = 1000;

/**
 * Reads a deployment's log: a page of stored lines, or a live follow that
 * yields every line after a given seq exactly once, in order, and ends when
 * the deployment has finished and every line it wrote was yielded.
 */
export class DeploymentLogService {
  constructor(
    private readonly store: DeploymentStore,
    private readonly bus: EventBus,
    /** How often a follower looks for new lines besides events (ms): lines written by another process arrive even without LISTEN/NOTIFY. */
    private readonly pollMs = 1000,
  ) {}

  /** Lines after `after` (a seq), oldest first; `deployment.not_found` for an unknown deployment. */
  async lines(deploymentId: string, after: number, limit: number): Promise<LogLine[]> {
    await this.store.get(deploymentId);
    return this.store.logLines(deploymentId, after, limit);
  }

  /**
   * Follows the log from after `afterSeq`; `deployment.not_found` before
   * anything is read for an unknown deployment. Yields from after `afterSeq` (0: from the start; a client's
   * Last-Event-ID to resume without gaps or repeats). Reads on every log or
   * status event of the deployment and on a slow poll; stops when `signal`
   * aborts (the client went away) or after yielding the end.
   */
  async follow(deploymentId: string, afterSeq: number, signal: AbortSignal): Promise<AsyncIterable<LogEvent>> {
    await this.store.get(deploymentId);
    return this.read(deploymentId, afterSeq, signal);
  }

  private async *read(deploymentId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<LogEvent> {
    let last = afterSeq;
    // Events and the poll only say "look again"; one reader runs at a time (this loop).
    let poked = false;
    let wake: (() => void) | undefined;
    const poke = () => {
      poked = true;
      wake?.();
    };
    const unsubscribe = this.bus.subscribe((e) => {
      if ((e.payload as { deploymentId?: string } | null)?.deploymentId === deploymentId) poke();
    });
    const poll = setInterval(poke, this.pollMs);
    signal.addEventListener('abort', poke);
    try {
      while (!signal.aborted) {
        poked = false;
        const rows = await this.store.logLines(deploymentId, last, BATCH);
        for (const line of rows) {
          if (signal.aborted) return;
          yield { kind: 'line', line };
          last = line.seq;
        }
        if (rows.length === BATCH) continue;
        const deployment = await this.store.find(deploymentId);
        if (!deployment || isTerminal(deployment.status)) {
          // Lines flushed between the read above and the status change are sent before the end.
          if ((await this.store.logLines(deploymentId, last, 1)).length) continue;
          yield { kind: 'end', status: deployment?.status ?? 'missing' };
          return;
        }
        if (!poked) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      unsubscribe();
      clearInterval(poll);
      signal.removeEventListener('abort', poke);
    }
  }
}
