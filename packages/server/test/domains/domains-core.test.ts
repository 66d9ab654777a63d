/** The pure core of domains: host names, redirect checks, the domain's nginx files, expiry decisions. */
import { describe, expect, it } from 'vitest';
import { certificatePaths, domainSitePaths, renderDomainSiteFiles, withVerifyLocation, type DomainSiteInput } from '../../src/core/domains/domain-site.js';
import { daysLeft, expiryThreshold, renewAfter, renewalDue, shouldAlertExpiry } from '../../src/core/domains/expiry.js';
import { acmeChallengeRecordName, nameCovers, normalizeHostname, verificationRecordName, wwwTwin } from '../../src/core/domains/hostname.js';
import { redirectProblems } from '../../src/core/domains/redirects.js';
import { location, parseNginx, serverFor, servers, values } from '../proxy/nginx-conf.js';

const DAY = 86_400_000;

describe('normalizeHostname', () => {
  it('punycodes IDN, lower-cases, drops a trailing dot and keeps the display form', () => {
    expect(normalizeHostname('Straße.Example.')).toEqual({ ascii: 'xn--strae-oqa.example', unicode: 'straße.example', wildcard: false, base: 'xn--strae-oqa.example' });
    expect(normalizeHostname('*.Пример.рф')).toMatchObject({ ascii: '*.xn--e1afmkfd.xn--p1ai', unicode: '*.пример.рф', wildcard: true, base: 'xn--e1afmkfd.xn--p1ai' });
  });

  it('refuses IPs, single labels, bad labels and over-long names', () => {
    for (const bad of ['10.0.0.1', '::1', 'intranet', 'a_b.example.com', 'x.-y.com', `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.com`, 'foo.*.com', '']) {
      expect(() => normalizeHostname(bad), bad).toThrow(/not a valid host name/);
    }
  });

  it('names the twin and the records', () => {
    expect(wwwTwin('example.com')).toBe('www.example.com');
    expect(wwwTwin('www.example.com')).toBe('example.com');
    expect(wwwTwin('*.example.com')).toBeNull();
    expect(verificationRecordName('*.example.com')).toBe('_devflow-challenge.example.com');
    expect(acmeChallengeRecordName('*.example.com')).toBe('_acme-challenge.example.com');
  });

  it('matches certificate names per RFC 6125 (one label per wildcard)', () => {
    expect(nameCovers('*.example.com', 'shop.example.com')).toBe(true);
    expect(nameCovers('*.example.com', 'a.b.example.com')).toBe(false);
    expect(nameCovers('*.example.com', 'example.com')).toBe(false);
    expect(nameCovers('*.example.com', '*.example.com')).toBe(true);
    expect(nameCovers('Example.COM', 'example.com.')).toBe(true);
  });
});

describe('redirectProblems', () => {
  it('accepts sane rules and names each bad field', () => {
    expect(redirectProblems({ hostname: 'example.com', wildcard: false, redirectTo: null, wwwRedirect: 'to-apex', redirects: [{ from: '/a', to: '/b', status: 301 }] })).toEqual([]);
    const p = redirectProblems({ hostname: 'example.com', wildcard: false, redirectTo: 'https://example.com', wwwRedirect: 'to-www', redirects: [{ from: '/a;b', to: '/x', status: 301 }] });
    expect(p.map((x) => x.field)).toEqual(['body.redirectTo', 'body.redirects', 'body.wwwRedirect', 'body.redirects.0.from']);
  });
});

const base: DomainSiteInput = {
  domainId: 'dom_01abc',
  hostname: 'shop.example.com',
  app: { kind: 'static', documentRoot: '/srv/devflow/apps/shop/production/current' },
  tls: null,
  httpsRedirect: true,
  wwwRedirect: null,
  redirects: [],
  redirectTo: null,
  redirectStatus: 301,
};
const TLS = certificatePaths('dom_01abc', 'crt_01xyz');

describe('renderDomainSiteFiles', () => {
  it('writes the domain its own files, with the ownership path next to every ACME path', () => {
    const files = renderDomainSiteFiles(base);
    expect(files.map((f) => f.path)).toEqual(domainSitePaths('dom_01abc'));
    expect(files.map((f) => f.path)).toEqual(['/etc/nginx/conf.d/devflow-ratelimit-dom-01abc.conf', '/etc/nginx/sites-enabled/devflow-dom-01abc.conf']);
    const site = files[1]?.content ?? '';
    const http = serverFor(site, 'shop.example.com', false);
    expect(values(location(http, '^~ /.well-known/devflow-verify/')!, 'root')).toEqual(['/var/lib/devflow/acme']);
    expect(values(location(http, '^~ /.well-known/acme-challenge/')!, 'root')).toEqual(['/var/lib/devflow/acme']);
    expect(values(http, 'root')).toEqual(['/srv/devflow/apps/shop/production/current']);
  });

  it('with a certificate: HTTPS with its files, HTTP redirected except the token paths, www twin redirected', () => {
    const site = renderDomainSiteFiles({ ...base, hostname: 'example.com', tls: { certificatePath: TLS.fullchain, keyPath: TLS.key }, wwwRedirect: 'to-apex', redirects: [{ from: '/old', to: 'https://example.org/new', status: 302 }] })[1]?.content ?? '';
    const https = serverFor(site, 'example.com', true);
    expect(values(https, 'ssl_certificate')).toEqual(['/etc/devflow/tls/dom_01abc/crt_01xyz/fullchain.pem']);
    expect(values(https, 'ssl_certificate_key')).toEqual(['/etc/devflow/tls/dom_01abc/crt_01xyz/privkey.pem']);
    expect(values(location(https, '= /old')!, 'return')).toEqual(['302 https://example.org/new']);
    const http = serverFor(site, 'example.com', false);
    expect(values(location(http, '/')!, 'return')).toEqual(['301 https://$host$request_uri']);
    expect(location(http, '^~ /.well-known/devflow-verify/')).toBeDefined();
    const twin = serverFor(site, 'www.example.com', true);
    expect(values(location(twin, '/')!, 'return')).toEqual(['301 https://example.com$request_uri']);
    expect(location(twin, '^~ /.well-known/devflow-verify/')).toBeDefined();
  });

  it('a redirect-only domain keeps the path for an origin target and not for a full URL', () => {
    const origin = renderDomainSiteFiles({ ...base, redirectTo: 'https://new.example.org', redirectStatus: 308, tls: { certificatePath: TLS.fullchain, keyPath: TLS.key } })[1]?.content ?? '';
    expect(() => parseNginx(origin)).not.toThrow();
    expect(servers(origin)).toHaveLength(2);
    for (const tls of [false, true]) {
      const s = serverFor(origin, 'shop.example.com', tls);
      expect(values(location(s, '/')!, 'return')).toEqual(['308 https://new.example.org$request_uri']);
      expect(location(s, '^~ /.well-known/acme-challenge/')).toBeDefined();
      expect(location(s, '^~ /.well-known/devflow-verify/')).toBeDefined();
    }
    const page = renderDomainSiteFiles({ ...base, redirectTo: 'https://new.example.org/landing?from=old' })[1]?.content ?? '';
    expect(values(location(serverFor(page, 'shop.example.com', false), '/')!, 'return')).toEqual(['301 https://new.example.org/landing?from=old']);
  });

  it('refuses values that cannot safely reach nginx', () => {
    expect(() => renderDomainSiteFiles({ ...base, redirects: [{ from: '/a b', to: '/x', status: 301 }] })).toThrow(/proxy|Invalid/);
    expect(() => renderDomainSiteFiles({ ...base, redirectTo: 'https://x.example/$host' })).toThrow();
    expect(() => withVerifyLocation('server { }', '/var/lib/devflow/acme')).toThrow(/no ACME location/);
  });
});

describe('expiry decisions', () => {
  const notAfter = '2030-03-31T00:00:00.000Z';
  const at = (daysBefore: number) => Date.parse(notAfter) - daysBefore * DAY;

  it('renews from 30 days before expiry', () => {
    expect(renewAfter(notAfter)).toBe('2030-03-01T00:00:00.000Z');
    expect(renewalDue(notAfter, at(31))).toBe(false);
    expect(renewalDue(notAfter, at(30))).toBe(true);
    expect(renewalDue(notAfter, at(-1))).toBe(true);
  });

  it('crosses the 21, 7 and 1 day thresholds, and 0 once expired', () => {
    expect(expiryThreshold(notAfter, at(22))).toBeNull();
    expect(expiryThreshold(notAfter, at(21))).toBe(21);
    expect(expiryThreshold(notAfter, at(8))).toBe(21);
    expect(expiryThreshold(notAfter, at(7))).toBe(7);
    expect(expiryThreshold(notAfter, at(0.5))).toBe(1);
    expect(expiryThreshold(notAfter, at(-0.1))).toBe(0);
    expect(daysLeft(notAfter, at(6.5))).toBe(6);
  });

  it('alerts once per certificate and threshold, and again for a new certificate', () => {
    expect(shouldAlertExpiry({ fingerprint: 'A', threshold: null }, { fingerprint: null, threshold: null })).toBe(false);
    expect(shouldAlertExpiry({ fingerprint: 'A', threshold: 21 }, { fingerprint: null, threshold: null })).toBe(true);
    expect(shouldAlertExpiry({ fingerprint: 'A', threshold: 21 }, { fingerprint: 'A', threshold: 21 })).toBe(false);
    expect(shouldAlertExpiry({ fingerprint: 'A', threshold: 7 }, { fingerprint: 'A', threshold: 21 })).toBe(true);
    expect(shouldAlertExpiry({ fingerprint: 'B', threshold: 21 }, { fingerprint: 'A', threshold: 1 })).toBe(true);
  });
});
