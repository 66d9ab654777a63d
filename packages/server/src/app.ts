import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { migrateToLatest, openDatabase, type Db } from './db/database.js';
import { EventBus } from './events/event-bus.js';
import { createHttpApp, type HttpApp } from './http/app.js';
import { installGuard, type RequestGuard } from './http/guard.js';
import { Metrics } from './http/metrics.js';
import { registerWebUi } from './http/web-ui.js';
import { registerApiReference } from './http/api-reference.js';
import { defineJob, JobRegistry, type JobDefinition } from './jobs/job-registry.js';
import { JobQueue } from './jobs/job-queue.js';
import { Scheduler, type Schedule } from './jobs/scheduler.js';
import { Worker } from './jobs/worker.js';
import { createLogger } from './lib/logger.js';
import { NginxConfigurator } from './adapters/proxy/nginx/nginx-configurator.js';
import { Ssh2Executor } from './adapters/ssh/ssh2-executor.js';
import { OutboundGuard } from './adapters/outbound/outbound-guard.js';
import { createDeploymentsModule, type DeploymentsModule, type DeploymentsModuleOptions } from './modules/deployments/deployments.module.js';
import { createDomainsModule, type DomainsModule, type DomainsModuleOptions } from './modules/domains/domains.module.js';
import { EventAccess } from './modules/events/event-access.js';
import { registerEventRoutes } from './modules/events/events.routes.js';
import { AuditLog } from './modules/identity/audit.service.js';
import { registerIdentity, type Identity } from './modules/identity/identity.module.js';
import { createServersModule, type ServersModule, type ServersModuleOptions } from './modules/servers/servers.module.js';
import { registerSystemRoutes } from './modules/system/system.routes.js';
import { SystemService } from './modules/system/system.service.js';
import { loadMasterKey, type KeySource } from './secrets/key-store.js';
import { SecretBox } from './secrets/secret-box.js';
import { verifyMasterKey } from './secrets/secrets.service.js';

export type Role = 'serve' | 'worker';

export interface AppOptions {
  role: Role;
  logger?: Logger;
  /** Extra job kinds (tests, plugins). */
  jobs?: JobDefinition[];
  /** Extra recurring jobs. */
  schedules?: Schedule[];
  /** Replaces identity's guard (tests of the HTTP edge only). */
  guard?: RequestGuard;
  /** The clock identity uses for sessions, tokens and codes (tests move it). */
  clock?: () => number;
  /** Sign-in attempts per IP per minute (default 10). */
  loginPerMinute?: number;
  /** SSH keys and servers: SSH executor, sampling and retention settings. */
  servers?: ServersModuleOptions;
  /** Projects, environments and deployments: server layout, ports, local repositories (tests). */
  deployments?: DeploymentsModuleOptions;
  /** Domains and certificates: ACME directory and trust, DNS servers, ports, retry policy, clock (tests). */
  domains?: DomainsModuleOptions;
}

/** Everything a running DevFlow process holds, wired by hand. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly box: SecretBox;
  readonly keySource: KeySource;
  readonly registry: JobRegistry;
  readonly queue: JobQueue;
  readonly bus: EventBus;
  readonly worker: Worker;
  readonly scheduler: Scheduler;
  readonly http: HttpApp | undefined;
  /** Identity services (serve role only). */
  readonly identity: Identity | undefined;
  /** SSH keys, servers, provisioning and metrics. */
  readonly servers: ServersModule;
  /** Projects, environments, variables, deployments, releases and webhooks. */
  readonly deployments: DeploymentsModule;
  /** Domains, DNS providers, certificates (ACME and custom), renewal and expiry monitoring. */
  readonly domains: DomainsModule;
  /** Listens (serve) and starts the worker and scheduler. Returns the bound address for serve. */
  start(): Promise<string | undefined>;
  /** Stops claiming jobs, hands leases back, closes HTTP and the database. */
  stop(): Promise<void>;
}

export const VERSION: string = (
  JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const DAY = 86_400_000;

function builtinJobs(queue: () => JobQueue, bus: () => EventBus): JobDefinition[] {
  return [
    defineJob({
      name: 'system.prune',
      payload: z.object({}),
      maxAttempts: 3,
      async handler() {
        const jobs = await queue().prune(7 * DAY);
        const events = await bus().prune(3 * DAY);
        return { jobs, events };
      },
    }),
  ];
}

/** Opens the database, applies migrations, checks the secret key and wires every part for `role`. */
export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = openDatabase(config.database);
  try {
    await migrateToLatest(db);
    const { key, source } = loadMasterKey(config.dataDir, config.secretKey);
    const box = new SecretBox(key);
    await verifyMasterKey(db, box);

    const registry = new JobRegistry();
    const queue = new JobQueue(db, registry);
    const bus = new EventBus(db, logger);
    // Every outgoing request the API triggers goes through this one guard.
    const outbound = OutboundGuard.fromAllowList(config.outboundAllow);
    // Adapters are built once: one SSH pool, and one proxy configurator whose applies every module serializes through.
    const ssh = opts.servers?.executor ?? new Ssh2Executor(opts.servers?.ssh);
    const proxy = new NginxConfigurator(ssh, { processName: `devflow ${opts.role} on ${os.hostname()} pid ${process.pid}` });
    const servers = createServersModule({ db, box, bus, queue: () => queue, audit: new AuditLog(db, opts.clock), ssh, clock: opts.clock }, opts.servers);
    // Deployments: projects, environments, variables, the deploy pipeline as jobs, webhooks.
    const deployments = createDeploymentsModule(
      { db, box, bus, queue: () => queue, audit: new AuditLog(db, opts.clock), servers, proxy, publicUrl: config.publicUrl, logger, outbound, clock: opts.clock },
      opts.deployments,
    );
    // Domains and certificates: per-domain nginx sites, ownership checks, ACME orders, renewals, expiry alerts.
    const domains = createDomainsModule(
      { db, box, bus, queue: () => queue, audit: new AuditLog(db, opts.clock), servers, proxy, acmeDirectoryUrl: config.acmeDirectoryUrl, dnsServers: config.dnsServers, outbound, clock: opts.clock },
      { appRoot: opts.deployments?.root, ...opts.domains },
    );
    await deployments.projects.sealUrlCredentials();
    for (const job of [...builtinJobs(() => queue, () => bus), ...servers.jobs, ...deployments.jobs, ...domains.jobs, ...(opts.jobs ?? [])]) registry.register(job);
    queue.onEnqueued(() => void bus.signalJobs().catch(() => undefined));

    const worker = new Worker(queue, registry, logger.child({ component: 'worker' }), {
      concurrency: config.workerConcurrency,
      leaseMs: config.jobLeaseMs,
    });
    bus.onJobsSignal(() => worker.wake());
    const scheduler = new Scheduler(queue, logger.child({ component: 'scheduler' }), [
      { name: 'system.prune', cron: '17 3 * * *', job: 'system.prune' },
      ...servers.schedules,
      ...deployments.schedules,
      ...domains.schedules,
      ...(opts.schedules ?? []),
    ]);

    const metrics = new Metrics();
    metrics.gauge('devflow_jobs', 'Jobs by status', ['status'], async (g) => {
      const counts = await queue.countByStatus();
      for (const [status, n] of Object.entries(counts)) g.set({ status }, n);
    });
    metrics.gauge('devflow_webhook_bad_signatures', 'Webhook deliveries refused for a bad or missing signature since start', ['provider'], async (g) => {
      for (const [provider, n] of deployments.webhooks.rejections) g.set({ provider }, n);
    });
    metrics.gauge('devflow_worker_busy', 'Jobs running in this process', [], async (g) => {
      g.set(worker.busy);
    });

    let http: HttpApp | undefined;
    let identity: Identity | undefined;
    if (opts.role === 'serve') {
      http = await createHttpApp({ logger, trustProxy: config.trustProxy, version: VERSION });
      metrics.instrument(http);
      if (opts.guard) {
        installGuard(http, opts.guard);
      } else {
        identity = await registerIdentity(http, {
          db,
          box,
          publicUrl: config.publicUrl,
          corsOrigins: config.corsOrigins,
          clock: opts.clock,
          loginPerMinute: opts.loginPerMinute,
          tokenPerMinute: config.tokenRateLimit,
          bus,
        });
      }
      servers.registerHttp(http, identity?.guard);
      deployments.registerHttp(http, identity?.guard);
      domains.registerHttp(http, identity?.guard);
      registerApiReference(http, { specUrl: '/api/v1/openapi.json' });
      registerSystemRoutes(http, { system: new SystemService(db, VERSION), metrics });
      // A replaced guard is for tests of the edge alone (the stream shows everything); with identity, the policy decides per event.
      const eventGuard = identity?.guard;
      registerEventRoutes(http, {
        bus,
        access: eventGuard && new EventAccess({ resolve: (type, id) => eventGuard.resolveScope(type, id), refresh: (actor) => eventGuard.refresh(actor) }),
      });
      // Last: the dashboard's SPA fallback must not shadow any API route.
      await registerWebUi(http, { distDir: fileURLToPath(new URL('../../web/dist/', import.meta.url)) });
    }

    let started = false;
    return {
      config,
      logger,
      db,
      box,
      keySource: source,
      registry,
      queue,
      bus,
      worker,
      scheduler,
      http,
      identity,
      servers,
      deployments,
      domains,
      async start() {
        await bus.start();
        worker.start();
        scheduler.start();
        started = true;
        if (http) return http.listen({ host: config.host, port: config.port });
        return undefined;
      },
      async stop() {
        scheduler.stop();
        if (started) await worker.stop();
        if (http) await http.close();
        await servers.close();
        domains.close();
        await bus.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
