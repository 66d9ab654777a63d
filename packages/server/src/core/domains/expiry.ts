/** Decisions about certificate lifetimes: when to renew and when to warn. Pure. */

const DAY = 86_400_000;

/** Renew this many days before a certificate expires (Let's Encrypt's advice for 90-day certificates). */
export const RENEW_BEFORE_DAYS = 30;

/** Days before expiry at which an alert is raised, largest first. */
export const EXPIRY_ALERT_DAYS = [21, 7, 1] as const;

/** When the renewal job takes a certificate. */
export function renewAfter(notAfter: string, days = RENEW_BEFORE_DAYS): string {
  return new Date(Date.parse(notAfter) - days * DAY).toISOString();
}

/** True when the certificate is within `days` of expiry (or expired) at `now`. */
export function renewalDue(notAfter: string, now: number, days = RENEW_BEFORE_DAYS): boolean {
  return Date.parse(notAfter) - now <= days * DAY;
}

/** Whole days left (negative once expired), rounded down. */
export function daysLeft(notAfter: string, now: number): number {
  return Math.floor((Date.parse(notAfter) - now) / DAY);
}

/**
 * The alert threshold a certificate has crossed at `now`: the smallest of
 * `thresholds` at or above the days left, or null while it is further away
 * than the largest. An expired certificate is at threshold 0.
 */
export function expiryThreshold(notAfter: string, now: number, thresholds: readonly number[] = EXPIRY_ALERT_DAYS): number | null {
  const left = (Date.parse(notAfter) - now) / DAY;
  if (left <= 0) return 0;
  const crossed = thresholds.filter((t) => left <= t);
  return crossed.length ? Math.min(...crossed) : null;
}

/**
 * Whether to alert: the served certificate crossed a threshold it has not
 * been alerted at. `last` is what was alerted before for the same certificate
 * (by fingerprint); a new certificate starts over.
 */
export function shouldAlertExpiry(
  current: { fingerprint: string; threshold: number | null },
  last: { fingerprint: string | null; threshold: number | null },
): boolean {
  if (current.threshold === null) return false;
  if (last.fingerprint !== current.fingerprint || last.threshold === null) return true;
  return current.threshold < last.threshold;
}

/** The delay before retry `attempt` (1-based) of a failed renewal: 1 h, 4 h, 16 h, then daily. */
export function renewalRetryDelayMs(attempt: number): number {
  return Math.min(DAY, 3_600_000 * 4 ** Math.max(0, attempt - 1));
}
