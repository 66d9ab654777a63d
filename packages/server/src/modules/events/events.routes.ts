import { eventStreamQuery, lastEventIdHeaders } from '@devflow/contracts';
import type { DevflowEvent, EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import { openEventStream } from '../../http/sse.js';
import { AppError } from '../../lib/errors.js';
import type { Actor } from '../identity/index.js';
import type { EventAccess } from './event-access.js';

export interface EventsRouteDeps {
  bus: EventBus;
  /** Who may see which event; undefined only when the guard was replaced (tests of the edge alone): everything. */
  access: EventAccess | undefined;
  heartbeatMs?: number;
  /** How often an open stream reads its caller's credentials and grants again (default 5 s), for changes made outside the API; API changes trigger it at once. */
  recheckMs?: number;
}

/** Everything that decides what an actor may see, as one comparable string. */
function grantsOf(a: Actor): string {
  const orgs = [...a.memberships].map(([id, m]) => `${id}:${m.role}:${m.projectIds ? [...m.projectIds].sort().join(',') : '*'}`);
  return `${orgs.sort().join(';')}|${a.abilities ? [...a.abilities].sort().join(',') : 'session'}`;
}

function frame(e: DevflowEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e })}\n\n`;
}

/**
 * GET /api/v1/events: Server-Sent Events of what the caller may see, resuming
 * after Last-Event-ID. Each event is shown only if the REST read of what it is
 * about would be allowed; the stream ends within seconds once its token or
 * session no longer holds or its grants change (the client reconnects under
 * the new grants and resumes from its last id).
 */
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
        summary: 'Live event stream (text/event-stream) of what the caller may read; resumes from the Last-Event-ID header',
        querystring: eventStreamQuery,
        headers: lastEventIdHeaders,
      },
    },
    async (req, reply) => {
      if (!req.actor && deps.access) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
      let actor = req.actor as Actor;
      const access = deps.access;
      const visible = async (e: DevflowEvent) => !access || (await access.canSee(actor, e));
      let last = req.headers['last-event-id'] ?? req.query.lastEventId ?? Number.NaN;
      const write = openEventStream(req, reply);
      const raw = reply.raw;
      let ended = false;
      // Events go out one at a time, in order, each after its (possibly async) visibility check.
      let chain = Promise.resolve();
      const deliver = async (e: DevflowEvent) => {
        if (ended || e.id <= last) return;
        last = e.id;
        if (await visible(e)) write(frame(e));
      };
      const enqueue = (e: DevflowEvent) => {
        chain = chain.then(() => deliver(e)).catch((err: unknown) => fail(err));
      };
      // Buffer live events while replaying, so none is lost or sent twice.
      const pending: DevflowEvent[] = [];
      let replaying = true;
      const unsubscribe = deps.bus.subscribe((e) => (replaying ? pending.push(e) : enqueue(e)));
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
      const recheckTimer = access ? setInterval(() => recheck(), deps.recheckMs ?? 5000) : undefined;
      const unwatch = access ? deps.bus.onIdentitySignal(() => recheck()) : undefined;
      const end = () => {
        ended = true;
        open.delete(end);
        clearInterval(heartbeat);
        clearInterval(recheckTimer);
        unwatch?.();
        unsubscribe();
        if (!raw.writableEnded) raw.end();
      };
      // A failed check ends the stream rather than skip an event: the client resumes from its last id.
      const fail = (err: unknown) => {
        req.log.warn({ err }, 'event stream ended after an error');
        end();
      };
      // Re-reads the caller (coalesced): a revoked token, ended session or removed user ends the stream.
      let checking = false;
      let again = false;
      const recheck = () => {
        if (!access || ended) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        void (async () => {
          do {
            again = false;
            const next = await access.refresh(actor);
            // Gone, or grants changed: end, and the client's reconnect (with Last-Event-ID) resumes under what holds now.
            if (!next || grantsOf(next) !== grantsOf(actor)) return end();
            actor = next;
          } while (again && !ended);
        })()
          .catch((err: unknown) => fail(err))
          .finally(() => {
            checking = false;
          });
      };
      open.add(end);
      req.raw.on('close', end);
      try {
        if (Number.isFinite(last)) {
          for (;;) {
            const batch = await deps.bus.since(last, 500);
            for (const e of batch) {
              if (ended) return;
              if (await visible(e)) write(frame(e));
              last = e.id;
            }
            if (batch.length < 500) break;
          }
        } else {
          // A new stream starts now: only events published after the subscription are sent.
          last = 0;
        }
      } catch (err) {
        return fail(err);
      }
      replaying = false;
      for (const e of pending) enqueue(e);
    },
  );
}
