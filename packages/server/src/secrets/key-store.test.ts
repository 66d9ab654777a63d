import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE_NAME, loadMasterKey, writeKeyFile } from './key-store.js';
import { generateKey, parseKey } from './secret-box.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-keystore-'));
  dirs.push(dir);
  return dir;
}
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('loadMasterKey', () => {
  it('creates <dataDir>/secret.key with mode 0600 on first start, even under a permissive umask', () => {
    const dataDir = path.join(scratch(), 'nested', 'data');
    const previous = process.umask(0o000);
    let loaded;
    try {
      loaded = loadMasterKey(dataDir, undefined);
    } finally {
      process.umask(previous);
    }
    const file = path.join(dataDir, KEY_FILE_NAME);
    expect(loaded.source).toEqual({ kind: 'file', file });
    expect(modeOf(file)).toBe(0o600);
    expect(loaded.key).toHaveLength(32);
    expect(parseKey(fs.readFileSync(file, 'utf8')).equals(loaded.key)).toBe(true);
  });

  it('reuses the key file on later starts', () => {
    const dataDir = scratch();
    const first = loadMasterKey(dataDir, undefined);
    const second = loadMasterKey(dataDir, undefined);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('tightens a key file that others can read back to 0600', () => {
    const dataDir = scratch();
    const file = path.join(dataDir, KEY_FILE_NAME);
    const key = generateKey();
    fs.writeFileSync(file, key + '\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const loaded = loadMasterKey(dataDir, undefined);
    expect(loaded.key.equals(parseKey(key))).toBe(true);
    expect(modeOf(file)).toBe(0o600);
  });

  it('uses DEVFLOW_SECRET_KEY when given and writes no key file', () => {
    const dataDir = scratch();
    const key = generateKey();
    const loaded = loadMasterKey(dataDir, key);
    expect(loaded.source).toEqual({ kind: 'env' });
    expect(loaded.key.equals(parseKey(key))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, KEY_FILE_NAME))).toBe(false);
  });
});

describe('writeKeyFile', () => {
  it('replaces the key with mode 0600, even over a leftover temp file', () => {
    const dataDir = scratch();
    const file = path.join(dataDir, KEY_FILE_NAME);
    loadMasterKey(dataDir, undefined);
    // A crashed earlier rotation may have left a world-readable temp file behind.
    fs.writeFileSync(`${file}.new`, 'junk', { mode: 0o644 });
    fs.chmodSync(`${file}.new`, 0o644);
    const next = generateKey();
    writeKeyFile(file, next);
    expect(parseKey(fs.readFileSync(file, 'utf8')).equals(parseKey(next))).toBe(true);
    expect(modeOf(file)).toBe(0o600);
    expect(fs.existsSync(`${file}.new`)).toBe(false);
  });
});
