import { absolutePath, identifier, integer, invalidConfig, slug as checkSlug, unixName } from '../nginx/config-values.js';
import type { RenderedFile } from '../nginx/site-config.js';
import { phpFpmPoolPath, phpFpmSlowlogPath, phpFpmSocketPath, phpVersion } from './php-fpm-paths.js';

/** How many workers the pool runs. */
export type PoolProcessManager =
  | {
      mode: 'dynamic';
      maxChildren: number;
      startServers: number;
      minSpareServers: number;
      maxSpareServers: number;
      /** Requests a worker serves before it is replaced (default 500; 0 = never). */
      maxRequests?: number;
    }
  | {
      /** Workers start on demand and stop when idle: for rarely used environments. */
      mode: 'ondemand';
      maxChildren: number;
      /** Default 10 s. */
      processIdleTimeoutSeconds?: number;
      maxRequests?: number;
    };

/** One PHP-FPM pool per environment, running as the environment's own Unix user. */
export interface PoolSpec {
  /** Same id and slug as the site. */
  id: string;
  slug: string;
  phpVersion: string;
  /** Unix user and group the workers run as (not root). */
  user: string;
  group: string;
  /** The environment's directory (releases/, shared/, current): open_basedir covers it and /tmp/. */
  rootDir: string;
  /** More directories PHP may open (e.g. a sessions directory outside rootDir, /usr/share/php). */
  extraOpenBasedir?: string[];
  /** false: no open_basedir at all, PHP opens whatever its Unix user may (default true). */
  openBasedir?: boolean;
  /** User of the web server, which owns the socket (default www-data). */
  listenOwner?: string;
  /** Group of the web server, which connects to the socket (default www-data). */
  listenGroup?: string;
  /** Default: dynamic, 5 children, 2 started, 1–3 spare. */
  pm?: PoolProcessManager;
  /** Functions disabled in this pool (e.g. exec, shell_exec). */
  disableFunctions?: string[];
  /** Requests slower than this are logged with a backtrace (default 5; 0 turns the slowlog off). */
  slowlogTimeoutSeconds?: number;
  /** A request running longer is killed (default 300; 0 = never). */
  requestTerminateTimeoutSeconds?: number;
  memoryLimitMb?: number;
  /** upload_max_filesize and post_max_size, in MB (match the site's clientMaxBodyMb). */
  uploadMaxMb?: number;
}

const DEFAULT_PM: PoolProcessManager = { mode: 'dynamic', maxChildren: 5, startServers: 2, minSpareServers: 1, maxSpareServers: 3 };
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function pmLines(pm: PoolProcessManager): string[] {
  const maxChildren = integer('pm.maxChildren', pm.maxChildren, 1, 10_000);
  const maxRequests = integer('pm.maxRequests', pm.maxRequests ?? 500, 0, 1_000_000);
  if (pm.mode === 'ondemand') {
    return [
      'pm = ondemand',
      `pm.max_children = ${maxChildren}`,
      `pm.process_idle_timeout = ${integer('pm.processIdleTimeoutSeconds', pm.processIdleTimeoutSeconds ?? 10, 1, 86_400)}s`,
      `pm.max_requests = ${maxRequests}`,
    ];
  }
  if (pm.mode !== 'dynamic') throw invalidConfig('pm.mode', 'dynamic or ondemand expected.');
  const min = integer('pm.minSpareServers', pm.minSpareServers, 1, maxChildren);
  const max = integer('pm.maxSpareServers', pm.maxSpareServers, min, maxChildren);
  const start = integer('pm.startServers', pm.startServers, min, max);
  return [
    'pm = dynamic',
    `pm.max_children = ${maxChildren}`,
    `pm.start_servers = ${start}`,
    `pm.min_spare_servers = ${min}`,
    `pm.max_spare_servers = ${max}`,
    `pm.max_requests = ${maxRequests}`,
  ];
}

/** `dir/` so open_basedir (a prefix match) never also admits `dir-other`. */
function basedir(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * The pool file of one environment: its own user, a socket (0660) only the
 * web server's user and group can use, a clean environment, open_basedir fenced to the
 * environment's directory, /tmp/ and the extra directories (unless turned off),
 * workers' output and a slowlog.
 * Pure and deterministic; throws `proxy.invalid_config` naming the field.
 */
export function renderPool(spec: PoolSpec): string {
  if (!spec || typeof spec !== 'object') throw invalidConfig('pool', 'a pool description is required.');
  const id = identifier('id', spec.id);
  const slug = checkSlug('slug', spec.slug);
  const version = phpVersion('phpVersion', spec.phpVersion);
  const user = unixName('user', spec.user);
  const group = unixName('group', spec.group);
  if (user === 'root' || group === 'root') throw invalidConfig(user === 'root' ? 'user' : 'group', 'a pool never runs as root.');
  const listenOwner = unixName('listenOwner', spec.listenOwner ?? 'www-data');
  const listenGroup = unixName('listenGroup', spec.listenGroup ?? 'www-data');
  const root = absolutePath('rootDir', spec.rootDir);
  const extra = (spec.extraOpenBasedir ?? []).map((p, i) => basedir(absolutePath(`extraOpenBasedir.${i}`, p)));
  const openBasedir = [...new Set([basedir(root), ...[...extra].sort(), '/tmp/'])];
  const disabled = (spec.disableFunctions ?? []).map((f, i) => {
    if (typeof f !== 'string' || !FUNCTION_NAME.test(f)) throw invalidConfig(`disableFunctions.${i}`, `${JSON.stringify(f)} is not a function name.`);
    return f.toLowerCase();
  });
  const disabledList = [...new Set(disabled)].sort();
  const slowlog = integer('slowlogTimeoutSeconds', spec.slowlogTimeoutSeconds ?? 5, 0, 3600);
  const terminate = integer('requestTerminateTimeoutSeconds', spec.requestTerminateTimeoutSeconds ?? 300, 0, 86_400);

  const lines = [
    `; Managed by DevFlow Pro: PHP-FPM pool of site ${id} (${slug}).`,
    '; Rendered from the environment settings; edits here are replaced on the next apply.',
    '',
    `[devflow-${slug}]`,
    `user = ${user}`,
    `group = ${group}`,
    '',
    `listen = ${phpFpmSocketPath(version, slug)}`,
    `listen.owner = ${listenOwner}`,
    `listen.group = ${listenGroup}`,
    'listen.mode = 0660',
    '',
    ...pmLines(spec.pm ?? DEFAULT_PM),
    '',
    '; Workers get only the variables below, never the master environment; the app reads its own .env.',
    'clear_env = yes',
    'env[PATH] = /usr/local/bin:/usr/bin:/bin',
    '',
    'catch_workers_output = yes',
    'decorate_workers_output = no',
    ...(slowlog > 0 ? [`slowlog = ${phpFpmSlowlogPath(version, slug)}`, `request_slowlog_timeout = ${slowlog}s`] : []),
    `request_terminate_timeout = ${terminate}s`,
    'security.limit_extensions = .php',
    '',
    ...(spec.openBasedir === false
      ? ["; open_basedir is off for this environment: PHP may open any file its user can read."]
      : [`php_admin_value[open_basedir] = ${openBasedir.join(':')}`]),
    ...(disabledList.length ? [`php_admin_value[disable_functions] = ${disabledList.join(',')}`] : []),
    ...(spec.memoryLimitMb !== undefined ? [`php_admin_value[memory_limit] = ${integer('memoryLimitMb', spec.memoryLimitMb, 16, 65_536)}M`] : []),
  ];
  if (spec.uploadMaxMb !== undefined) {
    const mb = integer('uploadMaxMb', spec.uploadMaxMb, 1, 100_000);
    lines.push(`php_admin_value[upload_max_filesize] = ${mb}M`, `php_admin_value[post_max_size] = ${mb}M`);
  }
  return `${lines.join('\n')}\n`;
}

/** The pool file at its path. */
export function renderPoolFile(spec: PoolSpec): RenderedFile {
  return { path: phpFpmPoolPath(spec.phpVersion, spec.slug), content: renderPool(spec) };
}
