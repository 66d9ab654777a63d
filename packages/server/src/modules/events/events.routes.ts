import { eventStreamQuery, lastEventIdHeaders } from '@devflow/contracts';
import type { FastifyRequest } from 'fastify';
import type { DevflowEvent, EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import { openEventStream } from '../../http/sse.js';

export interface EventsRouteDeps {
  bus: EventBus;
  /** Organizations whose events the caller may see; `all` for installation-wide viewers. */
  visibleOrganizations(req: FastifyRequest): Promise<ReadonlySet<string> | 'all'>;
  heartbeatMs?: number;
}

function frame(e: DevflowEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e })}\n\n`;
}

/** GET /api/v1/events: Server-Sent Events of what the caller may see, resuming after Last-Event-ID. */
export function registerEventRoutes(app: HttpApp, deps: EventsRouteDeps): void {
  // Open streams never end on their own: close them first, or shutting down waits for every browser tab.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/api/v1/events',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['events'],
        summary: 'Live event stream (text/event-stream); resumes from the Last-Event-ID header',
        querystring: eventStreamQuery,
        headers: lastEventIdHeaders,
      },
    },
    async (req, reply) => {
      const visible = await deps.visibleOrganizations(req);
      const allowed = (e: DevflowEvent) =>
        visible === 'all' || (e.organizationId !== null && visible.has(e.organizationId));
      let last = req.headers['last-event-id'] ?? req.query.lastEventId ?? Number.NaN;
      const write = openEventStream(req, reply);
      const raw = reply.raw;
      // Buffer live events while replaying, so none is lost or sent twice.
      const pending: DevflowEvent[] = [];
      let replaying = true;
      const send = (e: DevflowEvent) => {
        if (e.id <= last || !allowed(e)) return;
        last = e.id;
        write(frame(e));
      };
      const unsubscribe = deps.bus.subscribe((e) => (replaying ? pending.push(e) : send(e)));
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
      const end = () => {
        open.delete(end);
        clearInterval(heartbeat);
        unsubscribe();
        if (!raw.writableEnded) raw.end();
      };
      open.add(end);
      req.raw.on('close', end);
      if (Number.isFinite(last)) {
        for (;;) {
          const batch = await deps.bus.since(last, 500);
          for (const e of batch) {
            if (allowed(e)) write(frame(e));
            last = e.id;
          }
          if (batch.length < 500) break;
        }
      } else {
        // A new stream starts now: only events published after the subscription are sent.
        last = 0;
      }
      replaying = false;
      for (const e of pending) send(e);
    },
  );
}
