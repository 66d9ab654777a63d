import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration-context.js';

/** Servers over SSH: key types, host-key pinning state, provisioning runs with their log, metric samples and rollups. */
export function serversMigration({ serialId }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;
      await s.alterTable('ssh_keys').addColumn('key_type', 'text').execute();
      await s.createIndex('ssh_keys_org_name').on('ssh_keys').columns(['organization_id', 'name']).unique().execute();

      await s.alterTable('servers').addColumn('pending_host_key_fingerprint', 'text').execute();
      await s.alterTable('servers').addColumn('last_error', 'text').execute();
      await s.alterTable('servers').addColumn('metrics_interval_seconds', 'integer', (c) => c.notNull().defaultTo(30)).execute();
      await s.alterTable('servers').addColumn('last_sampled_at', 'text').execute();
      await s.createIndex('servers_org_name').on('servers').columns(['organization_id', 'name']).unique().execute();
      await s.createIndex('servers_ssh_key').on('servers').column('ssh_key_id').execute();

      await s
        .createTable('server_provision_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await s.createIndex('server_provision_runs_server').on('server_provision_runs').columns(['server_id', 'created_at']).execute();

      await s
        .createTable('server_provision_steps')
        .addColumn('run_id', 'text', (c) => c.notNull().references('server_provision_runs.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addPrimaryKeyConstraint('server_provision_steps_pk', ['run_id', 'position'])
        .execute();

      await s
        .createTable('server_provision_log_lines')
        .addColumn('id', serialId, (c) => (serialId === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('run_id', 'text', (c) => c.notNull().references('server_provision_runs.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .addUniqueConstraint('server_provision_log_lines_seq', ['run_id', 'seq'])
        .execute();

      const real = 'double precision';
      await s
        .createTable('server_metric_samples')
        .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('cpu_percent', real)
        .addColumn('load1', real)
        .addColumn('load5', real)
        .addColumn('load15', real)
        .addColumn('mem_total_bytes', 'bigint')
        .addColumn('mem_used_bytes', 'bigint')
        .addColumn('disk_total_bytes', 'bigint')
        .addColumn('disk_used_bytes', 'bigint')
        .addColumn('net_rx_bps', real)
        .addColumn('net_tx_bps', real)
        // Raw counters, so the next sample (in any worker process) can compute rates.
        .addColumn('cpu_total_ticks', 'bigint')
        .addColumn('cpu_idle_ticks', 'bigint')
        .addColumn('net_rx_bytes', 'bigint')
        .addColumn('net_tx_bytes', 'bigint')
        .addPrimaryKeyConstraint('server_metric_samples_pk', ['server_id', 'at'])
        .execute();
      await s.createIndex('server_metric_samples_at').on('server_metric_samples').column('at').execute();

      await s
        .createTable('server_metric_rollups')
        .addColumn('server_id', 'text', (c) => c.notNull().references('servers.id').onDelete('cascade'))
        .addColumn('resolution', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('samples', 'integer', (c) => c.notNull())
        .addColumn('cpu_avg', real)
        .addColumn('cpu_max', real)
        .addColumn('load1_avg', real)
        .addColumn('mem_total_bytes', 'bigint')
        .addColumn('mem_used_avg', real)
        .addColumn('disk_total_bytes', 'bigint')
        .addColumn('disk_used_avg', real)
        .addColumn('net_rx_bps_avg', real)
        .addColumn('net_tx_bps_avg', real)
        .addPrimaryKeyConstraint('server_metric_rollups_pk', ['server_id', 'resolution', 'bucket'])
        .execute();
      await s.createIndex('server_metric_rollups_res_bucket').on('server_metric_rollups').columns(['resolution', 'bucket']).execute();
    },
  };
}
