import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

describe('DEVFLOW_TRUST_PROXY lists the proxies whose X-Forwarded-For is believed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { loginPerMinute: 3, env: { DEVFLOW_TRUST_PROXY: '10.20.30.40' } });
  });
  afterAll(async () => t?.close());

  const attempt = (remoteAddress: string, forwardedFor: string, email: string) =>
    t.app.http!.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress,
      headers: { 'x-forwarded-for': forwardedFor },
      payload: { email, password: 'not the password!' },
    });

  const auditedIps = async (email: string) =>
    (await t.app.db.kysely.selectFrom('audit_events').select(['ip', 'diff']).where('action', '=', 'auth.login_failed').execute())
      .filter((r) => String(r.diff).includes(email))
      .map((r) => r.ip);

  it('ignores a forged X-Forwarded-For from a client that is not a listed proxy', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt('198.51.100.9', `203.0.113.${i + 1}`, 'forger@example.test')).statusCode);
    // The attack: a new X-Forwarded-For per request escaped the per-address limit.
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(new Set(await auditedIps('forger@example.test'))).toEqual(new Set(['198.51.100.9']));
  });

  it('believes the listed proxy, for the rate limit and the audit address', async () => {
    expect((await attempt('10.20.30.40', '203.0.113.77', 'proxied@example.test')).statusCode).toBe(401);
    expect((await attempt('10.20.30.40', '203.0.113.78', 'proxied@example.test')).statusCode).toBe(401);
    expect((await auditedIps('proxied@example.test')).sort()).toEqual(['203.0.113.77', '203.0.113.78']);
  });
});
