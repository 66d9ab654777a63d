import { slug as checkSlug } from './config-values.js';

/**
 * Where DevFlow's files live on a Debian/Ubuntu server. nginx includes
 * `sites-enabled/*` and `conf.d/*.conf` in its http block; names starting
 * with a dot are skipped by that glob, which is why temporary and last-good
 * copies are dotfiles.
 */
export const NGINX_SITES_DIR = '/etc/nginx/sites-enabled';
export const NGINX_CONF_DIR = '/etc/nginx/conf.d';
export const NGINX_LOG_DIR = '/var/log/nginx';

/** The server blocks of a site. */
export function siteConfigPath(slug: string): string {
  return `${NGINX_SITES_DIR}/devflow-${checkSlug('slug', slug)}.conf`;
}

/** The private preview listener of a site (a dot keeps it apart from any site slug). */
export function previewConfigPath(slug: string): string {
  return `${NGINX_SITES_DIR}/devflow-${checkSlug('slug', slug)}.preview.conf`;
}

/** The http-level snippet holding the site's `limit_req_zone`. */
export function rateLimitSnippetPath(slug: string): string {
  return `${NGINX_CONF_DIR}/devflow-ratelimit-${checkSlug('slug', slug)}.conf`;
}

/** Access and error log of a site. */
export function siteLogPaths(slug: string): { access: string; error: string } {
  const s = checkSlug('slug', slug);
  return { access: `${NGINX_LOG_DIR}/devflow-${s}.access.log`, error: `${NGINX_LOG_DIR}/devflow-${s}.error.log` };
}

/** What a managed config file belongs to, from its path. */
export type ManagedConfig = { service: 'nginx' } | { service: 'php-fpm'; phpVersion: string };

const NGINX_FILE = /^\/etc\/nginx\/(?:sites-enabled|conf\.d)\/devflow-[a-z0-9][a-z0-9.-]*\.conf$/;
const POOL_FILE = /^\/etc\/php\/(\d+\.\d+)\/fpm\/pool\.d\/devflow-[a-z0-9][a-z0-9.-]*\.conf$/;

/**
 * The service a path belongs to, or null when DevFlow must not write there:
 * only `devflow-*.conf` files in nginx's sites-enabled and conf.d and in a
 * PHP-FPM pool.d, so a bug can never overwrite an admin's own files.
 */
export function managedConfigOf(path: string): ManagedConfig | null {
  if (typeof path !== 'string' || path.includes('..')) return null;
  if (NGINX_FILE.test(path)) return { service: 'nginx' };
  const pool = POOL_FILE.exec(path);
  return pool ? { service: 'php-fpm', phpVersion: pool[1] as string } : null;
}
