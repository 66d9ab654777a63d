/** Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, with ±20 % jitter. */
export function retryDelayMs(attempt: number, baseMs: number, capMs = 600_000, random: () => number = Math.random): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
