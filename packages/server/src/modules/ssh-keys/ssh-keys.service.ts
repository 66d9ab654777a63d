import type { Selectable } from 'kysely';
import { actions, atLeast, decide, type Action } from '../../core/policy.js';
import type { Db } from '../../db/database.js';
import type { SshKeysTable } from '../../db/schema.js';
import { generateEd25519, importPrivateKey } from '../../adapters/ssh/key-material.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, RequestContext } from '../identity/index.js';

export type SshKeyRow = Selectable<SshKeysTable>;

/** The public shape of a key: never the private part. */
export function presentSshKey(r: SshKeyRow) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    type: r.key_type ?? r.public_key.split(' ')[0] ?? 'unknown',
    publicKey: r.public_key,
    fingerprint: r.fingerprint,
    createdAt: r.created_at,
  };
}

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

/** SSH keys of an organization: generated (ed25519) or imported; private parts sealed by the secret box. */
export class SshKeyService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Keys of the organizations the caller belongs to (optionally one of them), oldest first. */
  async list(ctx: RequestContext, q: { organizationId?: string | undefined; limit: number; cursor?: string | undefined }) {
    const orgs = visibleOrganizations(ctx);
    if (q.organizationId && !orgs.includes(q.organizationId)) throw notFound('organization', q.organizationId);
    const ids = q.organizationId ? [q.organizationId] : orgs;
    if (!ids.length) return { data: [], nextCursor: null };
    let query = this.db.kysely.selectFrom('ssh_keys').selectAll().where('organization_id', 'in', ids);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    const rows = await query.orderBy('id').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    return { data: page.map(presentSshKey), nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
  }

  async get(id: string): Promise<SshKeyRow> {
    const row = await this.db.kysely.selectFrom('ssh_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('ssh_key', id);
    return row;
  }

  /** Generates an ed25519 key, or imports the given private key (decrypting it with the passphrase). */
  async create(ctx: RequestContext, input: { organizationId: string; name: string; privateKey?: string | undefined; passphrase?: string | undefined }) {
    const comment = `devflow-${input.name.replace(/[^A-Za-z0-9._-]+/g, '-')}`.slice(0, 60);
    const material = input.privateKey ? importPrivateKey(input.privateKey, input.passphrase, comment) : generateEd25519(comment);
    const row: SshKeyRow = {
      id: newId('key'),
      organization_id: input.organizationId,
      name: input.name,
      public_key: material.publicKey,
      fingerprint: material.fingerprint,
      private_key: this.box.encrypt(material.privateKey),
      key_type: material.type,
      created_at: new Date(this.clock()).toISOString(),
    };
    try {
      await this.db.kysely.insertInto('ssh_keys').values(row).execute();
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) throw conflict('ssh_key.name_taken', `This organization already has a key named "${input.name}".`);
      throw err;
    }
    await this.audit.record(ctx, {
      action: input.privateKey ? 'ssh_key.import' : 'ssh_key.generate',
      organizationId: row.organization_id,
      targetType: 'ssh_key',
      targetId: row.id,
      diff: { name: row.name, type: row.key_type, fingerprint: row.fingerprint },
    });
    return presentSshKey(row);
  }

  /** Deletes a key no server uses. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const row = await this.get(id);
    const users = await this.db.kysely.selectFrom('servers').select(['id', 'name']).where('ssh_key_id', '=', id).execute();
    if (users.length) {
      throw new AppError('conflict', 'ssh_key.in_use', `Servers still use this key: ${users.map((u) => u.name).join(', ')}. Give them another key first.`);
    }
    await this.db.kysely.deleteFrom('ssh_keys').where('id', '=', id).execute();
    await this.audit.record(ctx, {
      action: 'ssh_key.delete',
      organizationId: row.organization_id,
      targetType: 'ssh_key',
      targetId: id,
      diff: { name: row.name, fingerprint: row.fingerprint },
    });
  }

  /** The unencrypted private key, for the SSH adapter only (never in a response). */
  async openPrivateKey(id: string): Promise<string> {
    return this.box.decrypt((await this.get(id)).private_key);
  }
}

/** Organizations whose keys and servers the actor may read. */
export function visibleOrganizations(ctx: RequestContext): string[] {
  const actor = ctx.actor;
  if (!actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
  return [...actor.memberships].filter(([, m]) => atLeast(m.role, 'viewer')).map(([id]) => id);
}

/**
 * Checks `action` in the organization named by a request body. The route's
 * access rule already required the action in some organization (so callers
 * without any right get 403 before their fields are validated); this decides
 * for the named one: 404 when not a member, 403 when the role is too low.
 */
export function authorizeIn(ctx: RequestContext, organizationId: string, action: Action): void {
  const actor = ctx.actor;
  if (!actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
  const decision = decide(action, actor.memberships.get(organizationId), actor.abilities, { organizationId });
  if (decision === 'not_member' || decision === 'project_not_granted') throw notFound('organization', organizationId);
  if (decision === 'ability_missing') throw new AppError('forbidden', 'auth.ability_missing', `This API token lacks the "${actions[action].ability}" ability.`);
  if (decision === 'role_too_low') throw new AppError('forbidden', 'auth.forbidden', `Your role does not allow ${action}.`);
}
