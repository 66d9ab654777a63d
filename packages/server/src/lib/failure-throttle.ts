import { AppError } from './errors.js';

/**
 * Counts failures per key in a sliding window (in memory, per process) and
 * refuses with 429 and a retry time once the limit is reached.
 */
export class FailureThrottle {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
    /** The refusal's code and message (other callers than sign-in count other things). */
    private readonly refusal: { code: string; message: (retryAfter: number) => string } = {
      code: 'rate_limited',
      message: (s) => `Too many failed attempts. Try again in ${s} seconds.`,
    },
    private readonly maxKeys = 50_000,
  ) {}

  /** Throws `rate_limited` when `key` has used up its failures. */
  check(key: string): void {
    const now = this.clock();
    const recent = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.hits.set(key, recent);
    if (recent.length >= this.limit) {
      const retryAfter = Math.max(1, Math.ceil(((recent[0] ?? now) + this.windowMs - now) / 1000));
      throw new AppError('rate_limited', this.refusal.code, this.refusal.message(retryAfter), {
        meta: { retryAfter },
      });
    }
  }

  fail(key: string): void {
    const list = this.hits.get(key) ?? [];
    list.push(this.clock());
    this.hits.delete(key); // re-inserted last: the map stays ordered from least to most recently failed
    this.hits.set(key, list);
    // Bound memory under a spray of keys by dropping the longest-quiet keys, never the active ones.
    while (this.hits.size > this.maxKeys) {
      const oldest = this.hits.keys().next().value;
      if (oldest === undefined) break;
      this.hits.delete(oldest);
    }
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}
