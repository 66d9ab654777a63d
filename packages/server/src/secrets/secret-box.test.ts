import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, keyId, parseKey, SecretBox, SecretCorruptError, SecretKeyMismatchError } from './secret-box.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);

/** Replaces one base64url character of part `index` of a sealed value with another valid one. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const text = parts[index] as string;
  const pos = Math.floor(text.length / 2);
  const swapped = text[pos] === 'A' ? 'B' : 'A';
  parts[index] = text.slice(0, pos) + swapped + text.slice(pos + 1);
  return parts.join(':');
}

describe('SecretBox', () => {
  it('round-trips text, including empty and non-ASCII values', () => {
    const box = new SecretBox(keyA);
    for (const plain of ['', 'hunter2', 'DB_PASSWORD=p@ss:with:colons', 'Grüße 🔑 ключ', 'x'.repeat(100_000)]) {
      expect(box.decrypt(box.encrypt(plain))).toBe(plain);
    }
  });

  it('never stores the plaintext and seals the same value differently each time', () => {
    const box = new SecretBox(keyA);
    const a = box.encrypt('s3cret-value');
    const b = box.encrypt('s3cret-value');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(a.startsWith(`v1:${keyId(keyA)}:`)).toBe(true);
  });

  it('refuses a value whose ciphertext, tag or iv was altered (SecretCorruptError), never returning garbage', () => {
    const box = new SecretBox(keyA);
    const sealed = box.encrypt('the deploy key');
    expect(() => box.decrypt(tamper(sealed, 3))).toThrow(SecretCorruptError);
    expect(() => box.decrypt(tamper(sealed, 2))).toThrow(SecretCorruptError);
    // The last 16 bytes of the body are the GCM tag.
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[body.length - 1] = (body[body.length - 1] as number) ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => box.decrypt(parts.join(':'))).toThrow(SecretCorruptError);
    expect(() => box.decrypt(sealed.slice(0, sealed.lastIndexOf(':') + 5))).toThrow(SecretCorruptError);
    expect(() => box.decrypt('plaintext that was never sealed')).toThrow(SecretCorruptError);
    expect(() => box.decrypt('v2:' + sealed.slice(3))).toThrow(SecretCorruptError);
  });

  it('explains a wrong key with both key ids (SecretKeyMismatchError)', () => {
    const sealed = new SecretBox(keyA).encrypt('value');
    const other = new SecretBox(keyB);
    let err: unknown;
    try {
      other.decrypt(sealed);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretKeyMismatchError);
    const mismatch = err as SecretKeyMismatchError;
    expect(mismatch.code).toBe('secrets.key_mismatch');
    expect(mismatch.valueKeyId).toBe(keyId(keyA));
    expect(mismatch.configuredKeyIds).toEqual([keyId(keyB)]);
    expect(mismatch.message).toContain(keyId(keyA));
    expect(mismatch.message).toContain(keyId(keyB));
    expect(mismatch.message).toContain('DEVFLOW_SECRET_KEY');
  });

  it('opens values of a previous key during rotation and seals new ones with the primary key', () => {
    const old = new SecretBox(keyA);
    const sealedOld = old.encrypt('before');
    const ring = new SecretBox(keyB, [keyA]);
    expect(ring.decrypt(sealedOld)).toBe('before');
    expect(ring.needsRotation(sealedOld)).toBe(true);
    const sealedNew = ring.encrypt('after');
    expect(ring.needsRotation(sealedNew)).toBe(false);
    expect(() => old.decrypt(sealedNew)).toThrow(SecretKeyMismatchError);
  });

  it('a key id is short, stable and reveals nothing of the key', () => {
    expect(keyId(keyA)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId(Buffer.from(keyA))).toBe(keyId(keyA));
    expect(keyId(keyA)).not.toBe(keyId(keyB));
    expect(keyA.toString('hex')).not.toContain(keyId(keyA));
  });
});

describe('parseKey / generateKey', () => {
  it('accepts 32 bytes as base64 or hex, with surrounding whitespace (a key file line)', () => {
    const generated = generateKey();
    expect(parseKey(generated)).toHaveLength(32);
    expect(parseKey(`${generated}\n`).equals(parseKey(generated))).toBe(true);
    expect(parseKey(keyA.toString('hex')).equals(keyA)).toBe(true);
    expect(parseKey(keyA.toString('base64')).equals(keyA)).toBe(true);
  });

  it('rejects keys of the wrong length', () => {
    expect(() => parseKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => parseKey('')).toThrow(/32 bytes/);
  });
});
