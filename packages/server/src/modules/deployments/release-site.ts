import type { ProxyConfigurator } from '../../adapters/proxy/proxy-configurator.js';
import type { SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import type { SiteLayout } from '../../core/deploy/layout.js';
import type { ReleasePlan } from '../../core/deploy/plan.js';
import { ADOPT, parseServerReport, PREPARE, script, sequence, WRITE_PUBLIC_FILE, type ServerReport } from '../../core/deploy/scripts.js';
import { projectUser } from '../../core/deploy/project-user.js';
import { choosePhpVersion, environmentSiteFiles, MAINTENANCE_PAGE, maintenancePagePath, servesPhp, environmentSiteSlug } from '../../core/deploy/site-files.js';
import { AppError } from '../../lib/errors.js';
import { openBasedirOf } from '../environments/index.js';
import { onAll, type RemoteRunner } from './remote-runner.js';
import type { DeployContext, DeployServer, EnvironmentContext, StepHandle } from './strategy.js';

/**
 * The web-server side of the release strategy: an environment's PHP-FPM
 * pool, public site and preview listener, rendered by core/nginx and
 * core/php-fpm and put in place by the ProxyConfigurator (checked, atomic,
 * reloaded only on change); and maintenance mode, which re-renders the site.
 */
export class ReleaseSite {
  constructor(
    private readonly ssh: SshExecutor,
    private readonly proxy: ProxyConfigurator,
    private readonly o: { webServerUser: string; publicPort: number },
  ) {}

  /** The pool, site and preview files for one server (its installed PHP versions decide the pool's). */
  files(ctx: EnvironmentContext, L: SiteLayout, plan: ReleasePlan, report: ServerReport | undefined, maintenance: boolean, s: DeployServer) {
    const php = servesPhp(plan.framework) ? choosePhpVersion(report?.phpFpmVersions ?? [], ctx.detection?.phpVersion ?? null) : null;
    if (servesPhp(plan.framework) && !php) throw new AppError('unprocessable', 'deployment.no_php_fpm', `PHP-FPM is not installed on ${s.name} (nothing in /etc/php/*/fpm): provision PHP first.`);
    const user = projectUser(ctx.project);
    if (php && report?.projectUser === 'missing') {
      throw new AppError('unprocessable', 'deployment.project_user_missing', `Could not create the Unix user ${user} on ${s.name} (useradd failed, or the SSH user is not root): PHP-FPM cannot run the project's pool without it.`);
    }
    if (ctx.environment.preview_port === null) throw new AppError('conflict', 'environment.no_preview_port', 'The environment has no preview port; recreate it.');
    return environmentSiteFiles({
      environmentId: ctx.environment.id,
      slug: environmentSiteSlug(ctx.project, ctx.environment.name),
      hostnames: ctx.hostnames,
      layout: L,
      framework: plan.framework,
      webRoot: plan.webRoot,
      phpVersion: php,
      projectUser: user,
      webServerUser: this.o.webServerUser,
      httpPort: this.o.publicPort,
      previewPort: ctx.environment.preview_port,
      maintenance,
      openBasedir: openBasedirOf(ctx.environment),
    });
  }

  /** The proxy step: applies the files on every server, checked and reloaded only on change (the maintenance state is re-read). */
  async apply(ctx: DeployContext, remote: RemoteRunner, step: StepHandle, L: SiteLayout, plan: ReleasePlan, reports: ReadonlyMap<string, ServerReport>): Promise<void> {
    const maintenance = await ctx.record.maintenance();
    const results = await onAll(ctx.servers, async (s) => {
      const report = reports.get(s.id);
      const files = this.files(ctx, L, plan, report, maintenance, s);
      remote.note(s, step.name, `$ apply ${files.map((f) => f.path).join(', ')} (checked with nginx -t / php-fpm -t, reloaded only on change)`);
      if (maintenance) await remote.exec(s, step, 'write the maintenance page', script(WRITE_PUBLIC_FILE, 'write-page', maintenancePagePath(L)), { stdin: MAINTENANCE_PAGE });
      const res = await this.proxy.apply(s.target, files, { reason: `deployment ${ctx.deployment.id}`, signal: step.signal, timeoutMs: Math.max(5000, Math.min(60_000, step.deadline - Date.now())) });
      if (ctx.detection?.phpVersion && servesPhp(plan.framework)) {
        const used = choosePhpVersion(report?.phpFpmVersions ?? [], ctx.detection.phpVersion);
        if (used !== ctx.detection.phpVersion) remote.note(s, step.name, `composer.json asks for PHP ${ctx.detection.phpVersion}; using PHP-FPM ${used}`);
      }
      remote.note(s, step.name, res.changed.length ? `changed ${res.changed.length} file(s); reloaded ${res.reloaded.join(', ') || 'nothing'}` : 'site, preview and pool unchanged');
      return res.changed.length > 0;
    });
    step.note(results.some(Boolean) ? 'web server config updated' : 'web server config unchanged');
  }

  /** Writes the maintenance page and re-renders the site with maintenance on or off, on every server. */
  async setMaintenance(ctx: EnvironmentContext, L: SiteLayout, plan: ReleasePlan, enabled: boolean): Promise<void> {
    await onAll(ctx.servers, async (s) => {
      const exec = (argv: string[], stdin?: string) => this.ssh.exec(s.target, argv, { signal: ctx.signal, timeoutMs: 30_000, secrets: ctx.secrets, ...(stdin !== undefined ? { stdin } : {}) });
      const user = projectUser(ctx.project);
      // The pool is re-rendered with the project user: make sure what it reads and writes is that user's.
      const adopt = script(ADOPT, 'adopt', L.base, user, plan.envFile ?? '', ...plan.sharedSpecs.filter((p) => p.startsWith('d:') || p.startsWith('w:')));
      const report = parseServerReport((await exec(sequence(script(PREPARE, 'prepare', L.base, user), adopt))).stdout);
      if (enabled) await exec(script(WRITE_PUBLIC_FILE, 'write-page', maintenancePagePath(L)), MAINTENANCE_PAGE);
      await this.proxy.apply(s.target, this.files(ctx, L, plan, report, enabled, s), {
        reason: `maintenance ${enabled ? 'on' : 'off'} of environment ${ctx.environment.id}`,
        signal: ctx.signal,
        timeoutMs: 60_000,
      });
    });
  }
}
