import type { Kysely } from 'kysely';

/**
 * Issue 11 (sec-outbound): credentials of a repository URL
 * (`https://user:token@host/…`) live apart from the URL, sealed by the
 * secret box, so the URL shown to viewers, written to audit diffs and logs
 * carries none (existing URLs are split at start by the projects service: a
 * migration has no key to seal with). Webhook bodies already acted on are
 * remembered for a day, so a signed push replayed under a new delivery id
 * does not deploy again.
 */
export function repositoryCredentialsMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('projects').addColumn('repository_credentials', 'text').execute();
      await db.schema
        .createTable('webhook_replays')
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('body_sha256', 'text', (c) => c.notNull())
        .addColumn('commit', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_replays_pk', ['environment_id', 'body_sha256'])
        .execute();
      await db.schema.createIndex('webhook_replays_created').on('webhook_replays').column('created_at').execute();
    },
  };
}
