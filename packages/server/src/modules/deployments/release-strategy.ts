import type { Detection, Framework } from '@devflow/contracts';
import type { SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import { redactText } from '../../adapters/ssh/ssh-errors.js';
import { detectFramework, relevantFiles } from '../../core/detect/detect.js';
import { renderDotenv } from '../../core/deploy/dotenv.js';
import { projectSlug, siteLayout, type SiteLayout } from '../../core/deploy/layout.js';
import { releasePlan, type ReleasePlan } from '../../core/deploy/plan.js';
import { projectUser } from '../../core/deploy/project-user.js';
import { releasesToPrune } from '../../core/deploy/retention.js';
import { choosePhpVersion, environmentSiteSlug } from '../../core/deploy/site-files.js';
import { explainOpenBasedirRefusal, healthCheckLogs } from './open-basedir-refusal.js';
import type { ProxyConfigurator } from '../../adapters/proxy/proxy-configurator.js';
import {
  EXPORT,
  FETCH,
  HEALTH_CHECK,
  LINK_SHARED,
  parseSections,
  POINT_LINK,
  READ_CURRENT,
  RELEASE_EXISTS,
  REMOVE_RELEASES,
  RESOLVE,
  RUN,
  ANNOUNCE,
  script,
  SECTION,
  sequence,
  SNAPSHOT,
  UNLOCK,
  WRITE_ENV_FILE,
} from '../../core/deploy/scripts.js';
import type { PlannedCommand } from '../../core/deploy/templates.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { allowedProtocols } from '../projects/index.js';
import type { ReleaseRow } from './deployment-store.js';
import { lockAll, unlockAll, type RunState } from './release-lock.js';
import { ReleaseSite } from './release-site.js';
import { cleanupScope, onAll, RemoteRunner, type CommandScope } from './remote-runner.js';
import type { DeployContext, DeployServer, DeployStrategy, EnvironmentContext, StepHandle } from './strategy.js';

export interface ReleaseStrategyOptions {
  /** Where environments live on servers (default /srv/devflow/apps). */
  root: string;
  /** The user nginx runs as: owns the PHP-FPM sockets (each project's PHP runs as its own user, see projectUser()). */
  webServerUser: string;
  /** Port of the public server block. */
  publicPort: number;
  allowLocalRepositories: boolean;
  /** How long to wait for a lock another live deployment holds. */
  lockWaitMs: number;
}

const envLabel = (file: string, vars: Record<string, string>, what: string) => `write shared/${file}: ${Object.keys(vars).length} variable(s), ${what}`;

/**
 * The release strategy (Envoyer/Deployer style): every deployment is a new
 * directory under releases/, built while the old one serves; nginx serves
 * it on a private port for a health check; then one atomic rename of the
 * `current` symlink switches traffic. A failure before the switch leaves the
 * old release serving; a failure after it switches every server back.
 */
export class ReleaseStrategy implements DeployStrategy {
  readonly name = 'release' as const;

  private readonly site: ReleaseSite;

  constructor(
    private readonly ssh: SshExecutor,
    private readonly proxy: ProxyConfigurator,
    private readonly o: ReleaseStrategyOptions,
  ) {
    this.site = new ReleaseSite(ssh, proxy, { webServerUser: o.webServerUser, publicPort: o.publicPort });
  }

  /** The layout of an environment on its servers. */
  layout(ctx: Pick<EnvironmentContext, 'project' | 'environment'>): SiteLayout {
    return siteLayout(this.o.root, projectSlug(ctx.project), ctx.environment.name);
  }

  private plan(ctx: EnvironmentContext, framework: Framework, detection: Detection | null): ReleasePlan {
    return releasePlan(framework, detection, { healthCheckPath: ctx.environment.health_check_path, settings: ctx.settings });
  }

  async deploy(ctx: DeployContext): Promise<{ releaseId: string }> {
    const L = this.layout(ctx);
    const remote = new RemoteRunner(this.ssh, ctx.log, ctx.secrets, ctx.servers.length > 1);
    const st: RunState = { reports: new Map(), locked: new Set(), previous: null, created: false, envWritten: false, switched: new Set() };
    const rid = newId('rel');
    const dir = L.release(rid);
    const first = ctx.servers[0] as DeployServer;
    try {
      await ctx.steps.run('lock', (step) => lockAll(ctx, remote, step, L, st, this.o.lockWaitMs));

      const meta = await ctx.steps.run('fetch', async (step) => {
        const url = ctx.project.repository_url;
        const wanted = ctx.deployment.commit ?? ctx.deployment.ref ?? ctx.environment.branch;
        // One remote command per server: fetch, then resolve (its three lines end the output).
        const found = await onAll(ctx.servers, async (s) => {
          const res = await remote.exec(
            s,
            step,
            `git fetch ${redactText(url)} (cached mirror ${L.repo}), resolve ${wanted}`,
            sequence(script(FETCH, 'fetch', L.repo, url, L.deployKey, allowedProtocols(this.o.allowLocalRepositories), ctx.repositoryAuth ? 'stdin' : ''), script(RESOLVE, 'resolve', L.repo, wanted)),
            // The repository's credentials reach git on stdin and through its environment: never argv, never a file.
            ctx.repositoryAuth ? { stdin: `${ctx.repositoryAuth}\n` } : {},
          );
          return res.stdout.replace(/\n$/, '').split('\n').slice(-3);
        });
        const commits = new Set(found.map((r) => r[0]?.trim()));
        if (commits.size !== 1) throw new AppError('unprocessable', 'deployment.servers_disagree', `The servers resolved ${wanted} to different commits: ${[...commits].join(', ')}.`);
        const [commit = '', author = null, message = null] = found[0] ?? [];
        await ctx.record.commit({ commit, author, message });
        step.note(`${commit.slice(0, 12)} ${message ?? ''}`.trim());
        return { commit, author, message };
      });

      let framework = ctx.framework;
      let detection = ctx.detection;
      await ctx.steps.run('export', async (step) => {
        const release: ReleaseRow = {
          id: rid,
          environment_id: ctx.environment.id,
          deployment_id: ctx.deployment.id,
          commit: meta.commit,
          author: meta.author,
          message: meta.message,
          path: dir,
          config_hash: ctx.configHash,
          status: 'inactive',
          created_at: new Date().toISOString(),
          env_version: ctx.envVersion,
          activated_at: null,
        };
        await ctx.record.release(release);
        st.created = true;
        const exportArgv = script(EXPORT, 'export', L.repo, meta.commit, dir, L.devflow);
        const label = `git archive ${meta.commit.slice(0, 12)} | tar -x -C releases/${rid}`;
        // The first server exports and lists the release for detection in one command (quiet: the listing is not log material).
        const [snap] = await onAll(ctx.servers, (s) => (s === first ? remote.exec(s, step, `${label}; read the release for detection`, sequence(exportArgv, script(SNAPSHOT, 'snapshot', dir)), { quiet: true }) : remote.exec(s, step, label, exportArgv)));
        const exported = (snap?.stdout ?? '').split(`\n${SECTION}`)[0]?.trim();
        if (exported) remote.note(first, step.name, exported);
        const sections = parseSections(snap?.stdout ?? '');
        detection = detectFramework({
          files: relevantFiles((sections.get('files') ?? '').split('\n')),
          composerJson: sections.get('file:composer.json') ?? null,
          composerLock: sections.get('file:composer.lock') ?? null,
          packageJson: sections.get('file:package.json') ?? null,
        });
        await ctx.record.detection(detection);
        framework = ctx.framework ?? detection.framework;
        remote.note(first, step.name, `detected ${detection.framework}${detection.frameworkVersion ? ` ${detection.frameworkVersion}` : ''}: ${detection.signals.join('; ')}`);
        step.note(`${framework} release ${rid}`);
      });

      const plan = this.plan(ctx, framework ?? 'php', detection);
      await ctx.steps.run('shared', async (step) => {
        st.envWritten = !!plan.envFile;
        const user = projectUser(ctx.project);
        const link = script(LINK_SHARED, 'link-shared', dir, L.shared, user, ...plan.sharedSpecs);
        const linkLabel = `link shared paths (${plan.sharedSpecs.length})`;
        // The env file (content on stdin) and the links in one remote command.
        await onAll(ctx.servers, (s) =>
          plan.envFile
            ? remote.exec(s, step, `${envLabel(plan.envFile, ctx.variables, `version ${ctx.envVersion}`)}; ${linkLabel}`, sequence(this.envArgv(L, user, plan.envFile), link), { stdin: renderDotenv(ctx.variables) })
            : remote.exec(s, step, linkLabel, link),
        );
      });

      await this.commands(ctx, remote, 'build', plan.build, dir);
      await this.commands(ctx, remote, 'framework', plan.preSwitch, dir);

      await ctx.steps.run('proxy', (step) => this.site.apply({ ...ctx, detection }, remote, step, L, plan, st.reports));
      await ctx.steps.run('healthcheck', (step) => this.previewCheck(ctx, remote, step, L, rid, plan));
      await ctx.steps.run('switch', (step) => this.switchTo(ctx, remote, step, L, rid, st));
      await ctx.steps.run('verify', (step) => this.publicCheck(ctx, remote, step, plan));
      await this.commands(ctx, remote, 'post-switch', plan.postSwitch, dir);

      await ctx.steps.run('cleanup', async (step) => {
        const known = await ctx.record.releases();
        const removed = new Set<string>();
        await onAll(ctx.servers, async (s) => {
          const onDisk = [...new Set([...(st.reports.get(s.id)?.releases ?? []), rid])];
          const prune = releasesToPrune(onDisk, known, ctx.environment.keep_releases, [rid, st.previous]);
          const unlock = script(UNLOCK, 'unlock', L.lock, ctx.deployment.id);
          // Pruning and unlocking in one remote command.
          if (prune.length) await remote.exec(s, step, `remove ${prune.length} old release(s), keep ${ctx.environment.keep_releases}; unlock ${L.lock}`, sequence(script(REMOVE_RELEASES, 'prune', L.releases, ...prune), unlock));
          else await remote.exec(s, step, `unlock ${L.lock}`, unlock);
          st.locked.delete(s.id);
          for (const id of prune) removed.add(id);
        });
        await ctx.record.releaseStatus([...removed].filter((id) => known.some((k) => k.id === id)), 'pruned');
        step.note(`kept ${ctx.environment.keep_releases} release(s)`);
      });
      return { releaseId: rid };
    } catch (err) {
      await this.compensate(ctx, remote, L, st, { remove: st.created ? rid : null });
      if (st.created) await ctx.record.releaseStatus([rid], 'failed').catch(() => undefined);
      throw err;
    } finally {
      if (st.locked.size) await unlockAll(ctx, remote, cleanupScope('cleanup'), L, st).catch(() => undefined);
    }
  }

  async rollback(ctx: DeployContext, target: ReleaseRow): Promise<{ releaseId: string }> {
    const L = this.layout(ctx);
    const remote = new RemoteRunner(this.ssh, ctx.log, ctx.secrets, ctx.servers.length > 1);
    const st: RunState = { reports: new Map(), locked: new Set(), previous: null, created: false, envWritten: false, switched: new Set() };
    const plan = this.plan(ctx, ctx.framework ?? 'php', ctx.detection);
    try {
      await ctx.steps.run('lock', (step) => lockAll(ctx, remote, step, L, st, this.o.lockWaitMs));
      // The env file on the servers is the live release's (deploys, compensation and recovery keep it so):
      // when the target was built with the same variables version there is nothing to write.
      const live = st.previous ? (await ctx.record.releases()).find((r) => r.id === st.previous) : undefined;
      const writeEnv = !!plan.envFile && (live?.env_version ?? null) !== target.env_version;
      await ctx.steps.run('env', async (step) => {
        const user = projectUser(ctx.project);
        const parts = [{ label: `check releases/${target.id} is kept`, argv: script(RELEASE_EXISTS, 'release-exists', L.release(target.id)) }];
        // A release built before projects had their own user has writable paths owned by the old web user: hand them over
        // (the script only changes owners when some file is not the project user's).
        const writable = plan.sharedSpecs.filter((p) => p.startsWith('w:'));
        if (writable.length) parts.push({ label: `make ${writable.length} path(s) writable by ${user}`, argv: script(LINK_SHARED, 'link-shared', L.release(target.id), L.shared, user, ...writable) });
        if (plan.envFile && writeEnv) {
          st.envWritten = true;
          parts.push({ label: envLabel(plan.envFile, ctx.variables, `version ${ctx.envVersion} of release ${target.id}`), argv: this.envArgv(L, user, plan.envFile) });
        } else if (plan.envFile) ctx.log.line(step.name, 'system', `shared/${plan.envFile} is already variables version ${String(target.env_version)} (that of release ${st.previous}): not rewritten`);
        // One remote command per server; it stops before touching anything when the release is gone.
        const argv = parts.length === 1 ? (parts[0]?.argv ?? []) : sequence(...parts.map((p) => p.argv));
        await onAll(ctx.servers, (s) => remote.exec(s, step, parts.map((p) => p.label).join('; '), argv, st.envWritten ? { stdin: renderDotenv(ctx.variables) } : {}));
        step.note(`release ${target.id} (${target.commit.slice(0, 12)})${plan.envFile && !writeEnv ? `; shared/${plan.envFile} unchanged` : ''}`);
      });
      // A release that already served with this same configuration (variables, settings, framework) is not
      // checked again on the preview port: the public check after the switch still runs, and a failure there
      // switches every server back.
      if (target.activated_at && target.config_hash === ctx.configHash) await ctx.steps.skip('healthcheck', `release ${target.id} served before with the same configuration; checked publicly after the switch`);
      else await ctx.steps.run('healthcheck', (step) => this.previewCheck(ctx, remote, step, L, target.id, plan));
      await ctx.steps.run('switch', (step) => this.switchTo(ctx, remote, step, L, target.id, st));
      await ctx.steps.run('verify', (step) => this.publicCheck(ctx, remote, step, plan));
      await ctx.steps.run('cleanup', (step) => unlockAll(ctx, remote, step, L, st));
      return { releaseId: target.id };
    } catch (err) {
      await this.compensate(ctx, remote, L, st, { remove: null });
      throw err;
    } finally {
      if (st.locked.size) await unlockAll(ctx, remote, cleanupScope('cleanup'), L, st).catch(() => undefined);
    }
  }

  async recover(ctx: Omit<DeployContext, 'steps'>): Promise<void> {
    const L = this.layout(ctx);
    const remote = new RemoteRunner(this.ssh, ctx.log, ctx.secrets, ctx.servers.length > 1);
    const d = ctx.deployment;
    const scope = cleanupScope('recovery', 120_000);
    const previous = d.previous_release_id;
    const ours = d.kind === 'rollback' ? d.target_release_id : d.release_id;
    let switchedBack = false;
    await Promise.all(
      ctx.servers.map(async (s) => {
        try {
          const cur = (await remote.exec(s, scope, 'read current', script(READ_CURRENT, 'read-current', L.base), { quiet: true })).stdout.trim() || null;
          if (d.switched && ours && cur === ours && previous !== ours) {
            if (previous) await remote.exec(s, scope, `switch back: current -> releases/${previous}`, script(POINT_LINK, 'point', L.base, 'current', previous));
            else await remote.exec(s, scope, 'remove current (no release served before)', ['rm', '-f', '--', L.current]);
            switchedBack = true;
          }
          if (d.kind === 'deploy' && d.release_id) await remote.exec(s, scope, `remove unfinished release ${d.release_id}`, script(REMOVE_RELEASES, 'remove', L.releases, d.release_id));
          const envFile = this.plan(ctx as DeployContext, ctx.framework ?? 'php', ctx.detection).envFile;
          const liveVars = previous ? await ctx.record.variablesOf(previous) : null;
          if (envFile && liveVars) await this.writeEnv(remote, s, scope, L, projectUser(ctx.project), envFile, liveVars, `of release ${previous}`);
          await remote.exec(s, scope, 'release the lock', script(UNLOCK, 'unlock', L.lock, d.id));
        } catch (err) {
          remote.note(s, scope.name, `recovery on ${s.name} failed: ${redactText(err instanceof Error ? err.message : String(err), ctx.secrets)}`);
        }
      }),
    );
    if (switchedBack || (d.switched && previous)) await ctx.record.activated(previous);
    if (d.kind === 'deploy' && d.release_id) await ctx.record.releaseStatus([d.release_id], 'failed');
  }

  async setMaintenance(ctx: EnvironmentContext, enabled: boolean): Promise<void> {
    await this.site.setMaintenance(ctx, this.layout(ctx), this.plan(ctx, ctx.framework ?? 'php', ctx.detection), enabled);
  }

  // ------------------------------------------------------------ steps

  private envArgv(L: SiteLayout, user: string, file: string): string[] {
    return script(WRITE_ENV_FILE, 'write-env', `${L.shared}/${file}`, user);
  }

  private async writeEnv(remote: RemoteRunner, s: DeployServer, step: StepHandle | CommandScope, L: SiteLayout, user: string, file: string, vars: Record<string, string>, what: string): Promise<void> {
    await remote.exec(s, step, envLabel(file, vars, what), this.envArgv(L, user, file), { stdin: renderDotenv(vars) });
  }

  /** Runs planned commands in the release as one step, or marks the step skipped when there are none. */
  private async commands(ctx: DeployContext, remote: RemoteRunner, name: string, cmds: PlannedCommand[], dir: string): Promise<void> {
    if (!cmds.length) {
      await ctx.steps.skip(name, 'nothing to run');
      return;
    }
    const user = projectUser(ctx.project);
    await ctx.steps.run(name, async (step) => {
      const runs = cmds.map((c) => {
        const cond = c.when ? ('exists' in c.when ? ['exists', c.when.exists] : ['command', c.when.command]) : ['always', ''];
        const label = c.argv[0] === 'sh' && c.argv[1] === '-c' && c.argv.length === 3 ? `sh -c ${JSON.stringify(c.argv[2])}` : c.argv[0] === 'sh' ? c.label : c.argv.join(' ');
        return { label: `${label}${c.runAs === 'web' ? ` (as ${user})` : ''}`, argv: script(RUN, c.label, cond[0] as string, cond[1] as string, c.runAs === 'web' ? user : '', ...c.argv) };
      });
      // Every command of the step in one remote command per server, in order, stopping at the first failure;
      // with several, each one's output is headed by its command line.
      const only = runs.length === 1 ? runs[0] : undefined;
      const argv = only ? only.argv : sequence(...runs.flatMap((r) => [script(ANNOUNCE, 'announce', r.label), r.argv]));
      await onAll(ctx.servers, (s) => remote.exec(s, step, only ? only.label : runs.map((r) => r.label).join(' && '), argv, { cwd: dir }));
      step.note(cmds.map((c) => c.label).join(', '));
    });
  }

  private async previewCheck(ctx: DeployContext, remote: RemoteRunner, step: StepHandle, L: SiteLayout, releaseId: string, plan: ReleasePlan): Promise<void> {
    const logs = healthCheckLogs(environmentSiteSlug(ctx.project, ctx.environment.name));
    await onAll(ctx.servers, async (s) => {
      await remote
        .exec(
          s,
          step,
          `point release -> releases/${releaseId}; GET ${plan.healthCheckPath} from the new release (private vhost, expect 2xx)`,
          sequence(
            script(POINT_LINK, 'point', L.base, 'release', releaseId),
            script(HEALTH_CHECK, 'health-check', `http://127.0.0.1:${ctx.environment.preview_port ?? 0}${plan.healthCheckPath}`, ctx.hostnames[0] as string, String(plan.healthCheckAttempts), '10', ...logs),
          ),
        )
        .catch((err: unknown) => {
          throw explainOpenBasedirRefusal(err, s.name);
        });
    });
    step.note(`GET ${plan.healthCheckPath}: 2xx`);
  }

  private async switchTo(ctx: DeployContext, remote: RemoteRunner, step: StepHandle, L: SiteLayout, releaseId: string, st2: RunState): Promise<void> {
    await ctx.record.switching();
    await onAll(ctx.servers, async (s) => {
      st2.switched.add(s.id);
      await remote.exec(s, step, `switch: current -> releases/${releaseId} (ln -sfn + mv -T)`, script(POINT_LINK, 'point', L.base, 'current', releaseId));
    });
    await ctx.record.activated(releaseId);
    if (ctx.settings.phpFpmReload) {
      await onAll(ctx.servers, async (s) => {
        const php = choosePhpVersion(st2.reports.get(s.id)?.phpFpmVersions ?? [], ctx.detection?.phpVersion ?? null);
        if (!php) return;
        remote.note(s, step.name, `reload php${php}-fpm`);
        await this.proxy.reload(s.target, { phpFpmVersions: [php] }, { signal: step.signal });
      });
    }
    step.note(`current -> ${releaseId}`);
  }

  private async publicCheck(ctx: DeployContext, remote: RemoteRunner, step: StepHandle, plan: ReleasePlan): Promise<void> {
    if (ctx.environment.maintenance) {
      ctx.log.line(step.name, 'system', 'maintenance mode is on: the public check is skipped (nginx answers 503)');
      step.note('skipped: maintenance mode');
      return;
    }
    const host = ctx.hostnames[0] as string;
    const logs = healthCheckLogs(environmentSiteSlug(ctx.project, ctx.environment.name));
    await onAll(ctx.servers, (s) =>
      remote
        .exec(s, step, `GET ${plan.healthCheckPath} publicly (Host: ${host}, expect 2xx)`, script(HEALTH_CHECK, 'health-check', `http://127.0.0.1:${this.o.publicPort}${plan.healthCheckPath}`, host, String(plan.healthCheckAttempts), '10', ...logs))
        .catch((err: unknown) => {
          throw explainOpenBasedirRefusal(err, s.name);
        }),
    );
    step.note(`GET ${plan.healthCheckPath} on ${host}: 2xx`);
  }

  /**
   * Undoes what a failed deployment changed, with its own time limit (the
   * deployment's signal may be aborted): switches every switched server back,
   * restores the env file of the release that stays live, removes the new release.
   */
  private async compensate(ctx: DeployContext, remote: RemoteRunner, L: SiteLayout, st2: RunState, what: { remove: string | null }): Promise<void> {
    const scope = cleanupScope('recovery', 120_000);
    const say = (line: string) => ctx.log.line(scope.name, 'system', line);
    try {
      const keep = st2.previous;
      if (st2.switched.size) {
        say(keep ? `switching every server back to ${keep}` : 'no release served before: removing the current link');
        await onAll(ctx.servers, (s) =>
          keep ? remote.exec(s, scope, `switch back: current -> releases/${keep}`, script(POINT_LINK, 'point', L.base, 'current', keep)) : remote.exec(s, scope, 'remove current', ['rm', '-f', '--', L.current]),
        );
        await ctx.record.activated(keep);
      }
      const envFile = st2.envWritten ? this.plan(ctx, ctx.framework ?? 'php', ctx.detection).envFile : null;
      const liveVars = keep && envFile ? await ctx.record.variablesOf(keep) : null;
      if (envFile && liveVars) await onAll(ctx.servers.filter((s) => st2.locked.has(s.id)), (s) => this.writeEnv(remote, s, scope, L, projectUser(ctx.project), envFile, liveVars, `restored for live release ${keep}`));
      if (what.remove) {
        const id = what.remove;
        await onAll(ctx.servers.filter((s) => st2.locked.has(s.id)), (s) => remote.exec(s, scope, `remove the unfinished release ${id}`, script(REMOVE_RELEASES, 'remove', L.releases, id)));
      }
    } catch (err) {
      say(`cleanup after the failure did not finish: ${redactText(err instanceof Error ? err.message : String(err), ctx.secrets)}`);
    }
  }
}
