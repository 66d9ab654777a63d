/**
 * Public entry of webhooks: the service and route, wired by the deployments
 * module. Other modules import only from here (eslint.config.js).
 */
export { registerWebhookRoutes } from './webhooks.routes.js';
export { WebhookService } from './webhooks.service.js';
export type { WebhookRateLimit } from './webhooks.routes.js';
