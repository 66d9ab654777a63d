import { webhookParams, webhookQuery, webhookResponse } from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import { FailureThrottle } from '../../lib/failure-throttle.js';
import type { WebhookService } from './webhooks.service.js';

/** Deliveries per environment and client address in a window; more answer 429 with Retry-After. */
export interface WebhookRateLimit {
  limit: number;
  windowMs: number;
}

/**
 * POST /api/v1/hooks/{provider}/{environmentId}: public, authenticated by
 * the provider's signature. Registered in its own scope so the body reaches
 * the handler as raw bytes — signatures are computed over exactly those.
 */
export function registerWebhookRoutes(app: HttpApp, d: { webhooks: WebhookService; rateLimit?: WebhookRateLimit | undefined }): void {
  const { limit, windowMs } = d.rateLimit ?? { limit: 60, windowMs: 60_000 };
  const throttle = new FailureThrottle(limit, windowMs, Date.now, {
    code: 'webhook.rate_limited',
    message: (s) => `Too many webhook deliveries for this environment from this address. Retry in ${s} seconds.`,
  });
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    const typed = scope as unknown as HttpApp;
    typed.post('/api/v1/hooks/:provider/:environmentId', {
      config: { access: 'public' },
      schema: {
        tags: ['webhooks'],
        summary: 'Push webhook: GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token), Bitbucket Cloud (X-Hub-Signature), generic (?token= or X-Devflow-Signature)',
        params: webhookParams,
        querystring: webhookQuery,
        response: { 200: webhookResponse, 202: webhookResponse },
      },
    }, async (req, reply) => {
      // Before any work (database, signature): a flood is refused cheaply.
      const key = `${req.params.environmentId}|${req.ip}`;
      throttle.check(key);
      throttle.fail(key);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const result = await d.webhooks.handle(req.ctx, req.params.provider, req.params.environmentId, { headers: req.headers, body, query: req.query });
      return reply.code(result.outcome === 'deployed' ? 202 : 200).send(result);
    });
  });
}
