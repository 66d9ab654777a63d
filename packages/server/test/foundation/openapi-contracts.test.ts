/**
 * Every success answer of the API is a named schema of @devflow/contracts:
 * in the OpenAPI document each 2xx JSON body is a `$ref` to a component, so
 * the web UI, the CLI and integrations read one shape by its name. A route
 * that declares an inline response schema fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

interface MediaType {
  schema?: { $ref?: string };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, MediaType> }> }>>;
  components?: { schemas?: Record<string, unknown> };
}

/** Routes whose success body is not JSON, with what they send instead. */
const NOT_JSON: Record<string, string> = {
  'GET /metrics': 'Prometheus text exposition',
  'GET /api/v1/events': 'text/event-stream',
  'GET /api/v1/deployments/{id}/logs': 'JSON lines, or text/event-stream',
};

/** The operations whose success answer is not a named component, each with the reason. */
function unnamedSuccessResponses(doc: OpenApiDocument): string[] {
  const components = new Set(Object.keys(doc.components?.schemas ?? {}));
  const problems: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const route = `${method.toUpperCase()} ${path}`;
      const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
      if (!success.length) problems.push(`${route}: no 2xx response`);
      for (const [status, response] of success) {
        const json = response.content?.['application/json'];
        if (status === '204') {
          if (response.content) problems.push(`${route} 204: declares a body`);
          continue;
        }
        if (!json) {
          if (!(route in NOT_JSON)) problems.push(`${route} ${status}: no JSON body schema`);
          continue;
        }
        const ref = json.schema?.$ref;
        const name = ref?.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : undefined;
        if (!name) problems.push(`${route} ${status}: inline schema (name it in @devflow/contracts with .meta({ id }))`);
        else if (!components.has(name)) problems.push(`${route} ${status}: $ref to missing component ${name}`);
      }
    }
  }
  return problems;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('names the schema of every success response', async () => {
    const res = await t.request('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as OpenApiDocument;
    expect(Object.keys(doc.paths).length).toBeGreaterThan(50);
    expect(unnamedSuccessResponses(doc)).toEqual([]);
    // The named components are the contracts' names.
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['ServerPage', 'ServerDetail', 'ProvisionLogPage', 'SetupStatus', 'InvitationAccepted', 'WebhookOutcome', 'Health']),
    );
  });

  it('reports an inline response, a missing 2xx and a body on 204', () => {
    const doc: OpenApiDocument = {
      paths: {
        '/a': { get: { responses: { 200: { content: { 'application/json': { schema: {} } } } } } },
        '/b': { post: { responses: { 400: {} } } },
        '/c': { delete: { responses: { 204: { content: { 'application/json': { schema: {} } } } } } },
        '/d': { get: { responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Gone' } } } } } } },
      },
      components: { schemas: {} },
    };
    expect(unnamedSuccessResponses(doc)).toEqual([
      'GET /a 200: inline schema (name it in @devflow/contracts with .meta({ id }))',
      'POST /b: no 2xx response',
      'DELETE /c 204: declares a body',
      'GET /d 200: $ref to missing component Gone',
    ]);
  });
});
