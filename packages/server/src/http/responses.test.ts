import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../lib/logger.js';
import { createHttpApp, type HttpApp } from './app.js';

const user = z.object({ id: z.string(), email: z.string(), role: z.enum(['owner', 'member']), lastSeen: z.string().nullable() });

describe('responses through the route schema, and the access log', () => {
  let app: HttpApp;
  let lines: Record<string, unknown>[];

  beforeEach(async () => {
    lines = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    app = await createHttpApp({ logger: createLogger('info', stream), trustProxy: false, version: 'test' });
    const route = { config: { access: 'public' as const }, schema: { response: { 200: z.object({ data: z.array(user) }) } } };
    // What a presenter might return by mistake: a field the schema does not declare.
    const leaked = { id: 'u1', email: 'a@example.test', role: 'owner' as const, lastSeen: null, passwordHash: '$argon2id$secret' };
    app.get('/api/v1/leaky', route, async () => ({ data: [leaked] }));
    // A role the schema does not know, as a handler bug would produce it (the type is defeated on purpose).
    app.get('/api/v1/broken', route, async () => ({ data: [{ id: 'u1', email: 'a@example.test', role: 'admin' as 'owner', lastSeen: null }] }));
  });

  afterEach(async () => app.close());

  it('sends only the fields the schema declares', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/leaky' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: [{ id: 'u1', email: 'a@example.test', role: 'owner', lastSeen: null }] });
    expect(res.body).not.toContain('argon2');
  });

  it('answers 500 problem+json, and logs why, when the response does not match its schema', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/broken' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'internal', requestId: res.headers['x-request-id'] });
    expect(lines.some((l) => l.msg === 'response did not match its schema')).toBe(true);
  });

  it('logs one access line per request, with method, URL, status and time', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/leaky?x=1' });
    await app.inject({ method: 'GET', url: '/nowhere' });
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ level: 30, method: 'GET', url: '/api/v1/leaky?x=1', statusCode: 200 });
    expect(access[1]).toMatchObject({ url: '/nowhere', statusCode: 404 });
    expect(typeof access[0]?.ms).toBe('number');
    expect(typeof access[0]?.reqId).toBe('string');
    expect(lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toEqual([]);
  });
});
