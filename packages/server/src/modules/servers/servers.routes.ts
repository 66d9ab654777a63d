import {
  acceptHostKeyBody,
  idParams,
  metricsQuery,
  metricsResponse,
  noContent,
  provisionAcceptedResponse,
  provisionBody,
  provisionLogPageSchema,
  provisionLogQuery,
  provisionRunPageSchema,
  provisionRunParams,
  provisionRunSchema,
  serverCreateBody,
  serverDetailSchema,
  serverListQuery,
  serverPageSchema,
  serverSchema,
  serverUpdateBody,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import type { MetricsService } from './metrics.service.js';
import type { ProvisioningService } from './provisioning.service.js';
import { authorizeIn } from '../ssh-keys/index.js';
import { presentServer, type ServerService } from './servers.service.js';

export interface ServerRouteDeps {
  servers: ServerService;
  provisioning: ProvisioningService;
  metrics: MetricsService;
}

const server = { type: 'server', in: 'params', key: 'id' } as const;
const tags = ['servers'];

/** Servers: records, validation (host-key pinning, facts), provisioning runs and metrics. */
export function registerServerRoutes(app: HttpApp, d: ServerRouteDeps): void {
  app.get('/api/v1/servers', {
    config: { access: { action: 'server.read' } },
    schema: { tags, summary: "Servers of the caller's organizations", querystring: serverListQuery, response: { 200: serverPageSchema } },
  }, async (req) => d.servers.list(req.ctx, req.query));

  app.post('/api/v1/servers', {
    // Needs the action somewhere; the service decides for body.organizationId (404 outside it, 403 below admin).
    config: { access: { action: 'server.write' } },
    schema: { tags, summary: 'Add a server (status new until validated)', body: serverCreateBody, response: { 201: serverSchema } },
  }, async (req, reply) => {
    authorizeIn(req.ctx, req.body.organizationId, 'server.write');
    return reply.code(201).send(await d.servers.create(req.ctx, req.body));
  });

  app.get('/api/v1/servers/:id', {
    config: { access: { action: 'server.read', resource: server } },
    schema: { tags, params: idParams, response: { 200: serverDetailSchema } },
  }, async (req) => {
    const [latest] = await d.provisioning.listRuns(req.params.id, 1);
    return { ...presentServer(await d.servers.get(req.params.id)), latestProvisionRun: latest ?? null };
  });

  app.patch('/api/v1/servers/:id', {
    config: { access: { action: 'server.write', resource: server } },
    schema: { tags, summary: 'Change a server; a new host or port drops the pinned host key', params: idParams, body: serverUpdateBody, response: { 200: serverSchema } },
  }, async (req) => d.servers.update(req.ctx, req.params.id, req.body));

  app.delete('/api/v1/servers/:id', {
    config: { access: { action: 'server.write', resource: server } },
    schema: { tags, params: idParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await d.servers.delete(req.ctx, req.params.id);
    d.metrics.forget(req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/servers/:id/validate', {
    config: { access: { action: 'server.write', resource: server } },
    schema: {
      tags,
      summary: 'Connect, pin the host key on first contact (or refuse a changed one), detect OS and tools',
      params: idParams,
      response: { 200: serverSchema },
    },
  }, async (req) => d.servers.validate(req.ctx, req.params.id));

  app.post('/api/v1/servers/:id/accept-host-key', {
    config: { access: { action: 'server.write', resource: server } },
    schema: { tags, summary: 'Pin the changed host key the server presented (admins only, audited)', params: idParams, body: acceptHostKeyBody, response: { 200: serverSchema } },
  }, async (req) => d.servers.acceptHostKey(req.ctx, req.params.id, req.body.fingerprint));

  app.post('/api/v1/servers/:id/provision', {
    config: { access: { action: 'server.write', resource: server } },
    schema: { tags, summary: 'Install what DevFlow needs (a job; follow the run and its log)', params: idParams, body: provisionBody, response: { 202: provisionAcceptedResponse } },
  }, async (req, reply) => reply.code(202).send(await d.provisioning.start(req.ctx, req.params.id, req.body)));

  app.get('/api/v1/servers/:id/provisioning-runs', {
    config: { access: { action: 'server.read', resource: server } },
    schema: { tags, summary: 'Recent provisioning runs, newest first', params: idParams, response: { 200: provisionRunPageSchema } },
  }, async (req) => ({ data: await d.provisioning.listRuns(req.params.id), nextCursor: null }));

  app.get('/api/v1/servers/:id/provisioning-runs/:runId', {
    config: { access: { action: 'server.read', resource: server } },
    schema: { tags, params: provisionRunParams, response: { 200: provisionRunSchema } },
  }, async (req) => d.provisioning.present(await d.provisioning.getRun(req.params.id, req.params.runId)));

  app.get('/api/v1/servers/:id/provisioning-runs/:runId/logs', {
    config: { access: { action: 'server.read', resource: server } },
    schema: {
      tags,
      summary: 'Log lines after `after` (live lines also arrive as server.provision.log events)',
      params: provisionRunParams,
      querystring: provisionLogQuery,
      response: { 200: provisionLogPageSchema },
    },
  }, async (req) => {
    const lines = await d.provisioning.logs(req.params.id, req.params.runId, req.query.after, req.query.limit);
    return { data: lines, nextAfter: lines.at(-1)?.seq ?? req.query.after };
  });

  app.get('/api/v1/servers/:id/metrics', {
    config: { access: { action: 'server.read', resource: server } },
    schema: { tags, summary: 'CPU, load, memory, disk and network series', params: idParams, querystring: metricsQuery, response: { 200: metricsResponse } },
  }, async (req) => d.metrics.query(req.params.id, req.query));
}
