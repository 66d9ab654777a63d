import { instanceSettingsSchema, instanceSettingsUpdateBody } from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import type { InstanceService } from './instance.service.js';

/** GET and PATCH /api/v1/instance: installation-wide settings, for installation administrators only. */
export function registerInstanceRoutes(app: HttpApp, d: { instance: InstanceService }): void {
  app.get('/api/v1/instance', {
    config: { access: { installation: 'read' } },
    schema: { tags: ['instance'], summary: 'Instance settings (installation administrators only)', response: { 200: instanceSettingsSchema } },
  }, async () => d.instance.get());

  app.patch('/api/v1/instance', {
    config: { access: { installation: 'admin' } },
    schema: { tags: ['instance'], summary: 'Change instance settings (installation administrators only; tokens need the admin ability)', body: instanceSettingsUpdateBody, response: { 200: instanceSettingsSchema } },
  }, async (req) => d.instance.update(req.ctx, req.body));
}
