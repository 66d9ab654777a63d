import type { Database } from '../db/schema.js';

/** A column holding values sealed by the SecretBox, re-encrypted by `devflow secrets rotate`. */
export interface EncryptedColumn {
  table: keyof Database;
  key: string;
  column: string;
  /** Only rows whose key starts with this prefix are sealed (settings mixes plain and sealed values). */
  keyPrefix?: string;
}

/** Every encrypted column of the schema; a feature that adds one lists it here. */
export const encryptedColumns: readonly EncryptedColumn[] = [
  { table: 'settings', key: 'key', column: 'value', keyPrefix: 'secrets.' },
  { table: 'users', key: 'id', column: 'totp_secret' },
  { table: 'ssh_keys', key: 'id', column: 'private_key' },
  { table: 'env_vars', key: 'id', column: 'value' },
  { table: 'certificates', key: 'id', column: 'private_key' },
  { table: 'projects', key: 'id', column: 'deploy_private_key' },
  { table: 'projects', key: 'id', column: 'repository_credentials' },
  { table: 'environments', key: 'id', column: 'webhook_secret' },
  { table: 'env_var_versions', key: 'id', column: 'snapshot' },
  { table: 'acme_accounts', key: 'id', column: 'account_key' },
  { table: 'dns_providers', key: 'id', column: 'credentials' },
];
