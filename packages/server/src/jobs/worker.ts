import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { retryDelayMs } from './backoff.js';
import type { JobQueue, JobRow } from './job-queue.js';
import type { JobRegistry } from './job-registry.js';

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  /** How often to look for work when nothing woke the worker (default 1 s). */
  pollMs?: number;
  /** How long stop() waits for running jobs before handing them back (default 10 s). */
  shutdownGraceMs?: number;
}

class JobAbort extends Error {
  constructor(readonly why: 'cancelled' | 'timeout' | 'lease_lost' | 'shutdown') {
    super(`job aborted: ${why}`);
  }
}

/**
 * Runs jobs from the queue: claims up to `concurrency` at a time, renews their
 * leases by heartbeat, retries failures with backoff, and takes back jobs of
 * workers that died.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private wakeRequested = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly queue: JobQueue,
    private readonly registry: JobRegistry,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  /** Starts polling; `wake()` (or an enqueue in this process) makes it look at once. */
  start(): void {
    this.stopping = false;
    this.unsubscribe = this.queue.onEnqueued(() => this.wake());
    this.schedule(0);
  }

  /** Looks for work now (called on enqueue notifications from other processes too). */
  wake(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Number of jobs this worker is running now. */
  get busy(): number {
    return this.running.size;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    // Not unref'd: a started worker keeps its process alive (on SQLite nothing else does) until stop().
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopping || this.ticking) return;
    this.ticking = true;
    try {
      await this.queue.reapExpiredLeases();
      while (!this.stopping && this.running.size < this.opts.concurrency) {
        const job = await this.queue.claim(this.id, this.opts.leaseMs, this.registry.names());
        if (!job) break;
        this.runJob(job);
      }
    } catch (err) {
      this.log.error({ err }, 'job worker tick failed');
    } finally {
      this.ticking = false;
      const again = this.wakeRequested;
      this.wakeRequested = false;
      this.schedule(again ? 0 : (this.opts.pollMs ?? 1000));
    }
  }

  private runJob(job: JobRow): void {
    const controller = new AbortController();
    const done = this.execute(job, controller).finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, { controller, done });
  }

  private async execute(job: JobRow, controller: AbortController): Promise<void> {
    const def = this.registry.get(job.name);
    const log = this.log.child({ jobId: job.id, job: job.name, attempt: job.attempts });
    if (!def) {
      await this.queue.fail(job.id, this.id, `No handler is registered for ${job.name}.`, 0, true);
      return;
    }
    const beatEvery = Math.max(200, Math.min(2000, Math.floor(this.opts.leaseMs / 3)));
    const beat = setInterval(() => {
      this.queue
        .heartbeat(job.id, this.id, this.opts.leaseMs)
        .then((state) => {
          if (state === 'cancel_requested') controller.abort(new JobAbort('cancelled'));
          if (state === 'lost') controller.abort(new JobAbort('lease_lost'));
        })
        .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
    }, beatEvery);
    const timeout = setTimeout(() => controller.abort(new JobAbort('timeout')), def.timeoutMs ?? 15 * 60_000);
    try {
      const payload: unknown = def.payload.parse(JSON.parse(job.payload));
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
      });
      const result = await Promise.race([
        def.handler(payload, {
          jobId: job.id,
          attempt: job.attempts,
          signal: controller.signal,
          log: (message) => log.info(message),
        }),
        aborted,
      ]);
      if (!(await this.queue.complete(job.id, this.id, result))) log.warn('job finished after losing its lease');
    } catch (err) {
      const why = err instanceof JobAbort ? err.why : undefined;
      if (why === 'cancelled') {
        await this.queue.markCancelled(job.id, this.id, 'cancelled while running');
      } else if (why === 'shutdown') {
        await this.queue.release(job.id, this.id);
      } else if (why === 'lease_lost') {
        log.warn('lease lost; another worker owns this job now');
      } else {
        const message = why === 'timeout' ? `Timed out after ${def.timeoutMs ?? 900_000} ms.` : errorText(err);
        const status = await this.queue.fail(job.id, this.id, message, retryDelayMs(job.attempts, def.backoffMs ?? 1000));
        log.warn({ err, status }, 'job attempt failed');
      }
    } finally {
      clearInterval(beat);
      clearTimeout(timeout);
    }
  }

  /**
   * Stops claiming, waits up to the grace period for running jobs, then
   * aborts the rest and hands their leases back so another worker takes them.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    const all = [...this.running.values()];
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.opts.shutdownGraceMs ?? 10_000).unref());
    await Promise.race([Promise.allSettled(all.map((r) => r.done)), grace]);
    for (const r of this.running.values()) r.controller.abort(new JobAbort('shutdown'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
