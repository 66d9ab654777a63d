import type { Generated } from 'kysely';

/** Row types: the job queue, events and installation settings. */

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
