/**
 * Pure rollup and retention rules for server metrics: raw samples become
 * 1-minute buckets, 1-minute buckets become 1-hour buckets, and each tier
 * is kept for its own period.
 */

export type Resolution = '1m' | '1h';
export type MetricsStep = 'raw' | Resolution;

export const BUCKET_MS: Record<Resolution, number> = { '1m': 60_000, '1h': 3_600_000 };

/** How long each tier is kept. */
export interface RetentionPolicy {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

const DAY = 86_400_000;
export const defaultRetention: RetentionPolicy = { rawMs: DAY, minuteMs: 7 * DAY, hourMs: 90 * DAY };

/** The fields of a raw sample a rollup reads. */
export interface RollupInput {
  at: string;
  cpuPercent: number | null;
  load1: number | null;
  memTotalBytes: number | null;
  memUsedBytes: number | null;
  diskTotalBytes: number | null;
  diskUsedBytes: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
}

/** One bucket of one resolution: averages (and the CPU maximum) over `samples` raw samples. */
export interface RollupBucket {
  resolution: Resolution;
  bucket: string;
  samples: number;
  cpuAvg: number | null;
  cpuMax: number | null;
  load1Avg: number | null;
  memTotalBytes: number | null;
  memUsedAvg: number | null;
  diskTotalBytes: number | null;
  diskUsedAvg: number | null;
  netRxBpsAvg: number | null;
  netTxBpsAvg: number | null;
}

/** Start of the bucket containing `at`, as ISO-8601 UTC. */
export function bucketStart(at: string | number, resolution: Resolution): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  const size = BUCKET_MS[resolution];
  return new Date(Math.floor(ms / size) * size).toISOString();
}

/** Mean of the non-null values, weighted, or null when there are none. */
class Mean {
  private sum = 0;
  private weight = 0;
  add(v: number | null, w = 1): void {
    if (v === null || !Number.isFinite(v) || w <= 0) return;
    this.sum += v * w;
    this.weight += w;
  }
  get value(): number | null {
    return this.weight ? Math.round((this.sum / this.weight) * 100) / 100 : null;
  }
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

interface Acc {
  samples: number;
  cpu: Mean;
  cpuMax: number | null;
  load1: Mean;
  memTotal: number | null;
  memUsed: Mean;
  diskTotal: number | null;
  diskUsed: Mean;
  rx: Mean;
  tx: Mean;
  lastAt: string;
}

function newAcc(): Acc {
  return { samples: 0, cpu: new Mean(), cpuMax: null, load1: new Mean(), memTotal: null, memUsed: new Mean(), diskTotal: null, diskUsed: new Mean(), rx: new Mean(), tx: new Mean(), lastAt: '' };
}

function finish(resolution: Resolution, bucket: string, a: Acc): RollupBucket {
  return {
    resolution,
    bucket,
    samples: a.samples,
    cpuAvg: a.cpu.value,
    cpuMax: a.cpuMax,
    load1Avg: a.load1.value,
    memTotalBytes: a.memTotal,
    memUsedAvg: a.memUsed.value,
    diskTotalBytes: a.diskTotal,
    diskUsedAvg: a.diskUsed.value,
    netRxBpsAvg: a.rx.value,
    netTxBpsAvg: a.tx.value,
  };
}

/** Groups raw samples (of one server) into buckets of `resolution`, oldest first. Totals take the latest value. */
export function rollupSamples(samples: readonly RollupInput[], resolution: Resolution): RollupBucket[] {
  const accs = new Map<string, Acc>();
  for (const s of samples) {
    const key = bucketStart(s.at, resolution);
    const a = accs.get(key) ?? newAcc();
    a.samples += 1;
    a.cpu.add(s.cpuPercent);
    a.cpuMax = maxOf(a.cpuMax, s.cpuPercent);
    a.load1.add(s.load1);
    a.memUsed.add(s.memUsedBytes);
    a.diskUsed.add(s.diskUsedBytes);
    a.rx.add(s.netRxBps);
    a.tx.add(s.netTxBps);
    if (s.at >= a.lastAt) {
      a.lastAt = s.at;
      a.memTotal = s.memTotalBytes ?? a.memTotal;
      a.diskTotal = s.diskTotalBytes ?? a.diskTotal;
    }
    accs.set(key, a);
  }
  return [...accs.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, a]) => finish(resolution, k, a));
}

/** Groups finer buckets into coarser ones (1m → 1h), weighting averages by sample counts. */
export function rollupBuckets(buckets: readonly RollupBucket[], resolution: Resolution): RollupBucket[] {
  const accs = new Map<string, Acc>();
  for (const b of buckets) {
    const key = bucketStart(b.bucket, resolution);
    const a = accs.get(key) ?? newAcc();
    const w = b.samples;
    a.samples += w;
    a.cpu.add(b.cpuAvg, w);
    a.cpuMax = maxOf(a.cpuMax, b.cpuMax);
    a.load1.add(b.load1Avg, w);
    a.memUsed.add(b.memUsedAvg, w);
    a.diskUsed.add(b.diskUsedAvg, w);
    a.rx.add(b.netRxBpsAvg, w);
    a.tx.add(b.netTxBpsAvg, w);
    if (b.bucket >= a.lastAt) {
      a.lastAt = b.bucket;
      a.memTotal = b.memTotalBytes ?? a.memTotal;
      a.diskTotal = b.diskTotalBytes ?? a.diskTotal;
    }
    accs.set(key, a);
  }
  return [...accs.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, a]) => finish(resolution, k, a));
}

/**
 * The window of buckets a rollup pass (re)computes: the last `lookback`
 * completed buckets before `now`. Recomputing a few buckets each pass makes
 * the job idempotent and lets it catch up after a pause without gaps.
 */
export function rollupWindow(now: number, resolution: Resolution, lookback: number): { from: string; to: string } {
  const size = BUCKET_MS[resolution];
  const end = Math.floor(now / size) * size;
  return { from: new Date(end - lookback * size).toISOString(), to: new Date(end).toISOString() };
}

/** Oldest timestamp each tier keeps at `now`; older rows are deleted. */
export function retentionCutoffs(now: number, policy: RetentionPolicy = defaultRetention): Record<MetricsStep, string> {
  return {
    raw: new Date(now - policy.rawMs).toISOString(),
    '1m': new Date(now - policy.minuteMs).toISOString(),
    '1h': new Date(now - policy.hourMs).toISOString(),
  };
}

/** The step a chart of [from, to] asks for by default: raw up to 2 h, minutes up to 3 days, else hours. */
export function defaultStep(fromMs: number, toMs: number): MetricsStep {
  const span = toMs - fromMs;
  if (span <= 2 * 3_600_000) return 'raw';
  if (span <= 3 * DAY) return '1m';
  return '1h';
}
