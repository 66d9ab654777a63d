import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

describe('names refuse NUL, CR/LF and lone surrogates with a field error', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    owner = await setupOwner(t);
  });
  afterAll(async () => t?.close());

  for (const [what, name] of [['NUL', 'Acme\0'], ['CR/LF', 'Acme\r\nX-Injected: 1'], ['a lone surrogate', 'Acme \uD800']] as const) {
    it(`refuses ${what} in an organization name and a token name`, async () => {
      // The attack that worked: these were stored and came back in logs, audit rows and headers.
      const org = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name } });
      expect(org.status).toBe(400);
      expect(org.json.code).toBe('request.validation');
      expect(org.json.errors).toEqual([expect.objectContaining({ field: 'body.name' })]);
      const renamed = await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}`, { session: owner, body: { name } });
      expect(renamed.status).toBe(400);
      const token = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name, abilities: ['read'] } });
      expect(token.status).toBe(400);
      expect(token.json.errors).toEqual([expect.objectContaining({ field: 'body.name' })]);
    });
  }

  it('still accepts names in any script, with emoji', async () => {
    const org = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Zürich 日本 🚀' } });
    expect(org.status).toBe(201);
    expect(org.json.name).toBe('Zürich 日本 🚀');
  });
});
