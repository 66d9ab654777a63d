import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import type { Access } from './access.js';
import type { HttpApp } from './app.js';

/** Decides whether a request may reach its route; throws an AppError (401/403/404) when not. */
export interface RequestGuard {
  /** Runs first on every request (public ones too), e.g. to create the request context. */
  prepare?(req: FastifyRequest): void;
  /** Runs after the body is parsed and before it is validated, so callers without rights never learn about fields. */
  check(req: FastifyRequest, access: Access): Promise<void>;
}

/** Until identity is wired in, only public routes answer. */
export const publicOnlyGuard: RequestGuard = {
  async check(_req, access) {
    if (access !== 'public') throw new AppError('unauthenticated', 'auth.required', 'Sign in or send an API token.');
  },
};

/** Runs the guard before validation of every route, with the access rule the route declared. */
export function installGuard(app: HttpApp, guard: RequestGuard): void {
  if (guard.prepare) {
    const prepare = guard.prepare.bind(guard);
    app.addHook('onRequest', async (req) => prepare(req));
  }
  app.addHook('preValidation', async (req) => {
    const access = req.routeOptions.config.access;
    if (!access) return; // non-API routes (reference page assets) are public by construction
    await guard.check(req, access);
  });
}
