import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { addMember, createToken, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

// Token actors are cached for a few seconds (identity.guard.ts); every change must still apply to the very next request.
describe('cached token actors', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    owner = await setupOwner(t);
  });
  afterAll(async () => t?.close());

  const org = () => `/api/v1/organizations/${owner.organizationId}`;

  it('refuses a token on the request right after its revocation', async () => {
    const created = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'warm', abilities: ['read'] } });
    const token = String(created.json.token);
    for (let i = 0; i < 3; i++) expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await t.request('DELETE', `/api/v1/tokens/${String(created.json.id)}`, { session: owner })).status).toBe(204);
    const after = await t.request('GET', '/api/v1/me', { token });
    expect(after.status).toBe(401);
    expect(after.json.code).toBe('auth.token_revoked');
  });

  it('applies a role downgrade to the next write', async () => {
    const admin = await addMember(t, owner, 'admin@example.test', 'admin');
    const token = await createToken(t, admin, ['read', 'write', 'admin']);
    expect((await t.request('GET', `${org()}/members`, { token })).status).toBe(200);
    const invite = (email: string) => t.request('POST', `${org()}/invitations`, { token, body: { email, role: 'viewer' } });
    expect((await invite('first@example.test')).status).toBe(201);
    expect((await t.request('PATCH', `${org()}/members/${admin.userId}`, { session: owner, body: { role: 'viewer' } })).status).toBe(200);
    const denied = await invite('second@example.test');
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe('auth.forbidden');
  });

  it('hides the organization on the next request after the member is removed', async () => {
    const dev = await addMember(t, owner, 'dev@example.test', 'developer');
    const token = await createToken(t, dev, ['read']);
    expect((await t.request('GET', org(), { token })).status).toBe(200);
    expect((await t.request('DELETE', `${org()}/members/${dev.userId}`, { session: owner })).status).toBe(204);
    expect((await t.request('GET', org(), { token })).status).toBe(404);
  });

  it('enforces a new two-factor requirement on the next request', async () => {
    const viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    const token = await createToken(t, viewer, ['read']);
    expect((await t.request('GET', org(), { token })).status).toBe(200);
    expect((await t.request('PATCH', org(), { session: owner, body: { requireTwoFactor: true } })).status).toBe(200);
    const blocked = await t.request('GET', org(), { token });
    expect(blocked.status).toBe(403);
    expect(blocked.json.code).toBe('auth.two_factor_required');
    expect((await t.request('PATCH', org(), { session: owner, body: { requireTwoFactor: false } })).status).not.toBe(500);
  });
});

// Two serve processes on one PostgreSQL database: a revocation in one reaches the other's cache through NOTIFY.
describe('cached token actors across processes (PostgreSQL)', () => {
  let t: TestApp;
  let other: App;
  beforeAll(async () => {
    t = await startTestApp('postgres');
    other = await createApp(loadConfig({ DEVFLOW_DATA_DIR: t.db.dataDir, DATABASE_URL: t.db.url, DEVFLOW_LOG_LEVEL: 'silent' }), { role: 'serve' });
    await other.http?.ready();
    await t.app.bus.start();
    await other.bus.start();
  });
  afterAll(async () => {
    await other?.stop();
    await t?.close();
  });

  it('refuses a revoked token in the other process well within the cache lifetime', async () => {
    const owner = await setupOwner(t);
    const created = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'pg', abilities: ['read'] } });
    const token = String(created.json.token);
    const me = () => other.http?.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me())?.statusCode).toBe(200);
    expect((await me())?.statusCode).toBe(200);
    expect((await t.request('DELETE', `/api/v1/tokens/${String(created.json.id)}`, { session: owner })).status).toBe(204);
    const start = Date.now();
    let status = (await me())?.statusCode;
    while (status !== 401 && Date.now() - start < 1000) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await me())?.statusCode;
    }
    expect(status).toBe(401);
  });
});
