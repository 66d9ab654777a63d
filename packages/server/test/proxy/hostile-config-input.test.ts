import { describe, expect, it } from 'vitest';
import { renderPreviewConfig } from '../../src/core/nginx/preview-config.js';
import { renderSiteConfig } from '../../src/core/nginx/site-config.js';
import type { SiteSpec } from '../../src/core/nginx/site-spec.js';
import { renderPool, type PoolSpec } from '../../src/core/php-fpm/pool-config.js';
import { AppError } from '../../src/lib/errors.js';
import { HOSTILE } from '../servers/hostile-values.js';

const site = (): SiteSpec => ({
  id: 'env_1',
  slug: 'shop-production',
  serverNames: ['shop.example.com'],
  app: { kind: 'php', framework: 'laravel', documentRoot: '/srv/devflow/shop/production/current/public', fpmSocket: '/run/php/shop.sock' },
  tls: { certificatePath: '/etc/devflow/tls/a.pem', keyPath: '/etc/devflow/tls/a.key' },
  maintenance: null,
});

const pool = (): PoolSpec => ({ id: 'env_1', slug: 'shop-production', phpVersion: '8.2', user: 'shop', group: 'shop', rootDir: '/srv/devflow/shop/production' });

/** Runs `render` and returns the field named by its proxy.invalid_config error. */
function refusedField(render: () => unknown): string {
  try {
    render();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('proxy.invalid_config');
    expect((err as AppError).kind).toBe('invalid');
    return (err as AppError).fields[0]?.field ?? '';
  }
  throw new Error('rendered hostile input');
}

const INJECTIONS = [
  'example.com; include /etc/passwd',
  'a\nb',
  'example.com\n}\nserver { listen 81; }',
  'exa mple.com',
  'example.com{',
  'example.com#',
  '$host',
  '"quoted"',
  "it's.com",
  '',
  '-leading.com',
  'trailing-.com',
  'a..b',
  'ümlaut.de',
  `${'a'.repeat(64)}.com`,
];

describe('hostile values never reach a config file', () => {
  it('refuses host names that are not strict DNS names, naming the field', () => {
    for (const bad of [...INJECTIONS, ...HOSTILE]) {
      expect(refusedField(() => renderSiteConfig({ ...site(), serverNames: ['ok.example.com', bad] }))).toBe('serverNames.1');
    }
  });

  it('refuses paths with whitespace, quotes, semicolons, braces, $ and ..', () => {
    const paths = ['/srv/a b', '/srv/a;b', '/srv/{a}', '/srv/"a"', "/srv/'a'", '/srv/$a', '/srv/a\nb', '/srv/a#b', 'relative/path', '/srv/../etc', '/srv/a\\b', '/srv/a:b', '/'];
    for (const bad of [...paths, ...HOSTILE]) {
      expect(refusedField(() => renderSiteConfig({ ...site(), app: { kind: 'static', documentRoot: bad } }))).toBe('app.documentRoot');
      expect(refusedField(() => renderSiteConfig({ ...site(), tls: { certificatePath: bad, keyPath: '/k' } }))).toBe('tls.certificatePath');
      expect(refusedField(() => renderSiteConfig({ ...site(), acmeWebroot: bad }))).toBe('acmeWebroot');
      expect(refusedField(() => renderSiteConfig({ ...site(), maintenance: { pageFile: bad, retryAfterSeconds: 60 } }))).toBe('maintenance.pageFile');
      expect(refusedField(() => renderPool({ ...pool(), rootDir: bad }))).toBe('rootDir');
    }
  });

  it('refuses numbers that are not integers in range', () => {
    for (const bad of [1.5, -1, Number.NaN, Infinity, '10', '10; include x', 10 ** 20]) {
      expect(refusedField(() => renderSiteConfig({ ...site(), clientMaxBodyMb: bad as never }))).toBe('clientMaxBodyMb');
      expect(refusedField(() => renderSiteConfig({ ...site(), rateLimit: { requestsPerSecond: bad as never, burst: 1 } }))).toBe('rateLimit.requestsPerSecond');
      expect(refusedField(() => renderPreviewConfig({ id: 'e', slug: 's', port: bad as never, app: { kind: 'static', documentRoot: '/x' } }))).toBe('port');
      expect(refusedField(() => renderPool({ ...pool(), pm: { mode: 'ondemand', maxChildren: bad as never } }))).toBe('pm.maxChildren');
    }
  });

  it('refuses hostile ids, slugs, redirect sources and targets', () => {
    for (const bad of ['../etc', 'a b', 'a;b', 'A\nB', ...HOSTILE.filter((h) => !/^[A-Za-z0-9_-]+$/.test(h))]) {
      expect(refusedField(() => renderSiteConfig({ ...site(), id: bad }))).toBe('id');
    }
    for (const bad of ['Shop', 'shop_production', 'shop.production', '-shop', ...HOSTILE]) {
      expect(refusedField(() => renderSiteConfig({ ...site(), slug: bad }))).toBe('slug');
    }
    for (const bad of ['old', '/a b', '/a;b', '/a{', '/$uri', '/a?b=1', '/a#b', '/a%20b', "/it's", ...HOSTILE]) {
      expect(refusedField(() => renderSiteConfig({ ...site(), redirects: [{ from: bad, to: '/x', status: 301 }] }))).toBe('redirects.0.from');
    }
    for (const bad of ['javascript:alert(1)', 'ftp://x.com/', '//evil.com', 'https://x.com/$host', 'https://x.com/";return 200 "x', 'https://u:p@x.com/', 'https://x.com/a;b', 'https://bad host/']) {
      expect(refusedField(() => renderSiteConfig({ ...site(), redirects: [{ from: '/a', to: bad, status: 301 }] }))).toBe('redirects.0.to');
    }
    expect(refusedField(() => renderSiteConfig({ ...site(), redirects: [{ from: '/a', to: '/b', status: 200 as never }] }))).toBe('redirects.0.status');
  });

  it('accepts IDN only punycoded, and normalises case', () => {
    expect(renderSiteConfig({ ...site(), serverNames: ['XN--BCHER-KVA.Example'] })).toContain('server_name xn--bcher-kva.example;');
    expect(renderSiteConfig({ ...site(), serverNames: ['*.example.com'] })).toContain('server_name *.example.com;');
  });

  it('refuses hostile pool users, groups and function names', () => {
    for (const bad of ['root', 'a b', 'a;b', 'a\nb', 'A', ...HOSTILE.filter((h) => !/^[a-z_][a-z0-9_-]*$/.test(h))]) {
      expect(refusedField(() => renderPool({ ...pool(), user: bad }))).toBe('user');
    }
    expect(refusedField(() => renderPool({ ...pool(), disableFunctions: ['exec', 'system;x'] }))).toBe('disableFunctions.1');
    expect(refusedField(() => renderPool({ ...pool(), phpVersion: '8.2; x' }))).toBe('phpVersion');
  });
});
