import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import { defineJob, type JobDefinition } from '../../jobs/job-registry.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Schedule } from '../../jobs/scheduler.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { Strategy } from '@devflow/contracts';
import { DeleteEnvironmentCommand, EnvironmentService, registerEnvironmentRoutes, VariablesService } from '../environments/index.js';
import { AuditLog, type IdentityGuard } from '../identity/index.js';
import { CloneProjectCommand, DeleteProjectCommand, ProjectDetector, ProjectService, registerProjectRoutes, type CloneServices } from '../projects/index.js';
import type { ServersModule } from '../servers/servers.module.js';
import { registerWebhookRoutes, WebhookService, type WebhookRateLimit } from '../webhooks/index.js';
import { DEPLOY_JOB, DeploymentRunner, RECOVER_JOB } from './deployment-runner.js';
import { DeploymentStore } from './deployment-store.js';
import { DeploymentLogService } from './deployment-log.service.js';
import { registerDeploymentRoutes } from './deployments.routes.js';
import { DeploymentService } from './deployments.service.js';
import { ReleaseStrategy } from './release-strategy.js';
import { EnvironmentTeardown, TEARDOWN_JOB } from './environment-teardown.js';
import type { ProxyConfigurator } from '../../adapters/proxy/proxy-configurator.js';
import type { DeployStrategy } from './strategy.js';
import type { OutboundGuard } from '../../adapters/outbound/outbound-guard.js';

export interface DeploymentsModuleOptions {
  /** Where environments live on servers (default /srv/devflow/apps: provisioning creates it). */
  root?: string;
  /** Accept local paths as repository URLs (tests, single-box setups). Default false. */
  allowLocalRepositories?: boolean;
  /** The user nginx runs as, owner of the PHP-FPM sockets (default www-data). PHP runs as each project's own user. */
  webServerUser?: string;
  /** Port of the public nginx server block (default 80). */
  publicPort?: number;
  /** First loopback port given to environments' preview listeners (default 20000). */
  previewPortBase?: number;
  /** Time limit of control-plane detection (default 30 s). */
  detectTimeoutMs?: number;
  /** How long a deployment waits for a lock held by a live one (default 60 s). */
  lockWaitMs?: number;
  /** Cron (6 fields) of the sweep that recovers deployments a dead process left running (default every 15 s). */
  recoverCron?: string;
  /** Webhook deliveries per environment and address per window (default 60 per minute). */
  webhookRateLimit?: WebhookRateLimit;
}

export interface DeploymentsModuleDeps {
  db: Db;
  box: SecretBox;
  bus: EventBus;
  queue: () => JobQueue;
  audit: AuditLog;
  servers: ServersModule;
  /** The process's one web-server configurator, shared with domains so their applies take the same locks. */
  proxy: ProxyConfigurator;
  publicUrl: string;
  logger: Logger;
  /** The guard of every outgoing request (repository detection). */
  outbound: OutboundGuard;
  clock?: (() => number) | undefined;
}

/** Projects, environments, variables, deployments, releases and webhooks: services, jobs and routes. */
export interface DeploymentsModule {
  readonly projects: ProjectService;
  readonly environments: EnvironmentService;
  readonly variables: VariablesService;
  readonly store: DeploymentStore;
  readonly deployments: DeploymentService;
  readonly runner: DeploymentRunner;
  readonly webhooks: WebhookService;
  readonly strategies: Readonly<Record<Strategy, DeployStrategy>>;
  readonly jobs: JobDefinition[];
  readonly schedules: Schedule[];
  /** Registers the routes and the resolvers of projects, environments and deployments. */
  registerHttp(http: HttpApp, guard: IdentityGuard | undefined): void;
}

export function createDeploymentsModule(d: DeploymentsModuleDeps, o: DeploymentsModuleOptions = {}): DeploymentsModule {
  const clock = d.clock ?? Date.now;
  const allowLocal = o.allowLocalRepositories ?? false;
  const detector = new ProjectDetector({ allowLocal, timeoutMs: o.detectTimeoutMs ?? 30_000 }, d.outbound);
  /** Projects, environments and variables over `db`: the database, or a command's transaction. */
  const servicesOver = (db: Db, audit = new AuditLog(db, d.clock)): CloneServices => {
    const environments = new EnvironmentService(db, d.box, audit, d.publicUrl, clock, o.previewPortBase ?? 20_000);
    return {
      projects: new ProjectService(db, d.box, audit, detector, { allowLocalRepositories: allowLocal }, clock),
      environments,
      variables: new VariablesService(db, d.box, audit, environments, clock),
    };
  };
  const { projects, environments, variables } = servicesOver(d.db, d.audit);
  const store = new DeploymentStore(d.db, d.bus, clock);
  const proxy = d.proxy;
  const teardown = new EnvironmentTeardown(d.db, d.servers.servers, d.servers.ssh, proxy, d.queue, d.logger.child({ component: 'teardown' }));
  const release = new ReleaseStrategy(d.servers.ssh, proxy, {
    root: o.root ?? '/srv/devflow/apps',
    webServerUser: o.webServerUser ?? 'www-data',
    publicPort: o.publicPort ?? 80,
    allowLocalRepositories: allowLocal,
    lockWaitMs: o.lockWaitMs ?? 60_000,
  });
  const strategies: Record<Strategy, DeployStrategy> = { release };
  const runner = new DeploymentRunner({
    db: d.db,
    store,
    projects,
    environments,
    variables,
    servers: d.servers.servers,
    queue: d.queue,
    bus: d.bus,
    strategies,
    logger: d.logger.child({ component: 'deployments' }),
  });
  const deployments = new DeploymentService(store, environments, d.queue, d.bus, d.audit, runner);
  const webhooks = new WebhookService(d.db, environments, deployments, d.audit, clock);

  const deleteProject = new DeleteProjectCommand({ queue: d.queue, audit: d.audit, teardown });
  const deleteEnvironment = new DeleteEnvironmentCommand({ queue: d.queue, audit: d.audit, teardown });
  const cloneProject = new CloneProjectCommand({ db: d.db, servicesOver });

  const jobs: JobDefinition[] = [
    defineJob({
      name: DEPLOY_JOB,
      payload: z.object({ deploymentId: z.string(), environmentId: z.string() }),
      maxAttempts: 3,
      backoffMs: 1000,
      timeoutMs: 3 * 60 * 60_000,
      // One deployment (or rollback, or recovery) per environment at a time, across every worker.
      concurrencyKey: (p) => `deploy:${p.environmentId}`,
      handler: (p, ctx) => runner.run(p.deploymentId, ctx),
    }),
    defineJob({
      name: TEARDOWN_JOB,
      payload: z.object({ environmentId: z.string(), slug: z.string(), serverIds: z.array(z.string()), domainIds: z.array(z.string()) }),
      maxAttempts: 5,
      backoffMs: 30_000,
      timeoutMs: 10 * 60_000,
      // After a deployment of the environment still running: it could write the files again.
      concurrencyKey: (p) => `deploy:${p.environmentId}`,
      handler: (p, ctx) => teardown.run(p, ctx.signal),
    }),
    defineJob({
      name: RECOVER_JOB,
      payload: z.object({}),
      maxAttempts: 1,
      timeoutMs: 60_000,
      concurrencyKey: () => RECOVER_JOB,
      handler: () => runner.sweep(),
    }),
  ];

  return {
    projects,
    environments,
    variables,
    store,
    deployments,
    runner,
    webhooks,
    strategies,
    jobs,
    schedules: [{ name: RECOVER_JOB, cron: o.recoverCron ?? '*/15 * * * * *', job: RECOVER_JOB }],
    registerHttp(http, guard) {
      guard?.registerResolver('project', (id) => projects.accessScope(id));
      guard?.registerResolver('environment', (id) => environments.accessScope(id));
      guard?.registerResolver('deployment', (id) => store.accessScope(id));
      registerProjectRoutes(http, { projects, cloneProject, deleteProject });
      registerEnvironmentRoutes(http, { environments, variables, deleteEnvironment });
      registerDeploymentRoutes(http, { deployments, store, logs: new DeploymentLogService(store, d.bus) });
      registerWebhookRoutes(http, { webhooks, rateLimit: o.webhookRateLimit });
    },
  };
}
