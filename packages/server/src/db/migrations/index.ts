import type { Migration } from 'kysely';
import { coreMigration } from './0001-core.js';
import { identityMigration } from './0002-identity.js';
import { serversMigration } from './0003-servers.js';
import { deploymentsMigration } from './0004-deployments.js';
import { domainsMigration } from './0005-domains.js';
import { installationAdminsMigration } from './0006-installation-admins.js';
import { invitationProjectsMigration } from './0007-invitation-projects.js';
import { openBasedirMigration } from './0008-open-basedir.js';
import { repositoryCredentialsMigration } from './0009-repository-credentials.js';
import type { MigrationContext } from './migration-context.js';

/** Every migration, in order; one set for SQLite and PostgreSQL. */
export function allMigrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '0001-core': coreMigration(ctx),
    '0002-identity': identityMigration(),
    '0003-servers': serversMigration(ctx),
    '0004-deployments': deploymentsMigration(ctx),
    '0005-domains': domainsMigration(ctx),
    '0006-installation-admins': installationAdminsMigration(),
    '0007-invitation-projects': invitationProjectsMigration(),
    '0008-open-basedir': openBasedirMigration(),
    '0009-repository-credentials': repositoryCredentialsMigration(),
  };
}
