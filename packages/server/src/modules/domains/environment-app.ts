import type { Detection, EnvironmentSettings, Framework } from '@devflow/contracts';
import { projectSlug, siteLayout } from '../../core/deploy/layout.js';
import { releasePlan } from '../../core/deploy/plan.js';
import { choosePhpVersion, environmentApp, environmentSiteSlug, servesPhp } from '../../core/deploy/site-files.js';
import type { SiteApp } from '../../core/nginx/site-spec.js';
import type { Db } from '../../db/database.js';
import { notFound } from '../../lib/errors.js';

/** What a domain serves for its environment on one server (its nginx `app`). */
export type EnvironmentAppResolver = (environmentId: string, serverId: string) => Promise<SiteApp>;

/**
 * The app of an environment deployed with the release strategy, from the
 * same pure functions the strategy renders its own site with: the `current`
 * link's web root, through the environment's PHP-FPM pool when the framework
 * runs PHP and the server has PHP-FPM, else as static files.
 */
export function releaseStrategyApp(db: Db, root: string): EnvironmentAppResolver {
  return async (environmentId, serverId) => {
    const env = await db.kysely.selectFrom('environments').selectAll().where('id', '=', environmentId).executeTakeFirst();
    if (!env) throw notFound('environment', environmentId);
    const project = await db.kysely.selectFrom('projects').selectAll().where('id', '=', env.project_id).executeTakeFirst();
    if (!project) throw notFound('project', env.project_id);
    const server = await db.kysely.selectFrom('servers').select('facts').where('id', '=', serverId).executeTakeFirst();
    const framework = (project.framework as Framework | null) ?? 'php';
    const detection = project.detection ? (JSON.parse(project.detection) as Detection) : null;
    const settings = JSON.parse(env.settings || '{}') as EnvironmentSettings;
    const plan = releasePlan(framework, detection, { healthCheckPath: env.health_check_path, settings });
    const layout = siteLayout(root, projectSlug(project), env.name);
    const facts = JSON.parse(server?.facts || '{}') as { tools?: { phpFpm?: string[] } };
    const installed = (facts.tools?.phpFpm ?? []).map((v) => /^(\d+\.\d+)/.exec(v)?.[1]).filter((v): v is string => !!v);
    const php = servesPhp(framework) ? choosePhpVersion(installed, detection?.phpVersion ?? null) : null;
    return environmentApp({ framework, webRoot: plan.webRoot, phpVersion: php, slug: environmentSiteSlug(project, env.name) }, layout.current);
  };
}
