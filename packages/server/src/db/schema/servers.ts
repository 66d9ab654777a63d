import type { Generated } from 'kysely';

/** Row types: SSH keys, servers, provisioning runs and metric samples. */

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
