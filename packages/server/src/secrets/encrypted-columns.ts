import type { Database } from '../db/schema.js';

/** A column holding values sealed by the SecretBox, re-encrypted by `devflow secrets rotate`. */
export interface EncryptedColumn {
  table: keyof Database;
  key: string;
  column: string;
}

/** Every encrypted column of the schema; a feature that adds one lists it here. */
export const encryptedColumns: readonly EncryptedColumn[] = [
  { table: 'settings', key: 'key', column: 'value' },
  { table: 'users', key: 'id', column: 'totp_secret' },
  { table: 'ssh_keys', key: 'id', column: 'private_key' },
  { table: 'env_vars', key: 'id', column: 'value' },
  { table: 'certificates', key: 'id', column: 'private_key' },
];
