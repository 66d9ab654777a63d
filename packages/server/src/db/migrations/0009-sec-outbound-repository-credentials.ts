import type { Kysely } from 'kysely';

/**
 * Credentials of a repository URL (`https://user:token@host/…`) live apart
 * from the URL, sealed by the secret box: the URL shown to viewers, written
 * to audit diffs and logs carries none. Existing URLs are split at start by
 * the projects service (a migration has no key to seal with).
 */
export function repositoryCredentialsMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('projects').addColumn('repository_credentials', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('projects').dropColumn('repository_credentials').execute();
    },
  };
}
