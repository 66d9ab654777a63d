/**
 * Domains through the API without servers: validation (IDN, labels, IPs),
 * uniqueness across the installation, redirects, DNS ownership verification
 * against the mock DNS server, and the refusal to order a certificate for an
 * unverified domain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { createEnvironment, dnsEnv, domainOptions, ensurePebble, mockDns, uniqueHost, type Owner } from './support.js';

describe.each(dialects)('domains API on %s', (dialect) => {
  let t: TestApp;
  let owner: Owner;
  let viewer: Session;
  let envId: string;
  let otherEnvId: string;

  beforeAll(async () => {
    const ca = await ensurePebble();
    t = await startTestApp(dialect, { domains: domainOptions(ca), env: dnsEnv() });
    owner = await setupOwner(t);
    viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    envId = (await createEnvironment(t, owner.organizationId)).environmentId;
    otherEnvId = (await createEnvironment(t, owner.organizationId)).environmentId;
  });
  afterAll(async () => t?.close());

  const add = (body: Record<string, unknown>, env = envId, session: Session = owner) => t.request('POST', `/api/v1/environments/${env}/domains`, { session, body });

  it('stores an IDN host name as punycode and shows both forms, with the TXT record to create', async () => {
    const res = await add({ hostname: 'Bücher-Shop.Example.TEST.', tls: 'none' });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ hostname: 'xn--bcher-shop-9db.example.test', unicodeHostname: 'bücher-shop.example.test', wildcard: false, tls: 'none', environmentId: envId });
    const v = res.json.verification as Record<string, unknown>;
    expect(v.status).toBe('pending');
    expect(v.dnsRecord).toEqual({ type: 'TXT', name: '_devflow-challenge.xn--bcher-shop-9db.example.test', value: v.token });
    expect(String(v.token)).toMatch(/^[0-9a-f]{32}$/);
    const list = await t.request('GET', `/api/v1/environments/${envId}/domains`, { session: viewer });
    expect(list.status).toBe(200);
    expect(list.json.data?.map((d) => d.hostname)).toContain('xn--bcher-shop-9db.example.test');
  });

  it.each([
    ['192.0.2.10', 'IP addresses'],
    ['[2001:db8::1]', 'IP addresses'],
    ['localhost', 'two labels'],
    ['-bad.example.com', 'inner hyphens'],
    ['a..example.com', 'empty label'],
    [`${'a'.repeat(64)}.example.com`, 'longer than 63'],
    ['foo_bar.example.com', 'underscores'],
    ['https://example.com/path', 'without a scheme'],
    ['www.*.example.com', 'wildcard'],
    ['example.123', 'all digits'],
  ])('refuses %s (%s) with 400 domain.invalid_hostname', async (hostname, reason) => {
    const res = await add({ hostname, tls: 'none' });
    expect(res.status, res.text).toBe(400);
    expect(res.json.code).toBe('domain.invalid_hostname');
    expect(res.json.detail).toContain(reason);
    expect(res.json.errors).toEqual([expect.objectContaining({ field: 'body.hostname' })]);
  });

  it('answers 409 for a host name any environment already has, in any spelling', async () => {
    const host = uniqueHost('dup');
    expect((await add({ hostname: host, tls: 'none' })).status).toBe(201);
    const again = await add({ hostname: host.toUpperCase(), tls: 'none' }, otherEnvId);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('domain.hostname_taken');
    // The www twin of a redirecting domain is taken too.
    const apex = uniqueHost('twin');
    expect((await add({ hostname: apex, tls: 'none', wwwRedirect: 'to-apex' })).status).toBe(201);
    const twin = await add({ hostname: `www.${apex}`, tls: 'none' }, otherEnvId);
    expect(twin.status).toBe(409);
  });

  it('checks redirects: rules, www/apex direction, a target other than itself', async () => {
    const host = uniqueHost('redir');
    const ok = await add({
      hostname: host,
      tls: 'none',
      wwwRedirect: 'to-apex',
      redirects: [
        { from: '/old', to: '/new', status: 301 },
        { from: '/promo', to: 'https://shop.example.com/sale', status: 302 },
      ],
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.redirects).toEqual([
      { from: '/old', to: '/new', status: 301 },
      { from: '/promo', to: 'https://shop.example.com/sale', status: 302 },
    ]);
    const bad = await add({
      hostname: `www.${uniqueHost('bad')}`,
      tls: 'none',
      wwwRedirect: 'to-apex',
      redirects: [
        { from: 'no-slash', to: '/x' },
        { from: '/a', to: 'javascript:alert(1)' },
        { from: '/b', to: '/c' },
        { from: '/b', to: '/d' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('domain.invalid');
    const fields = (bad.json.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.wwwRedirect', 'body.redirects.0.from', 'body.redirects.1.to', 'body.redirects.3.from']));
    const self = uniqueHost('self');
    const loop = await add({ hostname: self, tls: 'none', redirectTo: `https://${self}/` });
    expect(loop.status).toBe(400);
    expect(loop.json.errors).toEqual([expect.objectContaining({ field: 'body.redirectTo' })]);
  });

  it('needs dns-01 and a DNS provider for a wildcard certificate', async () => {
    const res = await add({ hostname: `*.${uniqueHost('wild')}`, tls: 'acme', challenge: 'http-01' });
    expect(res.status).toBe(400);
    const fields = (res.json.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.challenge', 'body.dnsProviderId']));
  });

  it('verifies ownership by the TXT record _devflow-challenge.<host>, and says what it found otherwise', async () => {
    const host = uniqueHost('verify');
    const created = await add({ hostname: host, tls: 'acme' });
    const id = String(created.json.id);
    const token = String((created.json.verification as Record<string, unknown>).token);

    const missing = await t.request('POST', `/api/v1/domains/${id}/verify`, { session: owner, body: {} });
    expect(missing.status).toBe(422);
    expect(missing.json.code).toBe('domain.verification_failed');
    expect(missing.json.detail).toContain(`No TXT record at _devflow-challenge.${host}`);

    await mockDns.setTxt(`_devflow-challenge.${host}`, 'something-else');
    const wrong = await t.request('POST', `/api/v1/domains/${id}/verify`, { session: owner, body: {} });
    expect(wrong.status).toBe(422);
    expect(wrong.json.detail).toContain('"something-else"');
    const stored = await t.request('GET', `/api/v1/domains/${id}`, { session: owner });
    expect((stored.json.verification as Record<string, unknown>).lastError).toContain('something-else');

    // An unverified domain may order a certificate (the CA's validation through the environment proves control,
    // issue 11), but this environment has no server to answer the challenge yet.
    const order = await t.request('POST', `/api/v1/domains/${id}/certificate`, { session: owner });
    expect(order.status).toBe(409);
    expect(order.json.code).toBe('domain.no_servers');

    await mockDns.setTxt(`_devflow-challenge.${host}`, token);
    const ok = await t.request('POST', `/api/v1/domains/${id}/verify`, { session: owner, body: {} });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.verification).toMatchObject({ status: 'verified', lastError: null });
    await mockDns.clearTxt(`_devflow-challenge.${host}`);
    const audit = await t.app.db.kysely.selectFrom('audit_events').select('action').where('target_id', '=', id).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['domain.create', 'domain.verify_failed', 'domain.verify']));
  });

  it('lets a viewer read but not add, and hides other organizations', async () => {
    const denied = await add({ hostname: uniqueHost('viewer'), tls: 'none' }, envId, viewer);
    expect(denied.status).toBe(403);
    const other = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Other org' } });
    const foreignEnv = (await createEnvironment(t, String(other.json.id))).environmentId;
    const stranger = await addMember(t, { ...owner, organizationId: String(other.json.id) }, 'stranger@example.test', 'owner');
    const res = await t.request('GET', `/api/v1/environments/${envId}/domains`, { session: stranger });
    expect(res.status).toBe(404);
    expect((await add({ hostname: uniqueHost('mine'), tls: 'none' }, foreignEnv, stranger)).status).toBe(201);
  });

  it('schedules the renewal sweep and the expiry check daily', () => {
    expect(t.app.domains.schedules).toEqual([
      { name: 'certificates.renew-due', cron: '41 2 * * *', job: 'certificates.renew-due' },
      { name: 'certificates.check-expiry', cron: '11 6 * * *', job: 'certificates.check-expiry' },
    ]);
    expect(t.app.registry.names()).toEqual(expect.arrayContaining(['domains.apply-site', 'domains.remove-site', 'certificates.issue', 'certificates.renew-due', 'certificates.check-expiry']));
  });

  it('deletes a domain, freeing its name', async () => {
    const host = uniqueHost('gone');
    const created = await add({ hostname: host, tls: 'none' });
    const del = await t.request('DELETE', `/api/v1/domains/${String(created.json.id)}`, { session: owner });
    expect(del.status).toBe(204);
    expect((await t.request('GET', `/api/v1/domains/${String(created.json.id)}`, { session: owner })).status).toBe(404);
    expect((await add({ hostname: host, tls: 'none' }, otherEnvId)).status).toBe(201);
  });
});
