/**
 * Fuzzes every operation of the OpenAPI document with bad bodies, path
 * parameters, query strings and headers (deterministic seed, bounded count),
 * as the owner's session, the owner's token and anonymously. Whatever comes
 * in, the answer is never a 5xx, and every error is problem+json with the
 * security headers and the request id (as test/identity/security-headers.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/lib/logger.js';
import { createToken, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

interface Operation {
  method: string;
  path: string;
  params: string[];
  bodyProps: string[];
  hasBody: boolean;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: SchemaRef }> } }>>;
  components?: { schemas?: Record<string, SchemaRef> };
}
interface SchemaRef {
  $ref?: string;
  properties?: Record<string, unknown>;
}

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261203;
const CASES_PER_OPERATION = 14;

const badStrings = ['', 'a\0b', 'line\r\nX-Injected: 1', '\uD800', 'x'.repeat(100_000), '../../etc/passwd', "'; drop table users; --", '<script>alert(1)</script>', '%00', '💥'.repeat(50)];
const badValues: unknown[] = [...badStrings, null, 0, -1, 1e308, true, [], {}, [1, 2, 3], { $ne: null }, { __proto__: { admin: true } }];
const badPathParams = ['x'.repeat(300), '%00', '..%2F..%2Fetc', '%E0%A4%A', "'%20or%201=1", '%F0%9F%92%A5', 'org_doesnotexist', '-1', '%0d%0aX-Injected:%201'];
const badQueries = ['limit=-1', 'limit=abc', 'limit=1e9', `cursor=${'c'.repeat(5000)}`, 'limit[]=1&limit[]=2', 'from=yesterday', 'organizationId=%00', 'q=%zz', 'action=%E0%A4%A', `${'k'.repeat(3000)}=1`];

/** JSON nested `depth` levels deep, written as text (JSON.stringify would recurse as deep). */
function nested(depth: number): string {
  return '{"a":['.repeat(depth / 2) + '"deep"' + ']}'.repeat(depth / 2);
}

type Who = 'session' | 'token' | 'anonymous';
interface Case {
  who: Who;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  label: string;
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let token: string;
  let ops: Operation[];
  beforeAll(async () => {
    t = await startTestApp('sqlite', { loginPerMinute: 100_000, env: { DEVFLOW_TOKEN_RATE_LIMIT: '100000', DEVFLOW_DNS_SERVERS: '127.0.0.1:9' } });
    owner = await setupOwner(t);
    token = await createToken(t, owner, ['admin']);
    const doc = (await t.request('GET', '/api/v1/openapi.json', { session: owner })).json as unknown as OpenApiDoc;
    const resolve = (s: SchemaRef | undefined): SchemaRef | undefined =>
      s?.$ref ? doc.components?.schemas?.[s.$ref.split('/').pop() ?? ''] : s;
    ops = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const schema = resolve(op.requestBody?.content?.['application/json']?.schema);
        ops.push({
          method: method.toUpperCase(),
          path,
          params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
          bodyProps: Object.keys(schema?.properties ?? {}),
          hasBody: method !== 'get',
        });
      }
    }
  });
  afterAll(async () => t?.close());

  /** A path with every parameter filled: the owner's organization for {id} of organizations, else junk. */
  function fillPath(op: Operation, rand: () => number, bad: boolean): string {
    return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (bad) return pick(rand, badPathParams);
      if (name === 'id' && op.path.startsWith('/api/v1/organizations/')) return owner.organizationId;
      return 'nothing_here';
    });
  }

  function badBody(op: Operation, rand: () => number): { payload: string; contentType: string; label: string } {
    const kind = Math.floor(rand() * 8);
    const json = (v: unknown, label: string) => ({ payload: JSON.stringify(v), contentType: 'application/json', label });
    switch (kind) {
      case 0:
        return json(pick(rand, [[], 'text', 42, null, true]), 'wrong top-level type');
      case 1:
        return json({}, 'missing fields');
      case 2: {
        const prop = op.bodyProps.length ? pick(rand, op.bodyProps) : 'name';
        return json({ [prop]: pick(rand, badValues) }, `bad ${prop}`);
      }
      case 3:
        return json(Object.fromEntries(op.bodyProps.map((p) => [p, pick(rand, badStrings)])), 'bad strings everywhere');
      case 4:
        return { payload: nested(5_000), contentType: 'application/json', label: 'deep nesting' };
      case 5:
        return { payload: pick(rand, ['{"a":', 'not json', '{"a":1}}', '\u0000', '[' .repeat(10_000)]), contentType: 'application/json', label: 'not JSON' };
      case 6:
        return { payload: 'name=x', contentType: pick(rand, ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']), label: 'other media type' };
      default:
        return json({ pad: 'x'.repeat(1_100_000) }, 'over the body limit');
    }
  }

  function casesFor(op: Operation, rand: () => number): Case[] {
    const cases: Case[] = [];
    for (let i = 0; i < CASES_PER_OPERATION; i++) {
      // The event stream stays open for an allowed caller: fuzz it without credentials only.
      const streams = op.path === '/api/v1/events' || op.path.endsWith('/logs');
      let who: Who = streams ? 'anonymous' : pick(rand, ['session', 'token', 'token', 'anonymous'] as const);
      // Ending the owner's session or every token would blind the rest of the walk.
      if (op.path === '/api/v1/auth/logout' || (op.method === 'DELETE' && op.path === '/api/v1/tokens')) who = 'anonymous';
      const kind = op.params.length ? i % 4 : i % 3;
      const headers: Record<string, string> = {};
      let url = fillPath(op, rand, false);
      let payload: string | undefined;
      let label: string;
      if (kind === 0) {
        if (op.hasBody) {
          const b = badBody(op, rand);
          payload = b.payload;
          headers['content-type'] = b.contentType;
          label = `body: ${b.label}`;
        } else {
          label = 'no body';
        }
      } else if (kind === 1) {
        url += `?${pick(rand, badQueries)}`;
        label = `query: ${url.split('?')[1]?.slice(0, 40) ?? ''}`;
      } else if (kind === 2) {
        const h = pick(rand, [
          ['authorization', 'Bearer dfp_' + 'z'.repeat(40)],
          ['authorization', 'Basic dXNlcjpwYXNz'],
          ['authorization', 'Bearer'],
          ['x-csrf-token', 'wrong'],
          ['cookie', 'devflow_session=' + 'q'.repeat(500)],
          ['x-request-id', 'bad id with spaces'],
          ['content-type', 'application/json; charset=utf-7'],
          ['accept', 'text/html'],
          ['x-forwarded-for', '1.2.3.4, ::1, not-an-ip'],
        ] as const);
        headers[h[0]] = h[1];
        if (h[0] === 'authorization') who = 'anonymous';
        label = `header: ${h[0]}`;
        if (op.hasBody) {
          payload = '{}';
          headers['content-type'] ??= 'application/json';
        }
      } else {
        url = fillPath(op, rand, true);
        label = `path: ${url.slice(0, 60)}`;
      }
      if (who === 'token' && !headers.authorization) headers.authorization = `Bearer ${token}`;
      if (who === 'session') {
        headers.cookie = `devflow_session=${owner.cookie}`;
        headers['x-csrf-token'] ??= owner.csrfToken;
      }
      cases.push({ who, url, headers, payload, label });
    }
    return cases;
  }

  it('answers no 5xx, and every error as problem+json with the security headers and request id', { timeout: 60_000 }, async () => {
    expect(ops.length).toBeGreaterThan(50);
    const rand = prng(SEED);
    const failures: string[] = [];
    let sent = 0;
    for (const op of ops) {
      for (const c of casesFor(op, rand)) {
        const res = await t.app.http!.inject({ method: op.method as 'GET', url: c.url, headers: c.headers, payload: c.payload });
        sent++;
        const where = `${op.method} ${op.path} [${c.who}; ${c.label}] → ${res.statusCode}`;
        if (res.statusCode >= 500) failures.push(`${where}: ${res.body.slice(0, 200)}`);
        if (res.headers['x-content-type-options'] !== 'nosniff' || !String(res.headers['content-security-policy'] ?? '').includes("default-src 'self'")) {
          failures.push(`${where}: missing security headers`);
        }
        if (res.statusCode < 400) continue;
        if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
          failures.push(`${where}: ${String(res.headers['content-type'])} ${res.body.slice(0, 120)}`);
          continue;
        }
        const body = JSON.parse(res.body) as { status?: number; code?: string; type?: string; requestId?: string };
        if (body.status !== res.statusCode || !body.code || !body.type?.startsWith('urn:devflow:problem:')) failures.push(`${where}: not a problem document ${res.body.slice(0, 120)}`);
        if (!body.requestId || body.requestId !== res.headers['x-request-id']) failures.push(`${where}: request id missing or different`);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBe(ops.length * CASES_PER_OPERATION);
    // The walk did not lock the owner out: the session and the token still work.
    expect((await t.request('GET', '/api/v1/me', { session: owner })).status).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('still refuses, at start-up, an API route that declares no access rule', async () => {
    const app = await createHttpApp({ logger: createLogger('silent'), trustProxy: false, version: 'test' });
    expect(() => app.get('/api/v1/forgotten', async () => ({}))).toThrow(/declares no access rule/);
    await app.close();
  });
});
