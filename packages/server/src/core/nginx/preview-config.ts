import { identifier, integer, invalidConfig, slug } from './config-values.js';
import { appLocations, appSettings, block, dotfileDeny, fileHeader } from './nginx-blocks.js';
import { previewConfigPath } from './nginx-paths.js';
import type { RenderedFile } from './site-config.js';
import { normalizeApp, type SiteApp } from './site-spec.js';

/** The private listener that serves a release before it takes traffic. */
export interface PreviewSpec {
  /** Same id and slug as the site. */
  id: string;
  slug: string;
  /** Loopback port, unique on the server (two previews on one port fail `nginx -t`). */
  port: number;
  /**
   * PHP or static app whose documentRoot goes through the `release` link,
   * e.g. `/srv/devflow/shop/production/release/public`.
   */
  app: Extract<SiteApp, { kind: 'php' | 'static' }>;
  /** Tell PHP the request came over HTTPS, as on the public site (default false). */
  assumeHttps?: boolean;
  /** Largest request body in MB (default 64). */
  clientMaxBodyMb?: number;
}

/** Header naming the preview on every answer, so a health check knows it reached the right listener. */
export const PREVIEW_HEADER = 'X-DevFlow-Preview';

/**
 * A server block on 127.0.0.1:<port> only, serving the `release` link with
 * the site's PHP-FPM pool: the deploy health-checks a new release through it
 * before the `current` link moves. It stays configured between deploys, so a
 * deploy needs no nginx reload.
 */
export function renderPreviewConfig(spec: PreviewSpec): string {
  if (!spec || typeof spec !== 'object') throw invalidConfig('preview', 'a preview description is required.');
  const id = identifier('id', spec.id);
  const s = slug('slug', spec.slug);
  const port = integer('port', spec.port, 1, 65535);
  if (spec.app?.kind !== 'php' && spec.app?.kind !== 'static') throw invalidConfig('app.kind', 'php or static expected.');
  const app = normalizeApp('app', spec.app);
  if (spec.assumeHttps !== undefined && typeof spec.assumeHttps !== 'boolean') throw invalidConfig('assumeHttps', 'true or false expected.');
  const body = [
    `listen 127.0.0.1:${port} default_server;`,
    'server_name _;',
    '',
    'server_tokens off;',
    'access_log off;',
    `client_max_body_size ${integer('clientMaxBodyMb', spec.clientMaxBodyMb ?? 64, 0, 100_000)}m;`,
    `add_header ${PREVIEW_HEADER} "${id}" always;`,
    'add_header X-Robots-Tag "noindex, nofollow" always;',
    ...appSettings(app),
    '',
    ...dotfileDeny(),
    '',
    ...appLocations({ id }, app, spec.assumeHttps ? ['fastcgi_param HTTPS on;'] : []),
  ];
  return `${[...fileHeader('preview listener', id, s), '', ...block('server', body)].join('\n')}\n`;
}

/** The preview file at its path. */
export function renderPreviewFile(spec: PreviewSpec): RenderedFile {
  return { path: previewConfigPath(spec.slug), content: renderPreviewConfig(spec) };
}
