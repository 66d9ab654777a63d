import type * as Argon2 from '@node-rs/argon2';
import { commonJsExports } from '../../lib/commonjs.js';
import { invalid } from '../../lib/errors.js';
import { isCommonPassword } from './common-passwords.js';

/**
 * argon2id parameters: 19 MiB memory, 2 passes (OWASP's baseline), one lane.
 * bench/login.bench.ts prints what one verify costs on this machine.
 */
// `algorithm: 2` is Algorithm.Argon2id (a const enum, which isolated modules cannot import).
export const ARGON2_PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

/** Refuses passwords that are short or on the common-password list, naming the field. */
export function checkPasswordPolicy(password: string, field = 'password', email?: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalid('auth.weak_password', `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`, [
      { field, message: `at least ${MIN_PASSWORD_LENGTH} characters` },
    ]);
  }
  if (password.length > 256) {
    throw invalid('auth.weak_password', 'The password may have at most 256 characters.', [{ field, message: 'at most 256 characters' }]);
  }
  const local = email?.split('@')[0]?.toLowerCase();
  if (isCommonPassword(password) || (local && local.length >= 4 && password.toLowerCase().includes(local))) {
    throw invalid('auth.weak_password', 'This password is too common or too easy to guess; choose another.', [
      { field, message: 'too common' },
    ]);
  }
}

let argon2: Promise<typeof Argon2> | undefined;
/**
 * The argon2 native addon, loaded at the first hash or verify: it adds about
 * 9 MiB to a process that nobody has signed in to yet (see bench/idle-rss.ts).
 */
function loadArgon2(): Promise<typeof Argon2> {
  argon2 ??= import('@node-rs/argon2').then(commonJsExports);
  return argon2;
}

/** Hashes a password with argon2id. */
export async function hashPassword(password: string): Promise<string> {
  return (await loadArgon2()).hash(password, ARGON2_PARAMS);
}

/** Verifies a password against its hash; false for a malformed hash. */
export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  const { verify } = await loadArgon2(); // a missing addon is an error, not a wrong password
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** A hash to verify against when the email is unknown, so both cases cost the same time. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('devflow-timing-equaliser-' + Math.random());
  return dummy;
}
