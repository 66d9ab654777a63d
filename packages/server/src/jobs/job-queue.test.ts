import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, dialects } from '../../test/support/databases.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import { AppError } from '../lib/errors.js';
import { JobQueue } from './job-queue.js';
import { defineJob, JobRegistry } from './job-registry.js';

const noop = async () => undefined;
const registry = new JobRegistry()
  .register(defineJob({ name: 'deploy', payload: z.object({ env: z.string() }), concurrencyKey: (p) => `env:${p.env}`, handler: noop }))
  .register(defineJob({ name: 'mail', payload: z.object({ to: z.email() }), maxAttempts: 3, handler: noop }));
const names = registry.names();
const LEASE = 30_000;

describe.concurrent.each(dialects)('JobQueue on %s', (kind) => {
  /** A fresh database and queue per test, on a clock the test moves by hand. */
  const withQueue =
    (body: (q: { queue: JobQueue; tick: (ms: number) => number; now: () => number }) => Promise<void>) => async () => {
      const testDb = await createTestDatabase(kind);
      const db = openDatabase(testDb.config);
      try {
        await migrateToLatest(db);
        let now = Date.parse('2030-01-01T00:00:00.000Z');
        await body({ queue: new JobQueue(db, registry, () => now), tick: (ms) => (now += ms), now: () => now });
      } finally {
        await db.destroy();
        await testDb.drop();
      }
    };

  it('hands out the most urgent job first: higher priority, then oldest', withQueue(async ({ queue, tick }) => {
    const low = await queue.enqueue('mail', { to: 'a@example.com' }, { priority: 0 });
    tick(1);
    const high = await queue.enqueue('mail', { to: 'b@example.com' }, { priority: 10 });
    tick(1);
    const low2 = await queue.enqueue('mail', { to: 'c@example.com' }, { priority: 0 });
    tick(1);
    const mid = await queue.enqueue('mail', { to: 'd@example.com' }, { priority: 5 });
    const order: string[] = [];
    for (;;) {
      const job = await queue.claim('w1', LEASE, names);
      if (!job) break;
      order.push(job.id);
    }
    expect(order).toEqual([high.id, mid.id, low.id, low2.id]);
  }));

  it('keeps first-in, first-out order among jobs queued in the same millisecond', withQueue(async ({ queue }) => {
    const queued: string[] = [];
    for (let i = 0; i < 30; i++) queued.push((await queue.enqueue('deploy', { env: 'prod' })).id);
    const order: string[] = [];
    for (;;) {
      const job = await queue.claim('w1', LEASE, names);
      if (!job) break;
      order.push(job.id);
      await queue.complete(job.id, 'w1', null);
    }
    expect(order).toEqual(queued);
  }));

  it('does not run a job before its run-at time', withQueue(async ({ queue, tick, now }) => {
    const later = await queue.enqueue('mail', { to: 'a@example.com' }, { runAt: new Date(now() + 60_000), priority: 100 });
    expect(await queue.claim('w1', LEASE, names)).toBeUndefined();
    tick(59_999);
    expect(await queue.claim('w1', LEASE, names)).toBeUndefined();
    tick(1);
    const claimed = await queue.claim('w1', LEASE, names);
    expect(claimed?.id).toBe(later.id);
    expect(claimed?.status).toBe('running');
    expect(claimed?.attempts).toBe(1);
    expect(claimed?.lease_owner).toBe('w1');
  }));

  it('validates payloads against the registered schema and refuses unknown job names', withQueue(async ({ queue }) => {
    await expect(queue.enqueue('mail', { to: 'not-an-email' })).rejects.toMatchObject({ code: 'job.invalid_payload' });
    await expect(queue.enqueue('nope', {})).rejects.toMatchObject({ code: 'job.unknown' });
    expect(await queue.countByStatus()).toEqual({ queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 });
  }));

  it('a second enqueue with the same dedupe key returns the first job and adds nothing', withQueue(async ({ queue }) => {
    const a = await queue.enqueue('mail', { to: 'a@example.com' }, { dedupeKey: 'welcome:u1' });
    const b = await queue.enqueue('mail', { to: 'other@example.com' }, { dedupeKey: 'welcome:u1' });
    expect(b.id).toBe(a.id);
    expect(JSON.parse(b.payload)).toEqual({ to: 'a@example.com' });
    const c = await queue.enqueue('mail', { to: 'a@example.com' }, { dedupeKey: 'welcome:u2' });
    expect(c.id).not.toBe(a.id);
    expect((await queue.countByStatus()).queued).toBe(2);
  }));

  it('never hands out two jobs with the same concurrency key at once; other keys go ahead', withQueue(async ({ queue, tick }) => {
    const a1 = await queue.enqueue('deploy', { env: 'a' }, { priority: 5 });
    tick(1);
    const a2 = await queue.enqueue('deploy', { env: 'a' }, { priority: 5 });
    tick(1);
    const b1 = await queue.enqueue('deploy', { env: 'b' });

    expect((await queue.claim('w1', LEASE, names))?.id).toBe(a1.id);
    // a2 is more urgent than b1 but its environment is busy.
    expect((await queue.claim('w2', LEASE, names))?.id).toBe(b1.id);
    expect(await queue.claim('w2', LEASE, names)).toBeUndefined();

    expect(await queue.complete(a1.id, 'w1', { ok: true })).toBe(true);
    expect((await queue.claim('w2', LEASE, names))?.id).toBe(a2.id);
  }));

  it('retries a failed attempt after an exponentially growing delay, then keeps the job as failed with its error', withQueue(async ({ queue, tick, now }) => {
    const job = await queue.enqueue('mail', { to: 'a@example.com' }); // maxAttempts 3
    const delays = [1000, 2000];
    for (const [i, delay] of delays.entries()) {
      const claimed = await queue.claim('w1', LEASE, names);
      expect(claimed?.attempts).toBe(i + 1);
      const failedAt = now();
      expect(await queue.fail(job.id, 'w1', `smtp refused (${i + 1})`, delay)).toBe('queued');
      const row = await queue.get(job.id);
      expect(row.status).toBe('queued');
      expect(row.last_error).toBe(`smtp refused (${i + 1})`);
      expect(Date.parse(row.run_at) - failedAt).toBe(delay);
      tick(delay - 1);
      expect(await queue.claim('w1', LEASE, names)).toBeUndefined();
      tick(1);
    }
    await queue.claim('w1', LEASE, names);
    expect(await queue.fail(job.id, 'w1', 'smtp refused (3)', 4000)).toBe('failed');
    const failed = await queue.get(job.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, last_error: 'smtp refused (3)', lease_owner: null });
    expect(failed.finished_at).not.toBeNull();
    tick(60_000);
    expect(await queue.claim('w1', LEASE, names)).toBeUndefined();
    // Failed jobs outlive succeeded ones in pruning, so their error can be read.
    expect(await queue.prune(30_000)).toBe(0);
    expect((await queue.get(job.id)).status).toBe('failed');
  }));

  it('cancels a queued job at once, asks a running one to stop, and refuses to cancel a finished one', withQueue(async ({ queue, tick, now }) => {
    const queued = await queue.enqueue('mail', { to: 'a@example.com' }, { runAt: new Date(now() + 1000) });
    expect((await queue.cancel(queued.id)).status).toBe('cancelled');
    tick(2000);
    expect(await queue.claim('w1', LEASE, names)).toBeUndefined();

    const running = await queue.enqueue('mail', { to: 'b@example.com' });
    await queue.claim('w1', LEASE, names);
    expect(await queue.heartbeat(running.id, 'w1', LEASE)).toBe('held');
    const asked = await queue.cancel(running.id);
    expect(asked.status).toBe('running');
    expect(asked.cancel_requested).toBe(1);
    expect(await queue.heartbeat(running.id, 'w1', LEASE)).toBe('cancel_requested');
    await queue.markCancelled(running.id, 'w1', 'cancelled while running');
    expect((await queue.get(running.id)).status).toBe('cancelled');

    const done = await queue.enqueue('mail', { to: 'c@example.com' });
    await queue.claim('w1', LEASE, names);
    await queue.complete(done.id, 'w1', null);
    const err = await queue.cancel(done.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'conflict', code: 'job.finished' });
    await expect(queue.cancel('job_missing')).rejects.toMatchObject({ kind: 'not_found' });
  }));

  it('takes back the job of a worker that stopped renewing its lease; the old worker can no longer finish it', withQueue(async ({ queue, tick }) => {
    const job = await queue.enqueue('deploy', { env: 'a' });
    await queue.claim('dead', 5_000, names);
    tick(4_000);
    expect(await queue.heartbeat(job.id, 'dead', 5_000)).toBe('held'); // lease now runs to +9 s
    tick(4_999);
    expect(await queue.reapExpiredLeases()).toBe(0);
    // The running job still blocks its concurrency key.
    expect(await queue.claim('live', 5_000, names)).toBeUndefined();
    tick(2);
    expect(await queue.reapExpiredLeases()).toBe(1);
    const requeued = await queue.get(job.id);
    expect(requeued.status).toBe('queued');
    expect(requeued.last_error).toContain('dead');

    const again = await queue.claim('live', 5_000, names);
    expect(again).toMatchObject({ id: job.id, attempts: 2, lease_owner: 'live' });
    expect(await queue.heartbeat(job.id, 'dead', 5_000)).toBe('lost');
    expect(await queue.complete(job.id, 'dead', null)).toBe(false);
    expect(await queue.fail(job.id, 'dead', 'late', 0)).toBeUndefined();
    expect(await queue.complete(job.id, 'live', { ok: 1 })).toBe(true);
    expect((await queue.get(job.id)).status).toBe('succeeded');
  }));

  it('keeps a job as failed when its worker dies on the last attempt', withQueue(async ({ queue, tick }) => {
    const job = await queue.enqueue('mail', { to: 'a@example.com' }, { maxAttempts: 1 });
    await queue.claim('dead', 1_000, names);
    tick(1_001);
    expect(await queue.reapExpiredLeases()).toBe(1);
    const row = await queue.get(job.id);
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/stopped renewing its lease/);
  }));

  it('a job handed back at shutdown does not lose an attempt', withQueue(async ({ queue }) => {
    const job = await queue.enqueue('mail', { to: 'a@example.com' });
    await queue.claim('w1', LEASE, names);
    await queue.release(job.id, 'w1');
    expect(await queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null });
  }));

  it('lets many claimers race without handing any job out twice', withQueue(async ({ queue }) => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add((await queue.enqueue('mail', { to: `u${i}@example.com` })).id);
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const job = await queue.claim(`w${w}`, LEASE, names);
          if (!job) return;
          claimed.push(job.id);
        }
      }),
    );
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed)).toEqual(ids);
  }));
});
