/**
 * Scale-out on PostgreSQL: two `devflow worker` processes share one queue.
 * Every job runs exactly once, both processes do work, and jobs with the same
 * concurrency key never overlap in time even when they land in different processes.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunsTable, jobCounts, readRuns, testJobs, type RunRow } from './fixtures/test-jobs.js';
import { fixturesDir, harnessed, testEnv, tsNodeArgs, waitFor, waitForLine, PROCESS_TEST_TIMEOUT } from './support/harness.js';

describe('two worker processes on postgres', () => {
  it('never claim the same job, share the work, and keep per-key concurrency across processes', harnessed(async (h) => {
    const db = await h.database('postgres');
    const producer = await h.app(db, { role: 'worker', jobs: testJobs(() => producer.db, { worker: 'producer' }) });
    await createRunsTable(producer.db);

    const workers = ['w1', 'w2'].map((name) =>
      h.spawn(
        tsNodeArgs(path.join(fixturesDir, 'worker-process.ts')),
        testEnv(db, { FIXTURE_WORKER: name, DEVFLOW_WORKER_CONCURRENCY: '4' }),
      ),
    );
    await Promise.all(workers.map((w) => waitForLine(w, 'ready')));

    const ids = new Set<string>();
    const keyed = new Set<string>();
    for (let i = 0; i < 200; i++) {
      ids.add((await producer.queue.enqueue('test.record', { sleepMs: 2, n: i })).id);
      // Every fifth job belongs to one of three "environments".
      if (i % 5 === 0) {
        const job = await producer.queue.enqueue('test.record', { sleepMs: 15, key: `env-${i % 3}`, n: i });
        ids.add(job.id);
        keyed.add(job.id);
      }
    }

    await waitFor('every job to finish', async () => (await jobCounts(producer.db, ['test.record'])).succeeded === ids.size, 30_000, 100);
    expect(await jobCounts(producer.db, ['test.record'])).toEqual({ succeeded: 240, failed: 0, queued: 0, running: 0, cancelled: 0 });

    const runs = await readRuns(producer.db, 'test.record');
    const perJob = new Map<string, number>();
    for (const r of runs) perJob.set(r.job_id, (perJob.get(r.job_id) ?? 0) + 1);
    expect(new Set(perJob.keys())).toEqual(ids);
    expect([...perJob.values()].every((n) => n === 1)).toBe(true);

    const byWorker = { w1: 0, w2: 0 } as Record<string, number>;
    for (const r of runs) byWorker[r.worker] = (byWorker[r.worker] ?? 0) + 1;
    expect(Object.keys(byWorker).sort()).toEqual(['w1', 'w2']);
    expect(byWorker.w1).toBeGreaterThan(0);
    expect(byWorker.w2).toBeGreaterThan(0);

    const byKey = new Map<string, RunRow[]>();
    for (const r of runs) if (r.key) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    expect([...byKey.keys()].sort()).toEqual(['env-0', 'env-1', 'env-2']);
    let crossProcessHandOvers = 0;
    for (const keyRuns of byKey.values()) {
      keyRuns.sort((a, b) => a.started_ms - b.started_ms);
      for (let i = 1; i < keyRuns.length; i++) {
        const prev = keyRuns[i - 1]!;
        const next = keyRuns[i]!;
        expect(next.started_ms, `${next.job_id} started before ${prev.job_id} (same key) finished`).toBeGreaterThanOrEqual(
          prev.finished_ms!,
        );
        if (prev.worker !== next.worker) crossProcessHandOvers++;
      }
    }
    expect(runs.filter((r) => r.key).length).toBe(keyed.size);
    // The key rule was exercised across the two processes, not only inside one.
    expect(crossProcessHandOvers).toBeGreaterThan(0);
  }), PROCESS_TEST_TIMEOUT);
});
