import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { JobQueue } from './job-queue.js';

/** A recurring job: a cron expression (5 or 6 fields, UTC) and what to enqueue. */
export interface Schedule {
  name: string;
  cron: string;
  job: string;
  payload?: unknown;
}

/**
 * UTC as a fixed offset: croner computes it with Date.UTC, whereas a named
 * zone ('UTC') goes through Intl.DateTimeFormat, which maps ~5 MiB of ICU
 * locale and zone data into memory for nothing (see bench/idle-rss.ts).
 */
const UTC = { paused: true, utcOffset: 0 } as const;

/**
 * Enqueues each schedule's job at each cron tick. Every process may run a
 * scheduler: the tick's time is part of the job's dedupe key, so the database
 * keeps exactly one job per tick however many processes fire.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = true;

  constructor(
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly schedules: readonly Schedule[],
  ) {
    for (const s of schedules) new Cron(s.cron, UTC); // throws on a bad expression
  }

  start(): void {
    this.stopped = false;
    for (const s of this.schedules) this.arm(s);
  }

  private arm(s: Schedule): void {
    if (this.stopped) return;
    const next = new Cron(s.cron, UTC).nextRun(new Date());
    if (!next) return;
    const timer = setTimeout(() => void this.fire(s, next), Math.max(0, next.getTime() - Date.now()));
    timer.unref?.();
    this.timers.set(s.name, timer);
  }

  private async fire(s: Schedule, tick: Date): Promise<void> {
    // setTimeout may wake a few ms early: never let the next arm pick the same tick.
    const wait = tick.getTime() - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 1));
    try {
      await this.queue.enqueue(s.job, s.payload ?? {}, { dedupeKey: `cron:${s.name}:${tick.toISOString()}` });
    } catch (err) {
      this.log.error({ err, schedule: s.name }, 'scheduled enqueue failed');
    }
    this.arm(s);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
