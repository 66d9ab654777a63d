/**
 * The nginx files of one domain: its own server blocks (HTTP, and HTTPS with
 * its own certificate), rendered with core/nginx. A domain serves its
 * environment's app, or only redirects (`redirectTo`). Both always answer the
 * ACME HTTP-01 path and DevFlow's ownership token path, never redirected.
 */
import { acmeLocation, block, fileHeader, httpListen, httpsListen, securityHeaders, tlsSettings } from '../nginx/nginx-blocks.js';
import { rateLimitSnippetPath, siteConfigPath, siteLogPaths } from '../nginx/nginx-paths.js';
import { redirectTarget } from '../nginx/config-values.js';
import { renderRateLimitSnippet, renderSiteConfig, type RenderedFile } from '../nginx/site-config.js';
import { DEFAULT_ACME_WEBROOT, normalizeSite, type NormalizedSite, type RedirectRule, type SiteApp, type SiteSpec } from '../nginx/site-spec.js';

/** Where a domain's files live on a server. */
export const TLS_DIR = '/etc/devflow/tls';
export const VERIFY_PATH_PREFIX = '/.well-known/devflow-verify/';

/** The slug naming a domain's nginx files: `dom-<id>`. */
export function domainSiteSlug(domainId: string): string {
  return domainId.toLowerCase().replace(/_/g, '-');
}

const DOMAIN_ID = /^[a-z0-9_]{1,64}$/;

/** The directory of a domain's certificates on a server (refuses an id that is not one of ours). */
export function domainTlsDir(domainId: string): string {
  if (!DOMAIN_ID.test(domainId)) throw new TypeError(`Unexpected domain id ${JSON.stringify(domainId).slice(0, 80)}.`);
  return `${TLS_DIR}/${domainId}`;
}

/** Paths of a certificate's files on a server; every certificate gets its own directory. */
export function certificatePaths(domainId: string, certificateId: string): { dir: string; fullchain: string; key: string } {
  const dir = `${domainTlsDir(domainId)}/${certificateId}`;
  return { dir, fullchain: `${dir}/fullchain.pem`, key: `${dir}/privkey.pem` };
}

/** The file that proves control over HTTP, under the ACME webroot. */
export function verifyTokenPath(webroot: string, token: string): string {
  return `${webroot}${VERIFY_PATH_PREFIX}${token}`;
}

export interface DomainSiteInput {
  domainId: string;
  /** ASCII host name (`*.` for a wildcard). */
  hostname: string;
  /** The environment's app (ignored when `redirectTo` is set). */
  app: SiteApp;
  /** Certificate files on the server, or null for plain HTTP. */
  tls: { certificatePath: string; keyPath: string } | null;
  httpsRedirect: boolean;
  wwwRedirect: 'to-apex' | 'to-www' | null;
  redirects: RedirectRule[];
  redirectTo: string | null;
  redirectStatus: 301 | 302 | 307 | 308;
  acmeWebroot?: string;
  hstsMaxAgeSeconds?: number;
  httpPort?: number;
  httpsPort?: number;
}

function siteSpec(d: DomainSiteInput, app: SiteApp): SiteSpec {
  return {
    id: d.domainId,
    slug: domainSiteSlug(d.domainId),
    serverNames: [d.hostname],
    app,
    acmeWebroot: d.acmeWebroot ?? DEFAULT_ACME_WEBROOT,
    tls: d.tls ? { ...d.tls, redirectHttp: d.httpsRedirect, ...(d.hstsMaxAgeSeconds !== undefined ? { hstsMaxAgeSeconds: d.hstsMaxAgeSeconds } : {}) } : null,
    wwwRedirect: d.wwwRedirect,
    redirects: d.redirects,
    ...(d.httpPort ? { httpPort: d.httpPort } : {}),
    ...(d.httpsPort ? { httpsPort: d.httpsPort } : {}),
  };
}

const indent = (lines: readonly string[]) => lines.map((l) => (l ? `    ${l}` : l)).join('\n');

/** The location serving ownership tokens, from the same webroot as ACME tokens. */
function verifyLocation(webroot: string): string[] {
  return block(`location ^~ ${VERIFY_PATH_PREFIX}`, [`root ${webroot};`, 'default_type text/plain;', 'try_files $uri =404;']);
}

/**
 * Adds the ownership-token location after every ACME location of a rendered
 * config (every server block has one, redirects included).
 */
export function withVerifyLocation(config: string, webroot: string): string {
  const acme = indent(acmeLocation(webroot));
  if (!config.includes(acme)) throw new Error('The rendered site has no ACME location to put the verification path next to.');
  return config.split(acme).join(`${acme}\n\n${indent(verifyLocation(webroot))}`);
}

/** `return 301 https://x$request_uri` when the target is an origin, else the exact URL. */
function redirectReturn(status: number, to: string): string {
  const target = redirectTarget('redirectTo', to);
  const url = new URL(target);
  if (url.pathname === '/' && !url.search && !url.hash) {
    return `return ${status} ${url.origin}$request_uri;`;
  }
  return `return ${status} "${target}";`;
}

/** A domain that only redirects: every path (but the ACME and token paths) to `redirectTo`. */
function renderRedirectOnly(d: DomainSiteInput): string {
  const webroot = d.acmeWebroot ?? DEFAULT_ACME_WEBROOT;
  const site: NormalizedSite = normalizeSite(siteSpec({ ...d, redirects: [] }, { kind: 'static', documentRoot: webroot }));
  const names = [...site.serverNames, ...site.aliases.map((a) => a.from)];
  const logs = siteLogPaths(site.slug);
  const ret = redirectReturn(d.redirectStatus, d.redirectTo as string);
  const server = (https: boolean) =>
    block('server', [
      ...(https ? httpsListen(site, {}) : httpListen(site)),
      `server_name ${names.join(' ')};`,
      '',
      ...(https ? [...tlsSettings(site), ''] : []),
      'server_tokens off;',
      `access_log ${logs.access};`,
      `error_log ${logs.error};`,
      '',
      ...securityHeaders(site, https),
      '',
      ...acmeLocation(site.acmeWebroot),
      '',
      ...block('location /', [ret]),
    ]);
  const out = [...fileHeader('redirect-only server blocks', site.id, site.slug), '', ...server(false), ''];
  if (site.tls) out.push(...server(true), '');
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * Every nginx file of a domain, to apply together through the
 * ProxyConfigurator (checked with `nginx -t`, restored on failure). Throws
 * `proxy.invalid_config` naming the field for any unsafe value.
 */
export function renderDomainSiteFiles(d: DomainSiteInput): RenderedFile[] {
  const webroot = d.acmeWebroot ?? DEFAULT_ACME_WEBROOT;
  const spec = siteSpec(d, d.redirectTo ? { kind: 'static', documentRoot: webroot } : d.app);
  const config = d.redirectTo ? renderRedirectOnly(d) : renderSiteConfig(spec);
  return [
    { path: rateLimitSnippetPath(spec.slug), content: renderRateLimitSnippet(spec) },
    { path: siteConfigPath(spec.slug), content: withVerifyLocation(config, webroot) },
  ];
}

/** The paths a domain's files occupy (to remove them). */
export function domainSitePaths(domainId: string): string[] {
  const slug = domainSiteSlug(domainId);
  return [rateLimitSnippetPath(slug), siteConfigPath(slug)];
}
