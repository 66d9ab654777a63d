import { createHmac } from 'node:crypto';
import type { Detection, EnvironmentSettings, Framework, Strategy } from '@devflow/contracts';
import type { Logger } from 'pino';
import { redactText } from '../../adapters/ssh/ssh-errors.js';
import { interruptedStep, isTerminal } from '../../core/deploy/state-machine.js';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { JobContext } from '../../jobs/job-registry.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { AppError } from '../../lib/errors.js';
import { environmentHostname, type EnvironmentRow, type EnvironmentService, type VariablesService } from '../environments/index.js';
import type { ProjectRow, ProjectService } from '../projects/index.js';
import type { ServerService } from '../servers/index.js';
import { DeploymentLog, maskList } from './deployment-log.js';
import { secretValues } from '../../core/deploy/log-mask.js';
import type { DeploymentRow, DeploymentStore } from './deployment-store.js';
import { describeError, PersistedSteps } from './persisted-steps.js';
import type { DeployContext, DeployRecorder, DeployServer, DeployStrategy, EnvironmentContext } from './strategy.js';

export const DEPLOY_JOB = 'deployments.run';
export const RECOVER_JOB = 'deployments.recover';

/** Aborts a running deployment on behalf of a user. */
export class DeploymentCancelled extends Error {
  readonly why = 'cancelled';
  constructor() {
    super('The deployment was cancelled.');
  }
}

/** Why a signal was aborted: cancelled by a user, the worker shutting down, its lease lost, or a timeout. */
function abortReason(signal: AbortSignal): string | undefined {
  if (!signal.aborted) return undefined;
  return (signal.reason as { why?: string } | undefined)?.why ?? 'aborted';
}

export interface RunnerDeps {
  db: Db;
  store: DeploymentStore;
  projects: ProjectService;
  environments: EnvironmentService;
  variables: VariablesService;
  servers: ServerService;
  queue: () => JobQueue;
  bus: EventBus;
  strategies: Readonly<Record<Strategy, DeployStrategy>>;
  logger: Logger;
}

/**
 * Runs deployments as persisted state machines: the job handler moves a
 * deployment queued → running → succeeded | failed | cancelled, runs the
 * strategy's steps with their time limits, and recovers deployments a dead
 * control plane left running. Safe to run twice for the same deployment.
 */
export class DeploymentRunner {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<unknown> }>();

  constructor(private readonly d: RunnerDeps) {
    // Cancels requested in another process reach this one as events.
    d.bus.subscribe((e) => {
      if (e.type !== 'deployment.cancel_requested') return;
      const id = (e.payload as { deploymentId?: string } | null)?.deploymentId;
      if (id) this.abortLocal(id);
    });
  }

  /** Aborts a deployment running in this process; true when it was here. */
  abortLocal(id: string): boolean {
    const a = this.active.get(id);
    if (!a) return false;
    a.controller.abort(new DeploymentCancelled());
    return true;
  }

  /** True while this process runs the deployment. */
  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** The job handler of `deployments.run`. */
  async run(deploymentId: string, job: Pick<JobContext, 'signal'>): Promise<{ status: string }> {
    const dep = await this.d.store.find(deploymentId);
    if (!dep) return { status: 'missing' };
    if (isTerminal(dep.status) || dep.status === 'awaiting_approval') return { status: dep.status };
    if (dep.status === 'running') {
      if (this.active.has(deploymentId)) return { status: 'running' };
      // This job ran before and its process died mid-way: clean up, never continue blindly.
      await this.recoverInterrupted(dep);
      return { status: (await this.d.store.get(deploymentId)).status };
    }
    const controller = new AbortController();
    const signal = AbortSignal.any([job.signal, controller.signal]);
    if (!(await this.d.store.transition(deploymentId, 'running', { started_at: this.d.store.now() }))) {
      return { status: (await this.d.store.get(deploymentId)).status };
    }
    const done = this.execute(deploymentId, signal);
    this.active.set(deploymentId, { controller, done });
    try {
      return await done;
    } finally {
      this.active.delete(deploymentId);
    }
  }

  private async execute(id: string, signal: AbortSignal): Promise<{ status: string }> {
    const dep = await this.d.store.get(id);
    const log = new DeploymentLog(this.d.db, this.d.bus, { id, organizationId: dep.organization_id, environmentId: dep.environment_id });
    await log.resume();
    const steps = new PersistedSteps(this.d.store, id, await this.d.store.steps(id), signal, log);
    let secrets: string[] = [];
    try {
      const ctx = await this.context(dep, signal, log, steps);
      secrets = ctx.secrets;
      const strategy = this.strategyFor(ctx.environment);
      log.line('setup', 'system', `${dep.kind === 'rollback' ? 'Rolling back' : 'Deploying'} ${ctx.project.name} ${dep.ref ?? ''} to ${ctx.environment.name} on ${ctx.servers.map((s) => s.name).join(', ')} (${dep.trigger})`);
      let outcome: { releaseId: string };
      if (dep.kind === 'rollback') {
        const target = dep.target_release_id ? await this.d.store.release(dep.target_release_id) : undefined;
        if (!target) throw new AppError('not_found', 'release.not_found', 'The release to roll back to no longer exists.');
        outcome = await strategy.rollback(ctx, target);
      } else {
        outcome = await strategy.deploy(ctx);
      }
      log.line('finish', 'system', `Release ${outcome.releaseId} is live.`);
      await log.flush();
      await this.d.store.transition(id, 'succeeded', { finished_at: this.d.store.now(), release_id: outcome.releaseId, error: null });
      await this.d.store.publish(id, 'deployment.finished');
      return { status: 'succeeded' };
    } catch (err) {
      const why = abortReason(signal);
      const cancelled = why === 'cancelled';
      const step = interruptedStep(await this.d.store.steps(id));
      const message = redactText(
        cancelled
          ? `Cancelled during ${step}.`
          : why === 'shutdown'
            ? `The control plane stopped during ${step}.`
            : why === 'lease_lost'
              ? `The worker lost its lease during ${step}.`
              : why === 'timeout'
                ? `The deployment ran past its time limit during ${step}.`
                : describeError(err),
        secrets,
      );
      await this.d.store.closeSteps(id, cancelled ? 'cancelled' : 'skipped', cancelled ? 'cancelled' : 'an earlier step failed', cancelled ? 'cancelled' : 'failed');
      log.line('finish', 'system', cancelled ? `Deployment cancelled during ${step}; the previous release keeps serving.` : `Deployment failed: ${message}`);
      await log.flush();
      await this.d.store.transition(id, cancelled ? 'cancelled' : 'failed', { finished_at: this.d.store.now(), error: message });
      await this.d.store.publish(id, 'deployment.finished');
      return { status: cancelled ? 'cancelled' : 'failed' };
    }
  }

  private strategyFor(env: EnvironmentRow): DeployStrategy {
    return this.d.strategies[env.strategy];
  }

  /** What a strategy needs about an environment, loaded fresh (handlers re-read state). */
  async environmentContext(environment: EnvironmentRow, signal: AbortSignal): Promise<EnvironmentContext> {
    const project = await this.d.projects.get(environment.project_id);
    const settings = JSON.parse(environment.settings || '{}') as EnvironmentSettings;
    const servers = await this.serversOf(environment);
    const hostname = environmentHostname(environment, project);
    // Custom domains get nginx files of their own (modules/domains); this file serves the environment's own name.
    const hostnames = [hostname];
    return {
      environment,
      settings,
      project,
      framework: (project.framework as Framework | null) ?? null,
      detection: project.detection ? (JSON.parse(project.detection) as Detection) : null,
      servers,
      hostnames,
      signal,
      secrets: environment.webhook_secret ? maskList([this.d.environments.webhookSecret(environment)]) : [],
    };
  }

  /** Everything a strategy needs for one deployment. */
  private async context(dep: DeploymentRow, signal: AbortSignal, log: DeploymentLog, steps: DeployContext['steps']): Promise<DeployContext> {
    const environment = await this.d.environments.get(dep.environment_id);
    const base = await this.environmentContext(environment, signal);
    let envVersion = environment.env_version;
    if (dep.kind === 'rollback' && dep.target_release_id) envVersion = (await this.d.store.release(dep.target_release_id))?.env_version ?? envVersion;
    else if (dep.env_version !== null) envVersion = dep.env_version;
    const variables = await this.d.variables.snapshot(environment.id, envVersion);
    if (dep.env_version === null) await this.d.store.update(dep.id, { env_version: envVersion });
    const deployKey = this.d.projects.privateKey(base.project);
    // Secret-looking and long values only (core/deploy/log-mask.ts): masking `production` or `127.0.0.1` hid paths and hosts, not secrets.
    const repositoryAuth = this.d.projects.authHeader(base.project);
    const secrets = maskList([...secretValues(variables), ...(deployKey ? [deployKey] : []), ...(repositoryAuth ? [repositoryAuth, repositoryAuth.split(' ').at(-1) ?? ''] : []), ...base.secrets]);
    log.mask(secrets);
    // Keyed: the hash is shown to viewers and must say nothing about the values (a short password could be guessed from a plain hash).
    const configHash = createHmac('sha256', deployKey ?? `devflow-config:${environment.id}`)
      .update(JSON.stringify({ variables: Object.entries(variables).sort(([a], [b]) => a.localeCompare(b)), settings: base.settings, framework: base.framework, healthCheckPath: environment.health_check_path }))
      .digest('hex');
    return { ...base, deployment: dep, variables, envVersion, configHash, deployKey, repositoryAuth, log, steps, record: this.recorder(dep, base.project), secrets };
  }

  /** Turns maintenance mode on or off on the environment's servers. */
  async maintenance(environment: EnvironmentRow, enabled: boolean): Promise<void> {
    const ctx = await this.environmentContext(environment, AbortSignal.timeout(120_000));
    await this.strategyFor(environment).setMaintenance(ctx, enabled);
  }

  private async serversOf(env: EnvironmentRow): Promise<DeployServer[]> {
    const ids = await this.d.environments.serverIds(env.id);
    if (!ids.length) throw new AppError('conflict', 'deployment.no_servers', 'The environment has no servers: add one first.');
    return Promise.all(
      ids.map(async (id) => {
        const row = await this.d.servers.get(id);
        if (!row.host_key_fingerprint) throw new AppError('conflict', 'server.not_validated', `Server ${row.name} has no pinned host key: validate it first.`);
        return { id: row.id, name: row.name, target: await this.d.servers.targetOf(row) };
      }),
    );
  }

  private recorder(dep: DeploymentRow, project: ProjectRow): DeployRecorder {
    const store = this.d.store;
    return {
      previousRelease: (id) => store.update(dep.id, { previous_release_id: id }),
      commit: (c) => store.update(dep.id, { commit: c.commit, commit_author: c.author, commit_message: c.message }),
      release: async (r) => {
        await store.insertRelease(r);
        await store.update(dep.id, { release_id: r.id });
        dep.release_id = r.id;
      },
      detection: (d) => this.d.projects.recordDetection(project.id, d),
      switching: async () => {
        await store.update(dep.id, { switched: 1 });
        dep.switched = 1;
      },
      activated: (releaseId) => store.activate(dep.environment_id, releaseId),
      releaseStatus: (ids, status) => store.setReleaseStatus(ids, status),
      releases: () => store.releases(dep.environment_id),
      variablesOf: async (releaseId) => {
        const r = await store.release(releaseId);
        return r ? this.d.variables.snapshot(dep.environment_id, r.env_version ?? 0) : null;
      },
      lockHolderGone: (holder) => this.holderGone(holder, dep.id),
      maintenance: async () => !!(await this.d.environments.get(dep.environment_id)).maintenance,
    };
  }

  /**
   * Whether the deployment holding a server lock is gone: finished, unknown,
   * or left running by a dead process (recovered here first). A holder
   * running in this process, or in a live worker, is not gone: wait for it.
   */
  private async holderGone(holder: string, self: string): Promise<boolean> {
    if (!holder || holder === self) return true;
    const other = await this.d.store.find(holder);
    if (!other || isTerminal(other.status)) return true;
    if (other.status !== 'running' || this.active.has(holder)) return false;
    const job = other.job_id ? await this.d.queue().get(other.job_id).catch(() => undefined) : undefined;
    const alive = job && job.status === 'running' && job.lease_until && job.lease_until > new Date().toISOString();
    if (alive) return false;
    await this.recoverInterrupted(other);
    return true;
  }

  /**
   * Ends a deployment the control plane stopped running: cleans up on the
   * servers first (switch back, remove its release, release its locks), then
   * marks it failed "control plane restarted during <step>". A crash during
   * this leaves it running, to be recovered again.
   */
  async recoverInterrupted(dep: DeploymentRow): Promise<void> {
    const steps = await this.d.store.steps(dep.id);
    const step = interruptedStep(steps);
    const reason = `The control plane restarted during ${step}; the deployment was stopped and cleaned up.`;
    const log = new DeploymentLog(this.d.db, this.d.bus, { id: dep.id, organizationId: dep.organization_id, environmentId: dep.environment_id });
    await log.resume();
    log.line('recovery', 'system', reason);
    try {
      const ctx = await this.context(dep, new AbortController().signal, log, { run: () => Promise.reject(new Error('no steps in recovery')), skip: async () => undefined });
      await this.strategyFor(ctx.environment).recover(ctx);
    } catch (err) {
      log.line('recovery', 'system', `Cleanup could not finish: ${describeError(err)}`);
      this.d.logger.warn({ err, deploymentId: dep.id }, 'deployment recovery incomplete');
    }
    await log.flush();
    await this.d.store.closeSteps(dep.id, 'skipped', reason, 'failed');
    if (await this.d.store.transition(dep.id, 'failed', { finished_at: this.d.store.now(), error: `control plane restarted during ${step}` })) {
      await this.d.store.publish(dep.id, 'deployment.finished');
    }
  }

  /**
   * Finds deployments left running whose job is no longer held by a live
   * worker and queues a recovery run for each (under the environment's
   * concurrency key, so it never overlaps a deployment of that environment).
   */
  async sweep(): Promise<{ recovering: number }> {
    const now = new Date().toISOString();
    let n = 0;
    for (const dep of await this.d.store.running()) {
      if (this.active.has(dep.id)) continue;
      const job = dep.job_id ? await this.d.queue().get(dep.job_id).catch(() => undefined) : undefined;
      if (job && (job.status === 'queued' || (job.status === 'running' && (job.lease_until ?? '') > now))) continue;
      await this.d.queue().enqueue(DEPLOY_JOB, { deploymentId: dep.id, environmentId: dep.environment_id }, { priority: 100, dedupeKey: `deploy-recover:${dep.id}`, maxAttempts: 3 });
      n++;
    }
    return { recovering: n };
  }
}
