import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { MigrationContext } from './migration-context.js';

/** The core model of ARCHITECTURE.md: identity, servers, projects, deployments, domains, audit, jobs, events. */
export function coreMigration({ serialId }: MigrationContext) {
  const bool = (name: string) => [name, 'integer', (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0)] as const;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await s
        .createTable('organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn(...bool('require_two_factor'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('totp_secret', 'text')
        .addColumn(...bool('totp_enabled'))
        .addColumn('totp_last_step', 'bigint')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('memberships')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('memberships_org_user', ['organization_id', 'user_id'])
        .execute();
      await s.createIndex('memberships_user').on('memberships').column('user_id').execute();

      await s
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await s
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('abilities', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('ssh_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('servers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('user', 'text', (c) => c.notNull())
        .addColumn('ssh_key_id', 'text', (c) => c.notNull().references('ssh_keys.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('host_key_fingerprint', 'text')
        .addColumn('facts', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('servers_org').on('servers').column('organization_id').execute();

      await s
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('repository_url', 'text', (c) => c.notNull())
        .addColumn('framework', 'text')
        .addColumn('deploy_key_id', 'text', (c) => c.references('ssh_keys.id'))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('projects_org_name', ['organization_id', 'name'])
        .execute();

      await s
        .createTable('environments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('strategy', 'text', (c) => c.notNull())
        .addColumn(...bool('requires_approval'))
        .addColumn('health_check_path', 'text', (c) => c.notNull())
        .addColumn('keep_releases', 'integer', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('current_release_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('environments_project_name', ['project_id', 'name'])
        .execute();

      await s
        .createTable('environment_servers')
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('environment_servers_pk', ['environment_id', 'server_id'])
        .execute();

      await s
        .createTable('env_vars')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('env_vars_env_key', ['environment_id', 'key'])
        .execute();

      await s
        .createTable('deployments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('ref', 'text')
        .addColumn('commit', 'text')
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('release_id', 'text')
        .addColumn('error', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await s.createIndex('deployments_env').on('deployments').columns(['environment_id', 'created_at']).execute();

      await s
        .createTable('deployment_steps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('exit_code', 'integer')
        .execute();
      await s.createIndex('deployment_steps_dep').on('deployment_steps').columns(['deployment_id', 'position']).execute();

      await s
        .createTable('deployment_log_lines')
        .addColumn('id', serialId, (c) => (serialId === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .addUniqueConstraint('deployment_log_lines_seq', ['deployment_id', 'seq'])
        .execute();

      await s
        .createTable('releases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('deployment_id', 'text')
        .addColumn('commit', 'text', (c) => c.notNull())
        .addColumn('author', 'text')
        .addColumn('message', 'text')
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('config_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('releases_env').on('releases').columns(['environment_id', 'created_at']).execute();

      await s
        .createTable('domains')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('hostname', 'text', (c) => c.notNull().unique())
        .addColumn('redirect_to', 'text')
        .addColumn('tls', 'text', (c) => c.notNull())
        .addColumn('verification_token', 'text', (c) => c.notNull())
        .addColumn('verified_at', 'text')
        .addColumn('certificate_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('certificates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('domain_id', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('sans', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('not_before', 'text', (c) => c.notNull())
        .addColumn('not_after', 'text', (c) => c.notNull())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('chain_pem', 'text')
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text')
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('diff', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('audit_events_org_id').on('audit_events').columns(['organization_id', 'id']).execute();

      await s
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('run_at', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('concurrency_key', 'text')
        .addColumn('dedupe_key', 'text', (c) => c.unique())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn(...bool('cancel_requested'))
        .addColumn('last_error', 'text')
        .addColumn('result', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await s.createIndex('jobs_claim').on('jobs').columns(['status', 'priority', 'run_at']).execute();
      // One running job per concurrency key, enforced by the database across every worker process.
      await s
        .createIndex('jobs_running_key')
        .on('jobs')
        .column('concurrency_key')
        .unique()
        .where(sql.ref('status'), '=', 'running')
        .where(sql.ref('concurrency_key'), 'is not', null)
        .execute();

      await s
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await s
        .createTable('events')
        .addColumn('id', serialId, (c) => (serialId === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('organization_id', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
