/**
 * A worker process killed with SIGKILL in the middle of a job: the job is
 * neither lost nor run twice at once. Another worker takes it only after the
 * dead worker's lease expired, and completes it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialects } from '../support/databases.js';
import { createRunsTable, jobCounts, readRuns, testJobs } from './fixtures/test-jobs.js';
import { exited, fixturesDir, harnessed, sleep, testEnv, tsNodeArgs, waitFor, waitForLine, PROCESS_TEST_TIMEOUT } from './support/harness.js';

const LEASE_MS = 2000;

describe.concurrent.each(dialects)('a job whose worker is killed (-9) on %s', (kind) => {
  it('is taken over after the lease expires and completed by another worker, never running twice at once', harnessed(async (h) => {
    const db = await h.database(kind);
    // This process is the second worker; it starts only once the first one holds the job.
    const survivor = await h.app(
      db,
      { role: 'worker', jobs: testJobs(() => survivor.db, { worker: 'survivor' }) },
      { DEVFLOW_JOB_LEASE_MS: String(LEASE_MS) },
    );
    await createRunsTable(survivor.db);

    const doomed = h.spawn(
      tsNodeArgs(path.join(fixturesDir, 'worker-process.ts')),
      testEnv(db, { DEVFLOW_JOB_LEASE_MS: String(LEASE_MS), FIXTURE_WORKER: 'doomed', FIXTURE_HANG: '1' }),
    );
    await waitForLine(doomed, 'ready');

    const job = await survivor.queue.enqueue('test.hang', {});
    await waitFor('the first worker to start the job', async () => (await readRuns(survivor.db)).length === 1, 10_000);

    await survivor.start();
    // Longer than a lease: the live first worker keeps renewing it, so the job stays where it is.
    await sleep(LEASE_MS + 700);
    const held = await survivor.queue.get(job.id);
    expect(held.status).toBe('running');
    expect(held.lease_owner).toContain(`:${doomed.pid}:`);
    expect((await readRuns(survivor.db)).map((r) => r.worker)).toEqual(['doomed']);

    doomed.kill('SIGKILL');
    await exited(doomed, 5_000);
    const killedAt = Date.now();

    const done = await waitFor(
      'the second worker to complete the job',
      async () => {
        const row = await survivor.queue.get(job.id);
        return row.status === 'succeeded' ? row : undefined;
      },
      10_000,
    );
    expect(done.attempts).toBe(2);
    expect(JSON.parse(done.result ?? 'null')).toEqual({ worker: 'survivor' });

    const runs = await readRuns(survivor.db);
    expect(runs.map((r) => [r.worker, r.attempt])).toEqual([
      ['doomed', 1],
      ['survivor', 2],
    ]);
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(first.finished_ms).toBeNull();
    expect(second.finished_ms).not.toBeNull();
    // The second run began only after the first worker was gone: no overlap.
    expect(second.started_ms).toBeGreaterThanOrEqual(killedAt);
    expect(await jobCounts(survivor.db, ['test.hang'])).toEqual({ queued: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 });
  }), PROCESS_TEST_TIMEOUT);
});
