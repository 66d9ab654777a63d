import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NginxConfigurator } from '../../src/adapters/proxy/nginx/nginx-configurator.js';
import { renderSiteFiles } from '../../src/core/nginx/site-config.js';
import type { SiteSpec } from '../../src/core/nginx/site-spec.js';
import { renderPoolFile } from '../../src/core/php-fpm/pool-config.js';
import { addUser, pwned } from '../servers/lab-fixtures.js';
import { labAvailable } from '../support/lab.js';
import { ENV_ROOT, curl, sh, shopPool, shopSite, startProxyLab, type ProxyLab } from './proxy-lab.js';

const lab = await labAvailable();

const TLS_DIR = '/etc/devflow/tls/app';

/** A static site on `host` serving the environment's current release. */
function staticSite(slug: string, host: string, over: Partial<SiteSpec> = {}): SiteSpec {
  return { id: `env_${slug}`, slug, serverNames: [host], app: { kind: 'static', documentRoot: `${ENV_ROOT}/current/public` }, ...over };
}

describe.skipIf(!lab)('rendered configs on real nginx: TLS, failover, rate limits, sudo, concurrency', () => {
  let t: ProxyLab;
  let proxy: NginxConfigurator;

  beforeAll(async () => {
    t = await startProxyLab();
    proxy = new NginxConfigurator(t.ssh);
    await sh(
      t.vps,
      'mkdir -p "$1" && cd "$1" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=app.test ' +
        '-addext "subjectAltName=DNS:app.test,DNS:www.app.test" -keyout privkey.pem -out fullchain.pem 2>/dev/null',
      TLS_DIR,
    );
    // Two small HTTP backends for the upstream tests (php's built-in server).
    await sh(
      t.vps,
      'for b in 9202:primary 9203:backup; do p=${b%%:*}; n=${b#*:}; mkdir -p /srv/backend-$n; echo "backend $n" > /srv/backend-$n/index.html; ' +
        '(php -S 127.0.0.1:$p -t /srv/backend-$n >/dev/null 2>&1 &); done; ' +
        'for p in 9202 9203; do for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$p/ && break; sleep 0.1; done; done',
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves HTTPS with HTTP/2, TLS 1.2+ only, HSTS; port 80 redirects except ACME; www goes to the apex', async () => {
    const site = shopSite({
      serverNames: ['app.test'],
      wwwRedirect: 'to-apex',
      tls: { certificatePath: `${TLS_DIR}/fullchain.pem`, keyPath: `${TLS_DIR}/privkey.pem` },
    });
    await proxy.apply(t.target, [...renderSiteFiles(site), renderPoolFile(shopPool())]);
    const resolve = ['--resolve', 'app.test:443:127.0.0.1', '--resolve', 'www.app.test:443:127.0.0.1', '-k'];

    const res = await curl(t.vps, 'https://app.test/', ...resolve, '--http2');
    expect(res.status).toBe(200);
    expect(res.body).toContain('release r1\n');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toBe("frame-ancestors 'self'");
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect((await t.vps.exec(['curl', '-sk', '-o', '/dev/null', '-w', '%{http_version}', '--http2', ...resolve, 'https://app.test/'])).stdout).toBe('2');

    // Debian's http block enables TLS 1.0/1.1; the site's own ssl_protocols wins: the server answers with an alert.
    const old = await t.vps.exec(['sh', '-c', 'echo | openssl s_client -connect 127.0.0.1:443 -servername app.test -tls1_1 -cipher DEFAULT@SECLEVEL=0 2>&1']);
    expect(old.stdout).toMatch(/alert protocol version/);
    const modern = await t.vps.exec(['sh', '-c', 'echo | openssl s_client -brief -connect 127.0.0.1:443 -servername app.test 2>&1']);
    expect(modern.stdout).toMatch(/Protocol version: TLSv1\.3/);

    const plain = await curl(t.vps, 'http://127.0.0.1/some/path?q=1', '-H', 'Host: app.test');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://app.test/some/path?q=1');
    expect((await curl(t.vps, 'http://127.0.0.1/.well-known/acme-challenge/tok123', '-H', 'Host: app.test')).body).toBe('token-for-acme\n');
    expect((await curl(t.vps, 'http://127.0.0.1/.well-known/acme-challenge/tok123', '-H', 'Host: www.app.test')).status).toBe(200);
    for (const url of ['http://www.app.test/x', 'https://www.app.test/x']) {
      const www = await curl(t.vps, url, ...resolve, '--resolve', 'www.app.test:80:127.0.0.1');
      expect(www.status).toBe(301);
      expect(www.headers.location).toBe('https://app.test/x');
    }
  });

  it('fails over to the next backend when one is down, and to the backup when all are', async () => {
    const proxied = (upstreams: { address: string; backup?: boolean }[]): SiteSpec => ({
      id: 'env_api',
      slug: 'api',
      serverNames: ['api.test'],
      app: { kind: 'proxy', upstreams },
    });
    const hits = async () => {
      const out: string[] = [];
      for (let i = 0; i < 4; i++) out.push((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: api.test')).body.trim());
      return [...new Set(out)];
    };
    await proxy.apply(t.target, renderSiteFiles(proxied([{ address: '127.0.0.1:9201' }, { address: '127.0.0.1:9202' }])));
    expect(await hits()).toEqual(['backend primary']);
    await proxy.apply(t.target, renderSiteFiles(proxied([{ address: '127.0.0.1:9202' }, { address: '127.0.0.1:9203', backup: true }])));
    expect(await hits()).toEqual(['backend primary']);
    await proxy.apply(t.target, renderSiteFiles(proxied([{ address: '127.0.0.1:9201' }, { address: '127.0.0.1:9203', backup: true }])));
    expect(await hits()).toEqual(['backend backup']);
  });

  it('rate-limits per client address with 429 beyond the burst', async () => {
    await proxy.apply(t.target, renderSiteFiles(staticSite('limited', 'limited.test', { rateLimit: { requestsPerSecond: 1, burst: 2 } })));
    const codes = await sh(t.vps, 'for i in $(seq 10); do curl -s -o /dev/null -w "%{http_code}\\n" -H "Host: limited.test" http://127.0.0.1/hello.txt; done');
    const list = codes.trim().split('\n');
    expect(list.slice(0, 3)).toEqual(['200', '200', '200']);
    expect(list.filter((c) => c === '429').length).toBeGreaterThanOrEqual(6);
    // Turning the limit off is an ordinary apply: the zone snippet becomes a comment.
    const off = await proxy.apply(t.target, renderSiteFiles(staticSite('limited', 'limited.test')));
    expect(off.changed).toHaveLength(2);
    const after = await sh(t.vps, 'for i in $(seq 5); do curl -s -o /dev/null -w "%{http_code}\\n" -H "Host: limited.test" http://127.0.0.1/hello.txt; done');
    expect(after.trim().split('\n')).toEqual(['200', '200', '200', '200', '200']);
  });

  it('works for a sudo user, writes root-owned 0644 files, and file content never reaches a shell', async () => {
    await addUser(t.vps, 'deploy', t.publicKey, true);
    const deploy = { ...t.target, id: `${t.vps.name}:deploy`, user: 'deploy' };
    const [snippet, siteFile] = renderSiteFiles(staticSite('sudo-site', 'sudo.test'));
    const content = `${siteFile!.content}# $(touch /tmp/pwned) \`touch /tmp/pwned\` '; touch /tmp/pwned\n`;
    const result = await new NginxConfigurator(t.ssh).apply(deploy, [snippet!, { path: siteFile!.path, content }]);
    expect(result.reloaded).toEqual(['nginx']);
    expect((await curl(t.vps, 'http://127.0.0.1/hello.txt', '-H', 'Host: sudo.test')).body).toBe('static r1\n');
    expect(await sh(t.vps, 'stat -c "%U:%G %a" -- "$1"', siteFile!.path)).toBe('root:root 644\n');
    expect(await pwned(t.vps)).toBe(false);
  });

  it('serializes concurrent applies to one server: all of them land and are live', async () => {
    const sites = ['one', 'two', 'three'].map((n) => staticSite(`par-${n}`, `${n}.par.test`));
    const results = await Promise.all(sites.map((s) => proxy.apply(t.target, renderSiteFiles(s))));
    for (const r of results) expect(r.reloaded).toEqual(['nginx']);
    for (const n of ['one', 'two', 'three']) expect((await curl(t.vps, 'http://127.0.0.1/hello.txt', '-H', `Host: ${n}.par.test`)).body).toBe('static r1\n');
  });
});
