import type { Kysely } from 'kysely';

/**
 * open_basedir per environment: on (1) by default, with extra directories
 * (a JSON list of absolute paths) the environment's PHP-FPM pool may open.
 */
export function openBasedirMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('environments').addColumn('open_basedir', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('environments').addColumn('open_basedir_extra', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    },
  };
}
