import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NginxConfigurator, lastGoodPath } from '../../src/adapters/proxy/nginx/nginx-configurator.js';
import { ConfigRejectedError, ProxyError } from '../../src/adapters/proxy/proxy-errors.js';
import { siteConfigPath } from '../../src/core/nginx/nginx-paths.js';
import { renderPreviewFile } from '../../src/core/nginx/preview-config.js';
import { renderSiteConfig, renderSiteFiles } from '../../src/core/nginx/site-config.js';
import { phpFpmPoolPath } from '../../src/core/php-fpm/php-fpm-paths.js';
import { renderPoolFile } from '../../src/core/php-fpm/pool-config.js';
import { labAvailable } from '../support/lab.js';
import { ACME_WEBROOT, ENV_ROOT, curl, fileAt, listDir, servicePids, sh, shopPool, shopSite, startProxyLab, type ProxyLab } from './proxy-lab.js';

const lab = await labAvailable();

/**
 * The configuration layer against real nginx and php-fpm in a lab server,
 * over the real SSH executor. The tests run in order: each starts from the
 * state the previous one left (a live PHP site on app.test).
 */
describe.skipIf(!lab)('NginxConfigurator against real nginx + php-fpm', () => {
  let t: ProxyLab;
  let proxy: NginxConfigurator;
  const site = shopSite();
  const siteFiles = renderSiteFiles(site);
  const poolFile = renderPoolFile(shopPool());
  const sitePath = siteConfigPath(site.slug);

  beforeAll(async () => {
    t = await startProxyLab();
    proxy = new NginxConfigurator(t.ssh, { settleTimeoutMs: 4000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('(a) puts a rendered PHP site and its pool live: PHP runs as the pool user behind open_basedir', async () => {
    const result = await proxy.apply(t.target, [...siteFiles, poolFile]);
    expect(result.changed).toEqual([...siteFiles.map((f) => f.path), poolFile.path]);
    expect(result.reloaded).toEqual(['php8.2-fpm', 'nginx']);

    const res = await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test');
    expect(res.status).toBe(200);
    expect(res.body).toContain('release r1\n');
    expect(res.body).toContain('user=shop\n');
    // $realpath_root: PHP sees the release directory, not the `current` link.
    expect(res.body).toContain(`document_root=${ENV_ROOT}/releases/r1/public\n`);
    expect(res.body).toContain(`script=${ENV_ROOT}/releases/r1/public/index.php\n`);
    expect(res.body).toContain(`open_basedir=${ENV_ROOT}/:/tmp/\n`);
    expect(res.body).toContain('exec=no\n');
    expect(res.body).toContain('passwd=blocked\n');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();

    // Front controller only, no dotfiles, static files served directly.
    expect((await curl(t.vps, 'http://127.0.0.1/some/route?x=1', '-H', 'Host: app.test')).body).toContain('release r1');
    expect((await curl(t.vps, 'http://127.0.0.1/.env', '-H', 'Host: app.test')).status).toBe(403);
    expect((await curl(t.vps, 'http://127.0.0.1/hello.txt', '-H', 'Host: app.test')).body).toBe('static r1\n');
    expect(await sh(t.vps, 'stat -c "%U:%G %a" -- "$1"', '/run/php/php8.2-fpm-devflow-shop-production.sock')).toBe('www-data:www-data 660\n');

    // The same files again change nothing and reload nothing.
    const pids = await servicePids(t.vps);
    expect(await proxy.apply(t.target, [...siteFiles, poolFile])).toEqual({ changed: [], unchanged: [...siteFiles.map((f) => f.path), poolFile.path], reloaded: [] });
    expect(await servicePids(t.vps)).toBe(pids);
  });

  it('(b) an atomic switch of the `current` link changes the answer without any reload', async () => {
    const pids = await servicePids(t.vps);
    // What the release strategy does: a new link under a temporary name, renamed over `current`.
    await sh(t.vps, 'cd "$1" && ln -sfn releases/r2 current.tmp && mv -T current.tmp current', ENV_ROOT);
    const res = await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test');
    expect(res.body).toContain('release r2\n');
    expect(res.body).toContain(`document_root=${ENV_ROOT}/releases/r2/public\n`);
    expect((await curl(t.vps, 'http://127.0.0.1/hello.txt', '-H', 'Host: app.test')).body).toBe('static r2\n');
    expect(await servicePids(t.vps)).toBe(pids);
    await sh(t.vps, 'cd "$1" && ln -sfn releases/r1 current.tmp && mv -T current.tmp current', ENV_ROOT);
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).body).toContain('release r1\n');
  });

  it('(c) a config nginx rejects never goes live: old files back, old config serving, nginx message in the error', async () => {
    const pids = await servicePids(t.vps);
    const changedSite = renderSiteConfig(shopSite({ maintenance: { pageFile: `${ENV_ROOT}/maintenance.html`, retryAfterSeconds: 60 } }));
    const broken = { path: '/etc/nginx/conf.d/devflow-broken.conf', content: 'devflow_no_such_directive on;\n' };
    const err = await proxy.apply(t.target, [{ path: sitePath, content: changedSite }, broken]).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConfigRejectedError);
    const rejected = err as ConfigRejectedError;
    expect(rejected.code).toBe('proxy.config_invalid');
    expect(rejected.checker).toBe('nginx');
    expect(rejected.stderrTail).toContain('unknown directive "devflow_no_such_directive" in /etc/nginx/conf.d/devflow-broken.conf:1');
    expect(rejected.message).toContain('unknown directive "devflow_no_such_directive"');

    // Every previous file is back, the new one is gone, no upload is left behind.
    expect(await fileAt(t.vps, sitePath)).toBe(siteFiles[1]!.content);
    expect(await fileAt(t.vps, broken.path)).toBeNull();
    for (const dir of ['/etc/nginx/sites-enabled', '/etc/nginx/conf.d']) {
      expect((await listDir(t.vps, dir)).filter((n) => n.includes('devflow-tmp'))).toEqual([]);
    }
    // Nothing was reloaded and the old configuration still answers.
    expect(await servicePids(t.vps)).toBe(pids);
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).body).toContain('release r1\n');
    expect((await t.vps.exec(['nginx', '-t'])).code).toBe(0);
  });

  it('(c) a pool php-fpm rejects is taken back before any reload, and php-fpm keeps running', async () => {
    const pids = await servicePids(t.vps);
    const badPool = renderPoolFile(shopPool({ user: 'nosuchuser', group: 'nosuchuser' }));
    const err = await proxy.apply(t.target, [badPool]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect((err as ConfigRejectedError).checker).toBe('php-fpm8.2');
    expect((err as ConfigRejectedError).stderrTail).toMatch(/nosuchuser/);
    expect(await fileAt(t.vps, phpFpmPoolPath('8.2', 'shop-production'))).toBe(poolFile.content);
    expect(await servicePids(t.vps)).toBe(pids);
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).body).toContain('user=shop\n');
  });

  it('(d) the preview listener serves the `release` link on its private loopback port only', async () => {
    const preview = renderPreviewFile({
      id: site.id,
      slug: site.slug,
      port: 9101,
      app: { kind: 'php', framework: 'laravel', documentRoot: `${ENV_ROOT}/release/public`, fpmSocket: (site.app as { fpmSocket: string }).fpmSocket },
    });
    expect((await proxy.apply(t.target, [preview])).reloaded).toEqual(['nginx']);

    const res = await curl(t.vps, 'http://127.0.0.1:9101/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('release r2\n');
    expect(res.body).toContain(`document_root=${ENV_ROOT}/releases/r2/public\n`);
    expect(res.headers['x-devflow-preview']).toBe(site.id);
    // The public site still serves `current` (r1).
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).body).toContain('release r1\n');
    // Bound to loopback only: the container's own address refuses the port.
    const ip = (await sh(t.vps, 'hostname -i')).trim().split(' ')[0] as string;
    expect((await t.vps.exec(['curl', '-sS', '--max-time', '3', `http://${ip}:9101/`])).code).not.toBe(0);
  });

  it('(e) maintenance mode answers 503 with Retry-After for every request, while the ACME token is served', async () => {
    const down = renderSiteFiles(shopSite({ maintenance: { pageFile: `${ENV_ROOT}/maintenance.html`, retryAfterSeconds: 120 } }));
    expect((await proxy.apply(t.target, down)).changed).toEqual([sitePath]);

    for (const path of ['/', '/index.php', '/hello.txt', '/some/route']) {
      const res = await curl(t.vps, `http://127.0.0.1${path}`, '-H', 'Host: app.test');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('120');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).toBe('<h1>Back soon</h1>\n');
    }
    expect((await curl(t.vps, 'http://127.0.0.1/form', '-H', 'Host: app.test', '-X', 'POST', '-d', 'a=1')).status).toBe(503);
    const token = await curl(t.vps, 'http://127.0.0.1/.well-known/acme-challenge/tok123', '-H', 'Host: app.test');
    expect(token.status).toBe(200);
    expect(token.body).toBe('token-for-acme\n');
    expect(token.headers['content-type']).toBe('text/plain');

    // Back to normal; the maintenance version waits as the last-good copy.
    expect((await proxy.apply(t.target, siteFiles)).changed).toEqual([sitePath]);
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).status).toBe(200);
    expect(await fileAt(t.vps, lastGoodPath(sitePath))).toBe(down[1]!.content);
  });

  it('a reload nginx refuses (a port already taken) is detected and its files taken back', async () => {
    await sh(t.vps, '(php -S 127.0.0.1:9300 -t /tmp >/dev/null 2>&1 &); for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:9300/ && exit 0; sleep 0.1; done; exit 1');
    const clash = renderPreviewFile({ id: 'clash', slug: 'clash', port: 9300, app: { kind: 'static', documentRoot: '/srv/devflow/clash/release' } });
    const err = await proxy.apply(t.target, [clash]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).code).toBe('proxy.reload_failed');
    expect((err as ProxyError).message).toMatch(/kept the old configuration.*bind\(\) to 127\.0\.0\.1:9300 failed/);
    expect(await fileAt(t.vps, clash.path)).toBeNull();
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).body).toContain('release r1\n');
  });

  it('remove takes a site away with the same check, and puts it back when nginx would reject the result', async () => {
    // The site still uses the zone of its rate-limit snippet: removing only the snippet must fail.
    const limited = renderSiteFiles(shopSite({ rateLimit: { requestsPerSecond: 50, burst: 50 } }));
    await proxy.apply(t.target, limited);
    const err = await proxy.remove(t.target, [limited[0]!.path]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect((err as ConfigRejectedError).stderrTail).toMatch(/zero size shared memory zone "devflow_rl_env_shop_production"/);
    expect(await fileAt(t.vps, limited[0]!.path)).toBe(limited[0]!.content);

    const paths = [...limited.map((f) => f.path), poolFile.path, '/etc/nginx/sites-enabled/devflow-shop-production.preview.conf'];
    const result = await proxy.remove(t.target, paths);
    expect(result.changed).toEqual(paths);
    expect(result.reloaded).toEqual(['php8.2-fpm', 'nginx']);
    for (const p of paths) expect(await fileAt(t.vps, p)).toBeNull();
    expect(await fileAt(t.vps, lastGoodPath(sitePath))).toBe(limited[1]!.content);
    // app.test now falls through to Debian's default site.
    expect((await curl(t.vps, 'http://127.0.0.1/', '-H', 'Host: app.test')).body).not.toContain('release');
    expect(await proxy.remove(t.target, paths)).toEqual({ changed: [], unchanged: paths, reloaded: [] });
  });

  it('refuses paths outside the files DevFlow manages, before connecting', async () => {
    for (const path of ['/etc/nginx/nginx.conf', '/etc/nginx/sites-enabled/default', '/etc/passwd', '/etc/php/8.2/fpm/pool.d/www.conf']) {
      const err = await proxy.apply(t.target, [{ path, content: 'x' }]).catch((e: unknown) => e);
      expect((err as ProxyError).code).toBe('proxy.unmanaged_path');
    }
    expect(await fileAt(t.vps, `${ACME_WEBROOT}/.well-known/acme-challenge/tok123`)).toBe('token-for-acme\n');
  });
});
