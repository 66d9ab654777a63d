import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration-context.js';

/**
 * Projects with deploy keys and detection, environments with maintenance and
 * webhook secrets, versioned variables, deployments as persisted state
 * machines, releases with their env snapshot, and webhook deliveries.
 */
export function deploymentsMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await s.alterTable('projects').addColumn('slug', 'text').execute();
      await s.alterTable('projects').addColumn('deploy_public_key', 'text').execute();
      // Encrypted (secret box).
      await s.alterTable('projects').addColumn('deploy_private_key', 'text').execute();
      await s.alterTable('projects').addColumn('deploy_key_fingerprint', 'text').execute();
      await s.alterTable('projects').addColumn('detection', 'text').execute();
      await s.createIndex('projects_org_slug').on('projects').columns(['organization_id', 'slug']).unique().execute();

      await s.alterTable('environments').addColumn('maintenance', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Encrypted (secret box).
      await s.alterTable('environments').addColumn('webhook_secret', 'text').execute();
      await s.alterTable('environments').addColumn('env_version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Loopback port of the environment's preview listener; nginx needs one per environment on a server.
      await s.alterTable('environments').addColumn('preview_port', 'integer').execute();
      await s.createIndex('environments_preview_port').on('environments').column('preview_port').unique().execute();
      await s.createIndex('environments_org').on('environments').column('organization_id').execute();
      await s.createIndex('environment_servers_server').on('environment_servers').column('server_id').execute();

      // Every version of an environment's variable set, sealed, so a release can be rolled back with its exact env.
      await s
        .createTable('env_var_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('env_var_versions_env_version', ['environment_id', 'version'])
        .execute();

      await s.alterTable('deployments').addColumn('project_id', 'text').execute();
      await s.alterTable('deployments').addColumn('kind', 'text', (c) => c.notNull().defaultTo('deploy')).execute();
      await s.alterTable('deployments').addColumn('job_id', 'text').execute();
      await s.alterTable('deployments').addColumn('commit_author', 'text').execute();
      await s.alterTable('deployments').addColumn('commit_message', 'text').execute();
      await s.alterTable('deployments').addColumn('previous_release_id', 'text').execute();
      await s.alterTable('deployments').addColumn('target_release_id', 'text').execute();
      // 1 once any server switched to the new release (recovery must switch back).
      await s.alterTable('deployments').addColumn('switched', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await s.alterTable('deployments').addColumn('approved_by', 'text').execute();
      await s.alterTable('deployments').addColumn('approved_at', 'text').execute();
      await s.alterTable('deployments').addColumn('env_version', 'integer').execute();
      await s.createIndex('deployments_status').on('deployments').column('status').execute();

      await s.alterTable('deployment_steps').addColumn('timeout_ms', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await s.alterTable('deployment_steps').addColumn('detail', 'text').execute();

      await s.alterTable('releases').addColumn('env_version', 'integer').execute();
      await s.alterTable('releases').addColumn('activated_at', 'text').execute();

      await s
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text')
        .addColumn('event', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('deployment_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await s
        .createIndex('webhook_deliveries_unique')
        .on('webhook_deliveries')
        .columns(['environment_id', 'provider', 'delivery_id'])
        .unique()
        .execute();
    },
  };
}
