import { invalidConfig, slug as checkSlug } from '../nginx/config-values.js';

/** Where the PHP-FPM files of an environment live for one PHP version (Debian/Ubuntu and the sury packages). */

/** A PHP version as the packages name it: `8.2`. */
export function phpVersion(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\d{1,2}\.\d{1,2}$/.test(value)) throw invalidConfig(field, `${JSON.stringify(value)} is not a PHP version like 8.2.`);
  return value;
}

/** The pool's socket, next to the version's own: `/run/php/php8.2-fpm-devflow-<slug>.sock`. */
export function phpFpmSocketPath(version: string, slug: string): string {
  return `/run/php/php${phpVersion('phpVersion', version)}-fpm-devflow-${checkSlug('slug', slug)}.sock`;
}

/** The pool file: `/etc/php/8.2/fpm/pool.d/devflow-<slug>.conf`. */
export function phpFpmPoolPath(version: string, slug: string): string {
  return `/etc/php/${phpVersion('phpVersion', version)}/fpm/pool.d/devflow-${checkSlug('slug', slug)}.conf`;
}

/** The pool's slow-request log (written by the master, so it may live in /var/log). */
export function phpFpmSlowlogPath(version: string, slug: string): string {
  return `/var/log/php${phpVersion('phpVersion', version)}-fpm-devflow-${checkSlug('slug', slug)}.slow.log`;
}

/** The service (systemd unit or init.d script) and binary of a version: `php8.2-fpm`. */
export function phpFpmServiceName(version: string): string {
  return `php${phpVersion('phpVersion', version)}-fpm`;
}

/** The binary that checks the configuration (`php-fpm8.2 -t`). */
export function phpFpmBinary(version: string): string {
  return `php-fpm${phpVersion('phpVersion', version)}`;
}
