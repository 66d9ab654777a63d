import { dotsPath, linear, linePath, summarize, type SeriesPoint } from './scale';

const W = 100;
const H = 24;

/**
 * A tiny inline trend line with its latest value as text. The SVG is
 * decoration: screen readers hear the label, the value and the range.
 */
export function Sparkline({
  label,
  points,
  max,
  format,
  from,
  to,
  period = 'last hour',
}: {
  label: string;
  points: readonly SeriesPoint[];
  /** Top of the scale (100 for percentages); default the largest value. */
  max?: number;
  format: (v: number) => string;
  from: number;
  to: number;
  /** Spoken with the range: `last hour`. */
  period?: string;
}) {
  const stats = summarize(points);
  const top = max ?? (stats ? stats.max * 1.1 || 1 : 1);
  const x = linear(from, to, 0, W);
  const y = linear(0, top, H - 1, 1);
  const d = stats ? linePath(points, x, y) : '';
  const dots = stats ? dotsPath(points, x, y, 3) : '';
  const level = stats && max ? stats.latest / max : 0;
  return (
    <span className="spark">
      <span className="spark__label">{label}</span>
      <svg className={`spark__line${level >= 0.9 ? ' spark__line--hot' : ''}`} viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <line x1="0" x2={W} y1={H - 0.5} y2={H - 0.5} className="spark__base" vectorEffect="non-scaling-stroke" />
        {d && <path d={d} vectorEffect="non-scaling-stroke" />}
        {dots && <path d={dots} className="spark__dot" vectorEffect="non-scaling-stroke" />}
      </svg>
      <span className="spark__value">{stats ? format(stats.latest) : '—'}</span>
      {stats && (
        <span className="visually-hidden">
          {' '}
          ({period}: low {format(stats.min)}, high {format(stats.max)})
        </span>
      )}
    </span>
  );
}
