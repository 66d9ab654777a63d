import type { FastifyReply, FastifyRequest } from 'fastify';
import { actions, atLeast, decide, hasAbility, type ResourceScope } from '../../core/policy.js';
import type { Db } from '../../db/database.js';
import type { Access, ResourceType } from '../../http/access.js';
import type { RequestGuard } from '../../http/guard.js';
import { AppError, notFound } from '../../lib/errors.js';
import { loadMemberships, type Actor } from './actor.js';
import { ActorCache } from './actor-cache.js';
import { safeEqual, sha256 } from './secret-tokens.js';
import { SESSION_COOKIE, type SessionStore } from './sessions.js';
import type { TokenService } from './tokens.service.js';

/** Finds the organization (and project) a resource belongs to, or undefined when it does not exist. */
export type ScopeResolver = (id: string) => Promise<ResourceScope | undefined>;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Abilities that are themselves a licence to change something; any other action on an unsafe method also needs `write`. */
const WRITE_ABILITIES = new Set<string>(['write', 'deploy', 'admin']);

/**
 * The central guard: authenticates (session cookie or bearer token), checks
 * CSRF for cookie requests, enforces organization 2FA, then asks the policy
 * about the route's declared action on the resource's organization.
 * Another organization's resource answers 404, never 403.
 */
export class IdentityGuard implements RequestGuard {
  private readonly resolvers = new Map<ResourceType, ScopeResolver>();

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
    private readonly tokens: TokenService,
    private readonly clock: () => number = Date.now,
    private readonly actors: ActorCache = new ActorCache(),
  ) {
    this.resolvers.set('organization', async (id) => {
      const org = await db.kysely.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst();
      return org ? { organizationId: org.id } : undefined;
    });
  }

  /** Lets a feature module say how to find the organization of its resources. */
  registerResolver(type: ResourceType, resolver: ScopeResolver): void {
    this.resolvers.set(type, resolver);
  }

  /** Drops every cached token actor; call after anything that may change who may do what. */
  forgetActors(): void {
    this.actors.clear();
  }

  /** The organization (and project) of a resource, as routes see it; undefined when it does not exist. */
  async resolveScope(type: ResourceType, id: string): Promise<ResourceScope | undefined> {
    const resolver = this.resolvers.get(type);
    return resolver ? resolver(id) : undefined;
  }

  /**
   * Reads an actor again for a long-lived request (the event stream): its
   * grants as they are now, or undefined once the token was revoked or
   * expired, the session ended, or the user is gone.
   */
  async refresh(actor: Actor): Promise<Actor | undefined> {
    if (actor.kind === 'token') {
      const token = actor.tokenId ? await this.tokens.findLive(actor.tokenId) : undefined;
      if (!token || token.user_id !== actor.userId) return undefined;
      return this.actorFor(token.user_id, { kind: 'token', tokenId: token.id, abilities: new Set(JSON.parse(token.abilities) as string[]) });
    }
    const session = actor.sessionId ? await this.sessions.live(actor.sessionId) : undefined;
    if (!session || session.userId !== actor.userId) return undefined;
    return this.actorFor(session.userId, { kind: 'user', sessionId: session.id, csrfToken: session.csrfToken });
  }

  /** Creates the request context; runs for every request, public ones too. */
  prepare(req: FastifyRequest): void {
    req.actor = undefined;
    req.ctx = { actor: undefined, ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null, audited: false };
  }

  async check(req: FastifyRequest, access: Access): Promise<void> {
    const actor = await this.authenticate(req, access);
    req.actor = actor;
    req.ctx.actor = actor;
    if (access === 'public') return;
    if (!actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in or send an API token (Authorization: Bearer dfp_…).');
    if (access === 'authenticated') {
      // The caller's own account (tokens, password, 2FA, new organizations): a token manages it only with `admin`.
      if (actor.kind === 'token' && UNSAFE.has(req.method) && !hasAbility(actor.abilities, 'admin')) {
        throw new AppError('forbidden', 'auth.ability_missing', 'Managing your account and API tokens needs a signed-in session or a token with the "admin" ability.');
      }
      return;
    }
    if ('installation' in access) {
      // Installation-wide: organization roles do not count; deny unless the user administers the installation.
      if (!actor.installationAdmin) throw new AppError('forbidden', 'auth.installation_admin_required', 'Only installation administrators may do this.');
      if (!hasAbility(actor.abilities, access.installation)) throw abilityMissing(access.installation);
      return;
    }
    const rule = actions[access.action];
    // A change needs a token that may change things, whatever else the action reads (rotating a secret shows it too).
    if (actor.kind === 'token' && UNSAFE.has(req.method) && !WRITE_ABILITIES.has(rule.ability) && !hasAbility(actor.abilities, 'write')) {
      throw abilityMissing('write');
    }
    if (!access.resource) {
      // Lists: the caller needs the action somewhere; the service shows only what the caller may see.
      const somewhere = [...actor.memberships.values()].some((m) => atLeast(m.role, rule.role));
      if (!somewhere && actor.twoFactorLocked.size) throw twoFactorRequired();
      if (!somewhere) throw new AppError('forbidden', 'auth.forbidden', `Your role does not allow ${access.action}.`);
      if (!hasAbility(actor.abilities, rule.ability)) throw abilityMissing(rule.ability);
      return;
    }
    const source = (req[access.resource.in] ?? {}) as Record<string, unknown>;
    const id = source[access.resource.key];
    if (typeof id !== 'string' || id === '') {
      if (access.resource.in === 'params') throw notFound(access.resource.type);
      return; // a missing body/query id is a validation error, reported next with the field name
    }
    const resolver = this.resolvers.get(access.resource.type);
    if (!resolver) throw new Error(`No scope resolver for ${access.resource.type}`);
    const scope = await resolver(id);
    if (!scope) throw notFound(access.resource.type, id);
    // The caller is a member there (so naming the rule leaks nothing), but has not enrolled 2FA.
    if (actor.twoFactorLocked.has(scope.organizationId)) throw twoFactorRequired();
    const decision = decide(access.action, actor.memberships.get(scope.organizationId), actor.abilities, scope);
    if (decision === 'not_member' || decision === 'project_not_granted') throw notFound(access.resource.type, id);
    if (decision === 'ability_missing') throw abilityMissing(rule.ability);
    if (decision === 'role_too_low') throw new AppError('forbidden', 'auth.forbidden', `Your role does not allow ${access.action}.`);
  }

  private async authenticate(req: FastifyRequest, access: Access): Promise<Actor | undefined> {
    const header = req.headers.authorization;
    if (header) {
      const [scheme, value] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !value) {
        throw new AppError('unauthenticated', 'auth.bad_authorization', 'Send the token as "Authorization: Bearer dfp_…".');
      }
      const key = sha256(value);
      const hit = this.actors.get(key);
      if (hit && (hit.tokenExpiresAt === null || hit.tokenExpiresAt > this.clock())) return { ...hit.actor };
      const generation = this.actors.begin();
      const token = await this.tokens.authenticate(value);
      if (typeof token === 'string') {
        const messages = { unknown: 'The API token is not valid.', revoked: 'The API token was revoked.', expired: 'The API token has expired.' };
        throw new AppError('unauthenticated', `auth.token_${token === 'unknown' ? 'invalid' : token}`, messages[token]);
      }
      const actor = await this.actorFor(token.user_id, { kind: 'token', tokenId: token.id, abilities: new Set(JSON.parse(token.abilities) as string[]) });
      if (actor) this.actors.set(key, generation, actor, token.expires_at ? Date.parse(token.expires_at) : null);
      return actor && { ...actor };
    }
    const cookie = req.cookies?.[SESSION_COOKIE];
    if (!cookie) return undefined;
    const session = await this.sessions.resolve(cookie);
    if (!session) return undefined;
    if (UNSAFE.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      const valid = typeof sent === 'string' && safeEqual(sent, session.csrfToken);
      if (!valid) {
        // On public routes (login, setup) a stale cookie must not get in the way: act as anonymous.
        if (access === 'public') return undefined;
        throw new AppError('forbidden', 'auth.csrf', 'Missing or wrong x-csrf-token header. Reload the page and try again.');
      }
    }
    return this.actorFor(session.userId, { kind: 'user', sessionId: session.id, csrfToken: session.csrfToken });
  }

  private async actorFor(
    userId: string,
    via: { kind: 'user'; sessionId: string; csrfToken: string } | { kind: 'token'; tokenId: string; abilities: ReadonlySet<string> },
  ): Promise<Actor | undefined> {
    const user = await this.db.kysely.selectFrom('users').select(['id', 'email', 'name', 'totp_enabled']).where('id', '=', userId).executeTakeFirst();
    if (!user) return undefined;
    const { memberships, locked } = await loadMemberships(this.db, userId, !!user.totp_enabled);
    const admin = await this.db.kysely.selectFrom('installation_admins').select('user_id').where('user_id', '=', userId).executeTakeFirst();
    return {
      kind: via.kind,
      userId: user.id,
      email: user.email,
      name: user.name,
      twoFactorEnabled: !!user.totp_enabled,
      abilities: via.kind === 'token' ? via.abilities : undefined,
      tokenId: via.kind === 'token' ? via.tokenId : undefined,
      sessionId: via.kind === 'user' ? via.sessionId : undefined,
      csrfToken: via.kind === 'user' ? via.csrfToken : undefined,
      memberships,
      twoFactorLocked: locked,
      twoFactorRequired: locked.size > 0,
      installationAdmin: !!admin,
    };
  }
}

function twoFactorRequired(): AppError {
  return new AppError('forbidden', 'auth.two_factor_required', 'This organization requires two-factor sign-in. Enrol an authenticator app first (Account → Two-factor).');
}

function abilityMissing(ability: string): AppError {
  return new AppError('forbidden', 'auth.ability_missing', `This API token lacks the "${ability}" ability.`);
}

/** Sets the session cookie: HTTP-only, SameSite=Lax, Secure when the request came over TLS. */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeMs: number): void {
  reply.setCookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.protocol === 'https',
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
