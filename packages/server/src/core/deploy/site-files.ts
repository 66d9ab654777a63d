/**
 * The web-server files of an environment on the release strategy, rendered
 * with core/nginx and core/php-fpm: a PHP-FPM pool of its own, the public
 * site serving `current/<webRoot>`, and the private preview listener on
 * loopback serving `release/<webRoot>` (the release about to go live).
 */
import type { Framework } from '@devflow/contracts';
import { renderPreviewFile } from '../nginx/preview-config.js';
import { renderSiteFiles, type RenderedFile } from '../nginx/site-config.js';
import type { PhpFramework, SiteApp } from '../nginx/site-spec.js';
import { phpFpmSocketPath } from '../php-fpm/php-fpm-paths.js';
import { renderPoolFile } from '../php-fpm/pool-config.js';
import { projectSlug, type SiteLayout } from './layout.js';

export interface EnvironmentSite {
  environmentId: string;
  /** From siteSlug(): names the nginx and pool files. */
  slug: string;
  /** The environment's own name first, then its domains. */
  hostnames: string[];
  layout: Pick<SiteLayout, 'base' | 'current' | 'candidate'>;
  framework: Framework;
  webRoot: string;
  /** PHP version of the pool, or null for a static site. */
  phpVersion: string | null;
  /** User and group PHP runs as: the project's own (see projectUser()). */
  projectUser: string;
  /** User and group nginx runs as: they own the pool's socket. */
  webServerUser: string;
  httpPort: number;
  previewPort: number;
  maintenance: boolean;
  /** open_basedir of the pool: off, or more directories besides the environment's and /tmp/ (default on, none). */
  openBasedir?: { enabled: boolean; extra: readonly string[] } | undefined;
}

/** `<project>--<environment>`: both are slugs without double dashes, so the pair is unambiguous. */
export function siteSlug(projectSlug: string, environmentName: string): string {
  return `${projectSlug}--${environmentName}`;
}

/** The site slug of a project's environment (a project without a slug is named by its id). */
export function environmentSiteSlug(project: { id: string; slug: string | null }, environmentName: string): string {
  return siteSlug(projectSlug(project), environmentName);
}

/** Where the maintenance page lives for an environment. */
export function maintenancePagePath(layout: Pick<SiteLayout, 'base'>): string {
  return `${layout.base}/maintenance.html`;
}

/** The page nginx answers (with 503) during maintenance. */
export const MAINTENANCE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Down for maintenance</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem">
<h1>Down for maintenance</h1><p>We are making some changes. Please try again in a few minutes.</p>
</body></html>
`;

const PHP_FRAMEWORK: Record<Framework, PhpFramework | null> = {
  laravel: 'laravel',
  symfony: 'symfony',
  shopware: 'shopware',
  wordpress: 'wordpress',
  bedrock: 'wordpress',
  php: 'php',
  static: null,
  dockerfile: null,
};

/** True when the framework is served through PHP-FPM. */
export function servesPhp(framework: Framework): boolean {
  return PHP_FRAMEWORK[framework] !== null;
}

function docRoot(dir: string, webRoot: string): string {
  return webRoot ? `${dir}/${webRoot}` : dir;
}

/**
 * What nginx serves for an environment from `dir` (its `current` or
 * `release` link): through the environment's PHP-FPM pool when the framework
 * runs PHP and a PHP version was chosen, else as static files. Domains use it
 * too, so a domain serves exactly what the environment's own site serves.
 */
export function environmentApp(s: Pick<EnvironmentSite, 'framework' | 'webRoot' | 'phpVersion' | 'slug'>, dir: string): Extract<SiteApp, { kind: 'php' | 'static' }> {
  const phpFramework = PHP_FRAMEWORK[s.framework];
  return phpFramework && s.phpVersion
    ? { kind: 'php', framework: phpFramework, documentRoot: docRoot(dir, s.webRoot), fpmSocket: phpFpmSocketPath(s.phpVersion, s.slug) }
    : { kind: 'static', documentRoot: docRoot(dir, s.webRoot) };
}

/** Every file of the environment's site, in the order to apply them (pool first: nginx points at its socket). */
export function environmentSiteFiles(s: EnvironmentSite): RenderedFile[] {
  const phpFramework = PHP_FRAMEWORK[s.framework];
  const php = phpFramework && s.phpVersion ? { framework: phpFramework, version: s.phpVersion } : null;
  const app = (dir: string) => environmentApp(s, dir);
  const files: RenderedFile[] = [];
  if (php) {
    files.push(
      renderPoolFile({
        id: s.environmentId,
        slug: s.slug,
        phpVersion: php.version,
        user: s.projectUser,
        group: s.projectUser,
        listenOwner: s.webServerUser,
        listenGroup: s.webServerUser,
        rootDir: s.layout.base,
        openBasedir: s.openBasedir?.enabled ?? true,
        extraOpenBasedir: [...(s.openBasedir?.extra ?? [])],
      }),
    );
  }
  files.push(
    ...renderSiteFiles({
      id: s.environmentId,
      slug: s.slug,
      serverNames: s.hostnames,
      app: app(s.layout.current),
      httpPort: s.httpPort,
      maintenance: s.maintenance ? { pageFile: maintenancePagePath(s.layout), retryAfterSeconds: 120 } : null,
    }),
  );
  files.push(renderPreviewFile({ id: s.environmentId, slug: s.slug, port: s.previewPort, app: app(s.layout.candidate) }));
  return files;
}

/**
 * The PHP version to run: the one composer.json asks for when installed,
 * else the newest installed at or above it, else the newest installed.
 */
export function choosePhpVersion(installed: readonly string[], wanted: string | null): string | null {
  const parsed = installed
    .map((v) => /^(\d+)\.(\d+)$/.exec(v))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ v: m[0], major: Number(m[1]), minor: Number(m[2]) }))
    .sort((a, b) => b.major - a.major || b.minor - a.minor);
  if (!parsed.length) return null;
  if (!wanted) return parsed[0]?.v ?? null;
  const [wm = 0, wn = 0] = wanted.split('.').map(Number);
  const exact = parsed.find((p) => p.major === wm && p.minor === wn);
  const above = parsed.filter((p) => p.major > wm || (p.major === wm && p.minor >= wn)).at(-1);
  return (exact ?? above ?? parsed[0])?.v ?? null;
}
