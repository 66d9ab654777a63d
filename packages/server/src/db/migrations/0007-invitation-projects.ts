import type { Kysely } from 'kysely';

/**
 * Invitations carry the project grants an admin chose (adding a member is an
 * invitation now: an existing user joins only by accepting it). JSON list of
 * project ids; null: every project.
 */
export function invitationProjectsMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('invitations').addColumn('project_ids', 'text').execute();
    },
  };
}
