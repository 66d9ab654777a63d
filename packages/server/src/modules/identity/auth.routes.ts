import {
  changePasswordBody,
  changePasswordResponse,
  invitationAcceptBody,
  invitationAcceptedResponse,
  loginBody,
  meResponse,
  noContent as noContentSchema,
  sessionResponse,
  setupBody,
  setupStatusResponse,
  totpBeginResponse,
  totpConfirmBody,
  totpConfirmResponse,
  totpDisableBody,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import { AppError } from '../../lib/errors.js';
import { presentUser, type AuthService } from './auth.service.js';
import { clearSessionCookie, setSessionCookie } from './identity.guard.js';
import type { OrganizationService } from './organizations.service.js';
import type { SessionPolicy } from './sessions.js';
import type { TotpService } from './totp.service.js';

export interface AuthRouteDeps {
  auth: AuthService;
  totp: TotpService;
  organizations: OrganizationService;
  sessionPolicy: SessionPolicy;
  /** Per-IP limit of sign-in and code attempts per minute. */
  loginPerMinute: number;
}

const noContent = { 204: noContentSchema };

/** Setup, sign-in, sign-out, the caller's own account and two-factor enrolment. */
export function registerAuthRoutes(app: HttpApp, d: AuthRouteDeps): void {
  const ipLimit = { max: d.loginPerMinute, timeWindow: 60_000 };

  app.get('/api/v1/auth/setup', {
    config: { access: 'public' },
    schema: { tags: ['auth'], summary: 'Whether first-run setup is still open (no user exists yet)', response: { 200: setupStatusResponse } },
  }, async () => ({ required: await d.auth.setupRequired() }));

  app.post('/api/v1/auth/setup', {
    config: { access: 'public', rateLimit: ipLimit },
    schema: { tags: ['auth'], summary: 'Create the first admin and organization (409 once any user exists)', body: setupBody, response: { 201: sessionResponse } },
  }, async (req, reply) => {
    const { user } = await d.auth.createAdmin(req.ctx, req.body, { firstRunOnly: true });
    const { cookie, csrfToken } = await d.auth.login(req.ctx, { email: req.body.email, password: req.body.password });
    setSessionCookie(req, reply, cookie, d.sessionPolicy.absoluteMs);
    return reply.code(201).send({ user: presentUser(user), csrfToken });
  });

  app.post('/api/v1/auth/login', {
    config: { access: 'public', rateLimit: ipLimit },
    schema: { tags: ['auth'], summary: 'Sign in; answers 401 auth.totp_required when a second factor is needed', body: loginBody, response: { 200: sessionResponse } },
  }, async (req, reply) => {
    const { user, cookie, csrfToken } = await d.auth.login(req.ctx, req.body);
    setSessionCookie(req, reply, cookie, d.sessionPolicy.absoluteMs);
    return { user: presentUser(user), csrfToken };
  });

  app.post('/api/v1/auth/logout', {
    config: { access: 'authenticated' },
    schema: { tags: ['auth'], summary: 'End the current session', response: noContent },
  }, async (req, reply) => {
    await d.auth.logout(req.ctx);
    clearSessionCookie(reply);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/invitations/accept', {
    config: { access: 'public', rateLimit: ipLimit },
    schema: { tags: ['organizations'], summary: 'Accept an invitation (signed in, or creating an account)', body: invitationAcceptBody, response: { 200: invitationAcceptedResponse } },
  }, async (req) => {
    const r = await d.organizations.acceptInvitation(req.ctx, req.body);
    return { organizationId: r.organizationId, userId: r.user.id, createdAccount: r.created };
  });

  app.get('/api/v1/me', {
    config: { access: 'authenticated' },
    schema: { tags: ['me'], summary: 'The caller, their organizations and roles', response: { 200: meResponse } },
  }, async (req) => {
    const actor = req.actor;
    if (!actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
    const user = await d.auth.getUser(actor.userId);
    const orgs = await d.organizations.listMine(req.ctx);
    return {
      user: presentUser(user),
      csrfToken: actor.csrfToken ?? null,
      memberships: orgs.map((o) => ({ organizationId: o.id, organizationName: o.name, role: o.role, requireTwoFactor: o.requireTwoFactor })),
      via: actor.kind === 'token' ? ('token' as const) : ('session' as const),
      twoFactorRequired: actor.twoFactorRequired,
      installationAdmin: actor.installationAdmin,
    };
  });

  app.post('/api/v1/me/password', {
    config: { access: 'authenticated', rateLimit: ipLimit },
    schema: { tags: ['me'], summary: 'Change password; ends every other session. API tokens keep working unless revokeTokens', body: changePasswordBody, response: { 200: changePasswordResponse } },
  }, async (req) => d.auth.changePassword(req.ctx, req.body.currentPassword, req.body.newPassword, { revokeTokens: req.body.revokeTokens }));

  app.post('/api/v1/me/totp', {
    config: { access: 'authenticated' },
    schema: { tags: ['me'], summary: 'Begin two-factor enrolment', response: { 200: totpBeginResponse } },
  }, async (req) => d.totp.begin(req.ctx));

  app.post('/api/v1/me/totp/confirm', {
    config: { access: 'authenticated', rateLimit: ipLimit },
    schema: { tags: ['me'], summary: 'Confirm enrolment with a code; returns ten recovery codes, shown once', body: totpConfirmBody, response: { 200: totpConfirmResponse } },
  }, async (req) => ({ recoveryCodes: await d.totp.confirm(req.ctx, req.body.code) }));

  app.delete('/api/v1/me/totp', {
    config: { access: 'authenticated', rateLimit: ipLimit },
    schema: { tags: ['me'], summary: 'Disable two-factor sign-in (password and a current code)', body: totpDisableBody, response: noContent },
  }, async (req, reply) => {
    await d.totp.disable(req.ctx, req.body.password, req.body.code);
    return reply.code(204).send(null);
  });
}
