/**
 * Issue 11, finding 4: SSRF through repository detection, DNS provider APIs
 * and HTTP domain checks. Each attack is replayed as it worked (loopback in
 * every spelling, redirects to internal paths, error text as a port
 * scanner) and must now be refused, while the same request works once the
 * installation names the range in DEVFLOW_OUTBOUND_ALLOW.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsProvider } from '../../src/adapters/dns/dns-providers.js';
import { OutboundGuard } from '../../src/adapters/outbound/outbound-guard.js';
import { DomainVerifier } from '../../src/modules/domains/domain-verifier.js';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { addMember, ALLOW_LOOPBACK_ENV, LOOPBACK, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { FixtureRepo } from './support/git-fixture.js';

/** An HTTP server on loopback that records every request; `/redirect` answers 302 to `/internal`. */
async function trap() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/info/refs?service=git-upload-pack` });
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('internal secret');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { port, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('outbound guard: repository detection', () => {
  let strict: TestApp;
  let allowed: TestApp;
  let dev: Session;
  let allowedDev: Session;
  let target: Awaited<ReturnType<typeof trap>>;
  let daemon: ChildProcess;
  let daemonPort: number;
  let repo: FixtureRepo;

  beforeAll(async () => {
    strict = await startTestApp('sqlite', { loginPerMinute: 1000 });
    const owner = await setupOwner(strict);
    dev = await addMember(strict, owner, 'dev@example.test', 'developer');
    allowed = await startTestApp('sqlite', { loginPerMinute: 1000, env: { ...ALLOW_LOOPBACK_ENV } });
    const owner2 = await setupOwner(allowed);
    allowedDev = await addMember(allowed, owner2, 'dev@example.test', 'developer');
    target = await trap();
    repo = FixtureRepo.create('laravel', laravelTree('v1'));
    daemonPort = await closedPort();
    daemon = spawn('git', ['daemon', '--export-all', '--reuseaddr', '--listen=127.0.0.1', `--port=${daemonPort}`, `--base-path=${path.dirname(repo.url)}`, path.dirname(repo.url)], { stdio: 'ignore' });
    // Wait for the daemon's port to accept connections.
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((r) => net.connect(daemonPort, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); r(true); }).on('error', () => r(false)));
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    daemon?.kill();
    await target?.close();
    await strict?.close();
    await allowed?.close();
  });

  const detect = (t: TestApp, session: Session, repositoryUrl: string) => t.request('POST', '/api/v1/projects/detect', { session, body: { repositoryUrl, branch: 'main' } });

  it('refuses loopback in every spelling, IPv6 and IPv4-mapped IPv6, over https, ssh and git, without contacting it', async () => {
    const p = target.port;
    const urls = [
      `http://127.0.0.1:${p}/repo.git`,
      `http://0x7f000001:${p}/repo.git`,
      `http://2130706433:${p}/repo.git`,
      `http://127.1:${p}/repo.git`,
      `http://localhost:${p}/repo.git`,
      `http://[::1]:${p}/repo.git`,
      `http://[::ffff:127.0.0.1]:${p}/repo.git`,
      `http://169.254.169.254/latest/meta-data/`,
      `ssh://git@0x7f000001:${p}/repo.git`,
      `git@127.0.0.1:repo.git`,
      `git://2130706433:${daemonPort}/${path.basename(repo.url)}`,
    ];
    const details = new Set<string>();
    for (const url of urls) {
      const res = await detect(strict, dev, url);
      expect(res.status, `${url}: ${res.text}`).toBe(422);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json.code).toBe('project.repository_unreachable');
      details.add(String(res.json.detail).replace(url, 'URL'));
    }
    expect(target.seen).toEqual([]);
    // One message for every failure: it names no address, port state or git error.
    expect(details.size).toBe(1);
    expect([...details][0]).not.toMatch(/connection refused|ECONN|timed out|127\.0\.0\.1|fatal|could not resolve/i);
  });

  it('answers the same message for an open port, a closed port and a name that does not resolve (no port scanner)', async () => {
    const closed = await closedPort();
    const answers = await Promise.all(
      [`http://127.0.0.1:${target.port}/x.git`, `http://127.0.0.1:${closed}/x.git`, 'https://repo.invalid/x.git'].map(async (u) => String((await detect(allowed, allowedDev, u)).json.detail).replace(u, 'URL')),
    );
    expect(new Set(answers).size).toBe(1);
  });

  it('never follows a redirect, even to an allowed address', async () => {
    const res = await detect(allowed, allowedDev, `http://127.0.0.1:${target.port}/redirect/repo.git`);
    expect(res.status).toBe(422);
    expect(target.seen.some((u) => u.startsWith('/redirect'))).toBe(true);
    expect(target.seen.some((u) => u.startsWith('/internal'))).toBe(false);
  });

  it('reads a repository on loopback once DEVFLOW_OUTBOUND_ALLOW names it', async () => {
    const url = `git://127.0.0.1:${daemonPort}/${path.basename(repo.url)}`;
    const ok = await detect(allowed, allowedDev, url);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.framework).toBe('laravel');
    expect(ok.json.commit).toMatch(/^[0-9a-f]{40}$/);
    // The same request on an installation without the allowance is refused.
    expect((await detect(strict, dev, url)).status).toBe(422);
  });
});

describe('outbound guard: DNS provider APIs and HTTP domain checks', () => {
  let target: Awaited<ReturnType<typeof trap>>;
  beforeAll(async () => {
    target = await trap();
  });
  afterAll(async () => target?.close());

  it('refuses a provider API URL on a private address unless allowed', async () => {
    const strict = OutboundGuard.fromAllowList([]);
    for (const apiUrl of [`http://127.0.0.1:${target.port}`, `http://0x7f000001:${target.port}`, `http://[::ffff:7f00:1]:${target.port}`, 'http://169.254.169.254']) {
      const p = createDnsProvider('powerdns', { config: { apiUrl, zone: 'example.test' }, credentials: { apiKey: 'k' }, outbound: strict });
      await expect(p.addTxt('_acme-challenge.example.test', 'v'), apiUrl).rejects.toMatchObject({ code: 'outbound.address_refused' });
    }
    const rfc = createDnsProvider('rfc2136', { config: { server: `127.0.0.1:${target.port}`, zone: 'example.test', keyName: 'k' }, credentials: { tsigSecret: 'AAAA' }, outbound: strict });
    await expect(rfc.addTxt('_acme-challenge.example.test', 'v')).rejects.toMatchObject({ code: 'outbound.address_refused' });
    expect(target.seen).toEqual([]);
    // Allowed: the request reaches the service (which is no PowerDNS, so its answer does not parse).
    const p = createDnsProvider('powerdns', { config: { apiUrl: `http://127.0.0.1:${target.port}`, zone: 'example.test' }, credentials: { apiKey: 'k' }, outbound: LOOPBACK });
    await expect(p.addTxt('_acme-challenge.example.test', 'v')).rejects.toThrow(/not valid JSON/);
    expect(target.seen.length).toBeGreaterThan(0);
  });

  it('does not connect to a private address a domain resolves to, unless allowed', async () => {
    const dns = { addresses: async () => ['127.0.0.1'], txt: async () => [] };
    target.seen.length = 0;
    const strict = new DomainVerifier(dns, OutboundGuard.fromAllowList([]), { httpPort: target.port });
    const refused = await strict.byHttp('shop.example.test', 'tok');
    expect(refused.ok).toBe(false);
    expect(target.seen).toEqual([]);
    const allowedVerifier = new DomainVerifier(dns, LOOPBACK, { httpPort: target.port });
    await allowedVerifier.byHttp('shop.example.test', 'tok');
    expect(target.seen).toEqual(['/.well-known/devflow-verify/tok']);
  });

  it('the guarded fetch returns a redirect as it is instead of following it', async () => {
    target.seen.length = 0;
    const res = await LOOPBACK.fetch(`http://127.0.0.1:${target.port}/redirect`);
    expect(res.status).toBe(302);
    expect(target.seen).toEqual(['/redirect']);
  });
});
