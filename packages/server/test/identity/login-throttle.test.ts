import { TOTP, Secret } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';

function code(secret: string, at: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

/** Signs in from a given client address (the socket's, as no proxy is trusted). */
async function loginFrom(t: TestApp, address: string, body: Record<string, string>) {
  const res = await t.app.http!.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: address, payload: body });
  return { status: res.statusCode, json: res.json<Record<string, unknown>>(), headers: res.headers };
}

describe('sign-in throttle: a guesser slows itself, not the account owner', () => {
  let t: TestApp;
  let now = Date.parse('2026-11-27T10:00:00Z');
  let owner: Session & { organizationId: string };
  let totpSecret = '';
  beforeAll(async () => {
    t = await startTestApp('sqlite', { clock: () => now, loginPerMinute: 10_000 });
    owner = await setupOwner(t);
    await addMember(t, owner, 'dev@example.test', 'developer');
    const begin = await t.request('POST', '/api/v1/me/totp', { session: owner });
    totpSecret = String(begin.json.secret);
    const confirm = await t.request('POST', '/api/v1/me/totp/confirm', { session: owner, body: { code: code(totpSecret, now) } });
    expect(confirm.status).toBe(200);
  });
  afterAll(async () => t?.close());

  it('makes the guessing address wait, while the right password from another address gets in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await loginFrom(t, '198.51.100.7', { email: 'dev@example.test', password: `wrong guess ${i}!` })).status);
    }
    // The attack that worked: ten wrong passwords locked the account for 15 minutes for everyone.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    const refused = await loginFrom(t, '198.51.100.7', { email: 'dev@example.test', password: TEST_PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe('auth.too_many_attempts');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const elsewhere = await loginFrom(t, '203.0.113.20', { email: 'dev@example.test', password: TEST_PASSWORD });
    expect(elsewhere.status).toBe(200);
  });

  it('slows an account guessed at from many addresses, but a correct password plus TOTP always gets in', async () => {
    now += 60 * 60_000;
    for (let i = 0; i < 12; i++) {
      const r = await loginFrom(t, `192.0.2.${i + 1}`, { email: 'owner@example.test', password: `wrong guess ${i}!` });
      expect(r.status === 401 || r.status === 429).toBe(true);
    }
    // Password alone, even the right one, waits a little (and learns nothing about the password).
    const alone = await loginFrom(t, '203.0.113.30', { email: 'owner@example.test', password: TEST_PASSWORD });
    expect(alone.status).toBe(429);
    expect(alone.json.code).toBe('auth.account_slowed');
    expect(Number(alone.headers['retry-after'])).toBeLessThanOrEqual(30);
    // A wrong code answers exactly like a wrong password while slowed: no oracle for the password.
    const wrongCode = await loginFrom(t, '192.0.2.99', { email: 'owner@example.test', password: TEST_PASSWORD, totp: code(totpSecret, now) === '000000' ? '111111' : '000000' });
    const wrongBoth = await loginFrom(t, '192.0.2.98', { email: 'owner@example.test', password: 'wrong guess x!', totp: '123456' });
    expect(wrongCode.json.code).toBe('auth.account_slowed');
    expect(wrongBoth.json.code).toBe('auth.account_slowed');
    const withTotp = await loginFrom(t, '203.0.113.30', { email: 'owner@example.test', password: TEST_PASSWORD, totp: code(totpSecret, now) });
    expect(withTotp.status).toBe(200);
  });

  it('lets a password-only account in again once the short slowdown passes', async () => {
    now += 60 * 60_000;
    for (let i = 0; i < 30; i++) await loginFrom(t, `192.0.2.${i + 1}`, { email: 'dev@example.test', password: `wrong guess ${i}!` });
    expect((await loginFrom(t, '203.0.113.40', { email: 'dev@example.test', password: TEST_PASSWORD })).status).toBe(429);
    now += 30_000;
    expect((await loginFrom(t, '203.0.113.40', { email: 'dev@example.test', password: TEST_PASSWORD })).status).toBe(200);
  });

  it('keeps auditing failed and throttled sign-ins with the address', async () => {
    // Anonymous failures belong to no organization, so read them where an operator would: the table.
    const rows = await t.app.db.kysely.selectFrom('audit_events').select(['ip', 'diff']).where('action', '=', 'auth.login_failed').execute();
    const diffs = rows.map((r) => ({ ip: r.ip, ...(JSON.parse(String(r.diff)) as { reason: string; email: string }) }));
    expect(new Set(diffs.map((d) => d.reason))).toEqual(new Set(['invalid_credentials', 'throttled', 'account_slowed', 'invalid_totp']));
    expect(diffs.filter((d) => d.ip === '198.51.100.7' && d.email === 'dev@example.test')).toHaveLength(11);
  });
});
