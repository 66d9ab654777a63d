import { describe, expect, it } from 'vitest';
import { bucketStart, defaultStep, retentionCutoffs, rollupBuckets, rollupSamples, rollupWindow, type RollupInput } from '../../src/core/metrics-rollup.js';

const s = (at: string, cpu: number | null, mem = 100, extra: Partial<RollupInput> = {}): RollupInput => ({
  at,
  cpuPercent: cpu,
  load1: 1,
  memTotalBytes: 1000,
  memUsedBytes: mem,
  diskTotalBytes: 5000,
  diskUsedBytes: 2000,
  netRxBps: 10,
  netTxBps: null,
  ...extra,
});

describe('metrics rollups', () => {
  it('buckets by minute and hour in UTC', () => {
    expect(bucketStart('2026-03-01T10:17:45.123Z', '1m')).toBe('2026-03-01T10:17:00.000Z');
    expect(bucketStart('2026-03-01T10:17:45.123Z', '1h')).toBe('2026-03-01T10:00:00.000Z');
  });

  it('averages raw samples per minute, keeps the CPU max and the latest totals, skips nulls', () => {
    const out = rollupSamples(
      [s('2026-03-01T10:00:00Z', null), s('2026-03-01T10:00:30Z', 20, 200), s('2026-03-01T10:00:45Z', 40, 400, { memTotalBytes: 2000 }), s('2026-03-01T10:01:10Z', 10)],
      '1m',
    );
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ bucket: '2026-03-01T10:00:00.000Z', samples: 3, cpuAvg: 30, cpuMax: 40, memUsedAvg: 233.33, memTotalBytes: 2000, netRxBpsAvg: 10, netTxBpsAvg: null });
    expect(out[1]).toMatchObject({ bucket: '2026-03-01T10:01:00.000Z', samples: 1, cpuAvg: 10 });
  });

  it('rolls minutes into hours weighted by sample counts', () => {
    const minutes = rollupSamples([s('2026-03-01T10:00:00Z', 10), s('2026-03-01T10:00:30Z', 10), s('2026-03-01T10:59:00Z', 40), s('2026-03-01T11:00:00Z', 90)], '1m');
    const hours = rollupBuckets(minutes, '1h');
    expect(hours).toHaveLength(2);
    expect(hours[0]).toMatchObject({ bucket: '2026-03-01T10:00:00.000Z', samples: 3, cpuAvg: 20, cpuMax: 40 });
    expect(hours[1]).toMatchObject({ bucket: '2026-03-01T11:00:00.000Z', samples: 1, cpuAvg: 90 });
  });

  it('recomputes a window of completed buckets only', () => {
    const now = Date.parse('2026-03-01T10:17:45Z');
    expect(rollupWindow(now, '1m', 10)).toEqual({ from: '2026-03-01T10:07:00.000Z', to: '2026-03-01T10:17:00.000Z' });
    expect(rollupWindow(now, '1h', 3)).toEqual({ from: '2026-03-01T07:00:00.000Z', to: '2026-03-01T10:00:00.000Z' });
  });

  it('keeps raw 24 h, minutes 7 days, hours 90 days by default', () => {
    const now = Date.parse('2026-03-31T00:00:00Z');
    expect(retentionCutoffs(now)).toEqual({ raw: '2026-03-30T00:00:00.000Z', '1m': '2026-03-24T00:00:00.000Z', '1h': '2025-12-31T00:00:00.000Z' });
  });

  it('picks a default step from the range', () => {
    expect(defaultStep(0, 3_600_000)).toBe('raw');
    expect(defaultStep(0, 24 * 3_600_000)).toBe('1m');
    expect(defaultStep(0, 30 * 86_400_000)).toBe('1h');
  });
});
