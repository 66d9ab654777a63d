import type { Kysely, Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AuditEventsTable, Database } from '../../db/schema.js';
import { atLeast } from '../../core/policy.js';
import { newId } from '../../lib/ids.js';
import type { Actor, RequestContext } from './actor.js';

const SECRET_KEY = /pass(word|phrase)?|secret|token|private|key$|^key|totp|code|credential|cookie|authorization|value/i;

/** Replaces every value under a secret-looking key with `[redacted]`, at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

export interface AuditEntry {
  action: string;
  organizationId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  /** Before/after or the changed fields; secrets are redacted before storing. */
  diff?: unknown;
  /** Overrides the request's actor (e.g. a failed login names the email tried). */
  actor?: { type: 'user' | 'token' | 'system' | 'anonymous'; id: string | null };
}

export interface AuditFilter {
  organizationIds: readonly string[] | 'all';
  /** Also show events about the viewer's own account (no organization). */
  ownUserId?: string;
  organizationId?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export type AuditRow = Selectable<AuditEventsTable> & { actor_email: string | null };

/** The audit log: who did what to which resource, when and from where. Append-only. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Appends an event for the request in `ctx` and marks the request as
   * audited. Inside a command's transaction (`db`), the event is kept only
   * if the change it records commits.
   */
  async record(ctx: RequestContext, entry: AuditEntry, db: Kysely<Database> = this.db.kysely): Promise<void> {
    const actor = entry.actor ?? actorRef(ctx.actor);
    await db
      .insertInto('audit_events')
      .values({
        id: newId('aud'),
        organization_id: entry.organizationId ?? null,
        actor_type: actor.type,
        actor_id: actor.id,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        ip: ctx.ip,
        user_agent: ctx.userAgent?.slice(0, 500) ?? null,
        diff: entry.diff === undefined ? null : JSON.stringify(redact(entry.diff)),
        created_at: new Date(this.clock()).toISOString(),
      })
      .execute();
    ctx.audited = true;
  }

  /** Events matching the filter, newest first, with a cursor for the next page. */
  async list(f: AuditFilter): Promise<{ rows: AuditRow[]; nextCursor: string | null }> {
    let q = this.db.kysely
      .selectFrom('audit_events as a')
      .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'a.actor_id'))
      .selectAll('a')
      .select('u.email as actor_email');
    if (f.organizationId) {
      // One organization (already checked by the caller): a plain equality the index serves.
      q = q.where('a.organization_id', '=', f.organizationId);
    } else if (f.organizationIds !== 'all') {
      const ids = [...f.organizationIds];
      q = q.where((eb) => {
        const parts = [];
        if (ids.length) parts.push(eb('a.organization_id', 'in', ids));
        if (f.ownUserId) parts.push(eb.and([eb('a.organization_id', 'is', null), eb('a.actor_id', '=', f.ownUserId)]));
        return parts.length ? eb.or(parts) : eb.val(false);
      });
    }
    if (f.actor) q = q.where((eb) => eb.or([eb('a.actor_id', '=', f.actor as string), eb('u.email', '=', (f.actor as string).toLowerCase())]));
    if (f.action) q = f.action.endsWith('.') ? q.where('a.action', 'like', `${f.action}%`) : q.where('a.action', '=', f.action);
    if (f.from) q = q.where('a.created_at', '>=', f.from);
    if (f.to) q = q.where('a.created_at', '<=', f.to);
    if (f.cursor) q = q.where('a.id', '<', f.cursor);
    const rows = await q.orderBy('a.id', 'desc').limit(f.limit + 1).execute();
    const more = rows.length > f.limit;
    const page = more ? rows.slice(0, f.limit) : rows;
    return { rows: page, nextCursor: more ? (page.at(-1)?.id ?? null) : null };
  }
}

function actorRef(actor: Actor | undefined): { type: 'user' | 'token' | 'anonymous'; id: string | null } {
  if (!actor) return { type: 'anonymous', id: null };
  return actor.kind === 'token' ? { type: 'token', id: actor.tokenId ?? null } : { type: 'user', id: actor.userId };
}

/** Organizations whose audit log the actor may read (admins and owners). */
export function auditableOrganizations(actor: Actor): string[] {
  return [...actor.memberships].filter(([, m]) => atLeast(m.role, 'admin')).map(([id]) => id);
}

/** The public shape of an audit row. */
export function presentAuditEvent(r: AuditRow) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorEmail: r.actor_email,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    ip: r.ip,
    userAgent: r.user_agent,
    diff: r.diff ? (JSON.parse(r.diff) as unknown) : null,
    createdAt: r.created_at,
  };
}
