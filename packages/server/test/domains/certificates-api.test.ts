/**
 * Custom certificates through the API: every bad upload is a 422 whose code
 * and detail name the reason (wrong key, expired, chain out of order, names,
 * not a leaf, unreadable key); a good one is stored with its key sealed and
 * shown without it; attaching it to a tls=custom domain checks its names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { createEnvironment, dnsEnv, domainOptions, ensurePebble, makePki, scratch, uniqueHost, type Owner, type TestPki } from './support.js';

describe.each(dialects)('certificates API (custom uploads) on %s', (dialect) => {
  let t: TestApp;
  let owner: Owner;
  let developer: Session;
  let viewer: Session;
  let pki: TestPki;
  let cleanup: () => void;
  let envId: string;
  const host = uniqueHost('custom');

  beforeAll(async () => {
    const ca = await ensurePebble();
    t = await startTestApp(dialect, { domains: domainOptions(ca), env: dnsEnv() });
    owner = await setupOwner(t);
    developer = await addMember(t, owner, 'dev@example.test', 'developer');
    viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    const s = scratch();
    cleanup = s.cleanup;
    pki = makePki(s.dir);
    envId = (await createEnvironment(t, owner.organizationId)).environmentId;
  });
  afterAll(async () => {
    cleanup?.();
    await t?.close();
  });

  const upload = (body: Record<string, unknown>, session: Session = owner) =>
    t.request('POST', '/api/v1/certificates', { session, body: { organizationId: owner.organizationId, ...body } });

  it('stores a good certificate (leaf + intermediate) with its key sealed, and never shows the key', async () => {
    const leaf = pki.leaf([host, `www.${host}`]);
    const res = await upload({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: pki.intermediatePem }, developer);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ source: 'custom', subject: `CN=${host}`, issuer: 'CN=DevFlow Test Intermediate', keyType: 'ec P-256', domainId: null });
    expect(res.json.sans).toEqual([host, `www.${host}`]);
    expect(res.text).not.toMatch(/PRIVATE KEY/);
    const row = await t.app.db.kysely.selectFrom('certificates').selectAll().where('id', '=', String(res.json.id)).executeTakeFirstOrThrow();
    expect(row.private_key).toMatch(/^v1:/);
    expect(row.chain_pem).toContain('BEGIN CERTIFICATE');
    const one = await t.request('GET', `/api/v1/certificates/${String(res.json.id)}`, { session: viewer });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: res.json.id, fingerprintSha256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) });
    expect(one.text).not.toMatch(/PRIVATE KEY|privateKey/);
    const list = await t.request('GET', '/api/v1/certificates', { session: viewer });
    expect(list.json.data?.map((c) => c.id)).toContain(res.json.id);
  });

  it('accepts the intermediate appended to the certificate (a fullchain file)', async () => {
    const leaf = pki.leaf([uniqueHost('full')]);
    const res = await upload({ certificatePem: `${leaf.certPem}${pki.intermediatePem}`, privateKeyPem: leaf.keyPem });
    expect(res.status, res.text).toBe(201);
  });

  it('refuses a key that is not the certificate\'s: 422 certificate.key_mismatch', async () => {
    const leaf = pki.leaf([uniqueHost('k')]);
    const res = await upload({ certificatePem: leaf.certPem, privateKeyPem: pki.strayKey() });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'certificate.key_mismatch' });
    expect(res.json.detail).toContain('does not belong to the certificate');
  });

  it('refuses an expired certificate: 422 certificate.expired with the date', async () => {
    const leaf = pki.leaf([uniqueHost('old')], { startDaysAgo: 40, days: 30 });
    const res = await upload({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: pki.intermediatePem });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('certificate.expired');
    expect(res.json.detail).toMatch(/expired on \d{4}-\d{2}-\d{2}T/);
  });

  it('refuses a chain in the wrong order or from another issuer: 422 certificate.chain_order', async () => {
    const leaf = pki.leaf([uniqueHost('chain')]);
    const wrongOrder = await upload({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: `${pki.rootPem}${pki.intermediatePem}` });
    expect(wrongOrder.status).toBe(422);
    expect(wrongOrder.json.code).toBe('certificate.chain_order');
    expect(wrongOrder.json.detail).toContain('DevFlow Test Root');
    const { dir, cleanup: done } = scratch();
    try {
      const other = makePki(dir);
      const foreign = await upload({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: other.intermediatePem });
      expect(foreign.status).toBe(422);
      expect(foreign.json.code).toBe('certificate.chain_order');
    } finally {
      done();
    }
    // Leaf, intermediate, root in order is fine.
    const full = await upload({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: `${pki.intermediatePem}${pki.rootPem}` });
    expect(full.status, full.text).toBe(201);
  });

  it('refuses a CA certificate in the leaf position, garbage, and an unreadable key, each naming why', async () => {
    const leaf = pki.leaf([uniqueHost('x')]);
    const ca = await upload({ certificatePem: pki.intermediatePem, privateKeyPem: leaf.keyPem });
    expect(ca.json.code).toBe('certificate.not_a_leaf');
    const junk = await upload({ certificatePem: 'hello', privateKeyPem: leaf.keyPem });
    expect(junk.status).toBe(422);
    expect(junk.json.code).toBe('certificate.unparseable');
    const key = await upload({ certificatePem: leaf.certPem, privateKeyPem: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n' });
    expect(key.json.code).toBe('certificate.key_unparseable');
    expect(key.json.detail).toContain('without a passphrase');
  });

  it('serves an upload on a tls=custom domain only when it covers the names: 422 certificate.name_mismatch', async () => {
    const d = await t.request('POST', `/api/v1/environments/${envId}/domains`, { session: owner, body: { hostname: `shop.${host}`, tls: 'custom', wwwRedirect: null } });
    expect(d.status, d.text).toBe(201);
    const wrong = pki.leaf([uniqueHost('elsewhere')]);
    const mismatch = await upload({ certificatePem: wrong.certPem, privateKeyPem: wrong.keyPem, domainId: d.json.id });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.code).toBe('certificate.name_mismatch');
    expect(mismatch.json.detail).toContain(`not shop.${host}`);
    const wild = pki.leaf([`*.${host}`]);
    const ok = await upload({ certificatePem: wild.certPem, privateKeyPem: wild.keyPem, chainPem: pki.intermediatePem, domainId: d.json.id });
    expect(ok.status, ok.text).toBe(201);
    const after = await t.request('GET', `/api/v1/domains/${String(d.json.id)}`, { session: owner });
    expect(after.json).toMatchObject({ certificateId: ok.json.id, certificate: { status: 'issued', notAfter: ok.json.notAfter } });
  });

  it('lets a viewer read but not upload, and answers 404 for another organization', async () => {
    const leaf = pki.leaf([uniqueHost('v')]);
    expect((await upload({ certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem }, viewer)).status).toBe(403);
    const other = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Elsewhere' } });
    const stranger = await addMember(t, { ...owner, organizationId: String(other.json.id) }, 'stranger@example.test', 'owner');
    const mine = (await t.request('GET', '/api/v1/certificates', { session: owner })).json.data?.[0];
    expect((await t.request('GET', `/api/v1/certificates/${String(mine?.id)}`, { session: stranger })).status).toBe(404);
    const theirs = await t.request('POST', '/api/v1/certificates', { session: stranger, body: { organizationId: owner.organizationId, certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem } });
    expect(theirs.status).toBe(404);
  });
});
