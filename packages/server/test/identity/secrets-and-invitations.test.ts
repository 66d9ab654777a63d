import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createToken, login, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';

describe('invitations can be revoked; secrets are not cached; a password change says what happens to tokens', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  beforeAll(async () => {
    t = await startTestApp('sqlite', { loginPerMinute: 1000 });
    owner = await setupOwner(t);
  });
  afterAll(async () => t?.close());

  const invite = async (email: string) => {
    const res = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email, role: 'developer' } });
    expect(res.status).toBe(201);
    return { id: String(res.json.id), token: String(res.json.url).split('#')[1] };
  };

  it('revokes a pending invitation: its link stops working, and the revocation is audited', async () => {
    const inv = await invite('leaked@example.test');
    const listed = await t.request('GET', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner });
    expect((listed.json.data ?? []).map((i) => i.id)).toContain(inv.id);

    const del = await t.request('DELETE', `/api/v1/organizations/${owner.organizationId}/invitations/${inv.id}`, { session: owner });
    expect(del.status).toBe(204);
    // The attack that worked: a link sent to the wrong address could not be taken back.
    const accept = await t.request('POST', '/api/v1/invitations/accept', { body: { token: inv.token, name: 'Eve', password: TEST_PASSWORD } });
    expect(accept.status).toBe(422);
    expect(accept.json.code).toBe('invitation.invalid');
    const after = await t.request('GET', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner });
    expect((after.json.data ?? []).map((i) => i.id)).not.toContain(inv.id);
    const audit = await t.request('GET', `/api/v1/audit-events?organizationId=${owner.organizationId}&action=invitation.revoke`, { session: owner });
    expect((audit.json.data ?? []).map((e) => e.targetId)).toEqual([inv.id]);
    // Twice is a 404, not a second audit row.
    expect((await t.request('DELETE', `/api/v1/organizations/${owner.organizationId}/invitations/${inv.id}`, { session: owner })).status).toBe(404);
  });

  it('lets only admins revoke, and never another organization\'s invitation', async () => {
    const inv = await invite('pending@example.test');
    const dev = await addMember(t, owner, 'dev@example.test', 'developer');
    const byDev = await t.request('DELETE', `/api/v1/organizations/${owner.organizationId}/invitations/${inv.id}`, { session: dev });
    expect(byDev.status).toBe(403);
    const other = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Other' } });
    const otherOrg = String(other.json.id);
    const crossed = await t.request('DELETE', `/api/v1/organizations/${otherOrg}/invitations/${inv.id}`, { session: owner });
    expect(crossed.status).toBe(404);
    const readOnly = await createToken(t, owner, ['read']);
    expect((await t.request('DELETE', `/api/v1/organizations/${owner.organizationId}/invitations/${inv.id}`, { token: readOnly })).status).toBe(403);
    // The invitation still works for its addressee.
    const accept = await t.request('POST', '/api/v1/invitations/accept', { body: { token: inv.token, name: 'Pat', password: TEST_PASSWORD } });
    expect(accept.status).toBe(200);
  });

  it('answers every response that carries a secret with Cache-Control: no-store', async () => {
    const tok = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'ci', abilities: ['read'] } });
    expect(tok.status).toBe(201);
    expect(tok.headers['cache-control']).toBe('no-store');
    const s = await login(t, 'pending@example.test');
    const begin = await t.request('POST', '/api/v1/me/totp', { session: s });
    expect(begin.status).toBe(200);
    expect(begin.headers['cache-control']).toBe('no-store');
    const inv = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email: 'x@example.test', role: 'viewer' } });
    expect(inv.headers['cache-control']).toBe('no-store');
    const refused = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: '' } });
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('says that a password change keeps API tokens, and revokes them all when asked', async () => {
    const s = await login(t, 'dev@example.test');
    const token = await createToken(t, s, ['read']);
    const kept = await t.request('POST', '/api/v1/me/password', { session: s, body: { currentPassword: TEST_PASSWORD, newPassword: 'a second long passphrase' } });
    expect(kept.status).toBe(200);
    expect(kept.json).toMatchObject({ tokensRevoked: 0, tokensKept: 1 });
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);

    const revoked = await t.request('POST', '/api/v1/me/password', {
      session: s,
      body: { currentPassword: 'a second long passphrase', newPassword: TEST_PASSWORD, revokeTokens: true },
    });
    expect(revoked.json).toMatchObject({ tokensRevoked: 1, tokensKept: 0 });
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(401);
  });

  it('revokes every token of the caller from a session, never from a token', async () => {
    const s = await login(t, 'dev@example.test');
    const a = await createToken(t, s, ['read']);
    const b = await createToken(t, s, ['write']);
    const ownerToken = await createToken(t, owner, ['read']);
    const fromToken = await t.request('DELETE', '/api/v1/tokens', { token: b });
    expect(fromToken.status).toBe(403);
    const all = await t.request('DELETE', '/api/v1/tokens', { session: s });
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ revoked: 2 });
    expect((await t.request('GET', '/api/v1/me', { token: a })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/me', { token: b })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/me', { token: ownerToken })).status).toBe(200);
  });
});
