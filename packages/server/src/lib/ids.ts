import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A new opaque id: a prefix, then a time-sortable part and 80 random bits
 * (e.g. `srv_01j9x…`), so ids sort by creation and never collide.
 */
export function newId(prefix: string): string {
  let t = Date.now();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let rand = '';
  for (let i = 0; i < 16; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const off = bit & 7;
    const v = (((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0)) >> (11 - off);
    rand += alphabet[v & 31];
  }
  return `${prefix}_${time}${rand}`;
}

/** The current time as an ISO-8601 UTC string, the format of every timestamp column. */
export function nowIso(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}
