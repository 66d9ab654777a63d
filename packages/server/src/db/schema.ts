import type { OrganizationsTable, UsersTable, MembershipsTable, SessionsTable, ApiTokensTable, RecoveryCodesTable, InvitationsTable, MembershipProjectsTable, AuditEventsTable, InstallationAdminsTable } from './schema/identity.js';
import type { SshKeysTable, ServersTable, ServerProvisionRunsTable, ServerProvisionStepsTable, ServerProvisionLogLinesTable, ServerMetricSamplesTable, ServerMetricRollupsTable } from './schema/servers.js';
import type { ProjectsTable, EnvironmentsTable, EnvironmentServersTable, EnvVarsTable, DeploymentsTable, DeploymentStepsTable, DeploymentLogLinesTable, ReleasesTable, EnvVarVersionsTable, WebhookDeliveriesTable, WebhookReplaysTable } from './schema/deployments.js';
import type { DomainsTable, CertificatesTable, AcmeAccountsTable, DnsProvidersTable } from './schema/domains.js';
import type { JobsTable, EventsTable, SettingsTable } from './schema/platform.js';

export type * from './schema/identity.js';
export type * from './schema/servers.js';
export type * from './schema/deployments.js';
export type * from './schema/domains.js';
export type * from './schema/platform.js';

/**
 * Row types of every table. Timestamps are ISO-8601 UTC strings and booleans
 * are 0/1 integers on both SQLite and PostgreSQL, so one code path serves both.
 * JSON columns hold text written by JSON.stringify.
 */
export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  ssh_keys: SshKeysTable;
  servers: ServersTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  environment_servers: EnvironmentServersTable;
  env_vars: EnvVarsTable;
  deployments: DeploymentsTable;
  deployment_steps: DeploymentStepsTable;
  deployment_log_lines: DeploymentLogLinesTable;
  releases: ReleasesTable;
  domains: DomainsTable;
  certificates: CertificatesTable;
  audit_events: AuditEventsTable;
  jobs: JobsTable;
  events: EventsTable;
  settings: SettingsTable;
  recovery_codes: RecoveryCodesTable;
  invitations: InvitationsTable;
  membership_projects: MembershipProjectsTable;
  server_provision_runs: ServerProvisionRunsTable;
  server_provision_steps: ServerProvisionStepsTable;
  server_provision_log_lines: ServerProvisionLogLinesTable;
  server_metric_samples: ServerMetricSamplesTable;
  server_metric_rollups: ServerMetricRollupsTable;
  env_var_versions: EnvVarVersionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_replays: WebhookReplaysTable;
  acme_accounts: AcmeAccountsTable;
  dns_providers: DnsProvidersTable;
  installation_admins: InstallationAdminsTable;
}
