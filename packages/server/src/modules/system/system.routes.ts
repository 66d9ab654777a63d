import { healthSchema } from '@devflow/contracts';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { HttpApp } from '../../http/app.js';
import type { Metrics } from '../../http/metrics.js';
import { AppError } from '../../lib/errors.js';

/** GET /healthz, GET /metrics and GET /api/v1/openapi.json. */
export function registerSystemRoutes(app: HttpApp, deps: { db: Db; metrics: Metrics; version: string }): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['system'], summary: 'Liveness: 200 when the database answers', response: { 200: healthSchema } },
    },
    async () => {
      try {
        await sql`select 1`.execute(deps.db.kysely);
      } catch (err) {
        throw new AppError('unavailable', 'system.database_unavailable', 'The database does not answer.', { cause: err });
      }
      return { status: 'ok' as const, database: deps.db.dialect, version: deps.version };
    },
  );

  app.get(
    '/metrics',
    {
      // Installation-wide figures: installation administrators only, or their tokens with metrics:read.
      config: { access: { installation: 'metrics:read' } },
      schema: { tags: ['system'], summary: 'Prometheus metrics (process, HTTP, queue); installation administrators only' },
    },
    async (_req, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );

  app.get(
    '/api/v1/openapi.json',
    { config: { access: 'public' }, schema: { hide: true } },
    async () => app.swagger(),
  );
}
