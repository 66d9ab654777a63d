import { setMaxListeners } from 'node:events';
import type { Selectable } from 'kysely';
import {
  defaultRetention,
  defaultStep,
  retentionCutoffs,
  rollupBuckets,
  rollupSamples,
  rollupWindow,
  type MetricsStep,
  type RetentionPolicy,
  type RollupBucket,
} from '../../core/metrics-rollup.js';
import { parseMetricsReading, toSample, type MetricSample } from '../../core/server-facts.js';
import type { Db } from '../../db/database.js';
import type { ServerMetricRollupsTable, ServerMetricSamplesTable } from '../../db/schema.js';
import type { SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import { isConnectionError } from '../../adapters/ssh/ssh-errors.js';
import { AppError } from '../../lib/errors.js';
import { METRICS_SCRIPT, scriptArgv } from './server-scripts.js';
import type { ServerRow, ServerService } from './servers.service.js';

export interface MetricsOptions {
  /** Servers sampled at once (default 16). */
  concurrency?: number;
  /** Time limit of one sample (default 10 s). */
  sampleTimeoutMs?: number;
  retention?: RetentionPolicy;
  clock?: () => number;
}

const MAX_POINTS = 10_000;

function fromRow(r: Selectable<ServerMetricSamplesTable>): MetricSample {
  return {
    at: r.at,
    cpuPercent: r.cpu_percent,
    load1: r.load1,
    load5: r.load5,
    load15: r.load15,
    memTotalBytes: num(r.mem_total_bytes),
    memUsedBytes: num(r.mem_used_bytes),
    diskTotalBytes: num(r.disk_total_bytes),
    diskUsedBytes: num(r.disk_used_bytes),
    netRxBps: r.net_rx_bps,
    netTxBps: r.net_tx_bps,
    cpuTotalTicks: num(r.cpu_total_ticks),
    cpuIdleTicks: num(r.cpu_idle_ticks),
    netRxBytes: num(r.net_rx_bytes),
    netTxBytes: num(r.net_tx_bytes),
  };
}

function num(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

function bucketFromRow(r: Selectable<ServerMetricRollupsTable>): RollupBucket {
  return {
    resolution: r.resolution,
    bucket: r.bucket,
    samples: r.samples,
    cpuAvg: r.cpu_avg,
    cpuMax: r.cpu_max,
    load1Avg: r.load1_avg,
    memTotalBytes: num(r.mem_total_bytes),
    memUsedAvg: r.mem_used_avg,
    diskTotalBytes: num(r.disk_total_bytes),
    diskUsedAvg: r.disk_used_avg,
    netRxBpsAvg: r.net_rx_bps_avg,
    netTxBpsAvg: r.net_tx_bps_avg,
  };
}

/**
 * Agentless metrics: one command per server over its pooled connection, parsed
 * by core/server-facts.ts, stored as raw samples, rolled up to 1-minute and
 * 1-hour buckets, and pruned by tier.
 */
export class MetricsService {
  private readonly last = new Map<string, MetricSample>();
  private readonly clock: () => number;
  private readonly retention: RetentionPolicy;

  constructor(
    private readonly db: Db,
    private readonly servers: ServerService,
    private readonly ssh: SshExecutor,
    private readonly o: MetricsOptions = {},
  ) {
    this.clock = o.clock ?? Date.now;
    this.retention = o.retention ?? defaultRetention;
  }

  /** Samples every server whose interval has passed; returns how many were sampled and how many failed. */
  async sampleDue(signal?: AbortSignal): Promise<{ sampled: number; failed: number }> {
    const now = this.clock();
    const rows = await this.db.kysely
      .selectFrom('servers')
      .selectAll()
      .where('host_key_fingerprint', 'is not', null)
      .where('pending_host_key_fingerprint', 'is', null)
      .execute();
    // A tick may fire a little early: 2 s of slack keeps a 30 s interval at 30 s, not 40.
    const due = rows.filter((r) => !r.last_sampled_at || Date.parse(r.last_sampled_at) <= now - r.metrics_interval_seconds * 1000 + 2000);
    // Every concurrent command listens on the job's signal.
    if (signal) setMaxListeners(Math.max(64, (this.o.concurrency ?? 16) * 4), signal);
    let sampled = 0;
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < due.length && !signal?.aborted) {
        const row = due[next++] as ServerRow;
        const ok = await this.sample(row, signal).then(() => true, () => false);
        if (ok) sampled++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 16, due.length) }, worker));
    return { sampled, failed };
  }

  /** Takes one sample of a server and stores it; a failure to connect marks the server unreachable. */
  async sample(row: ServerRow, signal?: AbortSignal): Promise<MetricSample> {
    const target = await this.servers.targetOf(row);
    const at = new Date(this.clock()).toISOString();
    let stdout: string;
    try {
      ({ stdout } = await this.ssh.exec(target, scriptArgv(METRICS_SCRIPT), { timeoutMs: this.o.sampleTimeoutMs ?? 10_000, ...(signal ? { signal } : {}) }));
    } catch (err) {
      await this.db.kysely.updateTable('servers').set({ last_sampled_at: at }).where('id', '=', row.id).execute();
      if (isConnectionError(err)) await this.servers.markUnreachable(row, err);
      throw err;
    }
    const prev = this.last.get(row.id) ?? (await this.latest(row.id));
    const sample = toSample(parseMetricsReading(stdout), at, prev);
    this.last.set(row.id, sample);
    await this.db.kysely
      .insertInto('server_metric_samples')
      .values({
        server_id: row.id,
        at,
        cpu_percent: sample.cpuPercent,
        load1: sample.load1,
        load5: sample.load5,
        load15: sample.load15,
        mem_total_bytes: sample.memTotalBytes,
        mem_used_bytes: sample.memUsedBytes,
        disk_total_bytes: sample.diskTotalBytes,
        disk_used_bytes: sample.diskUsedBytes,
        net_rx_bps: sample.netRxBps,
        net_tx_bps: sample.netTxBps,
        cpu_total_ticks: sample.cpuTotalTicks,
        cpu_idle_ticks: sample.cpuIdleTicks,
        net_rx_bytes: sample.netRxBytes,
        net_tx_bytes: sample.netTxBytes,
      })
      .onConflict((oc) => oc.columns(['server_id', 'at']).doNothing())
      .execute();
    await this.db.kysely
      .updateTable('servers')
      .set({ last_sampled_at: at, last_seen_at: at, ...(row.status !== 'online' ? { status: 'online' as const, last_error: null } : {}) })
      .where('id', '=', row.id)
      .execute();
    return sample;
  }

  private async latest(serverId: string): Promise<MetricSample | undefined> {
    const row = await this.db.kysely.selectFrom('server_metric_samples').selectAll().where('server_id', '=', serverId).orderBy('at', 'desc').limit(1).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /**
   * Recomputes the last few 1-minute and 1-hour buckets (idempotent upserts,
   * so a missed or repeated run does no harm) and deletes data past retention.
   */
  async rollup(): Promise<{ minutes: number; hours: number; deleted: number }> {
    const now = this.clock();
    const mWin = rollupWindow(now, '1m', 10);
    const raw = await this.db.kysely
      .selectFrom('server_metric_samples')
      .selectAll()
      .where('at', '>=', mWin.from)
      .where('at', '<', mWin.to)
      .execute();
    const minutes = this.byServer(raw.map((r) => ({ serverId: r.server_id, sample: fromRow(r) }))).flatMap(([serverId, samples]) =>
      rollupSamples(samples, '1m').map((b) => ({ serverId, b })),
    );
    await this.upsert(minutes);

    const hWin = rollupWindow(now, '1h', 3);
    const mins = await this.db.kysely
      .selectFrom('server_metric_rollups')
      .selectAll()
      .where('resolution', '=', '1m')
      .where('bucket', '>=', hWin.from)
      .where('bucket', '<', hWin.to)
      .execute();
    const grouped = new Map<string, RollupBucket[]>();
    for (const r of mins) grouped.set(r.server_id, [...(grouped.get(r.server_id) ?? []), bucketFromRow(r)]);
    const hours = [...grouped].flatMap(([serverId, buckets]) => rollupBuckets(buckets, '1h').map((b) => ({ serverId, b })));
    await this.upsert(hours);

    const cut = retentionCutoffs(now, this.retention);
    let deleted = 0;
    deleted += Number((await this.db.kysely.deleteFrom('server_metric_samples').where('at', '<', cut.raw).executeTakeFirst()).numDeletedRows);
    deleted += Number((await this.db.kysely.deleteFrom('server_metric_rollups').where('resolution', '=', '1m').where('bucket', '<', cut['1m']).executeTakeFirst()).numDeletedRows);
    deleted += Number((await this.db.kysely.deleteFrom('server_metric_rollups').where('resolution', '=', '1h').where('bucket', '<', cut['1h']).executeTakeFirst()).numDeletedRows);
    return { minutes: minutes.length, hours: hours.length, deleted };
  }

  private byServer(rows: { serverId: string; sample: MetricSample }[]): [string, MetricSample[]][] {
    const m = new Map<string, MetricSample[]>();
    for (const r of rows) m.set(r.serverId, [...(m.get(r.serverId) ?? []), r.sample]);
    return [...m];
  }

  private async upsert(rows: { serverId: string; b: RollupBucket }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const values = rows.slice(i, i + 200).map(({ serverId, b }) => ({
        server_id: serverId,
        resolution: b.resolution,
        bucket: b.bucket,
        samples: b.samples,
        cpu_avg: b.cpuAvg,
        cpu_max: b.cpuMax,
        load1_avg: b.load1Avg,
        mem_total_bytes: b.memTotalBytes,
        mem_used_avg: b.memUsedAvg,
        disk_total_bytes: b.diskTotalBytes,
        disk_used_avg: b.diskUsedAvg,
        net_rx_bps_avg: b.netRxBpsAvg,
        net_tx_bps_avg: b.netTxBpsAvg,
      }));
      await this.db.kysely
        .insertInto('server_metric_rollups')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['server_id', 'resolution', 'bucket']).doUpdateSet((eb) => ({
            samples: eb.ref('excluded.samples'),
            cpu_avg: eb.ref('excluded.cpu_avg'),
            cpu_max: eb.ref('excluded.cpu_max'),
            load1_avg: eb.ref('excluded.load1_avg'),
            mem_total_bytes: eb.ref('excluded.mem_total_bytes'),
            mem_used_avg: eb.ref('excluded.mem_used_avg'),
            disk_total_bytes: eb.ref('excluded.disk_total_bytes'),
            disk_used_avg: eb.ref('excluded.disk_used_avg'),
            net_rx_bps_avg: eb.ref('excluded.net_rx_bps_avg'),
            net_tx_bps_avg: eb.ref('excluded.net_tx_bps_avg'),
          })),
        )
        .execute();
    }
  }

  /** A series for a chart: raw samples or rollups between `from` and `to`. */
  async query(serverId: string, q: { from?: string | undefined; to?: string | undefined; step?: MetricsStep | undefined }) {
    const to = q.to ? Date.parse(q.to) : this.clock();
    const from = q.from ? Date.parse(q.from) : to - 3_600_000;
    if (from >= to) throw new AppError('invalid', 'metrics.bad_range', '`from` must be before `to`.', { fields: [{ field: 'querystring.from', message: 'after to' }] });
    const step = q.step ?? defaultStep(from, to);
    const fromIso = new Date(from).toISOString();
    const toIso = new Date(to).toISOString();
    if (step === 'raw') {
      const rows = await this.db.kysely
        .selectFrom('server_metric_samples')
        .selectAll()
        .where('server_id', '=', serverId)
        .where('at', '>=', fromIso)
        .where('at', '<=', toIso)
        .orderBy('at')
        .limit(MAX_POINTS + 1)
        .execute();
      tooMany(rows.length);
      return {
        serverId,
        step,
        from: fromIso,
        to: toIso,
        points: rows.map((r) => ({
          at: r.at,
          samples: 1,
          cpuPercent: r.cpu_percent,
          cpuPercentMax: r.cpu_percent,
          load1: r.load1,
          memUsedBytes: num(r.mem_used_bytes),
          memTotalBytes: num(r.mem_total_bytes),
          diskUsedBytes: num(r.disk_used_bytes),
          diskTotalBytes: num(r.disk_total_bytes),
          netRxBytesPerSecond: r.net_rx_bps,
          netTxBytesPerSecond: r.net_tx_bps,
        })),
      };
    }
    const rows = await this.db.kysely
      .selectFrom('server_metric_rollups')
      .selectAll()
      .where('server_id', '=', serverId)
      .where('resolution', '=', step)
      .where('bucket', '>=', fromIso)
      .where('bucket', '<=', toIso)
      .orderBy('bucket')
      .limit(MAX_POINTS + 1)
      .execute();
    tooMany(rows.length);
    return {
      serverId,
      step,
      from: fromIso,
      to: toIso,
      points: rows.map((r) => ({
        at: r.bucket,
        samples: r.samples,
        cpuPercent: r.cpu_avg,
        cpuPercentMax: r.cpu_max,
        load1: r.load1_avg,
        memUsedBytes: r.mem_used_avg,
        memTotalBytes: num(r.mem_total_bytes),
        diskUsedBytes: r.disk_used_avg,
        diskTotalBytes: num(r.disk_total_bytes),
        netRxBytesPerSecond: r.net_rx_bps_avg,
        netTxBytesPerSecond: r.net_tx_bps_avg,
      })),
    };
  }

  /** Forgets the in-memory previous sample of a server (after it was deleted). */
  forget(serverId: string): void {
    this.last.delete(serverId);
  }
}

function tooMany(n: number): void {
  if (n > MAX_POINTS) {
    throw new AppError('invalid', 'metrics.too_many_points', `More than ${MAX_POINTS} points: choose a coarser step or a shorter range.`, { fields: [{ field: 'querystring.step', message: 'too fine for this range' }] });
  }
}
