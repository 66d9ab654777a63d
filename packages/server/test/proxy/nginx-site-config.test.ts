import { describe, expect, it } from 'vitest';
import { renderPreviewConfig, renderPreviewFile } from '../../src/core/nginx/preview-config.js';
import { renderRateLimitSnippet, renderSiteConfig, renderSiteFiles } from '../../src/core/nginx/site-config.js';
import { certificateNames, type SiteSpec } from '../../src/core/nginx/site-spec.js';
import { all, headers, location, parseNginx, serverFor, servers, values } from './nginx-conf.js';

const ACME = '^~ /.well-known/acme-challenge/';

function laravel(over: Partial<SiteSpec> = {}): SiteSpec {
  return {
    id: 'env_01j9xabc',
    slug: 'shop-production',
    serverNames: ['shop.example.com'],
    app: {
      kind: 'php',
      framework: 'laravel',
      documentRoot: '/srv/devflow/shop/production/current/public',
      fpmSocket: '/run/php/php8.2-fpm-devflow-shop-production.sock',
    },
    ...over,
  };
}

const TLS = { certificatePath: '/etc/devflow/tls/shop/fullchain.pem', keyPath: '/etc/devflow/tls/shop/privkey.pem' };

describe('renderSiteConfig: a PHP site', () => {
  it('starts with a header naming DevFlow and the site, and parses as nginx configuration', () => {
    const text = renderSiteConfig(laravel());
    expect(text.split('\n')[0]).toBe('# Managed by DevFlow Pro: server blocks of site env_01j9xabc (shop-production).');
    expect(() => parseNginx(text)).not.toThrow();
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('without TLS serves the app on port 80 (IPv4 and IPv6) through the front controller', () => {
    const text = renderSiteConfig(laravel({ serverNames: ['shop.example.com', 'b.example.com', 'a.example.com'] }));
    expect(servers(text)).toHaveLength(1);
    const http = serverFor(text, 'shop.example.com', false);
    expect(values(http, 'listen')).toEqual(['80', '[::]:80']);
    expect(values(http, 'server_name')).toEqual(['shop.example.com a.example.com b.example.com']);
    expect(values(http, 'root')).toEqual(['/srv/devflow/shop/production/current/public']);
    expect(values(http, 'client_max_body_size')).toEqual(['64m']);
    expect(values(location(http, '/')!, 'try_files')).toEqual(['$uri $uri/ /index.php?$query_string']);
    const php = location(http, '~ ^/index\\.php(?:/|$)')!;
    expect(values(php, 'fastcgi_pass')).toEqual(['unix:/run/php/php8.2-fpm-devflow-shop-production.sock']);
    expect(values(php, 'fastcgi_param')).toEqual(
      expect.arrayContaining(['SCRIPT_FILENAME $realpath_root$fastcgi_script_name', 'DOCUMENT_ROOT $realpath_root']),
    );
    // The realpath params come after `include fastcgi_params`, so they win over its $document_root.
    const names = all(php, 'include').concat(all(php, 'fastcgi_param')).map((d) => php.children!.indexOf(d));
    expect(names[0]).toBeLessThan(Math.min(...names.slice(1)));
    expect(values(location(http, '~ \\.php$')!, 'return')).toEqual(['404']);
    expect(values(location(http, '~ /\\.(?!well-known(?:/|$))')!, 'deny')).toEqual(['all']);
    expect(headers(http)).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'SAMEORIGIN',
      'Content-Security-Policy': "frame-ancestors 'self'",
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    });
    expect(headers(http)['Strict-Transport-Security']).toBeUndefined();
    expect(values(location(http, ACME)!, 'root')).toEqual(['/var/lib/devflow/acme']);
  });

  it('with TLS: modern protocols, HTTP/2, HSTS, and port 80 only redirects (except ACME)', () => {
    const text = renderSiteConfig(laravel({ tls: { ...TLS, hstsIncludeSubdomains: true } }));
    const http = serverFor(text, 'shop.example.com', false);
    expect(values(location(http, '/')!, 'return')).toEqual(['301 https://$host$request_uri']);
    expect(location(http, ACME)).toBeDefined();
    expect(all(http, 'fastcgi_pass')).toHaveLength(0);

    const https = serverFor(text, 'shop.example.com', true);
    expect(values(https, 'listen')).toEqual(['443 ssl http2', '[::]:443 ssl http2']);
    expect(values(https, 'ssl_certificate')).toEqual([TLS.certificatePath]);
    expect(values(https, 'ssl_certificate_key')).toEqual([TLS.keyPath]);
    expect(values(https, 'ssl_protocols')).toEqual(['TLSv1.2 TLSv1.3']);
    expect(values(https, 'ssl_prefer_server_ciphers')).toEqual(['off']);
    expect(values(https, 'ssl_session_tickets')).toEqual(['off']);
    for (const cipher of values(https, 'ssl_ciphers')[0]!.split(':')) {
      expect(cipher).toMatch(/^ECDHE-(?:ECDSA|RSA)-(?:AES(?:128|256)-GCM-SHA(?:256|384)|CHACHA20-POLY1305)$/);
    }
    expect(values(https, 'ssl_stapling')).toEqual([]);
    expect(headers(https)['Strict-Transport-Security']).toBe('max-age=31536000; includeSubDomains');
    expect(location(https, ACME)).toBeDefined();
    expect(location(https, '~ ^/index\\.php(?:/|$)')).toBeDefined();
  });

  it('staples OCSP when a chain is given, and uses `http2 on` on nginx 1.25.1+', () => {
    const text = renderSiteConfig(laravel({ tls: { ...TLS, chainPath: '/etc/devflow/tls/shop/chain.pem' } }), { version: '1.26.0' });
    const https = serverFor(text, 'shop.example.com', true);
    expect(values(https, 'ssl_stapling')).toEqual(['on']);
    expect(values(https, 'ssl_stapling_verify')).toEqual(['on']);
    expect(values(https, 'ssl_trusted_certificate')).toEqual(['/etc/devflow/tls/shop/chain.pem']);
    expect(values(https, 'listen')).toEqual(['443 ssl', '[::]:443 ssl']);
    expect(values(https, 'http2')).toEqual(['on']);
  });

  it('can serve both HTTP and HTTPS, on other ports, without IPv6', () => {
    const text = renderSiteConfig(laravel({ tls: { ...TLS, redirectHttp: false, http2: false }, httpPort: 8080, httpsPort: 8443, ipv6: false }));
    const http = serverFor(text, 'shop.example.com', false);
    expect(values(http, 'listen')).toEqual(['8080']);
    expect(location(http, '~ ^/index\\.php(?:/|$)')).toBeDefined();
    expect(values(serverFor(text, 'shop.example.com', true), 'listen')).toEqual(['8443 ssl']);
  });

  it('has framework rules: Symfony/Shopware front controller, WordPress runs existing .php files, static has no PHP', () => {
    for (const framework of ['symfony', 'shopware'] as const) {
      const s = serverFor(renderSiteConfig(laravel({ app: { ...(laravel().app as { kind: 'php'; documentRoot: string; fpmSocket: string }), framework } })), 'shop.example.com', false);
      expect(values(location(s, '/')!, 'try_files')).toEqual(['$uri /index.php$is_args$args']);
      expect(values(location(s, '~ \\.php$')!, 'return')).toEqual(['404']);
    }
    const wp = serverFor(renderSiteConfig(laravel({ app: { kind: 'php', framework: 'wordpress', documentRoot: '/srv/devflow/blog/production/current', fpmSocket: '/run/php/wp.sock' } })), 'shop.example.com', false);
    expect(values(location(wp, '/')!, 'try_files')).toEqual(['$uri $uri/ /index.php?$args']);
    const php = location(wp, '~ \\.php$')!;
    expect(values(php, 'try_files')).toEqual(['$uri =404']);
    expect(values(php, 'fastcgi_pass')).toEqual(['unix:/run/php/wp.sock']);

    const st = serverFor(renderSiteConfig(laravel({ app: { kind: 'static', documentRoot: '/srv/devflow/docs/production/current/dist' } })), 'shop.example.com', false);
    expect(values(location(st, '/')!, 'try_files')).toEqual(['$uri $uri/ =404']);
    expect(JSON.stringify(st)).not.toContain('fastcgi');
    expect(values(st, 'index')).toEqual(['index.html index.htm']);
  });
});

describe('renderSiteConfig: docker/proxy mode', () => {
  it('renders an upstream with failover (max_fails, fail_timeout, backup last) and proxies to it', () => {
    const text = renderSiteConfig(
      laravel({
        app: {
          kind: 'proxy',
          upstreams: [
            { address: '127.0.0.1:9003', backup: true },
            { address: '127.0.0.1:9002', maxFails: 2, failTimeoutSeconds: 5 },
            { address: 'unix:/run/devflow/app.sock', weight: 3 },
          ],
        },
      }),
    );
    const [upstream] = all(parseNginx(text), 'upstream');
    expect(upstream!.args).toEqual(['devflow_env_01j9xabc']);
    expect(values(upstream!, 'server')).toEqual([
      '127.0.0.1:9002 max_fails=2 fail_timeout=5s',
      'unix:/run/devflow/app.sock weight=3 max_fails=3 fail_timeout=10s',
      '127.0.0.1:9003 max_fails=3 fail_timeout=10s backup',
    ]);
    expect(values(upstream!, 'keepalive')).toEqual(['16']);
    const root = location(serverFor(text, 'shop.example.com', false), '/')!;
    expect(values(root, 'proxy_pass')).toEqual(['http://devflow_env_01j9xabc']);
    expect(values(root, 'proxy_next_upstream')).toEqual(['error timeout http_502 http_503 http_504']);
    expect(values(root, 'proxy_set_header')).toEqual(expect.arrayContaining(['Host $host', 'X-Forwarded-Proto $scheme', 'Connection ']));
  });

  it('refuses a list of backups only, duplicates and bad addresses', () => {
    const bad = (upstreams: unknown) => () => renderSiteConfig(laravel({ app: { kind: 'proxy', upstreams: upstreams as never } }));
    expect(bad([{ address: '127.0.0.1:1', backup: true }])).toThrow(/must not be a backup/);
    expect(bad([{ address: '127.0.0.1:1' }, { address: '127.0.0.1:1' }])).toThrow(/twice/);
    expect(bad([{ address: '127.0.0.1:99999' }])).toThrow(/app\.upstreams\.0\.address/);
    expect(bad([{ address: 'localhost:80; include /etc/passwd' }])).toThrow(/app\.upstreams\.0\.address/);
    expect(bad([])).toThrow(/at least one/);
  });
});

describe('renderSiteConfig: redirects', () => {
  it('sends www to the apex (HTTP and HTTPS, straight to https) and keeps ACME on the www name', () => {
    const text = renderSiteConfig(laravel({ serverNames: ['example.com'], tls: TLS, wwwRedirect: 'to-apex' }));
    for (const tls of [false, true]) {
      const www = serverFor(text, 'www.example.com', tls);
      expect(values(location(www, '/')!, 'return')).toEqual(['301 https://example.com$request_uri']);
      expect(location(www, ACME)).toBeDefined();
    }
    expect(certificateNames(laravel({ serverNames: ['example.com'], tls: TLS, wwwRedirect: 'to-apex' }))).toEqual(['example.com', 'www.example.com']);
  });

  it('sends the apex to www, with http:// when there is no TLS', () => {
    const text = renderSiteConfig(laravel({ serverNames: ['www.example.com'], wwwRedirect: 'to-www' }));
    expect(values(location(serverFor(text, 'example.com', false), '/')!, 'return')).toEqual(['301 http://www.example.com$request_uri']);
    expect(() => renderSiteConfig(laravel({ serverNames: ['example.com'], wwwRedirect: 'to-www' }))).toThrow(/to-www needs a www\. primary/);
    expect(() => renderSiteConfig(laravel({ serverNames: ['example.com', 'www.example.com'], wwwRedirect: 'to-apex' }))).toThrow(/cannot also redirect/);
  });

  it('renders custom rules as exact locations, sorted, with the target quoted', () => {
    const text = renderSiteConfig(
      laravel({
        redirects: [
          { from: '/zeta', to: '/new-zeta', status: 302 },
          { from: '/alpha', to: 'https://other.example.org/a?x=1&y=2', status: 301 },
        ],
      }),
    );
    const http = serverFor(text, 'shop.example.com', false);
    expect(values(location(http, '= /alpha')!, 'return')).toEqual(['301 https://other.example.org/a?x=1&y=2']);
    expect(values(location(http, '= /zeta')!, 'return')).toEqual(['302 /new-zeta']);
    expect(text.indexOf('location = /alpha')).toBeLessThan(text.indexOf('location = /zeta'));
    expect(text).toContain('return 301 "https://other.example.org/a?x=1&y=2";');
  });
});

describe('rate limiting', () => {
  const limited = laravel({ rateLimit: { requestsPerSecond: 5, burst: 10 } });

  it('puts limit_req_zone (keyed by $binary_remote_addr, named after the site id) in an http-level snippet', () => {
    const snippet = renderRateLimitSnippet(limited);
    expect(values(parseNginx(snippet), 'limit_req_zone')).toEqual(['$binary_remote_addr zone=devflow_rl_env_01j9xabc:10m rate=5r/s']);
    const http = serverFor(renderSiteConfig(limited), 'shop.example.com', false);
    expect(values(http, 'limit_req')).toEqual(['zone=devflow_rl_env_01j9xabc burst=10 nodelay']);
    expect(values(http, 'limit_req_status')).toEqual(['429']);
    expect(renderSiteConfig(limited)).not.toContain('limit_req_zone');
  });

  it('renders a comment-only snippet without a limit, and the site files at their paths', () => {
    const files = renderSiteFiles(laravel());
    expect(files.map((f) => f.path)).toEqual(['/etc/nginx/conf.d/devflow-ratelimit-shop-production.conf', '/etc/nginx/sites-enabled/devflow-shop-production.conf']);
    expect(parseNginx(files[0]!.content)).toEqual([]);
    expect(files[1]!.content).not.toContain('limit_req');
  });
});

describe('maintenance mode', () => {
  const down = laravel({ tls: TLS, maintenance: { pageFile: '/srv/devflow/shop/production/maintenance.html', retryAfterSeconds: 120 } });

  it('answers 503 with the page and Retry-After for everything, runs no PHP, and still serves ACME', () => {
    const text = renderSiteConfig(down);
    const https = serverFor(text, 'shop.example.com', true);
    expect(values(https, 'error_page')).toEqual(['503 /__devflow_maintenance.html']);
    expect(values(location(https, '/')!, 'return')).toEqual(['503']);
    const page = location(https, '= /__devflow_maintenance.html')!;
    expect(values(page, 'internal')).toEqual(['']);
    expect(values(page, 'root')).toEqual(['/srv/devflow/shop/production']);
    expect(values(page, 'try_files')).toEqual(['/maintenance.html =503']);
    // add_header in a location drops the server's headers: the page repeats them, HSTS included.
    expect(headers(page)).toMatchObject({ 'Retry-After': '120', 'Cache-Control': 'no-store', 'X-Frame-Options': 'SAMEORIGIN' });
    expect(headers(page)['Strict-Transport-Security']).toBe('max-age=31536000');
    expect(text).not.toContain('fastcgi_pass');
    expect(all(https, 'location').map((l) => l.args.join(' '))).toEqual([ACME, '= /__devflow_maintenance.html', '/']);
    expect(location(serverFor(text, 'shop.example.com', false), ACME)).toBeDefined();
  });

  it('serves ACME in every server block, before TLS exists, with redirects and in maintenance', () => {
    for (const spec of [laravel(), down, laravel({ tls: TLS, wwwRedirect: 'to-apex', serverNames: ['example.com'] }), laravel({ maintenance: down.maintenance })]) {
      const blocks = servers(renderSiteConfig(spec));
      for (const s of blocks) expect(values(location(s, ACME)!, 'try_files')).toEqual(['$uri =404']);
    }
  });
});

describe('determinism', () => {
  it('gives the same text whatever the order of names, redirects and upstreams', () => {
    const a = laravel({
      serverNames: ['shop.example.com', 'b.example.com', 'a.example.com'],
      redirects: [
        { from: '/b', to: '/x', status: 301 },
        { from: '/a', to: '/y', status: 301 },
      ],
    });
    const b = { ...a, serverNames: ['shop.example.com', 'a.example.com', 'b.example.com'], redirects: [...a.redirects!].reverse() };
    expect(renderSiteConfig(a)).toBe(renderSiteConfig(b));
    const p1 = laravel({ app: { kind: 'proxy', upstreams: [{ address: '10.0.0.2:80' }, { address: '10.0.0.1:80' }] } });
    const p2 = laravel({ app: { kind: 'proxy', upstreams: [{ address: '10.0.0.1:80' }, { address: '10.0.0.2:80' }] } });
    expect(renderSiteConfig(p1)).toBe(renderSiteConfig(p2));
  });

  it('matches the reviewed files', async () => {
    const full = laravel({
      serverNames: ['example.com', 'shop.example.com'],
      tls: { ...TLS, chainPath: '/etc/devflow/tls/shop/chain.pem' },
      wwwRedirect: 'to-apex',
      redirects: [{ from: '/old', to: 'https://example.com/new', status: 301 }],
      rateLimit: { requestsPerSecond: 10, burst: 20 },
    });
    await expect(renderSiteConfig(full)).toMatchFileSnapshot('./__snapshots__/laravel-tls.conf');
    await expect(renderSiteConfig(laravel({ maintenance: { pageFile: '/srv/devflow/shop/production/maintenance.html', retryAfterSeconds: 300 } }))).toMatchFileSnapshot('./__snapshots__/maintenance.conf');
  });
});

describe('renderPreviewConfig', () => {
  it('listens on 127.0.0.1:<port> only and serves the release link with the pool', () => {
    const text = renderPreviewConfig({
      id: 'env_01j9xabc',
      slug: 'shop-production',
      port: 9101,
      app: { kind: 'php', framework: 'laravel', documentRoot: '/srv/devflow/shop/production/release/public', fpmSocket: '/run/php/php8.2-fpm-devflow-shop-production.sock' },
      assumeHttps: true,
    });
    const [server, ...more] = servers(text);
    expect(more).toHaveLength(0);
    expect(values(server!, 'listen')).toEqual(['127.0.0.1:9101 default_server']);
    expect(values(server!, 'root')).toEqual(['/srv/devflow/shop/production/release/public']);
    expect(headers(server!)['X-DevFlow-Preview']).toBe('env_01j9xabc');
    const php = location(server!, '~ ^/index\\.php(?:/|$)')!;
    expect(values(php, 'fastcgi_param')).toEqual(expect.arrayContaining(['SCRIPT_FILENAME $realpath_root$fastcgi_script_name', 'HTTPS on']));
    expect(renderPreviewFile({ id: 'e', slug: 'shop-production', port: 9101, app: { kind: 'static', documentRoot: '/srv/x/release' } }).path).toBe(
      '/etc/nginx/sites-enabled/devflow-shop-production.preview.conf',
    );
  });

  it('refuses a proxy app, a bad port and a hostile root', () => {
    const base = { id: 'e', slug: 's', port: 9101, app: { kind: 'static' as const, documentRoot: '/srv/x/release' } };
    expect(() => renderPreviewConfig({ ...base, app: { kind: 'proxy', upstreams: [] } as never })).toThrow(/php or static/);
    expect(() => renderPreviewConfig({ ...base, port: 0 })).toThrow(/port/);
    expect(() => renderPreviewConfig({ ...base, app: { kind: 'static', documentRoot: '/srv/x; listen 80' } })).toThrow(/app\.documentRoot/);
  });
});
