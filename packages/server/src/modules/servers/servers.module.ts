import type { RetentionPolicy } from '../../core/metrics-rollup.js';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import type { JobDefinition } from '../../jobs/job-registry.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Schedule } from '../../jobs/scheduler.js';
import type { SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import { Ssh2Executor, type Ssh2ExecutorOptions } from '../../adapters/ssh/ssh2-executor.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, IdentityGuard } from '../identity/index.js';
import { registerSshKeyRoutes, SshKeyService } from '../ssh-keys/index.js';
import { MetricsService } from './metrics.service.js';
import { ProvisioningService } from './provisioning.service.js';
import { serverJobs, serverSchedules } from './servers.jobs.js';
import { registerServerRoutes } from './servers.routes.js';
import { ServerService } from './servers.service.js';

export interface ServersModuleOptions {
  /** Replaces the ssh2 executor (another implementation of the port); createApp builds it once for every module. */
  executor?: SshExecutor;
  /** Options of the default ssh2 executor (timeouts, keepalive, name resolution). */
  ssh?: Ssh2ExecutorOptions;
  /** Cron (6 fields, seconds first) of the sampling tick; default every 10 s. */
  sampleCron?: string;
  /** Cron of rollups and retention; default once a minute. */
  rollupCron?: string;
  /** Servers sampled at once (default 16). */
  sampleConcurrency?: number;
  retention?: RetentionPolicy;
}

export interface ServersModuleDeps {
  db: Db;
  box: SecretBox;
  bus: EventBus;
  queue: () => JobQueue;
  audit: AuditLog;
  /** The one SSH executor of the process (createApp builds it); default one of this module's own. */
  ssh?: SshExecutor | undefined;
  clock?: (() => number) | undefined;
}

/** SSH keys and servers: services, jobs, schedules and routes, wired by hand. */
export interface ServersModule {
  readonly ssh: SshExecutor;
  readonly keys: SshKeyService;
  readonly servers: ServerService;
  readonly provisioning: ProvisioningService;
  readonly metrics: MetricsService;
  readonly jobs: JobDefinition[];
  readonly schedules: Schedule[];
  /** Registers the routes and tells the guard how to find the organization of keys and servers. */
  registerHttp(http: HttpApp, guard: IdentityGuard | undefined): void;
  /** Closes every SSH connection. */
  close(): Promise<void>;
}

export function createServersModule(d: ServersModuleDeps, o: ServersModuleOptions = {}): ServersModule {
  const ssh = d.ssh ?? o.executor ?? new Ssh2Executor(o.ssh);
  const clock = d.clock ?? Date.now;
  const keys = new SshKeyService(d.db, d.box, d.audit, clock);
  const servers = new ServerService(d.db, keys, ssh, d.audit, clock);
  let provisioning: ProvisioningService | undefined;
  const provisioningOf = () => (provisioning ??= new ProvisioningService(d.db, servers, ssh, d.queue(), d.bus, d.audit));
  const metrics = new MetricsService(d.db, servers, ssh, {
    ...(o.sampleConcurrency ? { concurrency: o.sampleConcurrency } : {}),
    ...(o.retention ? { retention: o.retention } : {}),
  });
  return {
    ssh,
    keys,
    servers,
    get provisioning() {
      return provisioningOf();
    },
    metrics,
    jobs: serverJobs(provisioningOf, () => metrics),
    schedules: serverSchedules({ sampleCron: o.sampleCron, rollupCron: o.rollupCron }),
    registerHttp(http, guard) {
      guard?.registerResolver('ssh_key', async (id) => {
        const row = await d.db.kysely.selectFrom('ssh_keys').select('organization_id').where('id', '=', id).executeTakeFirst();
        return row ? { organizationId: row.organization_id } : undefined;
      });
      guard?.registerResolver('server', async (id) => {
        const row = await d.db.kysely.selectFrom('servers').select('organization_id').where('id', '=', id).executeTakeFirst();
        return row ? { organizationId: row.organization_id } : undefined;
      });
      registerSshKeyRoutes(http, keys);
      registerServerRoutes(http, { servers, provisioning: provisioningOf(), metrics });
    },
    async close() {
      if (ssh instanceof Ssh2Executor) await ssh.destroy();
      else await ssh.close();
    },
  };
}
