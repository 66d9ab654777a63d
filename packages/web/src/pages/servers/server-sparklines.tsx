import type { Server } from '@devflow/contracts';
import { Sparkline } from '../../components/charts/sparkline';
import { formatPercent } from '../../lib/format';
import { cpuOf, diskPercentOf, HOUR_MS, memPercentOf, seriesOf, useServerMetrics } from './metrics';

/** CPU, memory and disk of the last hour as three sparklines; nothing is fetched before the first validation. */
export function ServerSparklines({ server }: { server: Server }) {
  const validated = server.hostKeyFingerprint !== null;
  const metrics = useServerMetrics(validated ? server.id : null, HOUR_MS, 60_000);
  const data = metrics.data;
  if (!validated) return <span className="muted sparks__none">No metrics before the first connection check</span>;
  if (!data) return <span className="muted sparks__none">{metrics.error ? 'Metrics unavailable' : 'Loading metrics…'}</span>;
  const points = data.points;
  const from = Date.parse(data.from);
  const to = Date.parse(data.to);
  return (
    <span className="sparks">
      <Sparkline label="CPU" points={seriesOf(points, cpuOf)} max={100} format={formatPercent} from={from} to={to} />
      <Sparkline label="RAM" points={seriesOf(points, memPercentOf)} max={100} format={formatPercent} from={from} to={to} />
      <Sparkline label="Disk" points={seriesOf(points, diskPercentOf)} max={100} format={formatPercent} from={from} to={to} />
    </span>
  );
}
