/**
 * A wildcard certificate through DNS-01 on a real lab server with Pebble:
 * the organization's DNS provider (pebble-challtestsrv, Pebble's own DNS)
 * gets `_acme-challenge.<name>`, the certificate for `*.<name>` is served by
 * nginx for any first label, and the challenge record is removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsResolver } from '../../src/adapters/dns/dns-resolver.js';
import { labAvailable } from '../support/lab.js';
import { createEnvironment, httpsGet, mockDns, PEBBLE_DNS, pebbleRoot, startDomainLab, uniqueHost, waitForDomain, writeCurrentPage, type DomainLab } from './support.js';

const lab = (await labAvailable()) ? describe : describe.skip;

lab('ACME DNS-01 wildcard on a lab server (Pebble + challtestsrv)', () => {
  let L: DomainLab;
  let root: string;
  let base: string;
  let environmentId: string;
  let providerId: string;

  beforeAll(async () => {
    L = await startDomainLab();
    root = await pebbleRoot(L.ca);
    base = uniqueHost('wild');
    const env = await createEnvironment(L.t, L.owner.organizationId, { serverIds: [L.serverId], framework: 'static' });
    environmentId = env.environmentId;
    await writeCurrentPage(L.vps, env.projectSlug, env.name, 'wildcard page\n');
  });
  afterAll(async () => {
    await mockDns.clearTxt(`_devflow-challenge.${base}`).catch(() => undefined);
    await L?.close();
  });

  it('stores a DNS provider with its credentials sealed and shows only their names', async () => {
    const res = await L.t.request('POST', `/api/v1/organizations/${L.owner.organizationId}/dns-providers`, {
      session: L.owner,
      body: { name: 'pebble mock dns', kind: 'challtestsrv', config: { managementUrl: 'http://127.0.0.1:8055' }, credentials: { apiToken: 'not-needed-but-sealed' } },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ kind: 'challtestsrv', credentialKeys: ['apiToken'] });
    expect(res.text).not.toContain('not-needed-but-sealed');
    providerId = String(res.json.id);
    const row = await L.t.app.db.kysely.selectFrom('dns_providers').select('credentials').where('id', '=', providerId).executeTakeFirstOrThrow();
    expect(row.credentials).toMatch(/^v1:/);
    const list = await L.t.request('GET', `/api/v1/organizations/${L.owner.organizationId}/dns-providers`, { session: L.owner });
    expect(list.text).not.toContain('not-needed-but-sealed');
  });

  it('issues *.<name> with DNS-01 and serves it for any first label', async () => {
    const created = await L.t.request('POST', `/api/v1/environments/${environmentId}/domains`, {
      session: L.owner,
      body: { hostname: `*.${base}`, tls: 'acme', dnsProviderId: providerId },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ wildcard: true, challenge: 'dns-01', hostname: `*.${base}` });
    const id = String(created.json.id);
    const token = String((created.json.verification as { token: string }).token);
    expect((created.json.verification as { dnsRecord: { name: string } }).dnsRecord.name).toBe(`_devflow-challenge.${base}`);

    await mockDns.setTxt(`_devflow-challenge.${base}`, token);
    const v = await L.t.request('POST', `/api/v1/domains/${id}/verify`, { session: L.owner, body: {} });
    expect(v.status, v.text).toBe(200);

    const d = await waitForDomain(L.t, L.owner, id, 'the wildcard certificate', (x) => (x.certificate as { status: string }).status === 'issued' && (x.site as { status: string }).status === 'applied', 90_000);
    const cert = await L.t.request('GET', `/api/v1/certificates/${String(d.certificateId)}`, { session: L.owner });
    expect(cert.json.sans).toEqual([`*.${base}`]);

    for (const label of ['app', 'shop']) {
      const res = await httpsGet(L.address, `${label}.${base}`, root);
      expect(res.status).toBe(200);
      expect(res.body).toBe('wildcard page\n');
      expect(res.peer.fingerprint256).toBe(cert.json.fingerprintSha256);
    }
    // The challenge record was withdrawn once Pebble had validated it.
    expect(await new DnsResolver([PEBBLE_DNS]).txt(`_acme-challenge.${base}`)).toEqual([]);
  });

  it('refuses to delete a DNS provider a domain still uses', async () => {
    const res = await L.t.request('DELETE', `/api/v1/organizations/${L.owner.organizationId}/dns-providers/${providerId}`, { session: L.owner });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('dns_provider.in_use');
  });
});
