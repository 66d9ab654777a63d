import type { Strategy } from '@devflow/contracts';
import type { Generated } from 'kysely';

/** Row types: projects, environments, variables, deployments, their steps and logs, releases and webhook deliveries. */

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
  /** Sealed JSON {username, password} taken out of an https repository URL (0009-sec-outbound). */
  repository_credentials?: string | null;
}

export interface EnvironmentsTable {
  id: string;
  organization_id: string;
  project_id: string;
  name: string;
  branch: string;
  /** A text column: a strategy added later needs no migration. */
  strategy: Strategy;
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
  /** 1 when the PHP-FPM pool fences PHP with open_basedir (0009-proxy). */
  open_basedir: Generated<number>;
  /** JSON list of more absolute directories open_basedir admits (0009-proxy). */
  open_basedir_extra: Generated<string>;
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

/** A webhook body that started a deployment, remembered for a day against replays (0009-sec-outbound). */
export interface WebhookReplaysTable {
  environment_id: string;
  body_sha256: string;
  commit: string | null;
  created_at: string;
}
