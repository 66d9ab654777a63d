import fs from 'node:fs';
import path from 'node:path';
import { generateKey, parseKey } from './secret-box.js';

export const KEY_FILE_NAME = 'secret.key';

/** Where the key came from: the environment, or a file in the data directory. */
export type KeySource = { kind: 'env' } | { kind: 'file'; file: string };

/**
 * Loads the master key: DEVFLOW_SECRET_KEY when set, else `<dataDir>/secret.key`,
 * generated on first start with mode 0600.
 */
export function loadMasterKey(dataDir: string, envKey: string | undefined): { key: Buffer; source: KeySource } {
  if (envKey) return { key: parseKey(envKey), source: { kind: 'env' } };
  const file = path.join(dataDir, KEY_FILE_NAME);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, generateKey() + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) fs.chmodSync(file, 0o600);
  return { key: parseKey(fs.readFileSync(file, 'utf8')), source: { kind: 'file', file } };
}

/** Replaces the key file atomically (temp file + rename), keeping mode 0600. */
export function writeKeyFile(file: string, keyBase64: string): void {
  const tmp = `${file}.new`;
  // A leftover temp file keeps its old mode on rewrite: remove it so the key is never written world-readable.
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, keyBase64 + '\n', { flag: 'wx', mode: 0o600 });
  fs.renameSync(tmp, file);
}
