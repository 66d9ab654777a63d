import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** Raised when a value was encrypted under a key DevFlow does not have. */
export class SecretKeyMismatchError extends Error {
  readonly code = 'secrets.key_mismatch';
  constructor(readonly valueKeyId: string, readonly configuredKeyIds: readonly string[]) {
    super(
      `A secret was encrypted with key ${valueKeyId}, but DevFlow is configured with key ${configuredKeyIds.join(', ')}. ` +
        'Set DEVFLOW_SECRET_KEY to the key used before (or restore the key file in the data directory).',
    );
    this.name = 'SecretKeyMismatchError';
  }
}

/** Raised when a stored value fails authentication: it was changed or is not a DevFlow secret. */
export class SecretCorruptError extends Error {
  readonly code = 'secrets.corrupt';
  constructor(message: string) {
    super(message);
    this.name = 'SecretCorruptError';
  }
}

/** Short public id of a key: the first 8 hex chars of its SHA-256, safe to print. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Decodes a 32-byte key given as base64 or hex. */
export function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('A secret key must be 32 bytes, given as base64 or hex.');
  return key;
}

/** A new random 32-byte key as base64. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * AES-256-GCM encryption of secrets at rest. Values look like
 * `v1:<keyId>:<iv>:<ciphertext+tag>` so the key that sealed them is known.
 * Encrypts with the primary key; decrypts with any key of the ring.
 */
export class SecretBox {
  private readonly ring = new Map<string, Buffer>();
  private readonly primaryId: string;

  constructor(primary: Buffer, previous: readonly Buffer[] = []) {
    this.primaryId = keyId(primary);
    this.ring.set(this.primaryId, primary);
    for (const k of previous) this.ring.set(keyId(k), k);
  }

  /** Id of the key new values are sealed with. */
  get keyId(): string {
    return this.primaryId;
  }

  /** Seals a UTF-8 string. */
  encrypt(plain: string): string {
    const key = this.ring.get(this.primaryId) as Buffer;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}:${this.primaryId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  /** Opens a sealed value; throws SecretKeyMismatchError or SecretCorruptError, never returns garbage. */
  decrypt(sealed: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new SecretCorruptError('The stored value is not a DevFlow secret (unknown format).');
    }
    const [, id, ivText, bodyText] = parts as [string, string, string, string];
    const key = this.ring.get(id);
    if (!key) throw new SecretKeyMismatchError(id, [...this.ring.keys()]);
    const body = Buffer.from(bodyText, 'base64url');
    if (body.length < 16) throw new SecretCorruptError('The stored secret is truncated.');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretCorruptError(`The stored secret sealed with key ${id} failed authentication: it was altered.`);
    }
  }

  /** True when the value is sealed with a key other than the primary one. */
  needsRotation(sealed: string): boolean {
    return sealed.split(':')[1] !== this.primaryId;
  }
}
