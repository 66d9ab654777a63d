import { TOTP, Secret } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../support/databases.js';
import { addMember, login, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';

function code(secret: string, at: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

describe.each(dialects)('sign-in and sessions (%s)', (dialect) => {
  let t: TestApp;
  let now = Date.parse('2026-11-27T10:00:00Z');
  let owner: Session & { organizationId: string };
  beforeAll(async () => {
    t = await startTestApp(dialect, { clock: () => now, loginPerMinute: 1000 });
    owner = await setupOwner(t);
  });
  afterAll(async () => t?.close());

  it('runs setup only once', async () => {
    const again = await t.request('POST', '/api/v1/auth/setup', {
      body: { email: 'second@example.test', password: TEST_PASSWORD, name: 'Second', organizationName: 'Other' },
    });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('auth.setup_done');
    expect(again.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses short and common passwords at setup-like flows', async () => {
    const inv = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email: 'weak@example.test', role: 'viewer' } });
    const token = String(inv.json.url).split('#')[1];
    const short = await t.request('POST', '/api/v1/invitations/accept', { body: { token, name: 'W', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.json.errors).toEqual([expect.objectContaining({ field: 'body.password' })]);
    const common = await t.request('POST', '/api/v1/invitations/accept', { body: { token, name: 'W', password: 'password1234' } });
    expect(common.status).toBe(400);
    expect(common.json.detail).toContain('too common');
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const wrong = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: 'not the password!' } });
    const unknown = await t.request('POST', '/api/v1/auth/login', { body: { email: 'nobody@example.test', password: 'not the password!' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.json)).toEqual(strip(unknown.json));
  });

  it('sets an HTTP-only SameSite=Lax cookie and expires idle and old sessions', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD } });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/);
    const s = await login(t, 'owner@example.test');
    expect((await t.request('GET', '/api/v1/me', { session: s })).status).toBe(200);
    now += 25 * 3_600_000; // idle for 25 h
    expect((await t.request('GET', '/api/v1/me', { session: s })).status).toBe(401);
    // Active every 12 h, a session still ends 14 days after sign-in.
    const active = await login(t, 'owner@example.test');
    for (let i = 0; i < 27; i++) {
      now += 12 * 3_600_000;
      expect((await t.request('GET', '/api/v1/me', { session: active })).status).toBe(200);
    }
    now += 12 * 3_600_000;
    expect((await t.request('GET', '/api/v1/me', { session: active })).status).toBe(401);
  });

  it('revokes the session on logout and the other sessions on password change', async () => {
    const a = await login(t, 'owner@example.test');
    const b = await login(t, 'owner@example.test');
    expect((await t.request('POST', '/api/v1/auth/logout', { session: a })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/me', { session: a })).status).toBe(401);
    const c = await login(t, 'owner@example.test');
    const change = await t.request('POST', '/api/v1/me/password', { session: c, body: { currentPassword: TEST_PASSWORD, newPassword: 'an even better passphrase' } });
    expect(change.status).toBe(200);
    expect(change.json).toMatchObject({ tokensRevoked: 0, tokensKept: 0 });
    expect(change.json.sessionsRevoked).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', '/api/v1/me', { session: b })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/me', { session: c })).status).toBe(200);
    const back = await t.request('POST', '/api/v1/me/password', { session: c, body: { currentPassword: 'an even better passphrase', newPassword: TEST_PASSWORD } });
    expect(back.status).toBe(200);
  });

  it('refuses a cookie-authenticated change without the CSRF token', async () => {
    const s = await login(t, 'owner@example.test');
    const res = await t.request('POST', '/api/v1/tokens', { session: s, headers: { 'x-csrf-token': 'wrong' }, body: { name: 'x', abilities: ['read'] } });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('auth.csrf');
    const none = await t.request('POST', '/api/v1/tokens', { headers: { cookie: `devflow_session=${s.cookie}` }, body: { name: 'x', abilities: ['read'] } });
    expect(none.status).toBe(403);
  });

  it('enrols TOTP, signs in with a code, refuses a replay, and takes each recovery code once', async () => {
    const s = await login(t, 'owner@example.test');
    const begin = await t.request('POST', '/api/v1/me/totp', { session: s });
    expect(begin.status).toBe(200);
    const secret = String(begin.json.secret);
    expect(String(begin.json.otpauthUrl)).toMatch(/^otpauth:\/\/totp\/DevFlow%20Pro:owner%40example\.test\?/);
    const bad = await t.request('POST', '/api/v1/me/totp/confirm', { session: s, body: { code: '000000' === code(secret, now) ? '111111' : '000000' } });
    expect(bad.status).toBe(400);
    const confirm = await t.request('POST', '/api/v1/me/totp/confirm', { session: s, body: { code: code(secret, now) } });
    expect(confirm.status).toBe(200);
    const recovery = confirm.json.recoveryCodes as string[];
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);

    const needs = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD } });
    expect(needs.status).toBe(401);
    expect(needs.json.code).toBe('auth.totp_required');

    now += 30_000;
    const c1 = code(secret, now);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD, totp: c1 } })).status).toBe(200);
    const replay = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD, totp: c1 } });
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe('auth.invalid_second_factor');

    const rc = recovery[3] as string;
    expect((await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD, recoveryCode: rc.toUpperCase() } })).status).toBe(200);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD, recoveryCode: rc } })).status).toBe(401);

    // Disabling needs password and a fresh code.
    now += 30_000;
    const s2 = await login(t, 'owner@example.test', TEST_PASSWORD, { totp: code(secret, now) });
    now += 30_000;
    const wrongPw = await t.request('DELETE', '/api/v1/me/totp', { session: s2, body: { password: 'not the password!', code: code(secret, now) } });
    expect(wrongPw.status).toBe(400);
    now += 30_000;
    const off = await t.request('DELETE', '/api/v1/me/totp', { session: s2, body: { password: TEST_PASSWORD, code: code(secret, now) } });
    expect(off.status).toBe(204);
    expect((await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD } })).status).toBe(200);
  });

  it("locks members out of the organization's resources, but not enrolment, when it requires 2FA", async () => {
    const fresh = await login(t, 'owner@example.test');
    const dev = await addMember(t, { ...fresh, organizationId: owner.organizationId }, `dev-${dialect}@example.test`, 'developer');
    expect((await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}`, { session: fresh, body: { requireTwoFactor: true } })).status).toBe(200);
    const blocked = await t.request('GET', `/api/v1/organizations/${owner.organizationId}`, { session: dev });
    expect(blocked.status).toBe(403);
    expect(blocked.json.code).toBe('auth.two_factor_required');
    const me = await t.request('GET', '/api/v1/me', { session: dev });
    expect(me.status).toBe(200);
    expect(me.json.twoFactorRequired).toBe(true);
    const begin = await t.request('POST', '/api/v1/me/totp', { session: dev });
    expect(begin.status).toBe(200);
    const confirm = await t.request('POST', '/api/v1/me/totp/confirm', { session: dev, body: { code: code(String(begin.json.secret), now) } });
    expect(confirm.status).toBe(200);
    expect((await t.request('GET', `/api/v1/organizations/${owner.organizationId}`, { session: dev })).status).toBe(200);
    // The owner is locked out too until enrolled; undo for the other tests.
    const ownerBlocked = await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}`, { session: fresh, body: { requireTwoFactor: false } });
    expect(ownerBlocked.status).toBe(403);
  });
});

describe('sign-in rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await setupOwner(t);
  });
  afterAll(async () => t?.close());

  it('answers the 11th rapid attempt with 429 problem+json and Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 11; i++) {
      last = await t.request('POST', '/api/v1/auth/login', { body: { email: `probe${i}@example.test`, password: 'not the password!' } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    expect(last?.headers['retry-after']).toBeDefined();
    expect(last?.headers['content-type']).toContain('application/problem+json');
  });
});
