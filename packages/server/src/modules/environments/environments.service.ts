import { randomBytes } from 'node:crypto';
import type { ResourceScope } from '../../core/policy.js';
import type { Detection, EnvironmentSettings, Strategy } from '@devflow/contracts';
import type { Selectable } from 'kysely';
import { transact, type Db } from '../../db/database.js';
import type { EnvironmentsTable } from '../../db/schema.js';
import { projectSlug } from '../../core/deploy/layout.js';
import { decide } from '../../core/policy.js';
import { genericUrlToken } from '../../core/webhooks/signatures.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import type { ProjectRow } from '../projects/index.js';

export type EnvironmentRow = Selectable<EnvironmentsTable>;

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

/** The name nginx answers for an environment besides its domains. */
export function environmentHostname(env: { name: string }, project: { slug: string | null; id: string }): string {
  return `${env.name}.${projectSlug(project)}.devflow.internal`;
}

export interface EnvironmentInput {
  name: string;
  branch: string;
  serverIds: string[];
  requiresApproval: boolean;
  strategy: Strategy;
  healthCheckPath?: string | undefined;
  keepReleases: number;
  openBasedir?: boolean | undefined;
  openBasedirExtra?: string[] | undefined;
  settings: EnvironmentSettings;
}

export interface EnvironmentPatch {
  branch?: string | undefined;
  serverIds?: string[] | undefined;
  requiresApproval?: boolean | undefined;
  healthCheckPath?: string | undefined;
  keepReleases?: number | undefined;
  openBasedir?: boolean | undefined;
  openBasedirExtra?: string[] | undefined;
  settings?: EnvironmentSettings | undefined;
}

/** The open_basedir setting of an environment row: whether PHP is fenced, and the extra directories. */
export function openBasedirOf(row: Pick<EnvironmentRow, 'open_basedir' | 'open_basedir_extra'>): { enabled: boolean; extra: string[] } {
  return { enabled: row.open_basedir !== 0, extra: JSON.parse(row.open_basedir_extra || '[]') as string[] };
}

/** Environments of a project (production, staging…): branch, servers, approval rule, release settings, webhook secret. */
export class EnvironmentService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly publicUrl: string,
    private readonly clock: () => number = Date.now,
    /** First loopback port given to preview listeners. */
    private readonly previewPortBase = 20_000,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  async get(id: string): Promise<EnvironmentRow> {
    const row = await this.db.kysely.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('environment', id);
    return row;
  }

  /** The organization and project the access check of a request on this environment needs (undefined: no such environment). */
  async accessScope(id: string): Promise<ResourceScope | undefined> {
    const row = await this.db.kysely.selectFrom('environments').select(['organization_id', 'project_id']).where('id', '=', id).executeTakeFirst();
    return row ? { organizationId: row.organization_id, projectId: row.project_id } : undefined;
  }

  async serverIds(environmentId: string): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('environment_servers').select('server_id').where('environment_id', '=', environmentId).orderBy('server_id').execute();
    return rows.map((r) => r.server_id);
  }

  /** The project of an environment. */
  async project(id: string): Promise<ProjectRow> {
    const row = await this.db.kysely.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('project', id);
    return row;
  }

  /** The public shape of an environment (never its webhook secret). */
  async present(row: EnvironmentRow, project?: ProjectRow) {
    const p = project ?? (await this.project(row.project_id));
    return {
      id: row.id,
      organizationId: row.organization_id,
      projectId: row.project_id,
      name: row.name,
      branch: row.branch,
      serverIds: await this.serverIds(row.id),
      strategy: row.strategy,
      requiresApproval: !!row.requires_approval,
      healthCheckPath: row.health_check_path,
      keepReleases: row.keep_releases,
      maintenance: !!row.maintenance,
      currentReleaseId: row.current_release_id,
      hostname: environmentHostname(row, p),
      previewPort: row.preview_port ?? 0,
      openBasedir: openBasedirOf(row).enabled,
      openBasedirExtra: openBasedirOf(row).extra,
      settings: JSON.parse(row.settings || '{}') as EnvironmentSettings,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async list(projectId: string) {
    const project = await this.project(projectId);
    const rows = await this.db.kysely.selectFrom('environments').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
    return Promise.all(rows.map((r) => this.present(r, project)));
  }

  private async checkServers(organizationId: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    const found = await this.db.kysely.selectFrom('servers').select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute();
    const missing = ids.filter((id) => !found.some((f) => f.id === id));
    if (missing.length) {
      throw new AppError('invalid', 'environment.unknown_server', `No server ${missing.join(', ')} in this organization.`, { fields: [{ field: 'body.serverIds', message: 'unknown server' }] });
    }
  }

  /**
   * Whether the caller may attach servers to environments of the organization.
   * Attaching servers runs the environment's build hooks and framework
   * commands there over SSH: an admin's decision (`server.write`), not a
   * developer's. Keeping the same set of servers needs nothing more.
   */
  mayAttachServers(ctx: RequestContext, organizationId: string): boolean {
    return decide('server.write', ctx.actor?.memberships.get(organizationId), ctx.actor?.abilities, { organizationId }) === 'allow';
  }

  private async checkMayAttach(ctx: RequestContext, organizationId: string, wanted: string[], current: string[] = []): Promise<void> {
    if (!wanted.some((id) => !current.includes(id)) || this.mayAttachServers(ctx, organizationId)) return;
    throw new AppError('forbidden', 'environment.attach_server_forbidden', 'Attaching a server to an environment needs the admin role: ask an admin of the organization to add it.', {
      fields: [{ field: 'body.serverIds', message: 'admin role needed' }],
    });
  }

  async create(ctx: RequestContext, projectId: string, input: EnvironmentInput) {
    const project = await this.project(projectId);
    const serverIds = [...new Set(input.serverIds)];
    await this.checkServers(project.organization_id, serverIds);
    await this.checkMayAttach(ctx, project.organization_id, serverIds);
    const detection = project.detection ? (JSON.parse(project.detection) as Detection) : null;
    const now = this.now();
    const top = await this.db.kysely.selectFrom('environments').select((eb) => eb.fn.max('preview_port').as('max')).executeTakeFirst();
    const row: EnvironmentRow = {
      id: newId('env'),
      organization_id: project.organization_id,
      project_id: projectId,
      name: input.name,
      branch: input.branch,
      strategy: input.strategy,
      requires_approval: input.requiresApproval ? 1 : 0,
      health_check_path: input.healthCheckPath ?? detection?.healthCheckPath ?? '/',
      keep_releases: input.keepReleases,
      settings: JSON.stringify(input.settings ?? {}),
      current_release_id: null,
      maintenance: 0,
      webhook_secret: this.box.encrypt(randomBytes(24).toString('hex')),
      env_version: 0,
      preview_port: Math.max(this.previewPortBase, Number(top?.max ?? 0) + 1),
      open_basedir: input.openBasedir === false ? 0 : 1,
      open_basedir_extra: JSON.stringify([...new Set(input.openBasedirExtra ?? [])]),
      created_at: now,
      updated_at: now,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await transact(this.db.kysely, async (trx) => {
          await trx.insertInto('environments').values(row).execute();
          if (serverIds.length) await trx.insertInto('environment_servers').values(serverIds.map((server_id) => ({ environment_id: row.id, server_id }))).execute();
        });
        break;
      } catch (err) {
        if (!UNIQUE.has(String((err as { code?: string }).code))) throw err;
        const sameName = await this.db.kysely.selectFrom('environments').select('id').where('project_id', '=', projectId).where('name', '=', input.name).executeTakeFirst();
        if (sameName || attempt >= 10) throw conflict('environment.name_taken', `This project already has an environment named "${input.name}".`);
        // Another environment took the preview port meanwhile: take the next one.
        row.preview_port = (row.preview_port ?? this.previewPortBase) + 1 + attempt;
      }
    }
    await this.audit.record(ctx, {
      action: 'environment.create',
      organizationId: row.organization_id,
      targetType: 'environment',
      targetId: row.id,
      diff: { projectId, name: row.name, branch: row.branch, serverIds, requiresApproval: input.requiresApproval, strategy: row.strategy },
    });
    return this.present(row, project);
  }

  async update(ctx: RequestContext, id: string, patch: EnvironmentPatch) {
    const before = await this.get(id);
    if (patch.serverIds) {
      await this.checkServers(before.organization_id, [...new Set(patch.serverIds)]);
      await this.checkMayAttach(ctx, before.organization_id, patch.serverIds, await this.serverIds(id));
    }
    await transact(this.db.kysely, async (trx) => {
      await trx
        .updateTable('environments')
        .set({
          ...(patch.branch !== undefined ? { branch: patch.branch } : {}),
          ...(patch.requiresApproval !== undefined ? { requires_approval: patch.requiresApproval ? 1 : 0 } : {}),
          ...(patch.healthCheckPath !== undefined ? { health_check_path: patch.healthCheckPath } : {}),
          ...(patch.keepReleases !== undefined ? { keep_releases: patch.keepReleases } : {}),
          ...(patch.openBasedir !== undefined ? { open_basedir: patch.openBasedir ? 1 : 0 } : {}),
          ...(patch.openBasedirExtra !== undefined ? { open_basedir_extra: JSON.stringify([...new Set(patch.openBasedirExtra)]) } : {}),
          ...(patch.settings !== undefined ? { settings: JSON.stringify(patch.settings) } : {}),
          updated_at: this.now(),
        })
        .where('id', '=', id)
        .execute();
      if (patch.serverIds) {
        await trx.deleteFrom('environment_servers').where('environment_id', '=', id).execute();
        const ids = [...new Set(patch.serverIds)];
        if (ids.length) await trx.insertInto('environment_servers').values(ids.map((server_id) => ({ environment_id: id, server_id }))).execute();
      }
    });
    await this.audit.record(ctx, {
      action: 'environment.update',
      organizationId: before.organization_id,
      targetType: 'environment',
      targetId: id,
      diff: { before: { branch: before.branch, requiresApproval: !!before.requires_approval, healthCheckPath: before.health_check_path, keepReleases: before.keep_releases, openBasedir: openBasedirOf(before).enabled, openBasedirExtra: openBasedirOf(before).extra }, after: patch },
    });
    return this.present(await this.get(id));
  }

  /** Records maintenance mode (the strategy already changed the servers). */
  async setMaintenance(id: string, enabled: boolean): Promise<void> {
    await this.db.kysely.updateTable('environments').set({ maintenance: enabled ? 1 : 0, updated_at: this.now() }).where('id', '=', id).execute();
  }

  /** The webhook secret (for signature checks; shown to callers with secrets:read). */
  webhookSecret(row: EnvironmentRow): string {
    if (!row.webhook_secret) throw new AppError('conflict', 'environment.no_webhook_secret', 'This environment has no webhook secret; rotate it to create one.');
    return this.box.decrypt(row.webhook_secret);
  }

  /** The secret and the URL to give each Git provider. */
  async webhookInfo(id: string) {
    const row = await this.get(id);
    const secret = this.webhookSecret(row);
    const base = `${this.publicUrl.replace(/\/+$/, '')}/api/v1/hooks`;
    return {
      secret,
      urls: {
        github: `${base}/github/${id}`,
        gitlab: `${base}/gitlab/${id}`,
        bitbucket: `${base}/bitbucket/${id}`,
        generic: `${base}/generic/${id}?token=${genericUrlToken(secret, id)}`,
      },
    };
  }

  /** Replaces the webhook secret: hooks signed with the old one are refused from now on. */
  async rotateWebhookSecret(ctx: RequestContext, id: string) {
    const row = await this.get(id);
    await this.db.kysely.updateTable('environments').set({ webhook_secret: this.box.encrypt(randomBytes(24).toString('hex')), updated_at: this.now() }).where('id', '=', id).execute();
    await this.audit.record(ctx, { action: 'environment.webhook_secret.rotate', organizationId: row.organization_id, targetType: 'environment', targetId: id });
    return this.webhookInfo(id);
  }
}
