import type { Db } from '../../db/database.js';
import { randomSecret, sha256 } from './secret-tokens.js';

export const SESSION_COOKIE = 'devflow_session';

export interface SessionPolicy {
  /** A session unused this long ends (default 24 h). */
  idleMs: number;
  /** A session ends this long after sign-in, however active (default 14 days). */
  absoluteMs: number;
}

export const defaultSessionPolicy: SessionPolicy = { idleMs: 24 * 3_600_000, absoluteMs: 14 * 86_400_000 };

/** Sessions in the database: the cookie holds a random value, the table only its hash. */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly policy: SessionPolicy,
    private readonly clock: () => number,
  ) {}

  /** Starts a session; returns the cookie value and the CSRF token. */
  async create(userId: string, ip: string | null, userAgent: string | null): Promise<{ cookie: string; csrfToken: string }> {
    const cookie = randomSecret(32);
    const csrfToken = randomSecret(24);
    const now = this.clock();
    await this.db.kysely
      .insertInto('sessions')
      .values({
        id: sha256(cookie),
        user_id: userId,
        csrf_token: csrfToken,
        ip,
        user_agent: userAgent?.slice(0, 500) ?? null,
        created_at: new Date(now).toISOString(),
        last_seen_at: new Date(now).toISOString(),
        expires_at: new Date(now + this.policy.absoluteMs).toISOString(),
      })
      .execute();
    return { cookie, csrfToken };
  }

  /** The live session of a cookie value, touched; undefined (and deleted) when idle or expired. */
  async resolve(cookie: string): Promise<{ id: string; userId: string; csrfToken: string } | undefined> {
    const id = sha256(cookie);
    const row = await this.db.kysely.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const now = this.clock();
    if (Date.parse(row.expires_at) <= now || Date.parse(row.last_seen_at) + this.policy.idleMs <= now) {
      await this.db.kysely.deleteFrom('sessions').where('id', '=', id).execute();
      return undefined;
    }
    // Touch at most once a minute: a session in use stays alive without a write per request.
    if (now - Date.parse(row.last_seen_at) > 60_000) {
      await this.db.kysely.updateTable('sessions').set({ last_seen_at: new Date(now).toISOString() }).where('id', '=', id).execute();
    }
    return { id, userId: row.user_id, csrfToken: row.csrf_token };
  }

  /** A session by its id if it is still live (not ended, idle or expired); nothing is touched or deleted. */
  async live(sessionId: string): Promise<{ id: string; userId: string; csrfToken: string } | undefined> {
    const row = await this.db.kysely.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
    if (!row) return undefined;
    const now = this.clock();
    if (Date.parse(row.expires_at) <= now || Date.parse(row.last_seen_at) + this.policy.idleMs <= now) return undefined;
    return { id: row.id, userId: row.user_id, csrfToken: row.csrf_token };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db.kysely.deleteFrom('sessions').where('id', '=', sessionId).execute();
  }

  /** Ends every session of a user, except `keep` (the one changing the password). */
  async revokeAllOf(userId: string, keep?: string): Promise<number> {
    let q = this.db.kysely.deleteFrom('sessions').where('user_id', '=', userId);
    if (keep) q = q.where('id', '!=', keep);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
