import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { MigrationContext } from './migration-context.js';

/**
 * Domains with redirects, ownership verification and certificate state;
 * certificates with fingerprints; ACME accounts per organization and
 * directory (key sealed); DNS providers (credentials sealed).
 */
export function domainsMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      const domainColumns: [string, 'text' | 'integer', ((c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder)?][] = [
        ['unicode_hostname', 'text'],
        ['wildcard', 'integer', (c) => c.notNull().defaultTo(0)],
        ['redirect_status', 'integer', (c) => c.notNull().defaultTo(301)],
        ['www_redirect', 'text'],
        ['https_redirect', 'integer', (c) => c.notNull().defaultTo(1)],
        // JSON list of {from, to, status}.
        ['redirects', 'text', (c) => c.notNull().defaultTo('[]')],
        ['verification_method', 'text', (c) => c.notNull().defaultTo('dns')],
        ['verification_error', 'text'],
        ['challenge', 'text', (c) => c.notNull().defaultTo('http-01')],
        ['dns_provider_id', 'text'],
        // none | pending | issued | failed
        ['certificate_status', 'text', (c) => c.notNull().defaultTo('none')],
        ['certificate_error', 'text'],
        ['renewal_failures', 'integer', (c) => c.notNull().defaultTo(0)],
        ['next_renewal_at', 'text'],
        // pending | applied | failed: the domain's nginx files on its servers.
        ['site_status', 'text', (c) => c.notNull().defaultTo('pending')],
        ['site_error', 'text'],
        ['site_applied_at', 'text'],
        // What the expiry monitor saw last, and the smallest threshold it alerted for that certificate.
        ['served_fingerprint', 'text'],
        ['served_not_after', 'text'],
        ['checked_at', 'text'],
        ['check_error', 'text'],
        ['alerted_fingerprint', 'text'],
        ['alerted_threshold', 'integer'],
        ['mismatch_alerted_fingerprint', 'text'],
        ['updated_at', 'text'],
      ];
      for (const [name, type, build] of domainColumns) {
        await s.alterTable('domains').addColumn(name, type, build ?? ((c) => c)).execute();
      }
      await s.createIndex('domains_environment').on('domains').column('environment_id').execute();
      await s.createIndex('domains_organization').on('domains').column('organization_id').execute();

      await s.alterTable('certificates').addColumn('serial_number', 'text').execute();
      await s.alterTable('certificates').addColumn('fingerprint', 'text').execute();
      await s.alterTable('certificates').addColumn('key_type', 'text').execute();
      await s.createIndex('certificates_organization').on('certificates').column('organization_id').execute();
      await s.createIndex('certificates_domain').on('certificates').column('domain_id').execute();

      await s
        .createTable('acme_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('directory_url', 'text', (c) => c.notNull())
        // Encrypted (secret box).
        .addColumn('account_key', 'text', (c) => c.notNull())
        .addColumn('account_url', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('acme_accounts_org_directory', ['organization_id', 'directory_url'])
        .execute();

      await s
        .createTable('dns_providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        // Encrypted JSON object (secret box).
        .addColumn('credentials', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('dns_providers_org_name', ['organization_id', 'name'])
        .execute();
    },
  };
}
