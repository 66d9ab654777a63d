const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A timestamp in the user's locale and time zone; `fallback` when absent. */
export function formatDateTime(iso: string | null | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatDate(iso: string | null | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

/** `ABCDEFGH…` → `ABCD EFGH …`, easier to type from the screen. */
export function groupsOf4(s: string): string {
  return s.match(/.{1,4}/g)?.join(' ') ?? s;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1536` → `1.5 KiB`; binary units, as `free -h` and `df -h` count. */
export function formatBytes(n: number | null | undefined, fallback = '—'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return fallback;
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits).replace(/\.0+$/, '')} ${BYTE_UNITS[i]}`;
}

/** Bytes per second as `12.5 KiB/s`. */
export function formatRate(n: number | null | undefined, fallback = '—'): string {
  return n === null || n === undefined ? fallback : `${formatBytes(n)}/s`;
}

/** `12.345` → `12.3%`. */
export function formatPercent(n: number | null | undefined, fallback = '—'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return fallback;
  return `${n >= 10 || n === 0 ? Math.round(n) : n.toFixed(1)}%`;
}

/** A plain number with at most two decimals (load averages). */
export function formatNumber(n: number | null | undefined, fallback = '—'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return fallback;
  return String(Math.round(n * 100) / 100);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' });
const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** `3 minutes ago`, in the user's language; under ten seconds is `now`. */
export function formatRelative(iso: string | null | undefined, now = Date.now(), fallback = 'never'): string {
  if (!iso) return fallback;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  let delta = (then - now) / 1000;
  if (Math.abs(delta) < 10) return relative.format(0, 'second');
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(delta) < size) return relative.format(Math.round(delta), unit);
    delta /= size;
  }
  return relative.format(Math.round(delta), 'year');
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A chart axis label: the time within a day, with the date on longer ranges. */
export function formatAxisTime(ms: number, withDate: boolean): string {
  return (withDate ? dayAndTime : timeOnly).format(new Date(ms));
}

const withSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A timestamp to the second (rows of a chart's data table). */
export function formatTimestamp(ms: number): string {
  return withSeconds.format(new Date(ms));
}

/** A duration as `850 ms`, `12 s`, `3 min 4 s` or `1 h 2 min`. */
export function formatDuration(ms: number | null | undefined, fallback = '—'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return fallback;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
