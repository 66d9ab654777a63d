import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsService } from '../../src/modules/servers/metrics.service.js';
import { setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { labAvailable, type LabServer } from '../support/lab.js';
import { createKey, createServer, startServer, waitFor } from './lab-fixtures.js';

const lab = await labAvailable();

type Point = { at: string; samples: number; cpuPercent: number | null; memTotalBytes: number | null; memUsedBytes: number | null; diskTotalBytes: number | null; load1: number | null; netRxBytesPerSecond: number | null };

describe.skipIf(!lab).each(dialects)('server metrics on %s', (dialect) => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let vps: LabServer;
  let serverId: string;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    owner = await setupOwner(t);
    const key = await createKey(t, owner, 'metrics');
    vps = await startServer({ authorizedKey: key.publicKey });
    serverId = (await createServer(t, owner, { name: 'metrics', host: vps.host, port: vps.port, sshKeyId: key.id })).id;
    expect((await t.request('POST', `/api/v1/servers/${serverId}/validate`, { session: owner })).status).toBe(200);
  });
  afterAll(async () => {
    await vps?.stop();
    await t?.close();
  });

  it('samples over SSH, stores samples, rolls them up to minutes and hours, and returns each series', async () => {
    // Real samples from the server, stamped on a clock the test moves: two minutes of an hour that has ended.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    let now = hour + 5_000;
    const metrics = new MetricsService(t.app.db, t.app.servers.servers, t.app.servers.ssh, { clock: () => now });
    const row = () => t.app.servers.servers.get(serverId);
    for (const offset of [5_000, 35_000, 65_000, 95_000]) {
      now = hour + offset;
      await vps.exec(['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']); // some CPU between samples
      await metrics.sample(await row());
    }
    const truth = await vps.exec(['sh', '-c', "grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2; df -B1 -P / | tail -1 | tr -s ' ' | cut -d' ' -f2"]);
    const [memKb, diskBytes] = truth.stdout.trim().split('\n').map(Number);

    const q = (qs: string) => t.request('GET', `/api/v1/servers/${serverId}/metrics?${qs}`, { session: owner });
    const from = new Date(hour).toISOString();
    const to = new Date(hour + 3_600_000 - 1).toISOString();
    const raw = await q(`from=${from}&to=${to}&step=raw`);
    expect(raw.status, raw.text).toBe(200);
    const points = raw.json.points as Point[];
    expect(points).toHaveLength(4);
    expect(points[0]?.cpuPercent).toBeNull(); // no previous /proc/stat sample yet
    for (const p of points.slice(1)) {
      expect(p.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(p.cpuPercent).toBeLessThanOrEqual(100);
      expect(p.netRxBytesPerSecond).toBeGreaterThanOrEqual(0);
    }
    expect(points[3]).toMatchObject({ samples: 1, memTotalBytes: (memKb ?? 0) * 1024, diskTotalBytes: diskBytes });
    expect(points[3]?.memUsedBytes).toBeGreaterThan(0);
    expect(points[3]?.load1).toBeGreaterThanOrEqual(0);

    // Minute rollups once those minutes are over; hour rollups once the hour is over; both idempotent.
    now = hour + 3 * 60_000;
    await metrics.rollup();
    await metrics.rollup();
    const minutes = (await q(`from=${from}&to=${to}&step=1m`)).json.points as Point[];
    expect(minutes.map((m) => [m.at, m.samples])).toEqual([
      [new Date(hour).toISOString(), 2],
      [new Date(hour + 60_000).toISOString(), 2],
    ]);
    expect(minutes[1]?.cpuPercent).toBeCloseTo(((points[2]?.cpuPercent ?? 0) + (points[3]?.cpuPercent ?? 0)) / 2, 1);
    now = hour + 3_600_000 + 60_000;
    await metrics.rollup();
    const hours = (await q(`from=${from}&to=${to}&step=1h`)).json.points as Point[];
    expect(hours).toHaveLength(1);
    expect(hours[0]).toMatchObject({ at: new Date(hour).toISOString(), samples: 4, memTotalBytes: (memKb ?? 0) * 1024 });

    // Retention: raw 24 h, minutes 7 days, hours 90 days.
    now = hour + 25 * 3_600_000;
    await metrics.rollup();
    expect((await q(`from=${from}&to=${to}&step=raw`)).json.points).toHaveLength(0);
    expect((await q(`from=${from}&to=${to}&step=1m`)).json.points).toHaveLength(2);
    now = hour + 8 * 86_400_000;
    await metrics.rollup();
    expect((await q(`from=${from}&to=${to}&step=1m`)).json.points).toHaveLength(0);
    expect((await q(`from=${from}&to=${to}&step=1h`)).json.points).toHaveLength(1);

    const bad = await q(`from=${to}&to=${from}`);
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('metrics.bad_range');
  });

  it('the scheduled sampling job samples due servers over the pooled connection and marks a dead one unreachable', async () => {
    t.app.worker.start();
    try {
      const job = await t.app.queue.enqueue('servers.metrics.sample', {});
      const done = await waitFor('the sampling job', async () => {
        const j = await t.app.queue.get(job.id);
        return j.status === 'succeeded' ? j : undefined;
      }, 20_000);
      expect(JSON.parse(done.result ?? '{}')).toEqual({ sampled: 1, failed: 0 });
      const server = (await t.request('GET', `/api/v1/servers/${serverId}`, { session: owner })).json;
      expect(server.status).toBe('online');
      const latest = await t.request('GET', `/api/v1/servers/${serverId}/metrics`, { session: owner });
      expect(latest.json.step).toBe('raw');
      expect((latest.json.points as Point[]).length).toBeGreaterThanOrEqual(1);
      // Not due again before its interval has passed.
      expect(await t.app.servers.metrics.sampleDue()).toEqual({ sampled: 0, failed: 0 });

      await vps.stop();
      await t.app.db.kysely.updateTable('servers').set({ last_sampled_at: null }).where('id', '=', serverId).execute();
      const started = Date.now();
      expect(await t.app.servers.metrics.sampleDue()).toEqual({ sampled: 0, failed: 1 });
      expect(Date.now() - started).toBeLessThan(15_000);
      const dead = (await t.request('GET', `/api/v1/servers/${serverId}`, { session: owner })).json;
      expect(dead.status).toBe('unreachable');
      expect(String(dead.lastError)).not.toBe('');
    } finally {
      await t.app.worker.stop();
    }
  });
});
