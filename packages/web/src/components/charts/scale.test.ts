import { describe, expect, it } from 'vitest';
import { dotsPath, linear, linePath, niceMax, summarize, type SeriesPoint } from './scale';

const id = (v: number) => v;
const pts = (...vs: (number | null)[]): SeriesPoint[] => vs.map((v, i) => ({ t: i * 10, v }));

describe('chart scales', () => {
  it('draws a line that breaks at gaps', () => {
    expect(linePath(pts(1, 2, null, 4, 5), id, id)).toBe('M0.0 1.0L10.0 2.0M30.0 4.0L40.0 5.0');
    expect(linePath(pts(null, null), id, id)).toBe('');
  });

  it('marks every point of a sparse series, and only isolated points of a dense one', () => {
    expect(dotsPath(pts(1, 2), id, id)).toBe('M0.0 1.0h0M10.0 2.0h0');
    expect(dotsPath(pts(1, 2, null, 4, null, 6, 7), id, id, 2)).toBe('M30.0 4.0h0');
  });

  it('rounds axis tops up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.3, 1, 1.2, 3, 7, 10, 64, 250, 1_100].map(niceMax)).toEqual([1, 0.5, 1, 2, 5, 10, 10, 100, 500, 2_000]);
  });

  it('maps domains linearly, and an empty domain to the middle', () => {
    expect(linear(0, 100, 160, 0)(25)).toBe(120);
    expect(linear(5, 5, 0, 10)(5)).toBe(5);
  });

  it('summarises the known values', () => {
    expect(summarize(pts(4, null, 2, 6))).toEqual({ min: 2, max: 6, mean: 4, latest: 6 });
    expect(summarize(pts(null))).toBeNull();
  });
});
