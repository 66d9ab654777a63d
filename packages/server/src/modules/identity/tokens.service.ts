import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ApiTokensTable } from '../../db/schema.js';
import { AppError, invalid, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { RequestContext } from './actor.js';
import type { AuditLog } from './audit.service.js';
import { newApiToken, sha256, TOKEN_PREFIX } from './secret-tokens.js';

export type TokenRow = Selectable<ApiTokensTable>;

/** The public shape of a token (never its secret or hash). */
export function presentToken(t: TokenRow) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    abilities: JSON.parse(t.abilities) as ('read' | 'write' | 'deploy' | 'secrets:read' | 'admin' | 'metrics:read')[],
    expiresAt: t.expires_at,
    lastUsedAt: t.last_used_at,
    createdAt: t.created_at,
  };
}

/** Why a bearer token was refused; each answers 401 with its own code. */
export type TokenRefusal = 'unknown' | 'revoked' | 'expired';

/** Personal API tokens: shown once, stored as a SHA-256 hash, narrowed by abilities, revocable. */
export class TokenService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: () => number,
  ) {}

  async list(ctx: RequestContext): Promise<TokenRow[]> {
    const userId = requireActor(ctx).userId;
    return this.db.kysely
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
  }

  /** Creates a token for the caller; a token cannot mint a token with abilities it lacks. */
  async create(ctx: RequestContext, input: { name: string; abilities: string[]; expiresAt?: string }): Promise<{ row: TokenRow; token: string }> {
    const actor = requireActor(ctx);
    if (actor.abilities && !actor.abilities.has('admin')) {
      const extra = input.abilities.filter((a) => !actor.abilities?.has(a));
      if (extra.length) throw new AppError('forbidden', 'token.abilities_exceed', `This token cannot grant abilities it does not have: ${extra.join(', ')}.`);
    }
    if (input.expiresAt && Date.parse(input.expiresAt) <= this.clock()) {
      throw invalid('token.expiry_past', 'The expiry must be in the future.', [{ field: 'body.expiresAt', message: 'in the past' }]);
    }
    const token = newApiToken();
    const row: TokenRow = {
      id: newId('tok'),
      user_id: actor.userId,
      name: input.name,
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      token_hash: sha256(token),
      abilities: JSON.stringify([...new Set(input.abilities)].sort()),
      expires_at: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      last_used_at: null,
      revoked_at: null,
      created_at: new Date(this.clock()).toISOString(),
    };
    await this.db.kysely.insertInto('api_tokens').values(row).execute();
    await this.audit.record(ctx, {
      action: 'token.create',
      targetType: 'token',
      targetId: row.id,
      diff: { name: row.name, abilities: JSON.parse(row.abilities) as unknown, expiresAt: row.expires_at },
    });
    return { row, token };
  }

  /** Revokes one of the caller's tokens. */
  async revoke(ctx: RequestContext, id: string): Promise<void> {
    const actor = requireActor(ctx);
    const res = await this.db.kysely
      .updateTable('api_tokens')
      .set({ revoked_at: new Date(this.clock()).toISOString() })
      .where('id', '=', id)
      .where('user_id', '=', actor.userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw notFound('token', id);
    await this.audit.record(ctx, { action: 'token.revoke', targetType: 'token', targetId: id });
  }

  /** A token by its id while it is neither revoked nor expired (a stream re-checks its token with this). */
  async findLive(id: string): Promise<TokenRow | undefined> {
    const row = await this.db.kysely.selectFrom('api_tokens').selectAll().where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    if (!row || (row.expires_at && Date.parse(row.expires_at) <= this.clock())) return undefined;
    return row;
  }

  /**
   * Revokes every live token of a user (after a password change, or on request);
   * returns how many. The caller audits: it knows why.
   */
  async revokeAllOf(userId: string): Promise<number> {
    const res = await this.db.kysely
      .updateTable('api_tokens')
      .set({ revoked_at: new Date(this.clock()).toISOString() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Counts a user's tokens that still work (not revoked, not expired). */
  async countLive(userId: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date(this.clock()).toISOString())]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Revokes every token of the caller (a signed-in session only: a token cannot wipe the others). */
  async revokeAll(ctx: RequestContext): Promise<number> {
    const actor = requireActor(ctx);
    if (actor.kind !== 'user') throw new AppError('forbidden', 'auth.session_required', 'Revoking every token needs a signed-in session, not an API token.');
    const revoked = await this.revokeAllOf(actor.userId);
    await this.audit.record(ctx, { action: 'token.revoke_all', targetType: 'user', targetId: actor.userId, diff: { revoked } });
    return revoked;
  }

  /** The token row for a bearer value, or why it is refused. Keeps last-used time (at most once a minute). */
  async authenticate(bearer: string): Promise<TokenRow | TokenRefusal> {
    if (!bearer.startsWith(TOKEN_PREFIX)) return 'unknown';
    const row = await this.db.kysely.selectFrom('api_tokens').selectAll().where('token_hash', '=', sha256(bearer)).executeTakeFirst();
    if (!row) return 'unknown';
    if (row.revoked_at) return 'revoked';
    const now = this.clock();
    if (row.expires_at && Date.parse(row.expires_at) <= now) return 'expired';
    if (!row.last_used_at || now - Date.parse(row.last_used_at) > 60_000) {
      await this.db.kysely.updateTable('api_tokens').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', row.id).execute();
    }
    return row;
  }
}

function requireActor(ctx: RequestContext) {
  if (!ctx.actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
  return ctx.actor;
}
