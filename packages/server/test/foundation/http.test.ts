/**
 * The HTTP edge as a client sees it: problem+json errors that name the bad
 * fields, 404s for unknown routes, a valid OpenAPI 3.1 document, and /healthz.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { App } from '../../src/app.js';
import { dialects } from '../support/databases.js';
import { harnessed, type Harness } from './support/harness.js';

const deploySchema = z.object({
  branch: z.string().min(1),
  replicas: z.number().int().min(1).max(10),
  healthCheck: z.object({ path: z.string().startsWith('/'), port: z.number().int().max(65535) }),
});

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

describe.concurrent.each(dialects)('HTTP edge on %s', (kind) => {
  async function serve(h: Harness): Promise<App> {
    const db = await h.database(kind);
    const app = await h.app(db, { role: 'serve' });
    app.http!.post(
      '/api/v1/test/deploys',
      {
        config: { access: 'public' },
        schema: { tags: ['test'], summary: 'Test route with a zod body', body: deploySchema, response: { 200: deploySchema } },
      },
      async (req) => req.body,
    );
    return app;
  }

  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  };

  it('answers a malformed JSON body with 400 problem+json', harnessed(async (h) => {
    const app = await serve(h);
    const res = await app.http!.inject({
      method: 'POST',
      url: '/api/v1/test/deploys',
      headers: { 'content-type': 'application/json' },
      payload: '{"branch": "main", "replicas": ',
    });
    expectProblem(res, 400);
    const body = res.json<ProblemBody>();
    expect(body).toMatchObject({ status: 400, title: 'Bad Request', code: 'request.malformed_json' });
    expect(body.type).toMatch(/^urn:devflow:problem:/);
    expect(body.detail).toMatch(/not valid JSON/);
    expect(body.requestId).toBe(res.headers['x-request-id']);
  }));

  it('answers invalid fields with 400 problem+json naming each field', harnessed(async (h) => {
    const app = await serve(h);
    const res = await app.http!.inject({
      method: 'POST',
      url: '/api/v1/test/deploys',
      payload: { branch: '', replicas: 'many', healthCheck: { path: 'health', port: 70000 } },
    });
    expectProblem(res, 400);
    const body = res.json<ProblemBody>();
    expect(body.code).toBe('request.validation');
    const fields = (body.errors ?? []).map((e) => e.field).sort();
    expect(fields).toEqual(['body.branch', 'body.healthCheck.path', 'body.healthCheck.port', 'body.replicas']);
    for (const e of body.errors ?? []) expect(e.message.length).toBeGreaterThan(0);
    for (const f of fields) expect(body.detail).toContain(f);

    const missing = await app.http!.inject({ method: 'POST', url: '/api/v1/test/deploys', payload: { branch: 'main' } });
    expectProblem(missing, 400);
    expect(missing.json<ProblemBody>().errors?.map((e) => e.field).sort()).toEqual(['body.healthCheck', 'body.replicas']);

    const ok = await app.http!.inject({
      method: 'POST',
      url: '/api/v1/test/deploys',
      payload: { branch: 'main', replicas: 2, healthCheck: { path: '/up', port: 8080 } },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ branch: 'main', replicas: 2, healthCheck: { path: '/up', port: 8080 } });
  }));

  it('answers a body that is not JSON, or too large, with problem+json', harnessed(async (h) => {
    const app = await serve(h);
    const form = await app.http!.inject({
      method: 'POST',
      url: '/api/v1/test/deploys',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'branch=main',
    });
    expectProblem(form, 415);
    const big = await app.http!.inject({
      method: 'POST',
      url: '/api/v1/test/deploys',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ branch: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expectProblem(big, 413);
    expect(big.json<ProblemBody>().code).toBe('request.too_large');
  }));

  it('answers an unknown route with 404 problem+json', harnessed(async (h) => {
    const app = await serve(h);
    for (const url of ['/api/v1/nothing-here?x=1', '/no/such/page']) {
      const res = await app.http!.inject({ method: 'GET', url });
      expectProblem(res, 404);
      const body = res.json<ProblemBody>();
      expect(body).toMatchObject({ status: 404, code: 'route.not_found' });
      expect(body.detail).toContain(url.split('?')[0]);
    }
    const wrongMethod = await app.http!.inject({ method: 'DELETE', url: '/healthz' });
    expectProblem(wrongMethod, 404);
  }));

  it('serves an OpenAPI 3.1 document that validates and lists the routes with their schemas', harnessed(async (h) => {
    const app = await serve(h);
    const res = await app.http!.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>();
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/api/v1/events', '/api/v1/test/deploys']));
    expect(doc.paths['/api/v1/test/deploys']?.post?.requestBody).toBeDefined();
  }));

  it('answers /healthz with 200, the database in use and a request id', harnessed(async (h) => {
    const app = await serve(h);
    const res = await app.http!.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'probe-42' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('probe-42');
    expect(res.json()).toMatchObject({ status: 'ok', database: kind, version: expect.any(String) });
  }));
});
