import type { NormalizedApp, NormalizedSite } from './site-spec.js';
import { nginxName } from './site-spec.js';

/**
 * Building blocks of the rendered configs: each returns lines, relative to
 * its own indentation, from values that normalizeSite has already validated.
 */

/** `head { body }` with the body indented by four spaces. */
export function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...body.map((l) => (l ? `    ${l}` : l)), '}'];
}

/** The first lines of every file DevFlow writes. */
export function fileHeader(what: string, id: string, slug: string): string[] {
  return [
    `# Managed by DevFlow Pro: ${what} of site ${id} (${slug}).`,
    '# Rendered from the site settings; edits here are replaced on the next apply.',
  ];
}

/**
 * Mozilla "intermediate" ECDHE suites for TLS 1.2 (TLS 1.3 suites are not
 * configurable here and are all strong). DHE suites are left out: they need a
 * dhparam file.
 */
export const TLS_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Which syntax of the nginx on the server to use. */
export interface NginxEnv {
  /** e.g. `1.22.1`: from 1.25.1 HTTP/2 is `http2 on;` instead of a `listen` flag. Default 1.22.1 (Debian 12). */
  version?: string;
}

function hasHttp2Directive(env: NginxEnv): boolean {
  const [major = 0, minor = 0, patch = 0] = (env.version ?? '1.22.1').split('.').map((n) => Number.parseInt(n, 10) || 0);
  return major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
}

/** `listen` lines of a plain-HTTP server. */
export function httpListen(site: NormalizedSite): string[] {
  return [`listen ${site.httpPort};`, ...(site.ipv6 ? [`listen [::]:${site.httpPort};`] : [])];
}

/** `listen` lines of an HTTPS server. */
export function httpsListen(site: NormalizedSite, env: NginxEnv): string[] {
  if (!site.tls) return [];
  const directive = hasHttp2Directive(env);
  const flag = site.tls.http2 && !directive ? ' http2' : '';
  return [
    `listen ${site.httpsPort} ssl${flag};`,
    ...(site.ipv6 ? [`listen [::]:${site.httpsPort} ssl${flag};`] : []),
    ...(site.tls.http2 && directive ? ['http2 on;'] : []),
  ];
}

/** Certificate and protocol settings of an HTTPS server. */
export function tlsSettings(site: NormalizedSite): string[] {
  const tls = site.tls;
  if (!tls) return [];
  return [
    `ssl_certificate ${tls.certificatePath};`,
    `ssl_certificate_key ${tls.keyPath};`,
    'ssl_protocols TLSv1.2 TLSv1.3;',
    `ssl_ciphers ${TLS_CIPHERS};`,
    'ssl_prefer_server_ciphers off;',
    'ssl_session_timeout 1d;',
    'ssl_session_cache shared:DevFlowTLS:10m;',
    'ssl_session_tickets off;',
    ...(tls.chainPath ? ['ssl_stapling on;', 'ssl_stapling_verify on;', `ssl_trusted_certificate ${tls.chainPath};`] : []),
  ];
}

/**
 * Security headers. `add_header` in a location drops every header set at the
 * server level, so each location that adds its own repeats these.
 */
export function securityHeaders(site: NormalizedSite, https: boolean): string[] {
  const frame = site.frameAncestors === 'none' ? ['DENY', "'none'"] : ['SAMEORIGIN', "'self'"];
  return [
    'add_header X-Content-Type-Options "nosniff" always;',
    `add_header X-Frame-Options "${frame[0]}" always;`,
    `add_header Content-Security-Policy "frame-ancestors ${frame[1]}" always;`,
    'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    ...(https && site.tls ? [`add_header Strict-Transport-Security "${site.tls.hsts}" always;`] : []),
  ];
}

/** HTTP-01 tokens, served in every server block (maintenance and redirects included) and never redirected. */
export function acmeLocation(webroot: string): string[] {
  return block('location ^~ /.well-known/acme-challenge/', [`root ${webroot};`, 'default_type text/plain;', 'try_files $uri =404;']);
}

/** Hidden files (.env, .git…) are never served; .well-known is. */
export function dotfileDeny(): string[] {
  return block('location ~ /\\.(?!well-known(?:/|$))', ['deny all;']);
}

function fastcgi(socket: string, extra: readonly string[]): string[] {
  return [
    `fastcgi_pass unix:${socket};`,
    'fastcgi_split_path_info ^(.+\\.php)(/.*)$;',
    'include fastcgi_params;',
    // The resolved path: a switch of the `current` link takes effect without a reload, and
    // a request never mixes files of two releases.
    'fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;',
    'fastcgi_param DOCUMENT_ROOT $realpath_root;',
    'fastcgi_param PATH_INFO $fastcgi_path_info;',
    ...extra,
    'fastcgi_hide_header X-Powered-By;',
  ];
}

const TRY_FILES: Record<'laravel' | 'symfony' | 'shopware' | 'wordpress' | 'php', string> = {
  laravel: 'try_files $uri $uri/ /index.php?$query_string;',
  symfony: 'try_files $uri /index.php$is_args$args;',
  shopware: 'try_files $uri /index.php$is_args$args;',
  wordpress: 'try_files $uri $uri/ /index.php?$args;',
  php: 'try_files $uri $uri/ /index.php?$query_string;',
};

/** Server-level settings of an app: its document root and index files (none for a proxy). */
export function appSettings(app: NormalizedApp): string[] {
  switch (app.kind) {
    case 'php':
      return [`root ${app.documentRoot};`, 'index index.php index.html;'];
    case 'static':
      return [`root ${app.documentRoot};`, 'index index.html index.htm;'];
    case 'proxy':
      return [];
  }
}

/**
 * The locations that answer requests: PHP through the front controller,
 * static files, or the upstream. `fastcgiExtra` adds fastcgi_param lines.
 */
export function appLocations(site: Pick<NormalizedSite, 'id'>, app: NormalizedApp, fastcgiExtra: readonly string[] = []): string[] {
  switch (app.kind) {
    case 'php': {
      if (app.framework === 'wordpress' || app.framework === 'php') {
        // Any existing .php file runs (wp-admin/*.php); `try_files` keeps other files from running as PHP.
        return [
          ...block('location /', [TRY_FILES[app.framework]]),
          '',
          ...block('location ~ \\.php$', ['try_files $uri =404;', ...fastcgi(app.fpmSocket, fastcgiExtra)]),
        ];
      }
      // Only the front controller runs; any other .php file is a 404.
      return [
        ...block('location /', [TRY_FILES[app.framework]]),
        '',
        ...block('location ~ ^/index\\.php(?:/|$)', fastcgi(app.fpmSocket, fastcgiExtra)),
        '',
        ...block('location ~ \\.php$', ['return 404;']),
      ];
    }
    case 'static':
      return block('location /', ['try_files $uri $uri/ =404;']);
    case 'proxy':
      return block('location /', [
        `proxy_pass http://${nginxName('devflow', site.id)};`,
        'proxy_http_version 1.1;',
        'proxy_set_header Connection "";',
        'proxy_set_header Host $host;',
        'proxy_set_header X-Real-IP $remote_addr;',
        'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        'proxy_set_header X-Forwarded-Proto $scheme;',
        'proxy_set_header X-Forwarded-Host $host;',
        // A dead or failing backend is skipped for this request and, after max_fails, for fail_timeout.
        'proxy_next_upstream error timeout http_502 http_503 http_504;',
        'proxy_connect_timeout 5s;',
      ]);
  }
}

/** The upstream of a proxied site, backups last. */
export function upstreamBlock(site: NormalizedSite): string[] {
  if (site.app.kind !== 'proxy') return [];
  const servers = site.app.upstreams.map((u) => {
    const weight = u.weight !== 1 ? ` weight=${u.weight}` : '';
    return `server ${u.address}${weight} max_fails=${u.maxFails} fail_timeout=${u.failTimeoutSeconds}s${u.backup ? ' backup' : ''};`;
  });
  return block(`upstream ${nginxName('devflow', site.id)}`, [...servers, ...(site.app.keepalive > 0 ? [`keepalive ${site.app.keepalive};`] : [])]);
}

/** Internal URI of the maintenance page (never reachable from outside). */
export const MAINTENANCE_URI = '/__devflow_maintenance.html';

/** Maintenance: 503 with the page and Retry-After for every path (the ACME location is more specific and wins). */
export function maintenanceLocations(site: NormalizedSite, https: boolean): string[] {
  const m = site.maintenance;
  if (!m) return [];
  return [
    `error_page 503 ${MAINTENANCE_URI};`,
    '',
    ...block(`location = ${MAINTENANCE_URI}`, [
      'internal;',
      `root ${m.dir};`,
      // A missing page still gives a 503 (nginx's own page) rather than a 404.
      `try_files /${m.file} =503;`,
      'types { }',
      'default_type "text/html; charset=utf-8";',
      `add_header Retry-After ${m.retryAfterSeconds} always;`,
      'add_header Cache-Control "no-store" always;',
      ...securityHeaders(site, https),
    ]),
    '',
    ...block('location /', ['return 503;']),
  ];
}

/** `location = /from { return 301 "to"; }` for each rule, sorted by source path. */
export function redirectLocations(site: NormalizedSite): string[] {
  return site.redirects.flatMap((r) => block(`location = ${r.from}`, [`return ${r.status} "${r.to}";`]));
}
