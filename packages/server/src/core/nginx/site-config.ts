import {
  acmeLocation,
  appLocations,
  block,
  dotfileDeny,
  fileHeader,
  appSettings,
  httpListen,
  httpsListen,
  maintenanceLocations,
  redirectLocations,
  securityHeaders,
  tlsSettings,
  upstreamBlock,
  type NginxEnv,
} from './nginx-blocks.js';
import { rateLimitSnippetPath, siteConfigPath, siteLogPaths } from './nginx-paths.js';
import { normalizeSite, type NormalizedSite, type SiteSpec } from './site-spec.js';

/** A file to put on a server: what `ProxyConfigurator.apply` takes. */
export interface RenderedFile {
  path: string;
  content: string;
}

function serverHead(site: NormalizedSite, names: readonly string[], https: boolean, env: NginxEnv): string[] {
  const logs = siteLogPaths(site.slug);
  return [
    ...(https ? httpsListen(site, env) : httpListen(site)),
    `server_name ${names.join(' ')};`,
    '',
    ...(https ? [...tlsSettings(site), ''] : []),
    'server_tokens off;',
    `access_log ${logs.access};`,
    `error_log ${logs.error};`,
  ];
}

/** A server block that serves the application (or its maintenance page). */
function appServer(site: NormalizedSite, https: boolean, env: NginxEnv): string[] {
  const body = [
    ...serverHead(site, site.serverNames, https, env),
    `client_max_body_size ${site.clientMaxBodyMb}m;`,
    ...(site.rateLimit
      ? [`limit_req zone=${site.rateLimit.zone} burst=${site.rateLimit.burst}${site.rateLimit.nodelay ? ' nodelay' : ''};`, 'limit_req_status 429;']
      : []),
    ...(site.maintenance ? [] : appSettings(site.app)),
    '',
    ...securityHeaders(site, https),
    '',
    ...acmeLocation(site.acmeWebroot),
    '',
  ];
  if (site.maintenance) {
    body.push(...maintenanceLocations(site, https));
  } else {
    const redirects = redirectLocations(site);
    body.push(...redirects, ...(redirects.length ? [''] : []), ...dotfileDeny(), '', ...appLocations(site, site.app));
  }
  return block('server', body);
}

/** A server block that only redirects (plus the ACME location, which never redirects). */
function redirectServer(site: NormalizedSite, names: readonly string[], https: boolean, target: string, env: NginxEnv): string[] {
  return block('server', [
    ...serverHead(site, names, https, env),
    '',
    ...securityHeaders(site, https),
    '',
    ...acmeLocation(site.acmeWebroot),
    '',
    ...block('location /', [`return 301 ${target};`]),
  ]);
}

function origin(site: NormalizedSite, host: string): string {
  if (site.tls) return `https://${host}${site.httpsPort === 443 ? '' : `:${site.httpsPort}`}`;
  return `http://${host}${site.httpPort === 80 ? '' : `:${site.httpPort}`}`;
}

/**
 * The nginx server blocks of one environment's site. Pure and deterministic:
 * the same spec always gives the same text, whatever the order of its lists.
 * Throws `proxy.invalid_config` (naming the field) for any value that cannot
 * safely reach the file.
 */
export function renderSiteConfig(spec: SiteSpec, env: NginxEnv = {}): string {
  const site = normalizeSite(spec);
  const out: string[] = [...fileHeader('server blocks', site.id, site.slug), ''];
  const upstream = upstreamBlock(site);
  if (upstream.length) out.push(...upstream, '');

  if (site.tls && site.tls.redirectHttp) {
    out.push(...redirectServer(site, site.serverNames, false, `${origin(site, '$host')}$request_uri`, env), '');
  } else {
    out.push(...appServer(site, false, env), '');
  }
  if (site.tls) out.push(...appServer(site, true, env), '');

  for (const alias of site.aliases) {
    const target = `${origin(site, alias.to)}$request_uri`;
    out.push(...redirectServer(site, [alias.from], false, target, env), '');
    if (site.tls) out.push(...redirectServer(site, [alias.from], true, target, env), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * The http-level snippet with the site's `limit_req_zone` (keyed by client
 * address). Rendered for every site, as a comment when the site has no
 * limit, so turning the limit off is an ordinary apply.
 */
export function renderRateLimitSnippet(spec: SiteSpec): string {
  const site = normalizeSite(spec);
  const rl = site.rateLimit;
  const lines = [...fileHeader('rate-limit zone (http context)', site.id, site.slug)];
  if (rl) lines.push(`limit_req_zone $binary_remote_addr zone=${rl.zone}:${rl.zoneSizeMb}m rate=${rl.requestsPerSecond}r/s;`);
  else lines.push('# No rate limit.');
  return `${lines.join('\n')}\n`;
}

/** Every file of a site, at its path: the rate-limit snippet and the server blocks. Apply them together. */
export function renderSiteFiles(spec: SiteSpec, env: NginxEnv = {}): RenderedFile[] {
  return [
    { path: rateLimitSnippetPath(spec.slug), content: renderRateLimitSnippet(spec) },
    { path: siteConfigPath(spec.slug), content: renderSiteConfig(spec, env) },
  ];
}
