/** A point of a series: time in ms and a value, or null for a gap. */
export interface SeriesPoint {
  t: number;
  v: number | null;
}

/**
 * An SVG path through the points in a `width` × `height` box (y grows
 * downwards); a null value breaks the line so gaps stay visible.
 */
export function linePath(points: readonly SeriesPoint[], x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/**
 * Dots (zero-length segments, drawn with round caps) where a line alone would
 * not show the data: every point of a sparse series, and isolated points
 * between gaps of a dense one.
 */
export function dotsPath(points: readonly SeriesPoint[], x: (t: number) => number, y: (v: number) => number, sparse = 30): string {
  const known = (p: SeriesPoint | undefined) => p !== undefined && p.v !== null && Number.isFinite(p.v);
  const all = points.filter(known).length <= sparse;
  let d = '';
  points.forEach((p, i) => {
    if (!known(p) || p.v === null) return;
    if (all || (!known(points[i - 1]) && !known(points[i + 1]))) d += `M${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}h0`;
  });
  return d;
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Minimum, maximum, mean and latest of the non-null values, or null without any. */
export function summarize(points: readonly SeriesPoint[]): { min: number; max: number; mean: number; latest: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let n = 0;
  let latest: number | null = null;
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v)) continue;
    min = Math.min(min, p.v);
    max = Math.max(max, p.v);
    sum += p.v;
    n++;
    latest = p.v;
  }
  return n === 0 || latest === null ? null : { min, max, mean: sum / n, latest };
}
