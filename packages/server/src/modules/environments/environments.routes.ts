import {
  environmentCreateBody,
  environmentPageSchema,
  environmentSchema,
  environmentUpdateBody,
  idParams,
  noContent,
  variablesBody,
  variablesResponse,
  webhookInfoResponse,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import type { DeleteEnvironmentCommand } from './delete-environment.command.js';
import type { EnvironmentService } from './environments.service.js';
import type { VariablesService } from './variables.service.js';

export interface EnvironmentRouteDeps {
  environments: EnvironmentService;
  variables: VariablesService;
  deleteEnvironment: DeleteEnvironmentCommand;
}

const project = { type: 'project', in: 'params', key: 'id' } as const;
const environment = { type: 'environment', in: 'params', key: 'id' } as const;
const tags = ['environments'];

/** Environments of a project, their variables and webhook secret. */
export function registerEnvironmentRoutes(app: HttpApp, d: EnvironmentRouteDeps): void {
  app.get('/api/v1/projects/:id/environments', {
    config: { access: { action: 'environment.read', resource: project } },
    schema: { tags, params: idParams, response: { 200: environmentPageSchema } },
  }, async (req) => ({ data: await d.environments.list(req.params.id), nextCursor: null }));

  app.post('/api/v1/projects/:id/environments', {
    config: { access: { action: 'environment.write', resource: project } },
    schema: { tags, summary: 'Add an environment (production, staging…) with its branch and servers', params: idParams, body: environmentCreateBody, response: { 201: environmentSchema } },
  }, async (req, reply) => reply.code(201).send(await d.environments.create(req.ctx, req.params.id, req.body)));

  app.get('/api/v1/environments/:id', {
    config: { access: { action: 'environment.read', resource: environment } },
    schema: { tags, params: idParams, response: { 200: environmentSchema } },
  }, async (req) => d.environments.present(await d.environments.get(req.params.id)));

  app.patch('/api/v1/environments/:id', {
    config: { access: { action: 'environment.write', resource: environment } },
    schema: { tags, params: idParams, body: environmentUpdateBody, response: { 200: environmentSchema } },
  }, async (req) => d.environments.update(req.ctx, req.params.id, req.body));

  app.delete('/api/v1/environments/:id', {
    config: { access: { action: 'environment.write', resource: environment } },
    schema: {
      tags,
      summary: 'Delete the environment; a job then takes its nginx site, preview listener, PHP-FPM pool and domains off its servers (its directory with releases and shared files stays)',
      params: idParams,
      response: { 204: noContent },
    },
  }, async (req, reply) => {
    await d.deleteEnvironment.execute(req.ctx, req.params.id);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/environments/:id/variables', {
    config: { access: { action: 'environment.read', resource: environment } },
    schema: { tags, summary: 'Variable names; values only with secrets:read (developer or above, token ability secrets:read)', params: idParams, response: { 200: variablesResponse } },
  }, async (req) => d.variables.read(req.ctx, req.params.id));

  app.put('/api/v1/environments/:id/variables', {
    config: { access: { action: 'variables.write', resource: environment } },
    schema: { tags, summary: 'Replace the variable set (a missing key is deleted); written to the env file at the next deployment', params: idParams, body: variablesBody, response: { 200: variablesResponse } },
  }, async (req) => d.variables.replace(req.ctx, req.params.id, req.body.variables));

  app.get('/api/v1/environments/:id/webhook', {
    config: { access: { action: 'secrets.read', resource: environment } },
    schema: { tags, summary: 'The webhook secret and the URL for each Git provider', params: idParams, response: { 200: webhookInfoResponse } },
  }, async (req) => d.environments.webhookInfo(req.params.id));

  app.post('/api/v1/environments/:id/webhook/rotate', {
    config: { access: { action: 'secrets.read', resource: environment } },
    schema: { tags, summary: 'Replace the webhook secret (the answer shows the new one, so secrets:read is needed)', params: idParams, response: { 200: webhookInfoResponse } },
  }, async (req) => d.environments.rotateWebhookSecret(req.ctx, req.params.id));
}
