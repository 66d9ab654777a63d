import { z } from 'zod';
import { defineJob, type JobDefinition } from '../../jobs/job-registry.js';
import type { Schedule } from '../../jobs/scheduler.js';
import type { MetricsService } from './metrics.service.js';
import { PROVISION_JOB, type ProvisioningService } from './provisioning.service.js';

export const SAMPLE_JOB = 'servers.metrics.sample';
export const ROLLUP_JOB = 'servers.metrics.rollup';

/** Jobs of the servers module: provisioning runs, metric sampling and rollups. */
export function serverJobs(provisioning: () => ProvisioningService, metrics: () => MetricsService): JobDefinition[] {
  return [
    defineJob({
      name: PROVISION_JOB,
      payload: z.object({ runId: z.string(), serverId: z.string() }),
      maxAttempts: 1,
      timeoutMs: 60 * 60_000,
      concurrencyKey: (p) => `server-provision:${p.serverId}`,
      handler: (p, ctx) => provisioning().execute(p.runId, ctx.signal),
    }),
    defineJob({
      name: SAMPLE_JOB,
      payload: z.object({}),
      maxAttempts: 1,
      timeoutMs: 60_000,
      concurrencyKey: () => SAMPLE_JOB,
      handler: (_p, ctx) => metrics().sampleDue(ctx.signal),
    }),
    defineJob({
      name: ROLLUP_JOB,
      payload: z.object({}),
      maxAttempts: 2,
      timeoutMs: 5 * 60_000,
      concurrencyKey: () => ROLLUP_JOB,
      handler: () => metrics().rollup(),
    }),
  ];
}

/**
 * Sampling ticks every 10 s and takes the servers whose own interval
 * (default 30 s) has passed; rollups and retention run once a minute.
 */
export function serverSchedules(opts: { sampleCron?: string | undefined; rollupCron?: string | undefined } = {}): Schedule[] {
  return [
    { name: SAMPLE_JOB, cron: opts.sampleCron ?? '*/10 * * * * *', job: SAMPLE_JOB },
    { name: ROLLUP_JOB, cron: opts.rollupCron ?? '20 * * * * *', job: ROLLUP_JOB },
  ];
}
