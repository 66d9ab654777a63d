import type { Role } from '@devflow/contracts';

export const roles = ['owner', 'admin', 'developer', 'viewer'] as const satisfies readonly Role[];
export const abilities = ['read', 'write', 'deploy', 'secrets:read', 'admin', 'metrics:read'] as const;
export type Ability = (typeof abilities)[number];

const rank: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

/**
 * Every action a route can declare: the lowest role that may do it and the
 * token ability it needs. A token narrows its user's role, never widens it.
 */
export const actions = {
  'organization.read': { role: 'viewer', ability: 'read' },
  'organization.update': { role: 'admin', ability: 'admin' },
  'organization.delete': { role: 'owner', ability: 'admin' },
  'member.read': { role: 'viewer', ability: 'read' },
  'member.manage': { role: 'admin', ability: 'admin' },
  'audit.read': { role: 'admin', ability: 'read' },
  'ssh_key.read': { role: 'viewer', ability: 'read' },
  'ssh_key.write': { role: 'admin', ability: 'write' },
  'server.read': { role: 'viewer', ability: 'read' },
  'server.write': { role: 'admin', ability: 'write' },
  'project.read': { role: 'viewer', ability: 'read' },
  'project.write': { role: 'developer', ability: 'write' },
  'environment.read': { role: 'viewer', ability: 'read' },
  'environment.write': { role: 'developer', ability: 'write' },
  'variables.write': { role: 'developer', ability: 'write' },
  'secrets.read': { role: 'developer', ability: 'secrets:read' },
  'deployment.read': { role: 'viewer', ability: 'read' },
  'deployment.create': { role: 'developer', ability: 'deploy' },
  'deployment.cancel': { role: 'developer', ability: 'deploy' },
  'deployment.approve': { role: 'admin', ability: 'deploy' },
  'domain.read': { role: 'viewer', ability: 'read' },
  'domain.write': { role: 'developer', ability: 'write' },
  'certificate.read': { role: 'viewer', ability: 'read' },
  'certificate.write': { role: 'developer', ability: 'write' },
  'metrics.read': { role: 'admin', ability: 'metrics:read' },
} as const satisfies Record<string, { role: Role; ability: Ability }>;

export type Action = keyof typeof actions;

export function isAction(name: string): name is Action {
  return Object.hasOwn(actions, name);
}

/** Abilities a token ability implies: `admin` is everything, and every ability can read. */
export function hasAbility(granted: ReadonlySet<string> | undefined, needed: Ability): boolean {
  if (!granted) return true; // a session, not a token: the role alone decides
  if (granted.has('admin') || granted.has(needed)) return true;
  if (needed === 'read') return ['write', 'deploy', 'secrets:read'].some((a) => granted.has(a));
  return false;
}

/** A member's standing in one organization. */
export interface MembershipGrant {
  role: Role;
  /** Undefined: every project; a set: only these projects. */
  projectIds: ReadonlySet<string> | undefined;
}

/** What the resource a request touches belongs to. */
export interface ResourceScope {
  organizationId: string;
  projectId?: string | null;
}

/** The policy's answer: allowed, or why not (so the edge can choose 403 or 404). */
export type Decision = 'allow' | 'not_member' | 'role_too_low' | 'ability_missing' | 'project_not_granted';

/**
 * Decides one action on one resource. Pure: the caller looked up the
 * membership and the resource's organization. `not_member` and
 * `project_not_granted` must answer 404 so ids of other tenants leak nothing.
 */
export function decide(
  action: Action,
  membership: MembershipGrant | undefined,
  tokenAbilities: ReadonlySet<string> | undefined,
  scope: ResourceScope | undefined,
): Decision {
  if (!membership) return 'not_member';
  if (scope?.projectId && membership.projectIds && !membership.projectIds.has(scope.projectId)) {
    return 'project_not_granted';
  }
  const rule = actions[action];
  if (rank[membership.role] < rank[rule.role]) return 'role_too_low';
  if (!hasAbility(tokenAbilities, rule.ability)) return 'ability_missing';
  return 'allow';
}

/** True when `actor` may give someone `target` (only owners make owners). */
export function canAssignRole(actor: Role, target: Role): boolean {
  return target === 'owner' ? actor === 'owner' : rank[actor] >= rank.admin;
}

/** Roles at or above `min`. */
export function atLeast(role: Role, min: Role): boolean {
  return rank[role] >= rank[min];
}
