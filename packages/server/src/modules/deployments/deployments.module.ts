import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import { defineJob, type JobDefinition } from '../../jobs/job-registry.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Schedule } from '../../jobs/scheduler.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { EnvironmentSettings } from '@devflow/contracts';
import { registerEnvironmentRoutes } from '../environments/environments.routes.js';
import { EnvironmentService } from '../environments/environments.service.js';
import { VariablesService } from '../environments/variables.service.js';
import type { RequestContext } from '../identity/actor.js';
import type { AuditLog } from '../identity/audit.service.js';
import type { IdentityGuard } from '../identity/identity.guard.js';
import { ProjectDetector } from '../projects/project-detector.js';
import { registerProjectRoutes } from '../projects/projects.routes.js';
import { presentProject, ProjectService } from '../projects/projects.service.js';
import type { ServersModule } from '../servers/servers.module.js';
import { registerWebhookRoutes, type WebhookRateLimit } from '../webhooks/webhooks.routes.js';
import { WebhookService } from '../webhooks/webhooks.service.js';
import { DEPLOY_JOB, DeploymentRunner, RECOVER_JOB } from './deployment-runner.js';
import { DeploymentStore } from './deployment-store.js';
import { registerDeploymentRoutes } from './deployments.routes.js';
import { DeploymentService } from './deployments.service.js';
import { ReleaseStrategy } from './release-strategy.js';
import { EnvironmentTeardown, TEARDOWN_JOB } from './environment-teardown.js';
import { NginxConfigurator } from '../../adapters/proxy/nginx/nginx-configurator.js';
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
  /** The web-server configurator (default: nginx + PHP-FPM over the servers' SSH executor). */
  proxy?: ProxyConfigurator;
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
  readonly strategies: Readonly<Record<string, DeployStrategy>>;
  readonly jobs: JobDefinition[];
  readonly schedules: Schedule[];
  /** Registers the routes and the resolvers of projects, environments and deployments. */
  registerHttp(http: HttpApp, guard: IdentityGuard | undefined): void;
}

export function createDeploymentsModule(d: DeploymentsModuleDeps, o: DeploymentsModuleOptions = {}): DeploymentsModule {
  const clock = d.clock ?? Date.now;
  const allowLocal = o.allowLocalRepositories ?? false;
  const detector = new ProjectDetector({ allowLocal, timeoutMs: o.detectTimeoutMs ?? 30_000 }, d.outbound);
  const projects = new ProjectService(d.db, d.box, d.audit, detector, { allowLocalRepositories: allowLocal }, clock);
  const environments = new EnvironmentService(d.db, d.box, d.audit, d.publicUrl, clock, o.previewPortBase ?? 20_000);
  const variables = new VariablesService(d.db, d.box, d.audit, environments, clock);
  const store = new DeploymentStore(d.db, d.bus, clock);
  const proxy = o.proxy ?? new NginxConfigurator(d.servers.ssh);
  const teardown = new EnvironmentTeardown(d.db, d.servers.servers, d.servers.ssh, proxy, d.queue, d.logger.child({ component: 'teardown' }));
  const release = new ReleaseStrategy(d.servers.ssh, proxy, {
    root: o.root ?? '/srv/devflow/apps',
    webServerUser: o.webServerUser ?? 'www-data',
    publicPort: o.publicPort ?? 80,
    allowLocalRepositories: allowLocal,
    lockWaitMs: o.lockWaitMs ?? 60_000,
  });
  const strategies: Record<string, DeployStrategy> = { release };
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
  const deployments = new DeploymentService(store, environments, d.queue, d.bus, d.audit, runner, strategies);
  const webhooks = new WebhookService(d.db, environments, deployments, d.audit, clock);

  /** A copy of a project with its environments and their current variables. */
  async function cloneProject(req: { ctx: RequestContext }, id: string, body: { name: string; slug?: string | undefined }) {
    const copy = await projects.copy(req.ctx, id, body);
    const envs = await d.db.kysely.selectFrom('environments').selectAll().where('project_id', '=', id).orderBy('name').execute();
    // Only an admin's copy keeps the servers: attaching servers is an admin decision.
    const keepServers = environments.mayAttachServers(req.ctx, copy.organization_id);
    for (const e of envs) {
      const created = await environments.create(req.ctx, copy.id, {
        name: e.name,
        branch: e.branch,
        serverIds: keepServers ? await environments.serverIds(e.id) : [],
        requiresApproval: !!e.requires_approval,
        strategy: e.strategy,
        healthCheckPath: e.health_check_path,
        keepReleases: e.keep_releases,
        settings: JSON.parse(e.settings || '{}') as EnvironmentSettings,
      });
      const vars = await variables.current(e.id);
      if (Object.keys(vars).length) await variables.replace(req.ctx, created.id, vars);
    }
    return presentProject(copy);
  }

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
      guard?.registerResolver('project', async (id) => {
        const row = await d.db.kysely.selectFrom('projects').select(['organization_id', 'id']).where('id', '=', id).executeTakeFirst();
        return row ? { organizationId: row.organization_id, projectId: row.id } : undefined;
      });
      guard?.registerResolver('environment', async (id) => {
        const row = await d.db.kysely.selectFrom('environments').select(['organization_id', 'project_id']).where('id', '=', id).executeTakeFirst();
        return row ? { organizationId: row.organization_id, projectId: row.project_id } : undefined;
      });
      guard?.registerResolver('deployment', async (id) => {
        const row = await d.db.kysely.selectFrom('deployments').select(['organization_id', 'project_id']).where('id', '=', id).executeTakeFirst();
        return row ? { organizationId: row.organization_id, projectId: row.project_id } : undefined;
      });
      registerProjectRoutes(http, { projects, clone: cloneProject, teardown });
      registerEnvironmentRoutes(http, { environments, variables, teardown });
      registerDeploymentRoutes(http, { deployments, store, bus: d.bus });
      registerWebhookRoutes(http, { webhooks, rateLimit: o.webhookRateLimit });
    },
  };
}
