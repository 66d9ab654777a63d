import type { Kysely } from 'kysely';

/** Recovery codes, invitations and project-scoped grants. */
export function identityMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await s
        .createTable('recovery_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('recovery_codes_user').on('recovery_codes').column('user_id').execute();

      await s
        .createTable('invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('invited_by', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('accepted_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      // A developer limited to chosen projects: rows here narrow the membership; none means all projects.
      await s
        .alterTable('memberships')
        .addColumn('project_scoped', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await s
        .createTable('membership_projects')
        .addColumn('membership_id', 'text', (c) => c.notNull().references('memberships.id').onDelete('cascade'))
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('membership_projects_pk', ['membership_id', 'project_id'])
        .execute();
    },
  };
}
