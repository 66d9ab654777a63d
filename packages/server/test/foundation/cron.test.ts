/**
 * A recurring job with two processes running on one PostgreSQL database: each
 * process runs a scheduler, yet every tick yields exactly one job, run once,
 * and no tick is skipped.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunsTable, readRuns, testJobs } from './fixtures/test-jobs.js';
import { exited, fixturesDir, harnessed, sleep, testEnv, tsNodeArgs, waitForLine, PROCESS_TEST_TIMEOUT } from './support/harness.js';

describe('a cron schedule with two processes on postgres', () => {
  it('enqueues exactly one job per tick, on consecutive ticks', harnessed(async (h) => {
    const db = await h.database('postgres');
    const observer = await h.app(db, { role: 'worker', jobs: testJobs(() => observer.db, { worker: 'observer' }) });
    await createRunsTable(observer.db);

    const processes = ['p1', 'p2'].map((name) =>
      h.spawn(
        tsNodeArgs(path.join(fixturesDir, 'worker-process.ts')),
        testEnv(db, { FIXTURE_WORKER: name, FIXTURE_CRON: '*/1 * * * * *' }),
      ),
    );
    await Promise.all(processes.map((p) => waitForLine(p, 'ready')));
    const bothUp = Date.now();
    await sleep(4_500);
    const stopAt = Date.now();
    for (const p of processes) p.kill('SIGTERM');
    await Promise.all(processes.map(async (p) => expect(await exited(p, 10_000)).toBe(0)));

    const jobs = await observer.db.kysely
      .selectFrom('jobs')
      .select(['id', 'dedupe_key', 'status'])
      .where('name', '=', 'test.tick')
      .execute();
    const tickOf = (key: string | null) => Date.parse(String(key).replace(/^cron:tick:/, ''));
    const ticks = jobs.map((j) => tickOf(j.dedupe_key)).sort((a, b) => a - b);
    expect(ticks.every((t) => Number.isFinite(t) && t % 1000 === 0)).toBe(true);
    // One job per tick: no tick appears twice.
    expect(new Set(ticks).size).toBe(ticks.length);

    // Every second while both processes ran is there, and the whole series has no gap.
    const expected: number[] = [];
    for (let t = Math.ceil(bothUp / 1000) * 1000; t <= stopAt - 200; t += 1000) expected.push(t);
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(ticks).toEqual(expect.arrayContaining(expected));
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(1000);

    // Each tick's job ran once.
    const runs = await readRuns(observer.db, 'test.tick');
    const finished = jobs.filter((j) => j.status === 'succeeded').map((j) => j.id);
    expect(finished.length).toBeGreaterThanOrEqual(expected.length);
    for (const id of finished) expect(runs.filter((r) => r.job_id === id)).toHaveLength(1);
    expect(runs.length).toBe(finished.length);
  }), PROCESS_TEST_TIMEOUT);
});
