/**
 * DNS-01 through a real DNS provider: PowerDNS (HTTP API) hosts the zone, a
 * Pebble instance resolves through it (scripts/dns.sh), and a wildcard
 * certificate ordered through the API is served by the lab server's nginx.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsProvider } from '../../src/adapters/dns/dns-providers.js';
import { DnsResolver } from '../../src/adapters/dns/dns-resolver.js';
import { labAvailable, repoRoot } from '../support/lab.js';
import { LOOPBACK } from '../support/app.js';
import { createEnvironment, ensurePebble, httpsGet, httpsGetText, startDomainLab, waitForDomain, writeCurrentPage, type DomainLab } from './support.js';

const lab = (await labAvailable()) ? describe : describe.skip;
const DNS_DIR = process.env.DNS_DIR ?? '/tmp/devflow-dns';
const PDNS_DNS = '127.0.0.1:8153';

lab('ACME DNS-01 wildcard with the PowerDNS provider', () => {
  let L: DomainLab;
  let apiKey: string;

  beforeAll(async () => {
    await ensurePebble();
    const r = spawnSync('bash', [path.join(repoRoot(), 'scripts', 'dns.sh')], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`scripts/dns.sh failed: ${r.stderr}`);
    apiKey = fs.readFileSync(path.join(DNS_DIR, 'pdns.api-key'), 'utf8').trim();
    // This app talks to the Pebble that resolves through PowerDNS, and checks records there too.
    L = await startDomainLab({ acmeDirectoryUrl: 'https://127.0.0.1:14100/dir' }, PDNS_DNS);
  });
  afterAll(async () => L?.close());

  it('writes _acme-challenge through the PowerDNS API, gets *.<name> from Pebble and serves it', async () => {
    const env = await createEnvironment(L.t, L.owner.organizationId, { serverIds: [L.serverId], framework: 'static' });
    await writeCurrentPage(L.vps, env.projectSlug, env.name, 'served via powerdns\n');
    const provider = await L.t.request('POST', `/api/v1/organizations/${L.owner.organizationId}/dns-providers`, {
      session: L.owner,
      body: { name: 'powerdns', kind: 'powerdns', config: { apiUrl: 'http://127.0.0.1:8181', zone: 'pdns.devflow.test' }, credentials: { apiKey } },
    });
    expect(provider.status, provider.text).toBe(201);
    const base = `w${Math.random().toString(36).slice(2, 8)}.pdns.devflow.test`;
    const created = await L.t.request('POST', `/api/v1/environments/${env.environmentId}/domains`, {
      session: L.owner,
      body: { hostname: `*.${base}`, tls: 'acme', dnsProviderId: provider.json.id },
    });
    expect(created.status, created.text).toBe(201);
    const id = String(created.json.id);
    // The owner publishes the ownership record in their zone (here through the same API).
    const token = String((created.json.verification as { token: string }).token);
    const pdns = createDnsProvider('powerdns', { config: { apiUrl: 'http://127.0.0.1:8181', zone: 'pdns.devflow.test' }, credentials: { apiKey }, outbound: LOOPBACK });
    await pdns.addTxt(`_devflow-challenge.${base}`, token);
    try {
      const v = await L.t.request('POST', `/api/v1/domains/${id}/verify`, { session: L.owner, body: {} });
      expect(v.status, v.text).toBe(200);
      const d = await waitForDomain(L.t, L.owner, id, 'the certificate', (x) => (x.certificate as { status: string }).status === 'issued' && (x.site as { status: string }).status === 'applied', 90_000);
      const cert = await L.t.request('GET', `/api/v1/certificates/${String(d.certificateId)}`, { session: L.owner });
      expect(cert.json.sans).toEqual([`*.${base}`]);
      const root = await httpsGetText('https://127.0.0.1:15100/roots/0', L.ca);
      const res = await httpsGet(L.address, `api.${base}`, root);
      expect(res.status).toBe(200);
      expect(res.body).toBe('served via powerdns\n');
      expect(await new DnsResolver([PDNS_DNS]).txt(`_acme-challenge.${base}`)).toEqual([]);
    } finally {
      await pdns.removeTxt(`_devflow-challenge.${base}`, token);
    }
  });
});
