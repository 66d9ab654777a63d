import type { Db } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';

/** An organization's ACME account at a directory, key opened. */
export interface AcmeAccount {
  id: string;
  keyPem: string;
  accountUrl: string | null;
}

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

/**
 * One ACME account per organization and directory. The account key is made
 * on first use and kept sealed in the SecretBox; the account URL is stored
 * once the CA has answered, so later orders skip the lookup.
 */
export class AcmeAccounts {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The organization's account at `directoryUrl`, created (key only) when missing. */
  async forOrganization(organizationId: string, directoryUrl: string, createKey: () => string): Promise<AcmeAccount> {
    const find = () =>
      this.db.kysely.selectFrom('acme_accounts').selectAll().where('organization_id', '=', organizationId).where('directory_url', '=', directoryUrl).executeTakeFirst();
    let row = await find();
    if (!row) {
      try {
        await this.db.kysely
          .insertInto('acme_accounts')
          .values({ id: newId('acme'), organization_id: organizationId, directory_url: directoryUrl, account_key: this.box.encrypt(createKey()), account_url: null, created_at: new Date(this.clock()).toISOString() })
          .execute();
      } catch (err) {
        // Two workers raced: the other one's key wins.
        if (!UNIQUE.has(String((err as { code?: string }).code))) throw err;
      }
      row = await find();
      if (!row) throw new Error('The ACME account row vanished.');
    }
    return { id: row.id, keyPem: this.box.decrypt(row.account_key), accountUrl: row.account_url };
  }

  /** Remembers the account URL the CA gave. */
  async saveUrl(id: string, accountUrl: string): Promise<void> {
    await this.db.kysely.updateTable('acme_accounts').set({ account_url: accountUrl }).where('id', '=', id).execute();
  }
}
