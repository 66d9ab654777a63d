import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { nowIso } from '../lib/ids.js';
import { encryptedColumns } from './encrypted-columns.js';
import { SecretBox, SecretCorruptError, SecretKeyMismatchError } from './secret-box.js';

/** Settings whose key starts with `secrets.` are sealed; rotation re-encrypts exactly those. */
const CHECK_KEY = 'secrets.key_check';
const CHECK_VALUE = 'devflow-key-check';

/**
 * Confirms the configured key opens this database's secrets: on first start it
 * seals a check value; later starts fail with a clear message when the key differs.
 */
export async function verifyMasterKey(db: Db, box: SecretBox): Promise<void> {
  const row = await db.kysely.selectFrom('settings').select('value').where('key', '=', CHECK_KEY).executeTakeFirst();
  if (!row) {
    await db.kysely
      .insertInto('settings')
      .values({ key: CHECK_KEY, value: box.encrypt(CHECK_VALUE), updated_at: nowIso() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return;
  }
  if (box.decrypt(row.value) !== CHECK_VALUE) {
    throw new SecretCorruptError('The secret key check value does not match.');
  }
}

/** Counts of what a rotation re-encrypted, by table.column. */
export type RotationReport = Record<string, number>;

/**
 * Re-encrypts every sealed value with `next`, in one transaction: either all
 * values move to the new key or none do.
 */
export async function rotateSecrets(db: Db, current: SecretBox, next: SecretBox): Promise<RotationReport> {
  const report: RotationReport = {};
  await db.kysely.transaction().execute(async (trx) => {
    for (const col of encryptedColumns) {
      const filter = col.keyPrefix ? sql`where ${sql.ref(col.key)} like ${col.keyPrefix + '%'}` : sql``;
      const rows = await sql<{ k: string; v: string | null }>`select ${sql.ref(col.key)} as k, ${sql.ref(col.column)} as v from ${sql.table(col.table)} ${filter}`.execute(trx);
      let n = 0;
      for (const { k, v } of rows.rows) {
        if (v === null) continue;
        const resealed = next.encrypt(current.decrypt(v));
        await sql`update ${sql.table(col.table)} set ${sql.ref(col.column)} = ${resealed} where ${sql.ref(col.key)} = ${k}`.execute(trx);
        n++;
      }
      report[`${col.table}.${col.column}`] = n;
    }
  });
  return report;
}

export { SecretBox, SecretCorruptError, SecretKeyMismatchError };
