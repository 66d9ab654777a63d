import type { Generated } from 'kysely';

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
  acme_accounts: AcmeAccountsTable;
  dns_providers: DnsProvidersTable;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  require_two_factor: number;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  /** Encrypted TOTP secret (secret box), null until enrolment begins. */
  totp_secret: string | null;
  totp_enabled: number;
  /** Last accepted TOTP time step, so a code is never accepted twice. */
  totp_last_step: number | null;
  created_at: string;
  updated_at: string;
}

export interface MembershipsTable {
  id: string;
  organization_id: string;
  user_id: string;
  role: Role;
  /** 1 when the member only sees the projects listed in membership_projects. */
  project_scoped: Generated<number>;
  created_at: string;
}

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  id: string;
  user_id: string;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  abilities: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface SshKeysTable {
  id: string;
  organization_id: string;
  name: string;
  public_key: string;
  fingerprint: string;
  /** Encrypted private key (secret box), without any passphrase. */
  private_key: string;
  /** ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256… (0003). */
  key_type: string | null;
  created_at: string;
}

export interface ServersTable {
  id: string;
  organization_id: string;
  name: string;
  host: string;
  port: number;
  user: string;
  ssh_key_id: string;
  status: 'new' | 'online' | 'unreachable';
  host_key_fingerprint: string | null;
  facts: string;
  last_seen_at: string | null;
  created_at: string;
  updated_at: string;
  /** A different host key the server presented, waiting for an admin to accept it (0003). */
  pending_host_key_fingerprint: string | null;
  last_error: string | null;
  metrics_interval_seconds: Generated<number>;
  last_sampled_at: string | null;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  repository_url: string;
  framework: string | null;
  deploy_key_id: string | null;
  settings: string;
  created_at: string;
  updated_at: string;
  /** Directory name on servers, unique in the organization (0004). */
  slug: string | null;
  /** OpenSSH public key line of the project's deploy key (0004). */
  deploy_public_key: string | null;
  /** Encrypted private deploy key (secret box) (0004). */
  deploy_private_key: string | null;
  deploy_key_fingerprint: string | null;
  /** JSON of the last framework detection (0004). */
  detection: string | null;
}

export interface EnvironmentsTable {
  id: string;
  organization_id: string;
  project_id: string;
  name: string;
  branch: string;
  strategy: 'release' | 'docker';
  requires_approval: number;
  health_check_path: string;
  keep_releases: number;
  settings: string;
  current_release_id: string | null;
  created_at: string;
  updated_at: string;
  /** 1 while nginx answers 503 for the environment (0004). */
  maintenance: Generated<number>;
  /** Encrypted webhook secret (secret box) (0004). */
  webhook_secret: string | null;
  /** Version of the variable set; increases with every change (0004). */
  env_version: Generated<number>;
  /** Loopback port of the preview listener, unique across environments (0004). */
  preview_port: number | null;
}

export interface EnvironmentServersTable {
  environment_id: string;
  server_id: string;
}

export interface EnvVarsTable {
  id: string;
  environment_id: string;
  key: string;
  /** Encrypted value (secret box). */
  value: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface DeploymentsTable {
  id: string;
  organization_id: string;
  environment_id: string;
  status: 'queued' | 'awaiting_approval' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  ref: string | null;
  commit: string | null;
  trigger: string;
  priority: number;
  release_id: string | null;
  error: string | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** 0004 */
  project_id: string | null;
  kind: Generated<'deploy' | 'rollback'>;
  job_id: string | null;
  commit_author: string | null;
  commit_message: string | null;
  /** The release that served when the deployment started (switched back to on failure). */
  previous_release_id: string | null;
  /** Rollbacks: the release to re-activate. */
  target_release_id: string | null;
  /** 1 once any server switched to the new release. */
  switched: Generated<number>;
  approved_by: string | null;
  approved_at: string | null;
  env_version: number | null;
}

export interface DeploymentStepsTable {
  id: string;
  deployment_id: string;
  position: number;
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  /** 0004 */
  timeout_ms: Generated<number>;
  detail: string | null;
}

export interface DeploymentLogLinesTable {
  id: Generated<number>;
  deployment_id: string;
  seq: number;
  at: string;
  step: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}

export interface ReleasesTable {
  id: string;
  environment_id: string;
  deployment_id: string | null;
  commit: string;
  author: string | null;
  message: string | null;
  path: string;
  config_hash: string;
  status: 'active' | 'inactive' | 'failed' | 'pruned';
  created_at: string;
  /** Version of the variable set the release was built with (0004). */
  env_version: number | null;
  activated_at: string | null;
}

export interface DomainsTable {
  id: string;
  organization_id: string;
  environment_id: string;
  hostname: string;
  redirect_to: string | null;
  tls: 'acme' | 'custom' | 'none';
  verification_token: string;
  verified_at: string | null;
  certificate_id: string | null;
  created_at: string;
  /** 0005: display form of an IDN name. */
  unicode_hostname: string | null;
  wildcard: Generated<number>;
  redirect_status: Generated<number>;
  www_redirect: 'to-apex' | 'to-www' | null;
  https_redirect: Generated<number>;
  /** JSON list of {from, to, status}. */
  redirects: Generated<string>;
  verification_method: Generated<'dns' | 'http'>;
  verification_error: string | null;
  challenge: Generated<'http-01' | 'dns-01'>;
  dns_provider_id: string | null;
  certificate_status: Generated<'none' | 'pending' | 'issued' | 'failed'>;
  certificate_error: string | null;
  renewal_failures: Generated<number>;
  next_renewal_at: string | null;
  site_status: Generated<'pending' | 'applied' | 'failed'>;
  site_error: string | null;
  site_applied_at: string | null;
  /** What the expiry monitor saw served, and the alerts it raised for that certificate. */
  served_fingerprint: string | null;
  served_not_after: string | null;
  checked_at: string | null;
  check_error: string | null;
  alerted_fingerprint: string | null;
  alerted_threshold: number | null;
  mismatch_alerted_fingerprint: string | null;
  updated_at: string | null;
}

export interface CertificatesTable {
  id: string;
  organization_id: string;
  domain_id: string | null;
  source: 'acme' | 'custom';
  subject: string;
  sans: string;
  issuer: string;
  not_before: string;
  not_after: string;
  certificate_pem: string;
  chain_pem: string | null;
  /** Encrypted private key (secret box). */
  private_key: string;
  created_at: string;
  /** 0005 */
  serial_number: string | null;
  /** SHA-256 of the DER as AB:CD:… */
  fingerprint: string | null;
  key_type: string | null;
}

export interface AuditEventsTable {
  id: string;
  organization_id: string | null;
  actor_type: 'user' | 'token' | 'system' | 'anonymous';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  diff: string | null;
  created_at: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  name: string;
  payload: string;
  status: JobStatus;
  priority: number;
  run_at: string;
  attempts: number;
  max_attempts: number;
  /** Jobs sharing a key never run at the same time (a unique partial index enforces it). */
  concurrency_key: string | null;
  /** Enqueueing twice with the same key is a no-op (used by cron ticks). */
  dedupe_key: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  cancel_requested: number;
  last_error: string | null;
  result: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  type: string;
  organization_id: string | null;
  payload: string;
  created_at: string;
}

/** Installation-wide key/value settings (e.g. the secret-key check value). */
export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** SHA-256 of the normalised code; the code itself is shown once and never stored. */
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string | null;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface MembershipProjectsTable {
  membership_id: string;
  project_id: string;
}

export type ProvisionRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type ProvisionStepStatus = 'pending' | 'running' | 'changed' | 'unchanged' | 'skipped' | 'failed' | 'cancelled';

export interface ServerProvisionRunsTable {
  id: string;
  server_id: string;
  organization_id: string;
  job_id: string | null;
  status: ProvisionRunStatus;
  /** JSON: {phpVersion, steps}. */
  options: string;
  error: string | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ServerProvisionStepsTable {
  run_id: string;
  position: number;
  name: string;
  status: ProvisionStepStatus;
  reason: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface ServerProvisionLogLinesTable {
  id: Generated<number>;
  run_id: string;
  seq: number;
  at: string;
  step: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}

export interface ServerMetricSamplesTable {
  server_id: string;
  at: string;
  cpu_percent: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  mem_total_bytes: number | null;
  mem_used_bytes: number | null;
  disk_total_bytes: number | null;
  disk_used_bytes: number | null;
  net_rx_bps: number | null;
  net_tx_bps: number | null;
  cpu_total_ticks: number | null;
  cpu_idle_ticks: number | null;
  net_rx_bytes: number | null;
  net_tx_bytes: number | null;
}

export interface ServerMetricRollupsTable {
  server_id: string;
  resolution: '1m' | '1h';
  /** Start of the bucket (ISO-8601 UTC). */
  bucket: string;
  samples: number;
  cpu_avg: number | null;
  cpu_max: number | null;
  load1_avg: number | null;
  mem_total_bytes: number | null;
  mem_used_avg: number | null;
  disk_total_bytes: number | null;
  disk_used_avg: number | null;
  net_rx_bps_avg: number | null;
  net_tx_bps_avg: number | null;
}

/** Every version of an environment's variable set (0004). */
export interface EnvVarVersionsTable {
  id: string;
  environment_id: string;
  version: number;
  /** Encrypted JSON object of the whole set (secret box). */
  snapshot: string;
  created_by: string | null;
  created_at: string;
}

/** Webhook calls received, for de-duplication and for the UI (0004). */
export interface WebhookDeliveriesTable {
  id: string;
  environment_id: string;
  provider: 'github' | 'gitlab' | 'bitbucket' | 'generic';
  delivery_id: string | null;
  event: string | null;
  outcome: 'deployed' | 'ignored' | 'pong' | 'duplicate' | 'rejected';
  reason: string | null;
  deployment_id: string | null;
  created_at: string;
}

/** An organization's ACME account at one directory (0005). */
export interface AcmeAccountsTable {
  id: string;
  organization_id: string;
  directory_url: string;
  /** Encrypted account private key (secret box). */
  account_key: string;
  account_url: string | null;
  created_at: string;
}

/** A DNS provider an organization answers DNS-01 challenges with (0005). */
export interface DnsProvidersTable {
  id: string;
  organization_id: string;
  name: string;
  kind: 'challtestsrv' | 'powerdns' | 'rfc2136' | 'cloudflare' | 'route53';
  /** JSON of non-secret settings. */
  config: string;
  /** Encrypted JSON of credentials (secret box). */
  credentials: string;
  created_at: string;
}
