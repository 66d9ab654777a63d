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
