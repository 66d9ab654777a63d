/**
 * Framework detection: a pure function over what a repository holds (a file
 * listing and the contents of composer.json, composer.lock and package.json).
 * The same function runs on a control-plane clone (`POST /projects/detect`)
 * and on the exported release during a deployment.
 */
import type { Detection, Framework } from '@devflow/contracts';
import { lowestVersion, majorOfLocked, phpVersionOf } from './php-version.js';

/** What detection reads from a repository. */
export interface RepositorySnapshot {
  /** Paths of files relative to the root, `/`-separated; directories are implied by them. */
  files: readonly string[];
  composerJson?: string | null;
  composerLock?: string | null;
  packageJson?: string | null;
}

interface ComposerJson {
  require?: Record<string, string>;
  'require-dev'?: Record<string, string>;
  config?: { platform?: Record<string, string> };
}

interface PackageJson {
  scripts?: Record<string, string>;
}

function parseJson<T>(text: string | null | undefined, name: string, signals: string[]): T | null {
  if (text === null || text === undefined) return null;
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as T;
  } catch {
    // reported below
  }
  signals.push(`${name} is not valid JSON (ignored)`);
  return null;
}

/** Names and versions of the packages a composer.lock pins. */
function lockedVersions(lockText: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!lockText) return out;
  try {
    const lock = JSON.parse(lockText) as { packages?: { name?: string; version?: string }[] };
    for (const p of lock.packages ?? []) if (p.name && p.version) out.set(p.name, p.version);
  } catch {
    // an unreadable lock file only loses the exact version
  }
  return out;
}

const WEB_ROOT: Record<Framework, string> = {
  laravel: 'public',
  symfony: 'public',
  shopware: 'public',
  wordpress: '',
  bedrock: 'web',
  php: '',
  static: '',
  dockerfile: '',
};

/** Decides the framework of a repository and says why, in the documented order. */
export function detectFramework(repo: RepositorySnapshot): Detection {
  const signals: string[] = [];
  const files = new Set(repo.files.map((f) => f.replace(/^\.\//, '')));
  const has = (f: string) => files.has(f);
  const hasDir = (d: string) => repo.files.some((f) => f.replace(/^\.\//, '').startsWith(`${d}/`));

  const composer = parseJson<ComposerJson>(repo.composerJson, 'composer.json', signals);
  const pkg = parseJson<PackageJson>(repo.packageJson, 'package.json', signals);
  const require: Record<string, string> = { ...(composer?.require ?? {}) };
  const locked = lockedVersions(repo.composerLock);
  const requires = (name: string) => typeof require[name] === 'string';
  const requireSignal = (name: string) => `composer.json requires ${name} (${require[name] ?? '?'})`;
  const versionOf = (name: string): string | null => {
    const fromLock = majorOfLocked(locked.get(name));
    if (fromLock) return fromLock;
    const low = lowestVersion(require[name]);
    return low ? String(low.major) : null;
  };

  let framework: Framework;
  let frameworkVersion: string | null = null;
  const shopwarePkg = ['shopware/core', 'shopware/platform'].find(requires);
  if (shopwarePkg) {
    framework = 'shopware';
    signals.push(requireSignal(shopwarePkg));
    if (has('bin/console')) signals.push('bin/console present');
    frameworkVersion = versionOf(shopwarePkg);
  } else if (has('artisan') && requires('laravel/framework')) {
    framework = 'laravel';
    signals.push('artisan present', requireSignal('laravel/framework'));
    frameworkVersion = versionOf('laravel/framework');
  } else if (requires('symfony/framework-bundle') && has('bin/console')) {
    framework = 'symfony';
    signals.push(requireSignal('symfony/framework-bundle'), 'bin/console present');
    frameworkVersion = versionOf('symfony/framework-bundle');
  } else if (has('wp-settings.php')) {
    framework = 'wordpress';
    signals.push('wp-settings.php present');
  } else if (requires('roots/wordpress') || (has('config/application.php') && (has('web/wp-config.php') || hasDir('web/app')))) {
    framework = 'bedrock';
    signals.push(requires('roots/wordpress') ? requireSignal('roots/wordpress') : 'config/application.php and web/ present (Bedrock layout)');
  } else if (composer || [...files].some((f) => /^(public\/)?[^/]+\.php$/.test(f))) {
    framework = 'php';
    signals.push(composer ? 'composer.json present' : 'PHP files at the root');
  } else if (has('index.html') || has('public/index.html') || typeof pkg?.scripts?.build === 'string') {
    framework = 'static';
    signals.push(has('index.html') || has('public/index.html') ? 'index.html present, no PHP' : 'package.json build script, no PHP');
  } else if (has('Dockerfile')) {
    framework = 'dockerfile';
    signals.push('Dockerfile present');
  } else {
    framework = 'static';
    signals.push('no framework recognised: served as static files');
  }

  const hasDockerfile = has('Dockerfile');
  if (hasDockerfile && framework !== 'dockerfile') signals.push('Dockerfile present (the docker strategy can use it)');

  // PHP version: the platform override wins, as it does for Composer.
  const platformPhp = composer?.config?.platform?.php;
  const phpVersion = phpVersionOf(platformPhp ?? require.php);
  if (phpVersion) signals.push(`PHP ${phpVersion} from composer.json ${platformPhp ? 'config.platform.php' : 'require.php'} (${platformPhp ?? require.php})`);

  let multiTenancy: Detection['multiTenancy'] = null;
  if (framework === 'laravel') {
    if (requires('stancl/tenancy')) multiTenancy = 'stancl';
    else if (requires('spatie/laravel-multitenancy')) multiTenancy = 'spatie';
    if (multiTenancy) signals.push(requireSignal(multiTenancy === 'stancl' ? 'stancl/tenancy' : 'spatie/laravel-multitenancy'));
  }

  let nodeBuild: Detection['nodeBuild'] = null;
  if (typeof pkg?.scripts?.build === 'string') {
    const packageManager = has('pnpm-lock.yaml') ? 'pnpm' : has('yarn.lock') ? 'yarn' : 'npm';
    nodeBuild = { packageManager, script: 'build' };
    signals.push(`package.json has a build script (${packageManager})`);
  }

  let webRoot = WEB_ROOT[framework];
  if (framework === 'php' && hasDir('public')) webRoot = 'public';
  if (framework === 'static') {
    if (nodeBuild && (has('vite.config.js') || has('vite.config.ts') || has('vite.config.mjs'))) webRoot = 'dist';
    else if (!has('index.html') && has('public/index.html')) webRoot = 'public';
  }
  if (frameworkVersion) signals.push(`${framework} ${frameworkVersion}${locked.size ? ' (composer.lock)' : ''}`);
  const healthCheckPath = framework === 'laravel' && Number(frameworkVersion ?? 0) >= 11 ? '/up' : '/';

  return { framework, phpVersion, frameworkVersion, multiTenancy, nodeBuild, webRoot, healthCheckPath, hasDockerfile, signals };
}

/** Files whose content detection reads, besides the listing. */
export const DETECTION_FILES = ['composer.json', 'composer.lock', 'package.json'] as const;

/** Keeps a listing to what detection looks at: no vendor/, node_modules/ or .git/, at most 4 levels deep. */
export function relevantFiles(paths: readonly string[], max = 20_000): string[] {
  const out: string[] = [];
  for (const raw of paths) {
    const p = raw.replace(/^\.\//, '');
    if (!p || /^(vendor|node_modules|\.git)\//.test(p) || p.split('/').length > 4) continue;
    out.push(p);
    if (out.length >= max) break;
  }
  return out;
}
