import type { Config } from '../config/config.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import { loadMasterKey, writeKeyFile } from '../secrets/key-store.js';
import { generateKey, parseKey, SecretBox } from '../secrets/secret-box.js';
import { rotateSecrets, verifyMasterKey } from '../secrets/secrets.service.js';

/**
 * `devflow secrets rotate [--new-key KEY]`: re-encrypts every secret in one
 * transaction. With a key file, the file is replaced afterwards; with
 * DEVFLOW_SECRET_KEY, the new key is printed for the operator to install.
 */
export async function runSecretsRotate(config: Config, args: string[]): Promise<number> {
  const i = args.indexOf('--new-key');
  const nextText = i >= 0 ? args[i + 1] : generateKey();
  if (!nextText) {
    console.error('--new-key needs a value (32 bytes as base64 or hex).');
    return 2;
  }
  const db = openDatabase(config.database);
  try {
    await migrateToLatest(db);
    const { key, source } = loadMasterKey(config.dataDir, config.secretKey);
    const current = new SecretBox(key);
    await verifyMasterKey(db, current);
    const nextKey = parseKey(nextText);
    const next = new SecretBox(nextKey);
    if (source.kind === 'file') writeKeyFile(`${source.file}.pending`, nextKey.toString('base64'));
    const report = await rotateSecrets(db, current, next);
    const total = Object.values(report).reduce((a, b) => a + b, 0);
    console.log(`Re-encrypted ${total} secrets from key ${current.keyId} to key ${next.keyId}:`);
    for (const [col, n] of Object.entries(report)) console.log(`  ${col}: ${n}`);
    if (source.kind === 'file') {
      writeKeyFile(source.file, nextKey.toString('base64'));
      await import('node:fs').then((fs) => fs.rmSync(`${source.file}.pending`, { force: true }));
      console.log(`The key file ${source.file} now holds the new key.`);
    } else {
      console.log('Set DEVFLOW_SECRET_KEY to the new key before the next start:');
      console.log(nextKey.toString('base64'));
    }
    return 0;
  } finally {
    await db.destroy();
  }
}
