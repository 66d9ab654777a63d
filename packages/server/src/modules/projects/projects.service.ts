import type { Detection, Framework } from '@devflow/contracts';
import type { Selectable } from 'kysely';
import { generateEd25519 } from '../../adapters/ssh/key-material.js';
import { projectSlug } from '../../core/deploy/layout.js';
import { atLeast, decide, type ResourceScope } from '../../core/policy.js';
import type { Db } from '../../db/database.js';
import type { ProjectsTable } from '../../db/schema.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import type { ProjectDetector } from './project-detector.js';
import { basicAuthHeader, checkRepositoryUrl, splitRepositoryCredentials, withoutCredentials, type RepositoryCredentials } from './repository-url.js';

export type ProjectRow = Selectable<ProjectsTable>;

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);
const isUnique = (err: unknown) => UNIQUE.has(String((err as { code?: string }).code));

/** The public shape of a project: the deploy key's public half only. */
export function presentProject(r: ProjectRow) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    slug: projectSlug(r),
    repositoryUrl: withoutCredentials(r.repository_url),
    repositoryCredentialsHint: r.repository_credentials
      ? 'Credentials from the repository URL are stored encrypted and used only when git runs. Prefer the deploy key: add its public half to the repository as a read-only deploy key and use the ssh URL.'
      : null,
    framework: (r.framework as Framework | null) ?? null,
    detection: r.detection ? (JSON.parse(r.detection) as Detection) : null,
    deployKey: { publicKey: r.deploy_public_key ?? '', fingerprint: r.deploy_key_fingerprint ?? '' },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A slug from a display name: `My Shop!` → `my-shop`. */
export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 36)
    .replace(/-+$/, '');
  return s || 'project';
}

/** What the caller may see: whole organizations, and single projects (with their organization) granted to project-scoped members. */
export function projectScope(ctx: RequestContext): { orgs: string[]; projects: { organizationId: string; projectIds: string[] }[] } {
  const actor = ctx.actor;
  if (!actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
  const orgs: string[] = [];
  const projects: { organizationId: string; projectIds: string[] }[] = [];
  for (const [orgId, m] of actor.memberships) {
    if (!atLeast(m.role, 'viewer')) continue;
    if (m.projectIds) {
      if (m.projectIds.size) projects.push({ organizationId: orgId, projectIds: [...m.projectIds] });
    } else orgs.push(orgId);
  }
  return { orgs, projects };
}

/** Projects: a repository, its deploy key (ed25519, private half sealed) and what detection found. */
export class ProjectService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly detector: ProjectDetector,
    private readonly opts: { allowLocalRepositories: boolean },
    private readonly clock: () => number = Date.now,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  async list(ctx: RequestContext, q: { organizationId?: string | undefined; limit: number; cursor?: string | undefined }) {
    const scope = projectScope(ctx);
    if (q.organizationId && !ctx.actor?.memberships.has(q.organizationId)) throw notFound('organization', q.organizationId);
    if (!scope.orgs.length && !scope.projects.length) return { data: [], nextCursor: null };
    let query = this.db.kysely.selectFrom('projects').selectAll();
    query = query.where((eb) => {
      const parts = [];
      if (scope.orgs.length) parts.push(eb('organization_id', 'in', scope.orgs));
      // A grant names a project and its organization: an id alone could be another tenant's.
      for (const g of scope.projects) parts.push(eb.and([eb('organization_id', '=', g.organizationId), eb('id', 'in', g.projectIds)]));
      return eb.or(parts);
    });
    if (q.organizationId) query = query.where('organization_id', '=', q.organizationId);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    const rows = await query.orderBy('id').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    return { data: page.map(presentProject), nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
  }

  async get(id: string): Promise<ProjectRow> {
    const row = await this.db.kysely.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('project', id);
    return row;
  }

  /** The organization and project the access check of a request on this project needs (undefined: no such project). */
  async accessScope(id: string): Promise<ResourceScope | undefined> {
    const row = await this.db.kysely.selectFrom('projects').select(['organization_id', 'id']).where('id', '=', id).executeTakeFirst();
    return row ? { organizationId: row.organization_id, projectId: row.id } : undefined;
  }

  /** The unencrypted deploy key, for git over SSH only (never in a response). */
  privateKey(row: ProjectRow): string | null {
    return row.deploy_private_key ? this.box.decrypt(row.deploy_private_key) : null;
  }

  /** The git HTTP header carrying the project's repository credentials, for git runs only (never in a response or log). */
  authHeader(row: ProjectRow): string | null {
    return row.repository_credentials ? basicAuthHeader(JSON.parse(this.box.decrypt(row.repository_credentials)) as RepositoryCredentials) : null;
  }

  private seal(credentials: RepositoryCredentials | null): string | null {
    return credentials ? this.box.encrypt(JSON.stringify(credentials)) : null;
  }

  /**
   * Moves credentials still written in stored repository URLs (projects made
   * before they were kept apart) into the sealed column. Run at start.
   */
  async sealUrlCredentials(): Promise<number> {
    const rows = await this.db.kysely.selectFrom('projects').select(['id', 'repository_url']).where('repository_url', 'like', '%@%').execute();
    let moved = 0;
    for (const r of rows) {
      let split: ReturnType<typeof splitRepositoryCredentials>;
      try {
        split = splitRepositoryCredentials(r.repository_url);
      } catch {
        split = { url: withoutCredentials(r.repository_url), credentials: null };
      }
      if (split.url === r.repository_url) continue;
      await this.db.kysely.updateTable('projects').set({ repository_url: split.url, repository_credentials: this.seal(split.credentials) }).where('id', '=', r.id).execute();
      moved++;
    }
    return moved;
  }

  private async freeSlug(organizationId: string, wanted: string | undefined, name: string): Promise<string> {
    const taken = async (s: string) =>
      !!(await this.db.kysely.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('slug', '=', s).executeTakeFirst());
    if (wanted) {
      if (await taken(wanted)) throw conflict('project.slug_taken', `This organization already has a project with slug "${wanted}".`);
      return wanted;
    }
    const base = slugify(name);
    for (let i = 1; i < 100; i++) {
      const s = i === 1 ? base : `${base}-${i}`;
      if (!(await taken(s))) return s;
    }
    return `${base}-${newId('x').slice(-6)}`;
  }

  /**
   * Detects a repository's framework from the control plane. With a project
   * id, its deploy key is used (the caller must be a developer in its organization).
   */
  async detect(ctx: RequestContext, input: { repositoryUrl: string; branch: string; projectId?: string | undefined }) {
    const { url, credentials } = splitRepositoryCredentials(input.repositoryUrl);
    checkRepositoryUrl(url, this.opts.allowLocalRepositories);
    let key: string | null = null;
    let auth = credentials ? basicAuthHeader(credentials) : null;
    if (input.projectId) {
      const project = await this.db.kysely.selectFrom('projects').selectAll().where('id', '=', input.projectId).executeTakeFirst();
      const membership = project ? ctx.actor?.memberships.get(project.organization_id) : undefined;
      const decision = project ? decide('project.write', membership, ctx.actor?.abilities, { organizationId: project.organization_id, projectId: project.id }) : 'not_member';
      if (!project || decision === 'not_member' || decision === 'project_not_granted') throw notFound('project', input.projectId);
      if (decision !== 'allow') throw new AppError('forbidden', 'auth.forbidden', 'Your role does not allow project.write.');
      key = this.privateKey(project);
      if (!auth && url === project.repository_url) auth = this.authHeader(project);
    }
    return this.detector.detect(url, input.branch, key, auth);
  }

  /**
   * Creates a project with a new ed25519 deploy key, then detects its
   * framework from `branch` unless one was chosen. A repository the control
   * plane cannot read yet (the deploy key is not added) is not an error:
   * detection happens again on the server at the first deployment.
   */
  async create(ctx: RequestContext, input: { organizationId: string; name: string; slug?: string | undefined; repositoryUrl: string; branch: string; framework?: Framework | undefined }) {
    const decision = decide('project.write', ctx.actor?.memberships.get(input.organizationId), ctx.actor?.abilities, { organizationId: input.organizationId });
    if (decision === 'not_member') throw notFound('organization', input.organizationId);
    if (decision !== 'allow') throw new AppError('forbidden', decision === 'ability_missing' ? 'auth.ability_missing' : 'auth.forbidden', 'Your role does not allow project.write in this organization.');
    const { url, credentials } = splitRepositoryCredentials(input.repositoryUrl);
    checkRepositoryUrl(url, this.opts.allowLocalRepositories);
    const slug = await this.freeSlug(input.organizationId, input.slug, input.name);
    const key = generateEd25519(`devflow-deploy-${slug}`);
    let detection: Detection | null = null;
    let detectError: string | null = null;
    if (!input.framework) {
      try {
        const { commit: _commit, ...d } = await this.detector.detect(url, input.branch, key.privateKey, credentials ? basicAuthHeader(credentials) : null);
        detection = d;
      } catch (err) {
        detectError = err instanceof Error ? err.message : String(err);
      }
    }
    const now = this.now();
    const row: ProjectRow = {
      id: newId('prj'),
      organization_id: input.organizationId,
      name: input.name,
      slug,
      repository_url: url,
      repository_credentials: this.seal(credentials),
      framework: input.framework ?? detection?.framework ?? null,
      deploy_key_id: null,
      deploy_public_key: key.publicKey,
      deploy_private_key: this.box.encrypt(key.privateKey),
      deploy_key_fingerprint: key.fingerprint,
      detection: detection ? JSON.stringify(detection) : null,
      settings: JSON.stringify({ defaultBranch: input.branch }),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.kysely.insertInto('projects').values(row).execute();
    } catch (err) {
      if (isUnique(err)) throw conflict('project.name_taken', `This organization already has a project named "${input.name}".`);
      throw err;
    }
    await this.audit.record(ctx, {
      action: 'project.create',
      organizationId: row.organization_id,
      targetType: 'project',
      targetId: row.id,
      diff: { name: row.name, slug, repositoryUrl: row.repository_url, repositoryCredentials: !!credentials, framework: row.framework, deployKeyFingerprint: key.fingerprint, detectError },
    });
    return { ...presentProject(row), detectError };
  }

  async update(ctx: RequestContext, id: string, patch: { name?: string | undefined; repositoryUrl?: string | undefined; framework?: Framework | null | undefined }) {
    const before = await this.get(id);
    const split = patch.repositoryUrl !== undefined ? splitRepositoryCredentials(patch.repositoryUrl) : undefined;
    if (split) checkRepositoryUrl(split.url, this.opts.allowLocalRepositories);
    try {
      await this.db.kysely
        .updateTable('projects')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          // A new URL replaces the stored credentials (with its own, or none).
          ...(split ? { repository_url: split.url, repository_credentials: this.seal(split.credentials) } : {}),
          ...(patch.framework !== undefined ? { framework: patch.framework } : {}),
          updated_at: this.now(),
        })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      if (isUnique(err)) throw conflict('project.name_taken', `This organization already has a project named "${patch.name ?? ''}".`);
      throw err;
    }
    await this.audit.record(ctx, {
      action: 'project.update',
      organizationId: before.organization_id,
      targetType: 'project',
      targetId: id,
      diff: {
        before: { name: before.name, repositoryUrl: withoutCredentials(before.repository_url), framework: before.framework },
        after: { ...patch, ...(split ? { repositoryUrl: split.url, repositoryCredentials: !!split.credentials } : {}) },
      },
    });
    return presentProject(await this.get(id));
  }

  /** Records what detection on a server found, and adopts its framework when the project has none yet. */
  async recordDetection(id: string, detection: Detection): Promise<void> {
    const row = await this.get(id);
    await this.db.kysely
      .updateTable('projects')
      .set({ detection: JSON.stringify(detection), framework: row.framework ?? detection.framework, updated_at: this.now() })
      .where('id', '=', id)
      .execute();
  }

  /** A copy of a project under a new name: same repository and deploy key; environments are copied by CloneProjectCommand. */
  async copy(ctx: RequestContext, id: string, input: { name: string; slug?: string | undefined }): Promise<ProjectRow> {
    const src = await this.get(id);
    const slug = await this.freeSlug(src.organization_id, input.slug, input.name);
    const now = this.now();
    const row: ProjectRow = { ...src, id: newId('prj'), name: input.name, slug, created_at: now, updated_at: now };
    try {
      await this.db.kysely.insertInto('projects').values(row).execute();
    } catch (err) {
      if (isUnique(err)) throw conflict('project.name_taken', `This organization already has a project named "${input.name}".`);
      throw err;
    }
    await this.audit.record(ctx, { action: 'project.clone', organizationId: row.organization_id, targetType: 'project', targetId: row.id, diff: { from: id, name: row.name, slug } });
    return row;
  }
}
