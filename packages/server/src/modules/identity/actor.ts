import type { FastifyRequest } from 'fastify';
import type { MembershipGrant } from '../../core/policy.js';
import type { Db } from '../../db/database.js';

/** Who is making a request: a signed-in user (session) or an API token of a user. */
export interface Actor {
  kind: 'user' | 'token';
  userId: string;
  email: string;
  name: string;
  twoFactorEnabled: boolean;
  /** Token requests only: the abilities that narrow the user's roles. */
  abilities: ReadonlySet<string> | undefined;
  tokenId: string | undefined;
  sessionId: string | undefined;
  csrfToken: string | undefined;
  /** Organization id → role and project grants (organizations whose 2FA rule the user has not met are left out). */
  memberships: ReadonlyMap<string, MembershipGrant>;
  /** Organizations that require 2FA of a user who has not enrolled: closed to them until they do. */
  twoFactorLocked: ReadonlySet<string>;
  /** Some organization of the user requires 2FA and the user has not enrolled. */
  twoFactorRequired: boolean;
  /** Administers the installation (installation_admins), whatever the organizations. */
  installationAdmin: boolean;
}

/** What a service needs to know about the request: who, from where, and whether it was audited. */
export interface RequestContext {
  actor: Actor | undefined;
  ip: string | null;
  userAgent: string | null;
  /** Set by the audit log when the service recorded the change itself. */
  audited: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | undefined;
    ctx: RequestContext;
  }
}

/** The request context of a request (created once per request by the guard). */
export function contextOf(req: FastifyRequest): RequestContext {
  return req.ctx;
}

/**
 * Loads a user's memberships with their project grants. An organization that
 * requires 2FA of a user without it is returned as locked instead: its rule
 * closes that organization only, never the user's others.
 */
export async function loadMemberships(
  db: Db,
  userId: string,
  twoFactorEnabled: boolean,
): Promise<{ memberships: Map<string, MembershipGrant>; locked: Set<string> }> {
  const rows = await db.kysely
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    // A grant counts only for a project of the membership's own organization: a stray id of
    // another tenant's project (written before every path checked) must never widen a read.
    .leftJoin('membership_projects as mp', 'mp.membership_id', 'm.id')
    .leftJoin('projects as p', (j) => j.onRef('p.id', '=', 'mp.project_id').onRef('p.organization_id', '=', 'm.organization_id'))
    .select(['m.organization_id', 'm.role', 'm.project_scoped', 'p.id as project_id', 'o.require_two_factor'])
    .where('m.user_id', '=', userId)
    .execute();
  const memberships = new Map<string, MembershipGrant>();
  const locked = new Set<string>();
  for (const r of rows) {
    if (r.require_two_factor && !twoFactorEnabled) {
      locked.add(r.organization_id);
      continue;
    }
    const existing = memberships.get(r.organization_id);
    const projects = existing?.projectIds ? new Set(existing.projectIds) : r.project_scoped ? new Set<string>() : undefined;
    if (projects && r.project_id) projects.add(r.project_id);
    memberships.set(r.organization_id, { role: r.role, projectIds: projects });
  }
  return { memberships, locked };
}
