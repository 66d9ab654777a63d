import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  const mid = () => 0.5; // no jitter

  it('doubles the delay with each attempt, starting at the base', () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, 1000, 600_000, mid))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('stops growing at the cap', () => {
    expect(retryDelayMs(30, 1000, 60_000, mid)).toBe(60_000);
    expect(retryDelayMs(2000, 1000, 60_000, mid)).toBe(60_000);
  });

  it('spreads retries by ±20 % so failed jobs do not retry in lockstep', () => {
    expect(retryDelayMs(3, 1000, 600_000, () => 0)).toBe(3200);
    expect(retryDelayMs(3, 1000, 600_000, () => 0.999999)).toBe(4800);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(2, 500);
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1200);
    }
  });

  it('treats attempt 0 like the first retry', () => {
    expect(retryDelayMs(0, 250, 600_000, mid)).toBe(250);
  });
});
