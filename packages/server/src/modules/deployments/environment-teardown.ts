import type { Logger } from 'pino';
import type { ProxyConfigurator } from '../../adapters/proxy/proxy-configurator.js';
import type { SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import { environmentSiteSlug } from '../../core/deploy/site-files.js';
import { domainSitePaths, domainTlsDir } from '../../core/domains/domain-site.js';
import { previewConfigPath, rateLimitSnippetPath, siteConfigPath } from '../../core/nginx/nginx-paths.js';
import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { ServerService } from '../servers/index.js';

export const TEARDOWN_JOB = 'environments.teardown';

/** What an environment left on its servers, read before its rows go. */
export interface TeardownPlan {
  environmentId: string;
  /** siteSlug(project, environment): names its nginx and PHP-FPM files. */
  slug: string;
  serverIds: string[];
  domainIds: string[];
}

/** Lists the environment's PHP-FPM pool files, whatever PHP version they were written for. */
const FIND_POOLS = `for f in /etc/php/*/fpm/pool.d/devflow-"$1".conf; do [ -e "$f" ] && echo "$f"; done; exit 0`;

/**
 * Takes a deleted environment off its servers: its nginx site, private
 * preview listener, rate-limit snippet, PHP-FPM pool and its domains' sites
 * and certificates, with the ProxyConfigurator's check, restore and reload.
 * The environment's directory (releases, shared uploads, .env) stays: a
 * delete in DevFlow never destroys data on a server.
 */
export class EnvironmentTeardown {
  constructor(
    private readonly db: Db,
    private readonly servers: ServerService,
    private readonly ssh: SshExecutor,
    private readonly proxy: ProxyConfigurator,
    private readonly queue: () => JobQueue,
    private readonly logger: Logger,
  ) {}

  /** Reads what to take away, for environments about to be deleted (inside the deleting transaction when `db` is one). */
  async plan(environmentIds: readonly string[], db: Kysely<Database> = this.db.kysely): Promise<TeardownPlan[]> {
    if (environmentIds.length === 0) return [];
    const envs = await db
      .selectFrom('environments as e')
      .innerJoin('projects as p', 'p.id', 'e.project_id')
      .select(['e.id', 'e.name', 'p.slug', 'p.id as project_id'])
      .where('e.id', 'in', [...environmentIds])
      .execute();
    const plans: TeardownPlan[] = [];
    for (const e of envs) {
      const servers = await db.selectFrom('environment_servers').select('server_id').where('environment_id', '=', e.id).execute();
      const domains = await db.selectFrom('domains').select('id').where('environment_id', '=', e.id).execute();
      plans.push({ environmentId: e.id, slug: environmentSiteSlug({ id: e.project_id, slug: e.slug }, e.name), serverIds: servers.map((s) => s.server_id), domainIds: domains.map((d) => d.id) });
    }
    return plans;
  }

  /** Plans of the environments of projects about to be deleted. */
  async planProjects(projectIds: readonly string[], db: Kysely<Database> = this.db.kysely): Promise<TeardownPlan[]> {
    const envs = await db.selectFrom('environments').select('id').where('project_id', 'in', [...projectIds]).execute();
    return this.plan(envs.map((e) => e.id), db);
  }

  /**
   * Queues, in the transaction that deletes the rows, the teardown of each
   * planned environment that has servers: if the delete rolls back, no job
   * runs; if the job cannot be queued, nothing is deleted.
   */
  async enqueueIn(trx: Transaction<Database>, plans: readonly TeardownPlan[]): Promise<void> {
    for (const p of plans) if (p.serverIds.length) await this.queue().enqueueIn(trx, TEARDOWN_JOB, p);
  }

  /** Removes the environment's web-server files from each of its servers that still exists. */
  async run(plan: TeardownPlan, signal?: AbortSignal): Promise<{ servers: { serverId: string; removed: string[] }[] }> {
    const done: { serverId: string; removed: string[] }[] = [];
    for (const serverId of plan.serverIds) {
      const row = await this.db.kysely.selectFrom('servers').selectAll().where('id', '=', serverId).executeTakeFirst();
      if (!row?.host_key_fingerprint) continue; // removed meanwhile, or never reached: nothing of ours on it
      const target = await this.servers.targetOf(row);
      const opts = signal ? { signal } : {};
      const pools = await this.ssh.exec(target, ['sh', '-c', FIND_POOLS, 'devflow-find-pools', plan.slug], { ...opts, check: true });
      const paths = [
        ...plan.domainIds.flatMap((id) => domainSitePaths(id)),
        siteConfigPath(plan.slug),
        previewConfigPath(plan.slug),
        rateLimitSnippetPath(plan.slug),
        ...pools.stdout.split('\n').filter(Boolean),
      ];
      const result = await this.proxy.remove(target, paths, opts);
      if (plan.domainIds.length) await this.ssh.exec(target, ['rm', '-rf', '--', ...plan.domainIds.map(domainTlsDir)], { ...opts, check: true });
      this.logger.info({ environmentId: plan.environmentId, serverId, removed: result.changed }, 'environment taken off the server');
      done.push({ serverId, removed: result.changed });
    }
    return { servers: done };
  }
}
