import { serversApi } from '../../api/servers';
import type { MetricPoint, MetricsSeries } from '@devflow/contracts';
import type { SeriesPoint } from '../../components/charts/scale';
import { useResource, type Resource } from '../../lib/use-resource';

export const HOUR_MS = 3_600_000;

/** The ranges the charts offer, and how often each refreshes while shown. */
export const RANGES = [
  { value: '1h', label: '1 h', longLabel: 'last hour', ms: HOUR_MS, refreshMs: 30_000 },
  { value: '24h', label: '24 h', longLabel: 'last 24 hours', ms: 24 * HOUR_MS, refreshMs: 120_000 },
  { value: '7d', label: '7 d', longLabel: 'last 7 days', ms: 7 * 24 * HOUR_MS, refreshMs: 600_000 },
] as const;
export type RangeValue = (typeof RANGES)[number]['value'];

/** Used of total as a percentage, or null when either is unknown. */
export function percentOf(used: number | null, total: number | null): number | null {
  return used === null || total === null || total <= 0 ? null : (used / total) * 100;
}

/** One value of every point, on the time axis. */
export function seriesOf(points: readonly MetricPoint[], pick: (p: MetricPoint) => number | null): SeriesPoint[] {
  return points.map((p) => ({ t: Date.parse(p.at), v: pick(p) }));
}

export const cpuOf = (p: MetricPoint) => p.cpuPercent;
export const memPercentOf = (p: MetricPoint) => percentOf(p.memUsedBytes, p.memTotalBytes);
export const diskPercentOf = (p: MetricPoint) => percentOf(p.diskUsedBytes, p.diskTotalBytes);

/**
 * The metric series of a server over the last `rangeMs`, refreshed every
 * `refreshMs` while the tab is visible; null `serverId` loads nothing.
 */
export function useServerMetrics(serverId: string | null, rangeMs: number, refreshMs: number | null): Resource<MetricsSeries> {
  return useResource(
    serverId === null ? null : `${serverId}:${rangeMs}`,
    (signal) => {
      const to = Date.now();
      return serversApi.metrics(serverId ?? '', { from: new Date(to - rangeMs).toISOString(), to: new Date(to).toISOString() }, signal);
    },
    { refreshMs, keepPrevious: true },
  );
}
