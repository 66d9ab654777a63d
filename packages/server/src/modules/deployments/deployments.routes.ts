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
import { isTerminal } from '../../core/deploy/state-machine.js';
import type { EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import type { DeploymentStore } from './deployment-store.js';
import type { DeploymentService } from './deployments.service.js';
import { openEventStream } from '../../http/sse.js';

export interface DeploymentRouteDeps {
  deployments: DeploymentService;
  store: DeploymentStore;
  bus: EventBus;
  /** How often an open log stream looks for new lines besides events (ms). */
  pollMs?: number;
}

const environment = { type: 'environment', in: 'params', key: 'id' } as const;
const deployment = { type: 'deployment', in: 'params', key: 'id' } as const;
const tags = ['deployments'];

/** The trigger name of a request: a person in the UI, or a token (CLI, CI). */
function triggerOf(req: { actor?: { kind: string } | undefined }): string {
  return req.actor?.kind === 'token' ? 'api' : 'manual';
}

/** Deployments, their logs, approvals, releases, rollback and maintenance mode. */
export function registerDeploymentRoutes(app: HttpApp, d: DeploymentRouteDeps): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

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
    await d.store.get(id);
    const accept = String(req.headers.accept ?? '');
    let last = req.headers['last-event-id'] ?? req.query.after;
    if (!accept.includes('text/event-stream')) {
      const lines = await d.store.logLines(id, last, req.query.limit);
      return reply.type('application/x-ndjson; charset=utf-8').send(lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
    }
    const write = openEventStream(req, reply);
    const raw = reply.raw;
    let pumping = false;
    let again = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      open.delete(end);
      clearInterval(poll);
      clearInterval(heartbeat);
      unsubscribe();
      if (!raw.writableEnded) raw.end();
    };
    // One reader at a time; events and the poll only say "look again".
    const pump = async (): Promise<void> => {
      if (ended) return;
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          const rows = await d.store.logLines(id, last, 1000);
          for (const l of rows) {
            write(`id: ${l.seq}\nevent: log\ndata: ${JSON.stringify(l)}\n\n`);
            last = l.seq;
          }
          if (rows.length === 1000) again = true;
        } while (again && !ended);
        const dep = await d.store.find(id);
        if (!dep || isTerminal(dep.status)) {
          const more = await d.store.logLines(id, last, 1);
          if (!more.length) {
            write(`event: end\ndata: ${JSON.stringify({ status: dep?.status ?? 'missing' })}\n\n`);
            end();
          } else {
            again = true;
          }
        }
      } catch (err) {
        req.log.warn({ err }, 'log stream read failed');
      } finally {
        pumping = false;
      }
      if (again && !ended) await pump();
    };
    const unsubscribe = d.bus.subscribe((e) => {
      const p = e.payload as { deploymentId?: string } | null;
      if (p?.deploymentId === id) void pump();
    });
    const poll = setInterval(() => void pump(), d.pollMs ?? 1000);
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), 15_000);
    open.add(end);
    req.raw.on('close', end);
    await pump();
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
