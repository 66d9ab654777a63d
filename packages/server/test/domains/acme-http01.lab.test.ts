/**
 * End to end on a real lab server with Pebble: a domain put on the server's
 * nginx, verified over HTTP, a certificate issued with HTTP-01 and served
 * over HTTPS (trusting only Pebble's root), expiry alerts by a moved clock,
 * renewal by a moved clock, a broken nginx configuration that never goes
 * live, and a failing renewal that raises an alert while the old
 * certificate keeps serving.
 *
 * Pebble reaches the lab's nginx because the test points the domain's A
 * record (in pebble-challtestsrv) at the container's bridge address, and
 * scripts/pebble.sh makes Pebble validate HTTP-01 on port 80.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable } from '../support/lab.js';
import { waitFor } from '../servers/lab-fixtures.js';
import {
  createEnvironment,
  httpGet,
  httpsGet,
  makePki,
  mockDns,
  pebbleRoot,
  runJob,
  scratch,
  startDomainLab,
  uniqueHost,
  waitForDomain,
  writeCurrentPage,
  type DomainLab,
} from './support.js';

const DAY = 86_400_000;
const lab = (await labAvailable()) ? describe : describe.skip;

lab('ACME HTTP-01 on a lab server (Pebble)', () => {
  let L: DomainLab;
  let root: string;
  let host: string;
  let domainId: string;
  let certificateId: string;
  let environmentId: string;

  const events = async (type: string) => {
    const rows = await L.t.app.db.kysely.selectFrom('events').selectAll().where('type', '=', type).orderBy('id').execute();
    return rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>).filter((p) => p.domainId === domainId || p.hostname === host);
  };
  const domain = async () => (await L.t.request('GET', `/api/v1/domains/${domainId}`, { session: L.owner })).json;
  const served = () => httpsGet(L.address, host, root);

  beforeAll(async () => {
    L = await startDomainLab();
    root = await pebbleRoot(L.ca);
    host = uniqueHost('shop');
    await mockDns.addA(host, L.address);
    await mockDns.addA(`www.${host}`, L.address);
    const env = await createEnvironment(L.t, L.owner.organizationId, { serverIds: [L.serverId], framework: 'static' });
    environmentId = env.environmentId;
    await writeCurrentPage(L.vps, env.projectSlug, env.name, 'hello from the current release\n');
  });
  afterEach(() => {
    L.clock.offsetMs = 0;
  });
  afterAll(async () => {
    await mockDns.clearA(host).catch(() => undefined);
    await mockDns.clearA(`www.${host}`).catch(() => undefined);
    await L?.close();
  });

  it('puts the domain on the server, verifies it over HTTP and serves a Pebble certificate over HTTPS', async () => {
    const created = await L.t.request('POST', `/api/v1/environments/${environmentId}/domains`, {
      session: L.owner,
      body: { hostname: host, tls: 'acme', verificationMethod: 'http', wwwRedirect: 'to-apex', redirects: [{ from: '/old', to: '/', status: 301 }] },
    });
    expect(created.status, created.text).toBe(201);
    domainId = String(created.json.id);
    await waitForDomain(L.t, L.owner, domainId, 'the site on the server', (d) => (d.site as { status: string }).status === 'applied', 60_000);

    // Ownership over HTTP: the token is fetched from the name's address, i.e. through the server's nginx.
    const verified = await L.t.request('POST', `/api/v1/domains/${domainId}/verify`, { session: L.owner, body: {} });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.json.verification).toMatchObject({ status: 'verified', method: 'http' });

    // Verification orders the certificate by itself (tls=acme); wait for it to be issued and deployed.
    const d = await waitForDomain(L.t, L.owner, domainId, 'the certificate', (x) => (x.certificate as { status: string }).status === 'issued' && !!x.certificateId && (x.site as { status: string }).status === 'applied', 90_000);
    certificateId = String(d.certificateId);

    const cert = await L.t.request('GET', `/api/v1/certificates/${certificateId}`, { session: L.owner });
    expect(cert.status).toBe(200);
    expect(cert.json).toMatchObject({ source: 'acme', domainId });
    expect([...(cert.json.sans as string[])].sort()).toEqual([host, `www.${host}`].sort());
    expect(String(cert.json.issuer)).toMatch(/Pebble/);
    expect(cert.text).not.toMatch(/PRIVATE KEY|privateKey/);
    expect(Date.parse(String(cert.json.notAfter))).toBeGreaterThan(Date.now());

    const res = await served();
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello from the current release\n');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.peer.fingerprint256).toBe(cert.json.fingerprintSha256);

    // http → https, www → apex, and the custom rule.
    const plain = await httpGet(L.address, host, '/page?x=1');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://${host}/page?x=1`);
    const www = await httpsGet(L.address, `www.${host}`, root, '/a');
    expect(www.status).toBe(301);
    expect(www.headers.location).toBe(`https://${host}/a`);
    const old = await httpsGet(L.address, host, root, '/old');
    expect(old.status).toBe(301);
    // nginx makes the rule's relative target absolute (absolute_redirect).
    expect(old.headers.location).toBe(`https://${host}/`);
  });

  it('keeps keys sealed in the database and 0600 under a 0700 root-owned directory on the server', async () => {
    const row = await L.t.app.db.kysely.selectFrom('certificates').select('private_key').where('id', '=', certificateId).executeTakeFirstOrThrow();
    expect(row.private_key).toMatch(/^v1:/);
    const account = await L.t.app.db.kysely.selectFrom('acme_accounts').selectAll().executeTakeFirstOrThrow();
    expect(account.account_key).toMatch(/^v1:/);
    expect(account.account_url).toContain('https://127.0.0.1:14000/');
    const dir = `/etc/devflow/tls/${domainId}/${certificateId}`;
    const stat = await L.vps.exec(['stat', '-c', '%a %U %n', dir, `${dir}/privkey.pem`, `${dir}/fullchain.pem`, `/etc/devflow/tls/${domainId}`]);
    expect(stat.stdout.trim().split('\n')).toEqual([`700 root ${dir}`, `600 root ${dir}/privkey.pem`, `644 root ${dir}/fullchain.pem`, `700 root /etc/devflow/tls/${domainId}`]);
  });

  it('raises expiry alerts at 21, 7 and 1 days once each, from the certificate actually served', async () => {
    const notAfter = Date.parse(((await domain()).certificate as { notAfter: string }).notAfter);
    // Half a day past each whole day, so the days left are unambiguous while the test runs.
    L.clock.offsetMs = notAfter - 20.5 * DAY - Date.now();
    expect((await runJob(L.t, 'certificates.check-expiry')).status).toBe('succeeded');
    L.clock.offsetMs = notAfter - 19.5 * DAY - Date.now();
    await runJob(L.t, 'certificates.check-expiry');
    L.clock.offsetMs = notAfter - 6.5 * DAY - Date.now();
    await runJob(L.t, 'certificates.check-expiry');
    L.clock.offsetMs = notAfter - DAY / 2 - Date.now();
    await runJob(L.t, 'certificates.check-expiry');
    const alerts = await events('certificate.expiring');
    expect(alerts.map((a) => a.threshold)).toEqual([21, 7, 1]);
    expect(alerts[0]).toMatchObject({ hostname: host, daysLeft: 20, address: L.address });
    L.clock.offsetMs = 0;
  });

  it('alerts once when the name is served with a certificate that does not cover it', async () => {
    // A second domain whose name points at the same nginx, which knows nothing of it and answers with the first domain's certificate.
    const { dir, cleanup } = scratch();
    try {
      const other = uniqueHost('mismatch');
      const pki = makePki(dir);
      const leaf = pki.leaf([other]);
      const bare = await createEnvironment(L.t, L.owner.organizationId, {});
      const d = await L.t.request('POST', `/api/v1/environments/${bare.environmentId}/domains`, { session: L.owner, body: { hostname: other, tls: 'custom' } });
      expect(d.status, d.text).toBe(201);
      const up = await L.t.request('POST', '/api/v1/certificates', {
        session: L.owner,
        body: { organizationId: L.owner.organizationId, certificatePem: leaf.certPem, privateKeyPem: leaf.keyPem, chainPem: pki.intermediatePem, domainId: d.json.id },
      });
      expect(up.status, up.text).toBe(201);
      await mockDns.addA(other, L.address);
      await runJob(L.t, 'certificates.check-expiry');
      await runJob(L.t, 'certificates.check-expiry');
      const rows = await L.t.app.db.kysely.selectFrom('events').selectAll().where('type', '=', 'certificate.name_mismatch').execute();
      const mine = rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>).filter((p) => p.hostname === other);
      expect(mine).toHaveLength(1);
      expect(mine[0]?.servedNames).toEqual(expect.arrayContaining([host]));
      await mockDns.clearA(other);
    } finally {
      cleanup();
    }
  });

  it('renews 30 days before expiry when the daily job runs on a moved clock, and serves the new certificate', async () => {
    const before = await domain();
    const renewAfter = Date.parse(String((before.certificate as { renewAfter: string }).renewAfter));
    // A day before the window: nothing to do.
    L.clock.offsetMs = renewAfter - DAY - Date.now();
    const early = await runJob(L.t, 'certificates.renew-due');
    expect(JSON.parse(String(early.result))).toEqual({ enqueued: [] });
    L.clock.offsetMs = renewAfter + 60_000 - Date.now();
    const due = await runJob(L.t, 'certificates.renew-due');
    expect(JSON.parse(String(due.result))).toEqual({ enqueued: [domainId] });
    const after = await waitForDomain(L.t, L.owner, domainId, 'the renewed certificate', (d) => d.certificateId !== certificateId && (d.site as { status: string }).status === 'applied', 90_000);
    const renewed = await L.t.request('GET', `/api/v1/certificates/${String(after.certificateId)}`, { session: L.owner });
    expect((await served()).peer.fingerprint256).toBe(renewed.json.fingerprintSha256);
    expect(await events('certificate.renewed')).toHaveLength(1);
    // The previous certificate's files are gone from the server once the new one serves.
    const ls = await L.vps.exec(['ls', `/etc/devflow/tls/${domainId}`]);
    expect(ls.stdout.trim()).toBe(String(after.certificateId));
    certificateId = String(after.certificateId);
    L.clock.offsetMs = 0;
  });

  it('never lets a broken nginx configuration go live: the new certificate waits, the old one keeps serving', async () => {
    const fingerprint = (await served()).peer.fingerprint256;
    const siteFile = `/etc/nginx/sites-enabled/devflow-${domainId.replace(/_/g, '-')}.conf`;
    const confBefore = (await L.vps.exec(['cat', siteFile])).stdout;
    // Someone left a broken file on the server (not yet loaded: nginx still runs the good configuration).
    await L.vps.exec(['sh', '-c', 'echo "this_is_not_a_directive on;" > /etc/nginx/conf.d/zz-broken.conf']);
    try {
      const order = await L.t.request('POST', `/api/v1/domains/${domainId}/certificate`, { session: L.owner });
      expect(order.status, order.text).toBe(202);
      expect(order.json.job).toMatchObject({ status: 'queued' });
      const d = await waitForDomain(L.t, L.owner, domainId, 'the refused deployment', (x) => x.certificateId !== certificateId && (x.site as { status: string }).status === 'failed', 90_000);
      expect((d.site as { error: string }).error).toMatch(/nginx rejected the new configuration.*previous files are back/);
      // A retry may be between putting its files and taking them back (nginx never loads them):
      // read the file once no job of the domain runs.
      await waitFor('no running job of the domain', async () => {
        const running = await L.t.app.db.kysely.selectFrom('jobs').select('id').where('status', '=', 'running').where('payload', 'like', `%${domainId}%`).execute();
        return running.length === 0 ? true : undefined;
      }, 60_000, 100);
      expect((await L.vps.exec(['cat', siteFile])).stdout).toBe(confBefore);
      expect((await served()).peer.fingerprint256).toBe(fingerprint);
    } finally {
      await L.vps.exec(['rm', '-f', '/etc/nginx/conf.d/zz-broken.conf']);
    }
    // Once the server is fixed, applying the site again serves the new certificate.
    const job = await runJob(L.t, 'domains.apply-site', { domainId });
    expect(job.status, String(job.last_error)).toBe('succeeded');
    const now = await domain();
    const fresh = await L.t.request('GET', `/api/v1/certificates/${String(now.certificateId)}`, { session: L.owner });
    expect((await served()).peer.fingerprint256).toBe(fresh.json.fingerprintSha256);
    certificateId = String(now.certificateId);
  });

  it('retries a failing renewal, then raises certificate.renewal_failed while the old certificate keeps serving', async () => {
    const fingerprint = (await served()).peer.fingerprint256;
    // The name no longer reaches the server: Pebble's HTTP-01 request goes nowhere.
    await mockDns.clearA(host);
    await mockDns.clearA(`www.${host}`);
    const renewAfter = Date.parse(String(((await domain()).certificate as { renewAfter: string }).renewAfter));
    L.clock.offsetMs = renewAfter + 60_000 - Date.now();
    await runJob(L.t, 'certificates.renew-due');
    const alert = await waitFor('the renewal_failed alert', async () => (await events('certificate.renewal_failed'))[0], 90_000, 200);
    expect(alert).toMatchObject({ hostname: host, attempts: 3, certificateId });
    expect(String(alert.error)).toMatch(/validation/i);
    const d = await domain();
    expect(d.certificateId).toBe(certificateId);
    expect(d.certificate).toMatchObject({ status: 'issued' });
    expect(String((d.certificate as { error: string }).error)).toMatch(/validation/i);
    const failures = await L.t.app.db.kysely.selectFrom('domains').select('renewal_failures').where('id', '=', domainId).executeTakeFirstOrThrow();
    expect(failures.renewal_failures).toBe(3);
    await mockDns.addA(host, L.address);
    expect((await served()).peer.fingerprint256).toBe(fingerprint);
    L.clock.offsetMs = 0;
  });

  it('says why HTTP verification fails when the name does not point at the server', async () => {
    const nowhere = uniqueHost('nowhere');
    const created = await L.t.request('POST', `/api/v1/environments/${environmentId}/domains`, { session: L.owner, body: { hostname: nowhere, tls: 'none', verificationMethod: 'http' } });
    const id = String(created.json.id);
    const res = await L.t.request('POST', `/api/v1/domains/${id}/verify`, { session: L.owner, body: {} });
    // The mock DNS answers 127.0.0.1 for names nobody added: nothing there serves the token.
    expect(res.status, res.text).toBe(422);
    expect(res.json.code, res.text).toBe('domain.verification_failed');
    expect(res.json.detail).toMatch(new RegExp(`http://${nowhere.replace(/\./g, '\\.')}/\\.well-known/devflow-verify/[0-9a-f]{32} did not serve the token`));
    await L.t.request('DELETE', `/api/v1/domains/${id}`, { session: L.owner });
  });

  it('a name pointed at the server gets a certificate without the TXT step; the issued certificate verifies it (issue 11)', async () => {
    const pointed = uniqueHost('pointed');
    await mockDns.addA(pointed, L.address);
    try {
      const created = await L.t.request('POST', `/api/v1/environments/${environmentId}/domains`, { session: L.owner, body: { hostname: pointed, tls: 'acme' } });
      expect(created.status, created.text).toBe(201);
      const id = String(created.json.id);
      expect(created.json.verification).toMatchObject({ status: 'pending' });
      await waitForDomain(L.t, L.owner, id, 'the site on the server', (d) => (d.site as { status: string }).status === 'applied', 60_000);
      const order = await L.t.request('POST', `/api/v1/domains/${id}/certificate`, { session: L.owner });
      expect(order.status, order.text).toBe(202);
      const d = await waitForDomain(L.t, L.owner, id, 'the certificate', (x) => (x.certificate as { status: string }).status === 'issued', 90_000);
      expect(d.verification).toMatchObject({ status: 'verified' });
    } finally {
      await mockDns.clearA(pointed).catch(() => undefined);
    }
  });

  it('takes a deleted domain off the server: nginx files, certificates and token', async () => {
    const siteFile = `/etc/nginx/sites-enabled/devflow-${domainId.replace(/_/g, '-')}.conf`;
    const token = String(((await domain()).verification as { token: string }).token);
    const del = await L.t.request('DELETE', `/api/v1/domains/${domainId}`, { session: L.owner });
    expect(del.status).toBe(204);
    await waitFor('the removal job', async () => {
      const jobs = await L.t.app.db.kysely.selectFrom('jobs').select(['status', 'payload']).where('name', '=', 'domains.remove-site').execute();
      return jobs.some((j) => j.status === 'succeeded' && j.payload.includes(domainId));
    }, 30_000, 200);
    expect((await L.vps.exec(['test', '-e', siteFile])).code).not.toBe(0);
    const left = await L.vps.exec(['sh', '-c', 'ls /etc/devflow/tls; ls /var/lib/devflow/acme/.well-known/devflow-verify']);
    expect(left.stdout).not.toContain(domainId);
    expect(left.stdout).not.toContain(token);
    // nginx's own default site answers now, not the environment.
    expect((await httpGet(L.address, host, '/')).body).not.toContain('hello from the current release');
    expect(await L.t.app.db.kysely.selectFrom('certificates').select('id').where('domain_id', '=', domainId).execute()).toEqual([]);
  });
});
