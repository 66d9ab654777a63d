import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type ssh2Types from 'ssh2';
import { ssh2 } from './load-ssh2.js';
import { AppError } from '../../lib/errors.js';

type ParsedKey = ssh2Types.ParsedKey;

/** A usable key pair: the private key without any passphrase (to be sealed at rest) and its public parts. */
export interface KeyMaterial {
  /** ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256… */
  type: string;
  /** OpenSSH public key line: `<type> <base64> <comment>`. */
  publicKey: string;
  /** `SHA256:<base64>` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** Unencrypted private key in a format ssh2 reads (OpenSSH or PEM). */
  privateKey: string;
}

/** `SHA256:…` fingerprint of a public key blob (the SSH wire format), as OpenSSH prints it. */
export function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Generates an ed25519 key pair with node's crypto and encodes it in OpenSSH
 * format (ssh2's own generator emits an unreadable key about once in 400).
 */
export function generateEd25519(comment: string): KeyMaterial {
  const { privateKey } = generateKeyPairSync('ed25519');
  return materialOf(ed25519ToOpenSsh(privateKey, comment), comment);
}

function invalidKey(code: string, message: string, cause?: unknown): AppError {
  return new AppError('invalid', code, message, { cause, fields: [{ field: 'body.privateKey', message }] });
}

function parse(text: string | Buffer, passphrase?: string): ParsedKey | Error {
  const parsed = ssh2().utils.parseKey(text, passphrase);
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
}

function materialOf(privateKey: string, comment: string): KeyMaterial {
  const parsed = parse(privateKey);
  if (parsed instanceof Error) throw new Error(`generated key does not parse: ${parsed.message}`);
  const blob = parsed.getPublicSSH();
  return {
    type: parsed.type,
    publicKey: `${parsed.type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
    fingerprint: fingerprintOfBlob(blob),
    privateKey,
  };
}

/**
 * Imports an OpenSSH or PEM (PKCS#1, SEC1, PKCS#8) private key, decrypting
 * it with the passphrase when it is encrypted. The result holds the key
 * without its passphrase, so only the secret box protects it at rest.
 */
export function importPrivateKey(text: string, passphrase: string | undefined, comment: string): KeyMaterial {
  const trimmed = text.trim() + '\n';
  const parsed = parse(trimmed, passphrase || undefined);
  let canonical: string;
  let key: ParsedKey;
  if (!(parsed instanceof Error)) {
    if (!parsed.isPrivateKey()) throw invalidKey('ssh_key.not_private', 'This is a public key; paste the private key.');
    key = parsed;
    canonical = passphrase || isEncryptedText(trimmed) ? unencryptedText(parsed) : trimmed;
  } else if (/no passphrase given/i.test(parsed.message)) {
    throw invalidKey('ssh_key.passphrase_required', 'This private key is encrypted: give its passphrase.');
  } else if (/bad passphrase|integrity check failed|bad decrypt|decrypt/i.test(parsed.message)) {
    throw invalidKey('ssh_key.bad_passphrase', 'The passphrase does not decrypt this private key.');
  } else {
    // ssh2 does not read PKCS#8 ("BEGIN [ENCRYPTED] PRIVATE KEY"): let OpenSSL decode it, then re-encode.
    canonical = fromPkcs8(trimmed, passphrase);
    const again = parse(canonical);
    if (again instanceof Error) throw invalidKey('ssh_key.unsupported', `Unsupported private key: ${again.message}.`);
    key = again;
  }
  const check = parse(canonical);
  if (check instanceof Error || !check.getPublicSSH().equals(key.getPublicSSH())) {
    throw invalidKey('ssh_key.unsupported', 'This private key type cannot be stored; use ed25519, RSA or ECDSA.');
  }
  const blob = key.getPublicSSH();
  const label = comment || key.comment;
  return {
    type: key.type,
    publicKey: `${key.type} ${blob.toString('base64')}${label ? ` ${label}` : ''}`,
    fingerprint: fingerprintOfBlob(blob),
    privateKey: canonical,
  };
}

function isEncryptedText(text: string): boolean {
  return /ENCRYPTED/.test(text) || (text.includes('OPENSSH PRIVATE KEY') && !/^none$/m.test(decodeOpenSshCipher(text)));
}

function decodeOpenSshCipher(text: string): string {
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (buf.subarray(0, magic.length).toString('latin1') !== magic) return 'none';
  const len = buf.readUInt32BE(magic.length);
  return buf.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1');
}

/** The decrypted private key of a parsed key as text ssh2 reads back. */
function unencryptedText(key: ParsedKey): string {
  const pem = key.getPrivatePEM();
  if (key.type === 'ssh-ed25519') return ed25519ToOpenSsh(createPrivateKey(pem), key.comment);
  return pem.endsWith('\n') ? pem : pem + '\n';
}

function fromPkcs8(text: string, passphrase: string | undefined): string {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: text, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const message = (err as Error).message ?? '';
    const stack = ((err as { opensslErrorStack?: string[] }).opensslErrorStack ?? []).join(' ');
    const encrypted = /BEGIN ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(text);
    if (code === 'ERR_MISSING_PASSPHRASE' || /passphrase required|bad password read|unable to get passphrase/i.test(`${message} ${stack}`) || (encrypted && !passphrase)) {
      throw invalidKey('ssh_key.passphrase_required', 'This private key is encrypted: give its passphrase.', err);
    }
    // A wrong key usually fails the padding check ("bad decrypt"), but about once in 256 tries it passes
    // and the garbage fails to parse instead: with an encrypted key and a passphrase, both mean a wrong passphrase.
    if (/bad decrypt|BAD_DECRYPT/i.test(`${code} ${message}`) || (encrypted && passphrase)) {
      throw invalidKey('ssh_key.bad_passphrase', 'The passphrase does not decrypt this private key.', err);
    }
    throw invalidKey('ssh_key.invalid', 'This is not a private key DevFlow can read (OpenSSH or PEM expected).', err);
  }
  switch (keyObject.asymmetricKeyType) {
    case 'rsa':
      return keyObject.export({ format: 'pem', type: 'pkcs1' }).toString();
    case 'ec':
      return keyObject.export({ format: 'pem', type: 'sec1' }).toString();
    case 'ed25519':
      return ed25519ToOpenSsh(keyObject, '');
    default:
      throw invalidKey('ssh_key.unsupported', `Keys of type ${keyObject.asymmetricKeyType ?? '?'} are not supported; use ed25519, RSA or ECDSA.`);
  }
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** Encodes an ed25519 private key in the unencrypted `openssh-key-v1` format. */
function ed25519ToOpenSsh(keyObject: KeyObject, comment: string): string {
  const jwk = keyObject.export({ format: 'jwk' });
  const seed = Buffer.from(String(jwk.d), 'base64url');
  const pub = Buffer.from(String(jwk.x), 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    count,
    sshString(publicBlob),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/(.{70})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
