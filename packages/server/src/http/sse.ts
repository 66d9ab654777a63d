import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Takes the response over for a Server-Sent Events stream: status and
 * headers (no caching, no proxy buffering), a 3 s reconnect hint, and a
 * writer that ignores writes once the stream has ended (client gone or
 * server closing), which would otherwise raise an error nobody listens to.
 */
export function openEventStream(req: FastifyRequest, reply: FastifyReply): (text: string) => void {
  // Headers the hooks set on the reply (security headers) do not reach a hijacked response by themselves.
  const set = reply.getHeaders();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(set as Record<string, string | number | string[]>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': req.id,
  });
  raw.write('retry: 3000\n\n');
  return (text) => {
    if (!raw.writableEnded) raw.write(text);
  };
}

/** One Server-Sent Event: an optional id (what the client sends back as Last-Event-ID), a name and a JSON body. */
export interface SseMessage {
  id?: string | number;
  event: string;
  data: unknown;
}

/** Streams still open on an app, ended before it closes (open streams never end on their own: shutting down would wait for every browser tab). */
export class OpenStreams {
  private readonly stops = new Set<() => void>();

  /** Adds a stream's stop function; returns the function that removes it. */
  add(stop: () => void): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }

  /** Stops every open stream. */
  closeAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}

/** Where one app's streams are tracked, with the hook that ends them when it closes. */
export function trackStreams(app: { addHook(name: 'preClose', fn: () => Promise<void>): unknown }): OpenStreams {
  const streams = new OpenStreams();
  app.addHook('preClose', async () => streams.closeAll());
  return streams;
}

function frame(m: SseMessage): string {
  return `${m.id !== undefined ? `id: ${m.id}\n` : ''}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}

/**
 * Sends what `source` resolves to as a Server-Sent Events stream, with a comment
 * line every `heartbeatMs` so proxies keep an idle stream open. The signal
 * given to `source` aborts when the client disconnects or the server closes;
 * the response ends when the source ends, or with the signal. A source that
 * fails ends the stream: the client reconnects with its Last-Event-ID.
 */
export async function pipeEventStream(
  req: FastifyRequest,
  reply: FastifyReply,
  source: (signal: AbortSignal) => Promise<AsyncIterable<SseMessage>>,
  opts: { streams: OpenStreams; heartbeatMs?: number },
): Promise<void> {
  const stopped = new AbortController();
  // Before the stream opens: an error here (unknown resource) is still answered as a problem.
  const messages = await source(stopped.signal);
  const write = openEventStream(req, reply);
  const stop = () => {
    stopped.abort();
    // At once, not when the source next wakes: a closing server waits for every open response.
    if (!reply.raw.writableEnded) reply.raw.end();
  };
  req.raw.on('close', stop);
  reply.raw.on('close', stop);
  const untrack = opts.streams.add(stop);
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
  try {
    for await (const message of messages) {
      if (stopped.signal.aborted) break;
      write(frame(message));
    }
  } catch (err) {
    if (!stopped.signal.aborted) req.log.warn({ err }, 'event stream source failed');
  } finally {
    clearInterval(heartbeat);
    untrack();
    req.raw.off('close', stop);
    reply.raw.off('close', stop);
    if (!reply.raw.writableEnded) reply.raw.end();
  }
}
