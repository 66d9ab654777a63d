import type { DeploymentStatus } from '@devflow/contracts';
import type { ResourceScope } from '../../core/policy.js';
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { DeploymentsTable, DeploymentStepsTable, ReleasesTable } from '../../db/schema.js';
import { sourcesOf, type StepStatus } from '../../core/deploy/state-machine.js';
import type { StepSpec } from '../../core/deploy/plan.js';
import type { EventBus } from '../../events/event-bus.js';
import { notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';

export type DeploymentRow = Selectable<DeploymentsTable>;
export type StepRow = Selectable<DeploymentStepsTable>;
export type ReleaseRow = Selectable<ReleasesTable>;

/** The public shape of a deployment with its steps. */
export function presentDeployment(d: DeploymentRow, steps: StepRow[]) {
  return {
    id: d.id,
    organizationId: d.organization_id,
    projectId: d.project_id ?? '',
    environmentId: d.environment_id,
    kind: d.kind,
    status: d.status,
    ref: d.ref,
    commit: d.commit,
    commitAuthor: d.commit_author,
    commitMessage: d.commit_message,
    trigger: d.trigger,
    priority: d.priority,
    steps: steps.map((s) => ({
      name: s.name,
      status: s.status,
      startedAt: s.started_at,
      finishedAt: s.finished_at,
      exitCode: s.exit_code,
      timeoutSeconds: Math.round(s.timeout_ms / 1000),
      detail: s.detail,
    })),
    releaseId: d.release_id,
    error: d.error,
    createdBy: d.created_by,
    approvedBy: d.approved_by,
    createdAt: d.created_at,
    startedAt: d.started_at,
    finishedAt: d.finished_at,
  };
}

/** The public shape of a release. */
export function presentRelease(r: ReleaseRow) {
  return {
    id: r.id,
    environmentId: r.environment_id,
    deploymentId: r.deployment_id,
    commit: r.commit,
    author: r.author,
    message: r.message,
    path: r.path,
    configHash: r.config_hash,
    envVersion: r.env_version,
    status: r.status,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
  };
}

/**
 * Rows of deployments, their steps and releases. Status changes are
 * conditional updates from the states the state machine allows, and every
 * change is published as a `deployment.updated` event.
 */
export class DeploymentStore {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly clock: () => number = Date.now,
  ) {}

  now(): string {
    return new Date(this.clock()).toISOString();
  }

  async insert(row: DeploymentRow, steps: StepSpec[]): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('deployments').values(row).execute();
      await trx
        .insertInto('deployment_steps')
        .values(steps.map((s, position) => ({ id: newId('stp'), deployment_id: row.id, position, name: s.name, status: 'pending' as const, started_at: null, finished_at: null, exit_code: null, timeout_ms: s.timeoutMs, detail: null })))
        .execute();
    });
  }

  async find(id: string): Promise<DeploymentRow | undefined> {
    return this.db.kysely.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async get(id: string): Promise<DeploymentRow> {
    const row = await this.find(id);
    if (!row) throw notFound('deployment', id);
    return row;
  }

  /** The organization and project the access check of a request on this deployment needs (undefined: no such deployment). */
  async accessScope(id: string): Promise<ResourceScope | undefined> {
    const row = await this.db.kysely.selectFrom('deployments').select(['organization_id', 'project_id']).where('id', '=', id).executeTakeFirst();
    return row ? { organizationId: row.organization_id, projectId: row.project_id } : undefined;
  }

  async steps(id: string): Promise<StepRow[]> {
    return this.db.kysely.selectFrom('deployment_steps').selectAll().where('deployment_id', '=', id).orderBy('position').execute();
  }

  async present(id: string) {
    return presentDeployment(await this.get(id), await this.steps(id));
  }

  async list(environmentId: string, limit: number, cursor?: string) {
    let q = this.db.kysely.selectFrom('deployments').selectAll().where('environment_id', '=', environmentId);
    if (cursor) q = q.where('id', '<', cursor);
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const data = await Promise.all(page.map(async (d) => presentDeployment(d, await this.steps(d.id))));
    return { data, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  /** Moves a deployment to `to` if its status allows it; returns whether this caller won. */
  async transition(id: string, to: DeploymentStatus, patch: Updateable<DeploymentsTable> = {}): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('deployments')
      .set({ ...patch, status: to })
      .where('id', '=', id)
      .where('status', 'in', sourcesOf(to))
      .executeTakeFirst();
    const won = Number(res.numUpdatedRows) === 1;
    if (won) await this.publish(id, 'deployment.updated');
    return won;
  }

  async update(id: string, patch: Updateable<DeploymentsTable>): Promise<void> {
    await this.db.kysely.updateTable('deployments').set(patch).where('id', '=', id).execute();
  }

  async setStep(id: string, name: string, patch: { status: StepStatus; started_at?: string; finished_at?: string; exit_code?: number | null; detail?: string | null }): Promise<void> {
    await this.db.kysely.updateTable('deployment_steps').set(patch).where('deployment_id', '=', id).where('name', '=', name).execute();
    await this.publish(id, 'deployment.updated', { step: name, stepStatus: patch.status });
  }

  /** Marks every unfinished step (pending or running) with `status`. */
  async closeSteps(id: string, status: 'skipped' | 'cancelled' | 'failed', detail: string, runningStatus: StepStatus = status): Promise<void> {
    const now = this.now();
    await this.db.kysely.updateTable('deployment_steps').set({ status: runningStatus, finished_at: now, detail }).where('deployment_id', '=', id).where('status', '=', 'running').execute();
    await this.db.kysely.updateTable('deployment_steps').set({ status }).where('deployment_id', '=', id).where('status', '=', 'pending').execute();
  }

  async publish(id: string, type: string, extra: Record<string, unknown> = {}): Promise<void> {
    const d = await this.find(id);
    if (!d) return;
    await this.bus.publish({
      type,
      organizationId: d.organization_id,
      payload: { deploymentId: d.id, environmentId: d.environment_id, projectId: d.project_id, status: d.status, kind: d.kind, ...extra },
    });
  }

  /** Log lines after `after`, oldest first. */
  async logLines(id: string, after: number, limit: number) {
    return this.db.kysely
      .selectFrom('deployment_log_lines')
      .select(['seq', 'at', 'step', 'stream', 'line'])
      .where('deployment_id', '=', id)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  // ------------------------------------------------------------ releases

  async insertRelease(row: ReleaseRow): Promise<void> {
    await this.db.kysely.insertInto('releases').values(row).execute();
  }

  async release(id: string): Promise<ReleaseRow | undefined> {
    return this.db.kysely.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async releases(environmentId: string): Promise<ReleaseRow[]> {
    return this.db.kysely.selectFrom('releases').selectAll().where('environment_id', '=', environmentId).orderBy('id', 'desc').execute();
  }

  async setReleaseStatus(ids: string[], status: ReleaseRow['status']): Promise<void> {
    if (!ids.length) return;
    await this.db.kysely.updateTable('releases').set({ status }).where('id', 'in', ids).execute();
  }

  /**
   * Records that `releaseId` now serves the environment: it becomes active,
   * the one before inactive, and the environment points at it.
   */
  async activate(environmentId: string, releaseId: string | null): Promise<void> {
    const now = this.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('releases').set({ status: 'inactive' }).where('environment_id', '=', environmentId).where('status', '=', 'active').execute();
      if (releaseId) await trx.updateTable('releases').set({ status: 'active', activated_at: now }).where('id', '=', releaseId).execute();
      await trx.updateTable('environments').set({ current_release_id: releaseId, updated_at: now }).where('id', '=', environmentId).execute();
    });
  }

  /** Deployments left running (for recovery after a crash). */
  async running(): Promise<DeploymentRow[]> {
    return this.db.kysely.selectFrom('deployments').selectAll().where('status', '=', 'running').execute();
  }
}
