import {
  absolutePath,
  hostname,
  identifier,
  integer,
  invalidConfig,
  redirectTarget,
  requestPath,
  slug,
  unique,
  upstreamAddress,
} from './config-values.js';

/** Frameworks served through PHP-FPM; each has its own front-controller rules. */
export type PhpFramework = 'laravel' | 'symfony' | 'shopware' | 'wordpress' | 'php';

/** One backend of a proxied site (docker mode). */
export interface UpstreamServer {
  /** `host:port`, `[ipv6]:port` or `unix:/path.sock`. */
  address: string;
  /** Failed attempts within `failTimeoutSeconds` that take the backend out for that long (default 3). */
  maxFails?: number;
  /** Default 10 s. */
  failTimeoutSeconds?: number;
  /** Used only while every non-backup server is down. */
  backup?: boolean;
  /** Round-robin weight (default 1). */
  weight?: number;
}

/** How the site answers requests. */
export type SiteApp =
  | {
      kind: 'php';
      framework: PhpFramework;
      /** Served through the `current` link, e.g. `/srv/devflow/shop/production/current/public`. */
      documentRoot: string;
      /** The environment's PHP-FPM socket (see `phpFpmSocketPath`). */
      fpmSocket: string;
    }
  | { kind: 'static'; documentRoot: string }
  | {
      kind: 'proxy';
      upstreams: UpstreamServer[];
      /** Idle keepalive connections kept per worker (default 16). */
      keepalive?: number;
    };

/** HTTPS for every server name; the certificate must cover them all (see `certificateNames`). */
export interface TlsSpec {
  /** Certificate with its intermediates (fullchain.pem). */
  certificatePath: string;
  keyPath: string;
  /** Issuer chain; when present OCSP stapling is turned on and verified against it. */
  chainPath?: string | null;
  /** Send plain-HTTP requests to HTTPS with a 301 (default true; the ACME path is never redirected). */
  redirectHttp?: boolean;
  /** HSTS max-age (default one year; 0 tells browsers to forget). */
  hstsMaxAgeSeconds?: number;
  hstsIncludeSubdomains?: boolean;
  hstsPreload?: boolean;
  /** Default true. */
  http2?: boolean;
}

/** An exact request path sent elsewhere. */
export interface RedirectRule {
  /** Exact path, e.g. `/old-page` (no query string). */
  from: string;
  /** Absolute http(s) URL or a path on this site. */
  to: string;
  status: 301 | 302 | 307 | 308;
}

/** Requests per client address, counted in a zone of the site's own (`limit_req_zone`). */
export interface RateLimitSpec {
  requestsPerSecond: number;
  /** Requests above the rate queued (or, with nodelay, let through at once) before 429s. */
  burst: number;
  /** Shared memory of the zone (default 10 MB ≈ 160 000 addresses). */
  zoneSizeMb?: number;
  /** Serve the burst at once instead of pacing it (default true). */
  nodelay?: boolean;
}

/** Every request but the ACME challenge gets a 503 with this page. */
export interface MaintenanceSpec {
  /** The HTML page, e.g. `/srv/devflow/shop/production/maintenance.html`. */
  pageFile: string;
  /** Seconds in the Retry-After header. */
  retryAfterSeconds: number;
}

/** One environment's site: everything `renderSiteConfig` needs. */
export interface SiteSpec {
  /** Stable id (e.g. the environment id); names the rate-limit zone and upstream. */
  id: string;
  /** File-name-safe slug: `devflow-<slug>.conf`. */
  slug: string;
  /** Host names, IDN already punycoded. The first is the primary (canonical) name. */
  serverNames: string[];
  app: SiteApp;
  /** Directory whose `.well-known/acme-challenge/` holds HTTP-01 tokens (default `/var/lib/devflow/acme`). */
  acmeWebroot?: string;
  tls?: TlsSpec | null;
  /** Redirect the www/apex twin of the primary name to it (301). */
  wwwRedirect?: 'to-apex' | 'to-www' | null;
  redirects?: RedirectRule[];
  rateLimit?: RateLimitSpec | null;
  maintenance?: MaintenanceSpec | null;
  /** Largest request body in MB (default 64). */
  clientMaxBodyMb?: number;
  /** Who may frame the site: X-Frame-Options and CSP frame-ancestors (default 'self'). */
  frameAncestors?: 'self' | 'none';
  /** Also listen on IPv6 (default true). */
  ipv6?: boolean;
  /** Listening ports (default 80 and 443). */
  httpPort?: number;
  httpsPort?: number;
}

/** The shared ACME webroot when a site names none. */
export const DEFAULT_ACME_WEBROOT = '/var/lib/devflow/acme';

export type NormalizedApp =
  | { kind: 'php'; framework: PhpFramework; documentRoot: string; fpmSocket: string }
  | { kind: 'static'; documentRoot: string }
  | { kind: 'proxy'; upstreams: Required<UpstreamServer>[]; keepalive: number };

/** A validated site with defaults applied and every list in a stable order. */
export interface NormalizedSite {
  id: string;
  slug: string;
  /** Primary name first, the others sorted. */
  serverNames: string[];
  /** www/apex twins that redirect to a served name. */
  aliases: { from: string; to: string }[];
  app: NormalizedApp;
  acmeWebroot: string;
  tls: {
    certificatePath: string;
    keyPath: string;
    chainPath: string | null;
    redirectHttp: boolean;
    hsts: string;
    http2: boolean;
  } | null;
  redirects: RedirectRule[];
  rateLimit: { zone: string; requestsPerSecond: number; burst: number; zoneSizeMb: number; nodelay: boolean } | null;
  maintenance: { dir: string; file: string; retryAfterSeconds: number } | null;
  clientMaxBodyMb: number;
  frameAncestors: 'self' | 'none';
  ipv6: boolean;
  httpPort: number;
  httpsPort: number;
}

const FRAMEWORKS: readonly PhpFramework[] = ['laravel', 'symfony', 'shopware', 'wordpress', 'php'];

/** `devflow_<id>` with characters nginx names dislike replaced: the prefix of the site's zone and upstream. */
export function nginxName(prefix: string, id: string): string {
  return `${prefix}_${id.replace(/-/g, '_')}`;
}

function record<T>(field: string, value: T | null | undefined): T {
  if (!value || typeof value !== 'object') throw invalidConfig(field, 'an object is required.');
  return value;
}

function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalidConfig(field, 'true or false expected.');
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw invalidConfig(field, `one of ${allowed.join(', ')} expected.`);
  return value as T;
}

/** Validates the app part (shared with the preview listener). */
export function normalizeApp(field: string, app: SiteApp): NormalizedApp {
  if (!app || typeof app !== 'object') throw invalidConfig(field, 'an app description is required.');
  switch (app.kind) {
    case 'php':
      return {
        kind: 'php',
        framework: oneOf(`${field}.framework`, app.framework, FRAMEWORKS),
        documentRoot: absolutePath(`${field}.documentRoot`, app.documentRoot),
        fpmSocket: absolutePath(`${field}.fpmSocket`, app.fpmSocket),
      };
    case 'static':
      return { kind: 'static', documentRoot: absolutePath(`${field}.documentRoot`, app.documentRoot) };
    case 'proxy': {
      if (!Array.isArray(app.upstreams) || app.upstreams.length === 0) throw invalidConfig(`${field}.upstreams`, 'at least one backend is required.');
      if (app.upstreams.length > 64) throw invalidConfig(`${field}.upstreams`, 'at most 64 backends.');
      const upstreams = app.upstreams.map((entry, i) => {
        const u = record(`${field}.upstreams.${i}`, entry);
        return {
          address: upstreamAddress(`${field}.upstreams.${i}.address`, u.address),
          maxFails: integer(`${field}.upstreams.${i}.maxFails`, u.maxFails ?? 3, 0, 1000),
          failTimeoutSeconds: integer(`${field}.upstreams.${i}.failTimeoutSeconds`, u.failTimeoutSeconds ?? 10, 1, 3600),
          backup: bool(`${field}.upstreams.${i}.backup`, u.backup, false),
          weight: integer(`${field}.upstreams.${i}.weight`, u.weight ?? 1, 1, 1000),
        };
      });
      unique(`${field}.upstreams`, upstreams.map((u) => u.address));
      if (upstreams.every((u) => u.backup)) throw invalidConfig(`${field}.upstreams`, 'at least one backend must not be a backup.');
      // Primaries first, then backups; by address within each: the order of the list never changes the file.
      upstreams.sort((a, b) => Number(a.backup) - Number(b.backup) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
      return { kind: 'proxy', upstreams, keepalive: integer(`${field}.keepalive`, app.keepalive ?? 16, 0, 1024) };
    }
    default:
      throw invalidConfig(`${field}.kind`, 'one of php, static, proxy expected.');
  }
}

function hsts(tls: TlsSpec): string {
  const maxAge = integer('tls.hstsMaxAgeSeconds', tls.hstsMaxAgeSeconds ?? 31_536_000, 0, 2 * 31_536_000);
  const parts = [`max-age=${maxAge}`];
  if (bool('tls.hstsIncludeSubdomains', tls.hstsIncludeSubdomains, false)) parts.push('includeSubDomains');
  if (bool('tls.hstsPreload', tls.hstsPreload, false)) parts.push('preload');
  return parts.join('; ');
}

function aliasesOf(primary: string, names: readonly string[], mode: SiteSpec['wwwRedirect']): { from: string; to: string }[] {
  if (!mode) return [];
  if (primary.startsWith('*.')) throw invalidConfig('wwwRedirect', 'the primary name is a wildcard: it has no www/apex twin.');
  let from: string;
  if (mode === 'to-apex') {
    if (primary.startsWith('www.')) throw invalidConfig('wwwRedirect', `to-apex needs an apex primary name, not ${primary}.`);
    from = `www.${primary}`;
  } else if (mode === 'to-www') {
    if (!primary.startsWith('www.') || primary.split('.').length < 3) throw invalidConfig('wwwRedirect', `to-www needs a www. primary name, not ${primary}.`);
    from = primary.slice(4);
  } else {
    throw invalidConfig('wwwRedirect', 'one of to-apex, to-www expected.');
  }
  if (names.includes(from)) throw invalidConfig('wwwRedirect', `${from} is served by the site and cannot also redirect.`);
  return [{ from, to: primary }];
}

/** Validates a site, applies defaults and sorts every list; throws `proxy.invalid_config` naming the field. */
export function normalizeSite(site: SiteSpec): NormalizedSite {
  if (!site || typeof site !== 'object') throw invalidConfig('site', 'a site description is required.');
  const id = identifier('id', site.id);
  const siteSlug = slug('slug', site.slug);
  if (!Array.isArray(site.serverNames) || site.serverNames.length === 0) throw invalidConfig('serverNames', 'at least one host name is required.');
  if (site.serverNames.length > 100) throw invalidConfig('serverNames', 'at most 100 host names.');
  const names = site.serverNames.map((n, i) => hostname(`serverNames.${i}`, n));
  unique('serverNames', names);
  const [primary, ...rest] = names as [string, ...string[]];
  const serverNames = [primary, ...rest.sort()];

  const tls = site.tls
    ? {
        certificatePath: absolutePath('tls.certificatePath', site.tls.certificatePath),
        keyPath: absolutePath('tls.keyPath', site.tls.keyPath),
        chainPath: site.tls.chainPath ? absolutePath('tls.chainPath', site.tls.chainPath) : null,
        redirectHttp: bool('tls.redirectHttp', site.tls.redirectHttp, true),
        hsts: hsts(site.tls),
        http2: bool('tls.http2', site.tls.http2, true),
      }
    : null;

  if (site.redirects !== undefined && !Array.isArray(site.redirects)) throw invalidConfig('redirects', 'a list is required.');
  if ((site.redirects ?? []).length > 1000) throw invalidConfig('redirects', 'at most 1000 rules.');
  const redirects = (site.redirects ?? []).map((entry, i) => {
    const r = record(`redirects.${i}`, entry);
    if (![301, 302, 307, 308].includes(r.status)) throw invalidConfig(`redirects.${i}.status`, '301, 302, 307 or 308 expected.');
    return { from: requestPath(`redirects.${i}.from`, r.from), to: redirectTarget(`redirects.${i}.to`, r.to), status: r.status };
  });
  unique('redirects', redirects.map((r) => r.from));
  redirects.sort((a, b) => (a.from < b.from ? -1 : 1));

  const rl = site.rateLimit;
  const rateLimit = rl
    ? {
        zone: nginxName('devflow_rl', id),
        requestsPerSecond: integer('rateLimit.requestsPerSecond', rl.requestsPerSecond, 1, 100_000),
        burst: integer('rateLimit.burst', rl.burst, 0, 100_000),
        zoneSizeMb: integer('rateLimit.zoneSizeMb', rl.zoneSizeMb ?? 10, 1, 1024),
        nodelay: bool('rateLimit.nodelay', rl.nodelay, true),
      }
    : null;

  let maintenance: NormalizedSite['maintenance'] = null;
  if (site.maintenance) {
    const page = absolutePath('maintenance.pageFile', site.maintenance.pageFile);
    if (page.endsWith('/')) throw invalidConfig('maintenance.pageFile', 'a file is required, not a directory.');
    const cut = page.lastIndexOf('/');
    maintenance = {
      dir: cut === 0 ? '/' : page.slice(0, cut),
      file: page.slice(cut + 1),
      retryAfterSeconds: integer('maintenance.retryAfterSeconds', site.maintenance.retryAfterSeconds, 1, 86_400),
    };
  }

  const httpPort = integer('httpPort', site.httpPort ?? 80, 1, 65535);
  const httpsPort = integer('httpsPort', site.httpsPort ?? 443, 1, 65535);
  if (tls && httpPort === httpsPort) throw invalidConfig('httpsPort', 'HTTP and HTTPS need different ports.');

  return {
    id,
    slug: siteSlug,
    serverNames,
    aliases: aliasesOf(primary, serverNames, site.wwwRedirect ?? null),
    app: normalizeApp('app', site.app),
    acmeWebroot: absolutePath('acmeWebroot', site.acmeWebroot ?? DEFAULT_ACME_WEBROOT),
    tls,
    redirects,
    rateLimit,
    maintenance,
    clientMaxBodyMb: integer('clientMaxBodyMb', site.clientMaxBodyMb ?? 64, 0, 100_000),
    frameAncestors: oneOf('frameAncestors', site.frameAncestors, ['self', 'none'] as const, 'self'),
    ipv6: bool('ipv6', site.ipv6, true),
    httpPort,
    httpsPort,
  };
}

/** Every name the site's certificate must cover: served names and their www/apex twins. */
export function certificateNames(site: SiteSpec): string[] {
  const s = normalizeSite(site);
  return [...s.serverNames, ...s.aliases.map((a) => a.from)];
}
