import {
  deploymentCreateBody,
  deploymentListQuery,
  deploymentPageSchema,
  deploymentRejectBody,
  deploymentSchema,
  environmentSchema,
  idParams,
  lastEventIdHeaders,
  logQuery,
  maintenanceBody,
  releasePageSchema,
  rollbackBody,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import { pipeEventStream, trackStreams, type SseMessage } from '../../http/sse.js';
import type { DeploymentLogService, LogEvent } from './deployment-log.service.js';
import type { DeploymentStore } from './deployment-store.js';
import type { DeploymentService } from './deployments.service.js';

export interface DeploymentRouteDeps {
  deployments: DeploymentService;
  store: DeploymentStore;
  logs: DeploymentLogService;
}

const environment = { type: 'environment', in: 'params', key: 'id' } as const;
const deployment = { type: 'deployment', in: 'params', key: 'id' } as const;
const tags = ['deployments'];

/** The trigger name of a request: a person in the UI, or a token (CLI, CI). */
function triggerOf(req: { actor?: { kind: string } | undefined }): string {
  return req.actor?.kind === 'token' ? 'api' : 'manual';
}

/** Log events as Server-Sent Events: `log` with the line's seq as id (resume point), then `end`. */
async function* logMessages(events: AsyncIterable<LogEvent>): AsyncGenerator<SseMessage> {
  for await (const e of events) yield e.kind === 'line' ? { id: e.line.seq, event: 'log', data: e.line } : { event: 'end', data: { status: e.status } };
}

/** Deployments, their logs, approvals, releases, rollback and maintenance mode. */
export function registerDeploymentRoutes(app: HttpApp, d: DeploymentRouteDeps): void {
  const streams = trackStreams(app);

  app.get('/api/v1/environments/:id/deployments', {
    config: { access: { action: 'deployment.read', resource: environment } },
    schema: { tags, summary: 'Deployments of an environment, newest first', params: idParams, querystring: deploymentListQuery, response: { 200: deploymentPageSchema } },
  }, async (req) => d.deployments.list(req.params.id, req.query));

  app.post('/api/v1/environments/:id/deployments', {
    config: { access: { action: 'deployment.create', resource: environment } },
    schema: { tags, summary: "Deploy the environment's branch (or a ref); runs as a job, one at a time per environment", params: idParams, body: deploymentCreateBody.prefault({}), response: { 202: deploymentSchema } },
  }, async (req, reply) => reply.code(202).send(await d.deployments.create(req.ctx, req.params.id, req.body, triggerOf(req))));

  app.get('/api/v1/deployments/:id', {
    config: { access: { action: 'deployment.read', resource: deployment } },
    schema: { tags, summary: 'Status and steps with timings and exit codes', params: idParams, response: { 200: deploymentSchema } },
  }, async (req) => d.store.present(req.params.id));

  app.get('/api/v1/deployments/:id/logs', {
    config: { access: { action: 'deployment.read', resource: deployment } },
    schema: {
      tags,
      summary: 'Log lines as JSON lines ({seq, at, step, stream, line}); with Accept: text/event-stream, a live stream resuming after Last-Event-ID (= seq)',
      params: idParams,
      querystring: logQuery,
      headers: lastEventIdHeaders,
    },
  }, async (req, reply) => {
    const id = req.params.id;
    const after = req.headers['last-event-id'] ?? req.query.after;
    if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
      const lines = await d.logs.lines(id, after, req.query.limit);
      return reply.type('application/x-ndjson; charset=utf-8').send(lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
    }
    return pipeEventStream(req, reply, async (signal) => logMessages(await d.logs.follow(id, after, signal)), { streams });
  });

  app.post('/api/v1/deployments/:id/cancel', {
    config: { access: { action: 'deployment.cancel', resource: deployment } },
    schema: { tags, summary: 'Cancel in any state; a running deployment stops, cleans up and the previous release keeps serving', params: idParams, response: { 200: deploymentSchema } },
  }, async (req) => d.deployments.cancel(req.ctx, req.params.id));

  app.post('/api/v1/deployments/:id/approve', {
    config: { access: { action: 'deployment.approve', resource: deployment } },
    schema: { tags, summary: 'Approve a deployment awaiting approval (admins)', params: idParams, response: { 200: deploymentSchema } },
  }, async (req) => d.deployments.approve(req.ctx, req.params.id));

  app.post('/api/v1/deployments/:id/reject', {
    config: { access: { action: 'deployment.approve', resource: deployment } },
    schema: { tags, summary: 'Reject a deployment awaiting approval (admins)', params: idParams, body: deploymentRejectBody.prefault({}), response: { 200: deploymentSchema } },
  }, async (req) => d.deployments.reject(req.ctx, req.params.id, req.body.reason));

  app.get('/api/v1/environments/:id/releases', {
    config: { access: { action: 'deployment.read', resource: environment } },
    schema: { tags, summary: 'Releases: commit, author, message, path, config hash, status', params: idParams, response: { 200: releasePageSchema } },
  }, async (req) => ({ data: await d.deployments.releases(req.params.id), nextCursor: null }));

  app.post('/api/v1/environments/:id/rollback', {
    config: { access: { action: 'deployment.create', resource: environment } },
    schema: { tags, summary: 'Re-activate a kept release with one atomic switch (default: the previous good one)', params: idParams, body: rollbackBody.prefault({}), response: { 202: deploymentSchema } },
  }, async (req, reply) => reply.code(202).send(await d.deployments.rollback(req.ctx, req.params.id, req.body.releaseId)));

  app.post('/api/v1/environments/:id/maintenance', {
    config: { access: { action: 'environment.write', resource: environment } },
    schema: { tags, summary: 'Maintenance mode on or off: nginx answers 503 while on', params: idParams, body: maintenanceBody, response: { 200: environmentSchema } },
  }, async (req) => d.deployments.maintenance(req.ctx, req.params.id, req.body.enabled));
}
