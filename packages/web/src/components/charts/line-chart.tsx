import { useId, useState } from 'react';
import { formatAxisTime, formatDateTime, formatTimestamp } from '../../lib/format';
import { dotsPath, linear, linePath, niceMax, summarize, type SeriesPoint } from './scale';

export interface ChartSeries {
  name: string;
  points: readonly SeriesPoint[];
}

const W = 600;
const H = 160;
const DAY_MS = 86_400_000;

/**
 * A line chart drawn as inline SVG. Accessible: the SVG is an image with a
 * title and a description that summarises every series (latest, low, high),
 * and a toggle shows the exact values as a table. Axis labels are HTML, so
 * they stay legible when the plot stretches to the width of a phone.
 */
export function LineChart({
  title,
  unit,
  series,
  from,
  to,
  max,
  format,
  emptyText,
}: {
  title: string;
  /** Said after the title in the description, e.g. `percent of all CPUs`. */
  unit: string;
  series: readonly ChartSeries[];
  from: number;
  to: number;
  /** Top of the scale; default a round number above the largest value. */
  max?: number;
  format: (v: number) => string;
  emptyText: string;
}) {
  const id = useId();
  const [table, setTable] = useState(false);
  const stats = series.map((s) => summarize(s.points));
  const hasData = stats.some(Boolean);
  const top = max ?? niceMax(Math.max(0, ...stats.map((s) => s?.max ?? 0)));
  const x = linear(from, to, 0, W);
  const y = linear(0, top, H, 0);
  const withDate = to - from > DAY_MS / 2;
  const description = hasData
    ? `${title}, ${unit}, from ${formatDateTime(new Date(from).toISOString())} to ${formatDateTime(new Date(to).toISOString())}. ` +
      series
        .map((s, i) => {
          const st = stats[i];
          return st ? `${s.name}: latest ${format(st.latest)}, low ${format(st.min)}, high ${format(st.max)}, average ${format(st.mean)}.` : `${s.name}: no data.`;
        })
        .join(' ')
    : emptyText;
  const times = series[0]?.points.map((p) => p.t) ?? [];

  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption className="chart__head">
        <span className="chart__title" id={`${id}-caption`}>
          {title}
        </span>
        {series.length > 1 && (
          <span className="chart__legend" aria-hidden="true">
            {series.map((s, i) => (
              <span key={s.name} className={`chart__key chart__key--${i + 1}`}>
                {s.name}
              </span>
            ))}
          </span>
        )}
        {hasData && (
          <button
            type="button"
            className="button button--link chart__toggle"
            aria-expanded={table}
            aria-controls={`${id}-table`}
            onClick={() => setTable((t) => !t)}
          >
            {table ? 'Hide data table' : 'Show data table'}
          </button>
        )}
      </figcaption>
      <div className="chart__body">
        <div className="chart__y" aria-hidden="true">
          <span>{format(top)}</span>
          <span>{format(top / 2)}</span>
          <span>{format(0)}</span>
        </div>
        <svg
          className="chart__plot"
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
        >
          <title id={`${id}-title`}>{title}</title>
          <desc id={`${id}-desc`}>{description}</desc>
          {[0, 0.5, 1].map((f) => (
            <line key={f} x1="0" x2={W} y1={H * f} y2={H * f} className="chart__grid" vectorEffect="non-scaling-stroke" />
          ))}
          {series.map((s, i) => (
            <g key={s.name}>
              <path d={linePath(s.points, x, y)} className={`chart__line chart__line--${i + 1}`} vectorEffect="non-scaling-stroke" />
              <path d={dotsPath(s.points, x, y)} className={`chart__dots chart__dots--${i + 1}`} vectorEffect="non-scaling-stroke" />
            </g>
          ))}
        </svg>
        <div className="chart__x" aria-hidden="true">
          <span>{formatAxisTime(from, withDate)}</span>
          <span>{formatAxisTime((from + to) / 2, withDate)}</span>
          <span>{formatAxisTime(to, withDate)}</span>
        </div>
        {!hasData && <p className="chart__empty">{emptyText}</p>}
      </div>
      <div className="chart__table" id={`${id}-table`} tabIndex={table ? 0 : undefined} role="region" aria-label={`${title} data`} hidden={!table}>
        {table && (
          <table className="table table--compact">
            <caption className="visually-hidden">
              {title}, {unit}
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((s) => (
                  <th scope="col" key={s.name}>
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((t, row) => (
                <tr key={t}>
                  <th scope="row">{formatTimestamp(t)}</th>
                  {series.map((s) => {
                    const v = s.points[row]?.v;
                    return <td key={s.name}>{v === null || v === undefined ? '—' : format(v)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </figure>
  );
}
