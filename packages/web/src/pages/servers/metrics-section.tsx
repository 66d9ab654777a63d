import { useState } from 'react';
import type { MetricPoint, Server } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { LineChart } from '../../components/charts/line-chart';
import { formatBytes, formatNumber, formatPercent, formatRate } from '../../lib/format';
import { RANGES, seriesOf, useServerMetrics, type RangeValue } from './metrics';

/** The newest known value of a field (totals for the memory and disk scales). */
function latest(points: readonly MetricPoint[], pick: (p: MetricPoint) => number | null): number | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    const v = p ? pick(p) : null;
    if (v !== null && v > 0) return v;
  }
  return undefined;
}

/** CPU, memory, disk, load and network charts over 1 h, 24 h or 7 d. */
export function MetricsSection({ server }: { server: Server }) {
  const [rangeValue, setRangeValue] = useState<RangeValue>('1h');
  const range = RANGES.find((r) => r.value === rangeValue) ?? RANGES[0];
  const validated = server.hostKeyFingerprint !== null;
  const metrics = useServerMetrics(validated ? server.id : null, range.ms, range.refreshMs);
  const data = metrics.data;
  const points = data?.points ?? [];
  const to = data ? Date.parse(data.to) : 0;
  const from = data ? Date.parse(data.from) : 0;
  const rolled = data !== undefined && data.step !== 'raw';
  const common = {
    from,
    to,
    emptyText: `No samples in the ${range.longLabel} yet. DevFlow samples every ${server.metricsIntervalSeconds} seconds while the server answers.`,
  };

  return (
    <section className="card section" aria-labelledby="metrics-title">
      <div className="section__head">
        <h2 id="metrics-title">Metrics</h2>
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.value} type="button" className="segmented__button" aria-pressed={r.value === rangeValue} onClick={() => setRangeValue(r.value)}>
              <span aria-hidden="true">{r.label}</span>
              <span className="visually-hidden">{r.longLabel}</span>
            </button>
          ))}
        </div>
      </div>
      <ErrorAlert error={metrics.error} />
      {!validated && <p className="muted">No samples yet: DevFlow samples a server once its connection has been checked.</p>}
      {metrics.loading && (
        <p className="muted" role="status">
          Loading metrics…
        </p>
      )}
      {data && (
        <div className="charts">
          <LineChart
            title="CPU"
            unit="percent of all CPUs"
            max={100}
            format={formatPercent}
            series={
              rolled
                ? [
                    { name: 'Average', points: seriesOf(points, (p) => p.cpuPercent) },
                    { name: 'Peak', points: seriesOf(points, (p) => p.cpuPercentMax) },
                  ]
                : [{ name: 'CPU', points: seriesOf(points, (p) => p.cpuPercent) }]
            }
            {...common}
          />
          <LineChart
            title="Memory"
            unit="bytes in use"
            max={latest(points, (p) => p.memTotalBytes)}
            format={formatBytes}
            series={[{ name: 'Used', points: seriesOf(points, (p) => p.memUsedBytes) }]}
            {...common}
          />
          <LineChart
            title="Disk"
            unit="bytes used on /"
            max={latest(points, (p) => p.diskTotalBytes)}
            format={formatBytes}
            series={[{ name: 'Used', points: seriesOf(points, (p) => p.diskUsedBytes) }]}
            {...common}
          />
          <LineChart
            title="Load"
            unit="1-minute load average"
            format={formatNumber}
            series={[{ name: 'Load', points: seriesOf(points, (p) => p.load1) }]}
            {...common}
          />
          <LineChart
            title="Network"
            unit="bytes per second"
            format={formatRate}
            series={[
              { name: 'Received', points: seriesOf(points, (p) => p.netRxBytesPerSecond) },
              { name: 'Sent', points: seriesOf(points, (p) => p.netTxBytesPerSecond) },
            ]}
            {...common}
          />
        </div>
      )}
    </section>
  );
}
