import type { EnvironmentSettings } from '@devflow/contracts';
import { stepsFor } from '../../core/deploy/plan.js';
import { isTerminal } from '../../core/deploy/state-machine.js';
import type { EventBus } from '../../events/event-bus.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { AuditEntry, AuditLog, RequestContext } from '../identity/index.js';
import type { EnvironmentRow, EnvironmentService } from '../environments/index.js';
import type { DeploymentRunner } from './deployment-runner.js';
import { DEPLOY_JOB } from './deployment-runner.js';
import { presentRelease, type DeploymentRow, type DeploymentStore } from './deployment-store.js';

export interface CreateDeploymentInput {
  ref?: string | undefined;
  priority: number;
  /** An exact commit (webhooks send the pushed one). */
  commit?: string | null | undefined;
}

/** Priority of rollbacks: they go before queued deployments. */
const ROLLBACK_PRIORITY = 100;

/** A new deployment of `env` by the caller: nothing started, approved, switched or linked yet, but for `fields`. */
function newDeploymentRow(
  ctx: RequestContext,
  env: EnvironmentRow,
  now: string,
  fields: Pick<DeploymentRow, 'kind' | 'status' | 'commit' | 'trigger' | 'priority'> & Partial<DeploymentRow>,
): DeploymentRow {
  return {
    id: newId('dep'),
    organization_id: env.organization_id,
    project_id: env.project_id,
    environment_id: env.id,
    ref: null,
    commit_author: null,
    commit_message: null,
    release_id: null,
    error: null,
    created_by: ctx.actor?.userId ?? null,
    created_at: now,
    started_at: null,
    finished_at: null,
    job_id: null,
    previous_release_id: null,
    target_release_id: null,
    switched: 0,
    approved_by: null,
    approved_at: null,
    env_version: null,
    ...fields,
  };
}

/**
 * Deployments as users drive them: create (queued, or awaiting approval),
 * approve or reject, cancel in any state, roll back to a kept release, and
 * maintenance mode. The work itself is the runner's, in a job.
 */
export class DeploymentService {
  constructor(
    private readonly store: DeploymentStore,
    private readonly environments: EnvironmentService,
    private readonly queue: () => JobQueue,
    private readonly bus: EventBus,
    private readonly audit: AuditLog,
    private readonly runner: DeploymentRunner,
  ) {}

  private actorName(ctx: RequestContext): string {
    return ctx.actor?.email ?? 'a webhook';
  }

  private async enqueue(d: DeploymentRow): Promise<void> {
    const job = await this.queue().enqueue(DEPLOY_JOB, { deploymentId: d.id, environmentId: d.environment_id }, { priority: d.priority, maxAttempts: 3 });
    await this.store.update(d.id, { job_id: job.id });
  }

  /** Creates a deployment of the environment's branch (or `ref`); it waits for approval when the environment requires it. */
  async create(ctx: RequestContext, environmentId: string, input: CreateDeploymentInput, trigger: string, auditActor?: AuditEntry['actor']) {
    const env = await this.environments.get(environmentId);
    const serverIds = await this.environments.serverIds(env.id);
    if (!serverIds.length) throw conflict('deployment.no_servers', 'The environment has no servers: add one (PATCH serverIds) before deploying.');
    const settings = JSON.parse(env.settings || '{}') as EnvironmentSettings;
    const now = this.store.now();
    const row = newDeploymentRow(ctx, env, now, {
      kind: 'deploy',
      status: env.requires_approval ? 'awaiting_approval' : 'queued',
      ref: input.ref ?? env.branch,
      commit: input.commit ?? null,
      trigger,
      priority: input.priority,
    });
    await this.store.insert(row, stepsFor('deploy', settings));
    if (row.status === 'queued') await this.enqueue(row);
    await this.audit.record(ctx, {
      action: 'deployment.create',
      organizationId: row.organization_id,
      targetType: 'deployment',
      targetId: row.id,
      diff: { environmentId: env.id, ref: row.ref, commit: row.commit, trigger, priority: row.priority, status: row.status },
      ...(auditActor ? { actor: auditActor } : {}),
    });
    await this.store.publish(row.id, 'deployment.created');
    return this.store.present(row.id);
  }

  async list(environmentId: string, q: { limit: number; cursor?: string | undefined }) {
    await this.environments.get(environmentId);
    return this.store.list(environmentId, q.limit, q.cursor);
  }

  /**
   * Cancels in any state: a waiting or queued deployment ends at once; a
   * running one is aborted (its current command killed) and cleans up, so
   * the previous release keeps serving and no lock is left.
   */
  async cancel(ctx: RequestContext, id: string) {
    let d = await this.store.get(id);
    if (isTerminal(d.status)) throw conflict('deployment.finished', `The deployment already ended as ${d.status}.`);
    if (d.status === 'awaiting_approval' || d.status === 'queued') {
      if (await this.store.transition(id, 'cancelled', { finished_at: this.store.now(), error: `Cancelled by ${this.actorName(ctx)} before it started.` })) {
        if (d.job_id) await this.queue().cancel(d.job_id).catch(() => undefined);
        await this.store.closeSteps(id, 'cancelled', 'cancelled before it started');
        await this.audit.record(ctx, { action: 'deployment.cancel', organizationId: d.organization_id, targetType: 'deployment', targetId: id, diff: { from: d.status } });
        return this.store.present(id);
      }
      d = await this.store.get(id);
    }
    if (d.status === 'running') {
      this.runner.abortLocal(id);
      if (d.job_id) await this.queue().cancel(d.job_id).catch(() => undefined);
      await this.bus.publish({ type: 'deployment.cancel_requested', organizationId: d.organization_id, payload: { deploymentId: id, environmentId: d.environment_id } });
      await this.audit.record(ctx, { action: 'deployment.cancel', organizationId: d.organization_id, targetType: 'deployment', targetId: id, diff: { from: 'running' } });
    }
    return this.store.present(id);
  }

  /** Approves a deployment waiting for approval: it is queued now (admins only; audited). */
  async approve(ctx: RequestContext, id: string) {
    const d = await this.store.get(id);
    if (d.status !== 'awaiting_approval') throw conflict('deployment.not_awaiting_approval', `The deployment is ${d.status}, not awaiting approval.`);
    if (!(await this.store.transition(id, 'queued', { approved_by: ctx.actor?.userId ?? null, approved_at: this.store.now() }))) {
      throw conflict('deployment.not_awaiting_approval', 'The deployment changed meanwhile; reload it.');
    }
    await this.enqueue(await this.store.get(id));
    await this.audit.record(ctx, { action: 'deployment.approve', organizationId: d.organization_id, targetType: 'deployment', targetId: id, diff: { environmentId: d.environment_id, ref: d.ref } });
    return this.store.present(id);
  }

  /** Rejects a deployment waiting for approval: it ends cancelled with the reason (audited). */
  async reject(ctx: RequestContext, id: string, reason: string | undefined) {
    const d = await this.store.get(id);
    if (d.status !== 'awaiting_approval') throw conflict('deployment.not_awaiting_approval', `The deployment is ${d.status}, not awaiting approval.`);
    const error = `Rejected by ${this.actorName(ctx)}${reason ? `: ${reason}` : '.'}`;
    if (!(await this.store.transition(id, 'cancelled', { finished_at: this.store.now(), error }))) throw conflict('deployment.not_awaiting_approval', 'The deployment changed meanwhile; reload it.');
    await this.store.closeSteps(id, 'cancelled', 'rejected');
    await this.audit.record(ctx, { action: 'deployment.reject', organizationId: d.organization_id, targetType: 'deployment', targetId: id, diff: { reason: reason ?? null } });
    return this.store.present(id);
  }

  async releases(environmentId: string) {
    await this.environments.get(environmentId);
    return (await this.store.releases(environmentId)).map(presentRelease);
  }

  /**
   * Queues a rollback to a kept release (default: the one that served before
   * the current one). It runs before other queued deployments and needs no
   * approval: it re-activates code that already ran.
   */
  async rollback(ctx: RequestContext, environmentId: string, releaseId: string | undefined) {
    const env = await this.environments.get(environmentId);
    const releases = await this.store.releases(environmentId);
    const candidates = releases
      .filter((r) => r.status === 'inactive' && r.activated_at && r.id !== env.current_release_id)
      .sort((a, b) => (b.activated_at ?? '').localeCompare(a.activated_at ?? ''));
    const target = releaseId ? releases.find((r) => r.id === releaseId) : candidates[0];
    if (releaseId && !target) throw notFound('release', releaseId);
    if (!target) throw conflict('release.none_to_roll_back_to', 'There is no earlier release to roll back to.');
    if (target.id === env.current_release_id) throw conflict('release.already_live', `Release ${target.id} is already live.`);
    if (target.status === 'failed' || target.status === 'pruned' || !target.activated_at) {
      throw conflict('release.not_kept', `Release ${target.id} is ${target.status === 'pruned' ? 'pruned' : 'not a release that served'}: roll back to a kept, good release.`);
    }
    const serverIds = await this.environments.serverIds(env.id);
    if (!serverIds.length) throw conflict('deployment.no_servers', 'The environment has no servers.');
    const settings = JSON.parse(env.settings || '{}') as EnvironmentSettings;
    const now = this.store.now();
    const row = newDeploymentRow(ctx, env, now, {
      kind: 'rollback',
      status: 'queued',
      commit: target.commit,
      commit_author: target.author,
      commit_message: target.message,
      trigger: 'rollback',
      priority: ROLLBACK_PRIORITY,
      target_release_id: target.id,
      env_version: target.env_version,
    });
    await this.store.insert(row, stepsFor('rollback', settings));
    await this.enqueue(row);
    await this.audit.record(ctx, { action: 'deployment.rollback', organizationId: env.organization_id, targetType: 'deployment', targetId: row.id, diff: { environmentId, releaseId: target.id, commit: target.commit } });
    await this.store.publish(row.id, 'deployment.created');
    return this.store.present(row.id);
  }

  /** Maintenance mode: nginx answers 503 (with a page and Retry-After) for the environment until it is turned off. */
  async maintenance(ctx: RequestContext, environmentId: string, enabled: boolean) {
    const env = await this.environments.get(environmentId);
    const ids = await this.environments.serverIds(env.id);
    // Recorded first: a deployment running now renders the site with the new state.
    await this.environments.setMaintenance(environmentId, enabled);
    if (ids.length) {
      try {
        await this.runner.maintenance(await this.environments.get(environmentId), enabled);
      } catch (err) {
        await this.environments.setMaintenance(environmentId, !!env.maintenance);
        throw err;
      }
    }
    await this.audit.record(ctx, { action: enabled ? 'environment.maintenance.on' : 'environment.maintenance.off', organizationId: env.organization_id, targetType: 'environment', targetId: env.id });
    await this.bus.publish({ type: 'environment.maintenance', organizationId: env.organization_id, payload: { environmentId, enabled } });
    return this.environments.present(await this.environments.get(environmentId));
  }
}
