import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
const RANDOM_BITS = 80n;

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = alphabet[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A new opaque id: a prefix, then a time part and 80 random bits (e.g.
 * `srv_01j9x…`). Like a monotonic ULID: within one process, ids sort by
 * creation even inside one millisecond (the random part counts up).
 */
export function newId(prefix: string): string {
  const now = Math.max(Date.now(), lastTime);
  if (now === lastTime) {
    lastRandom = (lastRandom + 1n) & ((1n << RANDOM_BITS) - 1n);
  } else {
    lastTime = now;
    lastRandom = BigInt('0x' + randomBytes(10).toString('hex')) >> 1n; // headroom so counting up never wraps in practice
  }
  return `${prefix}_${encode(BigInt(now), 10)}${encode(lastRandom, 16)}`;
}

/** The current time as an ISO-8601 UTC string, the format of every timestamp column. */
export function nowIso(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}
