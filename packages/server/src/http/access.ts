import type { Ability, Action } from '../core/policy.js';

/** Kinds of resource a route can name; each has a resolver that finds its organization. */
export type ResourceType =
  | 'organization'
  | 'ssh_key'
  | 'server'
  | 'project'
  | 'environment'
  | 'deployment'
  | 'domain'
  | 'certificate'
  | 'token';

/** Where the resource id is in the request, e.g. `{ type: 'server', in: 'params', key: 'id' }`. */
export interface ResourceRef {
  type: ResourceType;
  in: 'params' | 'body' | 'query';
  key: string;
}

/**
 * What a route requires of its caller. Every `/api/v1` route declares one;
 * the app refuses to start with a route that does not.
 * - `public`: anyone (health, login, setup, signed webhooks).
 * - `authenticated`: any signed-in user or token, acting on their own things.
 * - `{ action, resource? }`: the central policy decides from role, grants and
 *   token abilities on the named resource's organization; without a resource
 *   (lists), the caller needs the action in at least one organization and the
 *   service shows only what the caller may see.
 * - `{ installation: ability }`: installation administrators only (installation-wide
 *   things: /metrics, instance settings); a token of one needs the ability.
 */
export type Access = 'public' | 'authenticated' | { action: Action; resource?: ResourceRef } | { installation: Ability };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
