import { healthSchema } from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import type { Metrics } from '../../http/metrics.js';
import type { SystemService } from './system.service.js';

/** GET /healthz, GET /metrics and GET /api/v1/openapi.json. */
export function registerSystemRoutes(app: HttpApp, deps: { system: SystemService; metrics: Metrics }): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['system'], summary: 'Liveness: 200 when the database answers', response: { 200: healthSchema } },
    },
    async () => deps.system.health(),
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
