import { sql, type Kysely } from 'kysely';

/**
 * Installation administrators: who may see installation-wide things (/metrics,
 * instance settings) and, by default, create organizations. An existing
 * installation makes its first user one, as a fresh setup does.
 */
export function installationAdminsMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('installation_admins')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await sql`
        insert into installation_admins (user_id, created_at)
        select id, created_at from users order by created_at, id limit 1
      `.execute(db);
    },
  };
}
