import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createToken, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';

describe('API tokens', () => {
  let t: TestApp;
  let now = Date.parse('2026-11-27T10:00:00Z');
  let owner: Session & { organizationId: string };
  beforeAll(async () => {
    t = await startTestApp('sqlite', { clock: () => now });
    owner = await setupOwner(t);
  });
  afterAll(async () => t?.close());

  it('is shown once with a recognisable prefix and stored only as a hash', async () => {
    const res = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'ci', abilities: ['read', 'deploy'] } });
    expect(res.status).toBe(201);
    const token = String(res.json.token);
    expect(token).toMatch(/^dfp_[A-Za-z0-9_-]{40}$/);
    const list = await t.request('GET', '/api/v1/tokens', { session: owner });
    expect(list.text).not.toContain(token);
    const rows = await t.app.db.kysely.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const me = await t.request('GET', '/api/v1/me', { token });
    expect(me.json.via).toBe('token');
    const used = await t.request('GET', '/api/v1/tokens', { session: owner });
    expect(used.json.data?.find((x) => x.id === res.json.id)?.lastUsedAt).toBe(new Date(now).toISOString());
  });

  it('narrows the role by its abilities and never widens it', async () => {
    const read = await createToken(t, owner, ['read']);
    expect((await t.request('GET', `/api/v1/organizations/${owner.organizationId}/members`, { token: read })).status).toBe(200);
    const patch = await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}`, { token: read, body: { name: 'Renamed' } });
    expect(patch.status).toBe(403);
    expect(patch.json.code).toBe('auth.ability_missing');
    expect((await t.request('GET', '/metrics', { token: read })).status).toBe(403);
    const metrics = await createToken(t, owner, ['metrics:read']);
    const m = await t.request('GET', '/metrics', { token: metrics });
    expect(m.status).toBe(200);
    expect(m.text).toContain('devflow_jobs');
    expect(m.text).toContain('devflow_http_request_duration_seconds');

    const viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    const mighty = await createToken(t, viewer, ['admin']);
    const denied = await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}`, { token: mighty, body: { name: 'Mine now' } });
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe('auth.forbidden');
    // A token cannot mint a stronger token.
    const escalate = await t.request('POST', '/api/v1/tokens', { token: read, body: { name: 'x', abilities: ['write'] } });
    expect(escalate.status).toBe(403);
  });

  it('answers 401 once revoked or expired', async () => {
    const soon = new Date(now + 3_600_000).toISOString();
    const expiring = await createToken(t, owner, ['read'], { expiresAt: soon });
    expect((await t.request('GET', '/api/v1/me', { token: expiring })).status).toBe(200);
    now += 2 * 3_600_000;
    const expired = await t.request('GET', '/api/v1/me', { token: expiring });
    expect(expired.status).toBe(401);
    expect(expired.json.code).toBe('auth.token_expired');

    const s = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD } });
    const session = { cookie: String(s.headers['set-cookie']).split(';')[0]?.split('=')[1] ?? '', csrfToken: String(s.json.csrfToken), userId: owner.userId };
    const created = await t.request('POST', '/api/v1/tokens', { session, body: { name: 'tmp', abilities: ['read'] } });
    const token = String(created.json.token);
    expect((await t.request('DELETE', `/api/v1/tokens/${String(created.json.id)}`, { session })).status).toBe(204);
    const revoked = await t.request('GET', '/api/v1/me', { token });
    expect(revoked.status).toBe(401);
    expect(revoked.json.code).toBe('auth.token_revoked');
    expect((await t.request('GET', '/api/v1/me', { token: 'dfp_' + 'x'.repeat(40) })).status).toBe(401);
  });
});

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('records every change and every sign-in, with no secret in it', async () => {
    const owner = await setupOwner(t);
    await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: 'a wrong password!!' } });
    const tok = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'deploy bot', abilities: ['deploy'] } });
    const dev = await addMember(t, owner, 'dev@example.test', 'developer');
    await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}/members/${dev.userId}`, { session: owner, body: { role: 'viewer' } });
    await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}`, { session: owner, body: { name: 'Acme Corp' } });
    await t.request('POST', '/api/v1/me/password', { session: dev, body: { currentPassword: TEST_PASSWORD, newPassword: 'another long passphrase' } });
    await t.request('POST', '/api/v1/me/totp', { session: owner });

    const res = await t.request('GET', `/api/v1/audit-events?organizationId=${owner.organizationId}&limit=200`, { session: owner });
    expect(res.status).toBe(200);
    const all = await t.app.db.kysely.selectFrom('audit_events').selectAll().execute();
    const actions = all.map((a) => a.action);
    for (const a of ['auth.setup', 'auth.login', 'auth.login_failed', 'token.create', 'invitation.create', 'invitation.accept', 'member.update', 'organization.update', 'auth.password_changed', 'auth.totp_enrolment_started']) {
      expect(actions, a).toContain(a);
    }
    const failed = all.find((a) => a.action === 'auth.login_failed');
    expect(failed?.ip).toBe('127.0.0.1');
    const dump = JSON.stringify(all);
    for (const secret of [TEST_PASSWORD, 'a wrong password!!', 'another long passphrase', String(tok.json.token)]) {
      expect(dump).not.toContain(secret);
    }
    const update = res.json.data?.find((e) => e.action === 'organization.update');
    expect(update?.diff).toEqual({ before: { name: 'Acme', requireTwoFactor: false }, after: { name: 'Acme Corp' } });
    expect(update?.actorEmail).toBe('owner@example.test');

    const filtered = await t.request('GET', `/api/v1/audit-events?action=auth.&actor=owner@example.test`, { session: owner });
    expect(filtered.json.data?.length).toBeGreaterThan(0);
    expect(filtered.json.data?.every((e) => String(e.action).startsWith('auth.'))).toBe(true);
    const viewer = await t.request('GET', '/api/v1/audit-events', { session: dev });
    expect(viewer.status).toBe(403);
  });
});
