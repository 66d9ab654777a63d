/**
 * The job queue as a running DevFlow process uses it: createApp wires the
 * queue, the worker and the database; jobs are enqueued through app.queue and
 * run by app.worker, on SQLite and on PostgreSQL.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { App } from '../../src/app.js';
import { defineJob, type JobDefinition } from '../../src/jobs/job-registry.js';
import { dialects } from '../support/databases.js';
import { jobCounts } from './fixtures/test-jobs.js';
import { harnessed, sleep, waitFor, type Harness } from './support/harness.js';

interface Run {
  label: string;
  attempt: number;
  start: number;
  end?: number;
  error?: string;
}

/** Job kinds whose handlers log each run (label, attempt, start, end) in memory. */
function recordingJobs(runs: Run[]): JobDefinition[] {
  const begin = (label: string, attempt: number) => {
    const run: Run = { label, attempt, start: Date.now() };
    runs.push(run);
    return run;
  };
  return [
    defineJob({
      name: 'test.work',
      payload: z.object({ label: z.string(), ms: z.number().default(0), key: z.string().optional() }),
      concurrencyKey: (p) => p.key,
      async handler(p, ctx) {
        const run = begin(p.label, ctx.attempt);
        await delay(p.ms);
        run.end = Date.now();
        return { label: p.label };
      },
    }),
    defineJob({
      name: 'test.flaky',
      payload: z.object({ label: z.string(), failures: z.number() }),
      maxAttempts: 4,
      backoffMs: 300,
      async handler(p, ctx) {
        const run = begin(p.label, ctx.attempt);
        run.end = Date.now();
        if (ctx.attempt <= p.failures) throw new Error(`remote said no (attempt ${ctx.attempt})`);
        return { ok: true };
      },
    }),
    defineJob({
      name: 'test.broken',
      payload: z.object({ label: z.string() }),
      maxAttempts: 3,
      backoffMs: 100,
      async handler(p, ctx) {
        const run = begin(p.label, ctx.attempt);
        run.end = Date.now();
        throw new Error(`disk full (attempt ${ctx.attempt})`);
      },
    }),
    defineJob({
      name: 'test.waits-for-cancel',
      payload: z.object({ label: z.string() }),
      async handler(p, ctx) {
        const run = begin(p.label, ctx.attempt);
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        run.end = Date.now();
        run.error = `aborted: ${String((ctx.signal.reason as Error | undefined)?.message)}`;
        throw ctx.signal.reason;
      },
    }),
  ];
}

const overlap = (a: Run, b: Run) => a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity);

describe.concurrent.each(dialects)('job queue in a running app on %s', (kind) => {
  async function app(h: Harness, runs: Run[], concurrency: number): Promise<App> {
    const db = await h.database(kind);
    return h.app(
      db,
      { role: 'worker', jobs: recordingJobs(runs) },
      { DEVFLOW_WORKER_CONCURRENCY: String(concurrency), DEVFLOW_JOB_LEASE_MS: '1500' },
    );
  }

  it('runs the highest priority first, and jobs of equal priority in the order they were queued', harnessed(async (h) => {
    const runs: Run[] = [];
    const a = await app(h, runs, 1);
    for (const [label, priority] of [['low-1', 0], ['high', 10], ['low-2', 0], ['mid', 5]] as const) {
      await a.queue.enqueue('test.work', { label }, { priority });
    }
    await a.start();
    // The handler ends before the worker records the outcome: wait for the rows, not the handler.
    await waitFor('four succeeded jobs', async () => (await jobCounts(a.db, ['test.work'])).succeeded === 4, 10_000);
    expect(runs.map((r) => r.label)).toEqual(['high', 'mid', 'low-1', 'low-2']);
    expect(await jobCounts(a.db, ['test.work'])).toMatchObject({ succeeded: 4, queued: 0, running: 0 });
  }));

  it('holds a job until its run-at time while others run', harnessed(async (h) => {
    const runs: Run[] = [];
    const a = await app(h, runs, 2);
    await a.start();
    const runAt = Date.now() + 2000;
    const later = await a.queue.enqueue('test.work', { label: 'later' }, { runAt: new Date(runAt) });
    await a.queue.enqueue('test.work', { label: 'now' });
    await waitFor('the delayed job to succeed', async () => (await a.queue.get(later.id)).status === 'succeeded', 5_000);
    const now = runs.find((r) => r.label === 'now');
    const late = runs.find((r) => r.label === 'later');
    expect(now!.start).toBeLessThan(runAt);
    expect(late!.start).toBeGreaterThanOrEqual(runAt);
  }));

  it('retries with growing delays, and keeps a job that used all its attempts as failed with its error', harnessed(async (h) => {
    const runs: Run[] = [];
    const a = await app(h, runs, 4);
    await a.start();
    const flaky = await a.queue.enqueue('test.flaky', { label: 'flaky', failures: 2 });
    const broken = await a.queue.enqueue('test.broken', { label: 'broken' });

    await waitFor(
      'both jobs to finish',
      async () => {
        const [f, b] = [await a.queue.get(flaky.id), await a.queue.get(broken.id)];
        return f.status === 'succeeded' && b.status === 'failed';
      },
      10_000,
    );

    const attempts = runs.filter((r) => r.label === 'flaky');
    expect(attempts.map((r) => r.attempt)).toEqual([1, 2, 3]);
    // backoffMs 300 with ±20 % jitter: the first retry waits ≥ 240 ms, the second ≥ 480 ms.
    const gap1 = attempts[1]!.start - attempts[0]!.end!;
    const gap2 = attempts[2]!.start - attempts[1]!.end!;
    expect(gap1).toBeGreaterThanOrEqual(240);
    expect(gap2).toBeGreaterThanOrEqual(480);
    const f = await a.queue.get(flaky.id);
    expect(f.attempts).toBe(3);
    expect(f.last_error).toBe('remote said no (attempt 2)');
    expect(JSON.parse(f.result ?? 'null')).toEqual({ ok: true });

    const b = await a.queue.get(broken.id);
    expect(runs.filter((r) => r.label === 'broken')).toHaveLength(3);
    expect(b).toMatchObject({ status: 'failed', attempts: 3, last_error: 'disk full (attempt 3)' });
    expect(b.finished_at).not.toBeNull();

    // No further attempt is made.
    await sleep(1_200);
    expect(runs.filter((r) => r.label === 'broken')).toHaveLength(3);
  }));

  it('never runs two jobs with the same concurrency key together, while different keys run side by side', harnessed(async (h) => {
    const runs: Run[] = [];
    const a = await app(h, runs, 4);
    await a.queue.enqueue('test.work', { label: 'env1-a', ms: 600, key: 'env-1' });
    await a.queue.enqueue('test.work', { label: 'env1-b', ms: 600, key: 'env-1' });
    await a.queue.enqueue('test.work', { label: 'env1-c', ms: 600, key: 'env-1' });
    await a.queue.enqueue('test.work', { label: 'env2-a', ms: 600, key: 'env-2' });
    await a.start();
    await waitFor('four runs', () => runs.filter((r) => r.end).length === 4, 10_000);

    const env1 = runs.filter((r) => r.label.startsWith('env1'));
    expect(env1.map((r) => r.label)).toEqual(['env1-a', 'env1-b', 'env1-c']);
    for (let i = 0; i < env1.length; i++) {
      for (let j = i + 1; j < env1.length; j++) expect(overlap(env1[i]!, env1[j]!)).toBe(false);
    }
    const env2 = runs.find((r) => r.label === 'env2-a')!;
    expect(overlap(env2, env1[0]!)).toBe(true);
  }));

  it('cancels a queued job before it runs, and stops a running one through its AbortSignal', harnessed(async (h) => {
    const runs: Run[] = [];
    const a = await app(h, runs, 2);
    await a.start();
    const runAt = Date.now() + 800;
    const queued = await a.queue.enqueue('test.work', { label: 'queued' }, { runAt: new Date(runAt) });
    const running = await a.queue.enqueue('test.waits-for-cancel', { label: 'running' });
    await waitFor('the long job to start', () => runs.some((r) => r.label === 'running'), 5_000);

    expect((await a.queue.cancel(queued.id)).status).toBe('cancelled');
    const asked = await a.queue.cancel(running.id);
    expect(asked.status).toBe('running');

    const ended = await waitFor(
      'the running job to end cancelled',
      async () => {
        const row = await a.queue.get(running.id);
        return row.status === 'cancelled' ? row : undefined;
      },
      5_000,
    );
    expect(ended.last_error).toBe('cancelled while running');
    expect(ended.finished_at).not.toBeNull();
    const run = runs.find((r) => r.label === 'running')!;
    expect(run.error).toBe('aborted: job aborted: cancelled');
    expect(runs.filter((r) => r.label === 'running')).toHaveLength(1);

    // Well past its run-at time, the cancelled queued job has still not run.
    await sleep(Math.max(0, runAt + 1_200 - Date.now()));
    expect(runs.some((r) => r.label === 'queued')).toBe(false);
    expect((await a.queue.get(queued.id)).status).toBe('cancelled');
  }));

  it('runs a job enqueued twice with the same dedupe key once', harnessed(async (h) => {
    const runs: Run[] = [];
    const a = await app(h, runs, 2);
    const first = await a.queue.enqueue('test.work', { label: 'once' }, { dedupeKey: 'nightly:2030-01-01' });
    const second = await a.queue.enqueue('test.work', { label: 'twice' }, { dedupeKey: 'nightly:2030-01-01' });
    expect(second.id).toBe(first.id);
    await a.start();
    await waitFor('the job', async () => (await a.queue.get(first.id)).status === 'succeeded', 5_000);
    // A third enqueue after it ran still finds the same job and adds nothing.
    const third = await a.queue.enqueue('test.work', { label: 'thrice' }, { dedupeKey: 'nightly:2030-01-01' });
    expect(third.id).toBe(first.id);
    await sleep(300);
    expect(runs.map((r) => r.label)).toEqual(['once']);
    expect(await jobCounts(a.db, ['test.work'])).toMatchObject({ succeeded: 1, queued: 0 });
  }));
});
