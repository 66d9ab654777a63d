import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import { installGuard } from '../../http/guard.js';
import { AppError } from '../../lib/errors.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { AuditLog } from './audit.service.js';
import { registerAuthRoutes } from './auth.routes.js';
import { AuthService } from './auth.service.js';
import { IdentityGuard } from './identity.guard.js';
import { registerInstanceRoutes } from './instance.routes.js';
import { InstanceService } from './instance.service.js';
import { registerOrganizationRoutes } from './organizations.routes.js';
import { OrganizationService } from './organizations.service.js';
import { sha256 } from './secret-tokens.js';
import { defaultSessionPolicy, SessionStore, type SessionPolicy } from './sessions.js';
import { TokenService } from './tokens.service.js';
import { TotpService } from './totp.service.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface IdentityOptions {
  db: Db;
  box: SecretBox;
  publicUrl: string;
  corsOrigins: readonly string[];
  clock?: () => number;
  sessionPolicy?: SessionPolicy;
  /** Sign-in attempts per IP per minute (default 10). */
  loginPerMinute?: number;
  /** Requests per API token per minute (default 600). */
  tokenPerMinute?: number;
  /** Tells other processes (PostgreSQL) when identity changes, so their cached token actors go. */
  bus?: EventBus;
}

/** The identity services other modules use (audit log, guard for resolvers). */
export interface Identity {
  audit: AuditLog;
  auth: AuthService;
  guard: IdentityGuard;
  organizations: OrganizationService;
  instance: InstanceService;
}

/** Builds the identity services without HTTP (the CLI uses this too). */
export function createIdentity(o: IdentityOptions): Identity & { sessions: SessionStore; tokens: TokenService; totp: TotpService; sessionPolicy: SessionPolicy } {
  const clock = o.clock ?? Date.now;
  const sessionPolicy = o.sessionPolicy ?? defaultSessionPolicy;
  const audit = new AuditLog(o.db, clock);
  const sessions = new SessionStore(o.db, sessionPolicy, clock);
  const tokens = new TokenService(o.db, audit, clock);
  const auth = new AuthService(o.db, o.box, sessions, audit, clock, tokens);
  const totp = new TotpService(o.db, o.box, auth, audit, clock);
  const instance = new InstanceService(o.db, audit, clock);
  const organizations = new OrganizationService(o.db, audit, auth, o.publicUrl, clock, instance);
  const guard = new IdentityGuard(o.db, sessions, tokens, clock);
  return { audit, auth, guard, organizations, instance, sessions, tokens, totp, sessionPolicy };
}

/**
 * Installs authentication, CSRF, rate limits, security headers, CORS, the
 * audit safety net and the identity routes on the HTTP app.
 */
export async function registerIdentity(app: HttpApp, o: IdentityOptions): Promise<Identity> {
  const id = createIdentity(o);
  await app.register(cookie);
  if (o.corsOrigins.length) await app.register(cors, { origin: [...o.corsOrigins], credentials: true });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `Too many requests. Retry in ${ctx.after}.` }),
  });
  // Per-token API limit, keyed by the token's hash so it needs no database read. createRateLimit
  // (not rateLimit) leaves the per-route sign-in limits of the same request in force.
  const perToken = app.createRateLimit({
    max: o.tokenPerMinute ?? 600,
    timeWindow: 60_000,
    keyGenerator: (req) => `token:${sha256(String(req.headers.authorization))}`,
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.headers.authorization) return;
    const limit = await perToken(req);
    if (!limit.isAllowed && limit.isExceeded) {
      reply.header('retry-after', String(limit.ttlInSeconds));
      throw new AppError('rate_limited', 'auth.token_rate_limited', `This API token made too many requests. Retry in ${limit.ttlInSeconds} s.`);
    }
  });
  installGuard(app, id.guard);

  // Cached token actors: any change through the API may change who may do what (revoke, role,
  // membership, 2FA, password…), so every accepted unsafe request drops them before its answer goes out,
  // here and (PostgreSQL) in the other processes. Reads are the ones that need to be fast.
  const bus = o.bus;
  bus?.onIdentitySignal(() => id.guard.forgetActors());
  app.addHook('onSend', async (req, reply, payload) => {
    // A refused write (4xx, 5xx: failed sign-ins included) changed nothing: no need to drop every actor.
    if (UNSAFE.has(req.method) && reply.statusCode < 400) {
      id.guard.forgetActors();
      await bus?.signalIdentity().catch((err: unknown) => req.log.warn({ err }, 'identity signal failed'));
    }
    return payload;
  });

  // Safety net: a successful change the service did not audit itself still gets a row.
  app.addHook('onResponse', async (req, reply) => {
    if (!req.ctx || req.ctx.audited || req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    if (reply.statusCode >= 300 || !req.routeOptions.url?.startsWith('/api/v1/')) return;
    const params = (req.params ?? {}) as Record<string, unknown>;
    await id.audit
      .record(req.ctx, {
        action: `${req.method} ${req.routeOptions.url}`,
        targetId: typeof params.id === 'string' ? params.id : null,
      })
      .catch((err: unknown) => req.log.error({ err }, 'audit write failed'));
  });

  registerAuthRoutes(app, {
    auth: id.auth,
    totp: id.totp,
    organizations: id.organizations,
    sessionPolicy: id.sessionPolicy,
    loginPerMinute: o.loginPerMinute ?? 10,
  });
  registerOrganizationRoutes(app, { organizations: id.organizations, tokens: id.tokens, audit: id.audit });
  registerInstanceRoutes(app, { instance: id.instance });
  return id;
}
