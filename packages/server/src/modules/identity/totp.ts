import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD = 30;

/** A TOTP generator for a base32 secret, labelled for authenticator apps. */
export function totpFor(secretBase32: string, label = 'DevFlow'): TOTP {
  return new TOTP({
    issuer: 'DevFlow Pro',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new random 160-bit secret, base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/**
 * The time step a code belongs to (within ±1 step of now), or undefined when
 * the code is wrong. Callers refuse a step at or below the last one accepted.
 */
export function matchTotpStep(secretBase32: string, code: string, now: number): number | undefined {
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / TOTP_PERIOD) + delta;
}
