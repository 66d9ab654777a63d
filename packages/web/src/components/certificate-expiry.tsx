const DAY_MS = 86_400_000;

/** Whole days until `notAfter` (negative once expired). */
export function daysLeft(notAfter: string, now = Date.now()): number {
  return Math.floor((Date.parse(notAfter) - now) / DAY_MS);
}

/** Tone of a certificate by days left: red under 7 days, amber under 21. */
export function expiryTone(days: number): 'danger' | 'warning' | 'ok' {
  if (days < 7) return 'danger';
  if (days < 21) return 'warning';
  return 'ok';
}

/** Days left of a certificate as a badge with words (never colour alone). */
export function ExpiryBadge({ notAfter, now }: { notAfter: string; now?: number }) {
  const days = daysLeft(notAfter, now);
  const tone = expiryTone(days);
  const text = days < 0 ? 'expired' : days === 0 ? 'expires today' : `${days} day${days === 1 ? '' : 's'} left`;
  return (
    <span className={`badge badge--status badge--expiry-${tone}`} data-tone={tone}>
      <span className="badge__dot" aria-hidden="true" />
      {text}
    </span>
  );
}
