import {
  auditEventPageSchema,
  auditQuery,
  idParams,
  invitationCreateBody,
  invitationPageSchema,
  invitationParams,
  invitationSchema,
  memberAddBody,
  memberPageSchema,
  memberParams,
  memberSchema,
  memberUpdateBody,
  noContent,
  organizationCreateBody,
  organizationPageSchema,
  organizationSchema,
  organizationUpdateBody,
  tokenCreateBody,
  tokenCreatedResponse,
  tokenPageSchema,
  tokensRevokedResponse,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import { AppError, notFound } from '../../lib/errors.js';
import { auditableOrganizations, presentAuditEvent, type AuditLog } from './audit.service.js';
import type { OrganizationService } from './organizations.service.js';
import { presentToken, type TokenService } from './tokens.service.js';

export interface OrganizationRouteDeps {
  organizations: OrganizationService;
  tokens: TokenService;
  audit: AuditLog;
}

const orgResource = { type: 'organization', in: 'params', key: 'id' } as const;

/** Organizations, members, invitations, API tokens and the audit log. */
export function registerOrganizationRoutes(app: HttpApp, d: OrganizationRouteDeps): void {
  app.get('/api/v1/organizations', {
    config: { access: 'authenticated' },
    schema: { tags: ['organizations'], summary: 'Organizations the caller belongs to', response: { 200: organizationPageSchema } },
  }, async (req) => ({ data: await d.organizations.listMine(req.ctx), nextCursor: null }));

  app.post('/api/v1/organizations', {
    config: { access: 'authenticated' },
    // Who may create organizations is an instance setting: refused before the body is looked at.
    preValidation: async (req) => d.organizations.assertMayCreate(req.ctx),
    schema: { tags: ['organizations'], summary: 'Create an organization owned by the caller', body: organizationCreateBody, response: { 201: organizationSchema } },
  }, async (req, reply) => reply.code(201).send(await d.organizations.create(req.ctx, req.body.name)));

  app.get('/api/v1/organizations/:id', {
    config: { access: { action: 'organization.read', resource: orgResource } },
    schema: { tags: ['organizations'], params: idParams, response: { 200: organizationSchema } },
  }, async (req) => d.organizations.get(req.ctx, req.params.id));

  app.patch('/api/v1/organizations/:id', {
    config: { access: { action: 'organization.update', resource: orgResource } },
    schema: { tags: ['organizations'], summary: 'Rename, or require two-factor sign-in of every member', params: idParams, body: organizationUpdateBody, response: { 200: organizationSchema } },
  }, async (req) => d.organizations.update(req.ctx, req.params.id, req.body));

  app.get('/api/v1/organizations/:id/members', {
    config: { access: { action: 'member.read', resource: orgResource } },
    schema: { tags: ['organizations'], params: idParams, response: { 200: memberPageSchema } },
  }, async (req) => ({ data: await d.organizations.listMembers(req.params.id), nextCursor: null }));

  app.post('/api/v1/organizations/:id/members', {
    config: { access: { action: 'member.manage', resource: orgResource } },
    schema: { tags: ['organizations'], summary: 'Invite someone with a role (they join when they accept the link); answers the same whether or not the email has an account', params: idParams, body: memberAddBody, response: { 201: invitationSchema } },
  }, async (req, reply) => reply.code(201).send(await d.organizations.addMember(req.ctx, req.params.id, req.body)));

  app.patch('/api/v1/organizations/:id/members/:userId', {
    config: { access: { action: 'member.manage', resource: orgResource } },
    schema: { tags: ['organizations'], summary: 'Change a role or the projects a member may see', params: memberParams, body: memberUpdateBody, response: { 200: memberSchema } },
  }, async (req) => d.organizations.updateMember(req.ctx, req.params.id, req.params.userId, req.body));

  app.delete('/api/v1/organizations/:id/members/:userId', {
    config: { access: { action: 'member.manage', resource: orgResource } },
    schema: { tags: ['organizations'], params: memberParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await d.organizations.removeMember(req.ctx, req.params.id, req.params.userId);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/organizations/:id/invitations', {
    config: { access: { action: 'member.manage', resource: orgResource } },
    schema: { tags: ['organizations'], params: idParams, response: { 200: invitationPageSchema } },
  }, async (req) => ({ data: await d.organizations.listInvitations(req.params.id), nextCursor: null }));

  app.post('/api/v1/organizations/:id/invitations', {
    config: { access: { action: 'member.manage', resource: orgResource } },
    schema: { tags: ['organizations'], summary: 'Invite by a single-use link valid 7 days', params: idParams, body: invitationCreateBody, response: { 201: invitationSchema } },
  }, async (req, reply) => reply.code(201).send(await d.organizations.invite(req.ctx, req.params.id, req.body)));

  app.delete('/api/v1/organizations/:id/invitations/:invitationId', {
    config: { access: { action: 'member.manage', resource: orgResource } },
    schema: { tags: ['organizations'], summary: 'Revoke a pending invitation: its link stops working', params: invitationParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await d.organizations.revokeInvitation(req.ctx, req.params.id, req.params.invitationId);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/tokens', {
    config: { access: 'authenticated' },
    schema: { tags: ['tokens'], summary: "The caller's API tokens", response: { 200: tokenPageSchema } },
  }, async (req) => ({ data: (await d.tokens.list(req.ctx)).map(presentToken), nextCursor: null }));

  app.post('/api/v1/tokens', {
    config: { access: 'authenticated' },
    schema: { tags: ['tokens'], summary: 'Create an API token; the secret is in this response only', body: tokenCreateBody, response: { 201: tokenCreatedResponse } },
  }, async (req, reply) => {
    const { row, token } = await d.tokens.create(req.ctx, req.body);
    return reply.code(201).send({ ...presentToken(row), token });
  });

  app.delete('/api/v1/tokens', {
    config: { access: 'authenticated' },
    schema: { tags: ['tokens'], summary: "Revoke every API token of the caller (signed-in session only)", response: { 200: tokensRevokedResponse } },
  }, async (req) => ({ revoked: await d.tokens.revokeAll(req.ctx) }));

  app.delete('/api/v1/tokens/:id', {
    config: { access: 'authenticated' },
    schema: { tags: ['tokens'], params: idParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await d.tokens.revoke(req.ctx, req.params.id);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/audit-events', {
    config: { access: { action: 'audit.read' } },
    schema: { tags: ['audit'], summary: 'Audit log of organizations the caller administers', querystring: auditQuery, response: { 200: auditEventPageSchema } },
  }, async (req) => {
    const actor = req.actor;
    if (!actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
    const orgs = auditableOrganizations(actor);
    if (req.query.organizationId && !orgs.includes(req.query.organizationId)) throw notFound('organization', req.query.organizationId);
    const { rows, nextCursor } = await d.audit.list({ ...req.query, organizationIds: orgs, ownUserId: actor.userId });
    return { data: rows.map(presentAuditEvent), nextCursor };
  });
}
