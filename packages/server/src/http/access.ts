/**
 * What a route requires of its caller. Every `/api/v1` route declares one;
 * the app refuses to start with a route that does not.
 * - `public`: anyone (health, login, setup, signed webhooks).
 * - `authenticated`: any signed-in user or token, acting on their own things.
 * - `{ action }`: the central policy decides from role, grants and abilities.
 */
export type Access = 'public' | 'authenticated' | { action: string; resource?: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
