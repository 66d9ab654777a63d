import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quoteDotenvValue, renderDotenv } from './dotenv.js';
import { siteLayout } from './layout.js';
import { releasePlan, stepsFor } from './plan.js';
import { releasesToPrune } from './retention.js';
import { LINK_SHARED, LOCK, parseServerReport, POINT_LINK, PREPARE, RUN, script, sequence, UNLOCK, WRITE_ENV_FILE } from './scripts.js';
import { projectUser } from './project-user.js';
import { choosePhpVersion, environmentSiteFiles, siteSlug } from './site-files.js';
import { canTransition, interruptedStep, isTerminal, sourcesOf } from './state-machine.js';

const HOSTILE = ['$(touch PWNED)', '`touch PWNED`', "'; touch PWNED; '", 'a;touch PWNED', 'x && touch PWNED', 'line1\ntouch PWNED', '$HOME ${PATH}', '-rf', '*'];

function sh(text: string, args: string[], opts: { cwd: string; input?: string }) {
  const r = spawnSync('sh', ['-c', text, 'test', ...args], { cwd: opts.cwd, input: opts.input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-core-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('deployment state machine', () => {
  it('allows only the documented moves', () => {
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('awaiting_approval', 'queued')).toBe(true);
    expect(canTransition('awaiting_approval', 'running')).toBe(false);
    expect(canTransition('succeeded', 'failed')).toBe(false);
    expect(canTransition('running', 'queued')).toBe(false);
    expect(sourcesOf('cancelled').sort()).toEqual(['awaiting_approval', 'queued', 'running']);
    expect(['succeeded', 'failed', 'cancelled'].every((s) => isTerminal(s as 'failed'))).toBe(true);
    expect(isTerminal('running')).toBe(false);
  });

  it('names the step a crash interrupted', () => {
    expect(interruptedStep([{ name: 'lock', status: 'succeeded' }, { name: 'build', status: 'running' }, { name: 'switch', status: 'pending' }])).toBe('build');
    expect(interruptedStep([{ name: 'lock', status: 'succeeded' }, { name: 'fetch', status: 'pending' }])).toBe('fetch');
    expect(interruptedStep([{ name: 'build', status: 'cancelled' }, { name: 'framework', status: 'pending' }])).toBe('build');
  });
});

describe('dotenv', () => {
  it('quotes so no parser interpolates or runs anything', () => {
    expect(quoteDotenvValue('plain-value_1.2')).toBe('plain-value_1.2');
    expect(quoteDotenvValue('')).toBe("''");
    expect(quoteDotenvValue('$(touch x) ${HOME}')).toBe("'$(touch x) ${HOME}'");
    expect(quoteDotenvValue("it's $HOME")).toBe('"it\'s \\$HOME"');
    expect(quoteDotenvValue('a\nb')).toBe('"a\\nb"');
    expect(renderDotenv({ B: '2', A: 'x y' })).toBe("# Written by DevFlow at every deployment: edit the variables in DevFlow, not here.\nA='x y'\nB=2\n");
    expect(() => renderDotenv({ 'A B': '1' })).toThrow();
  });

  it('reads back literally in a POSIX shell for every hostile value', () => {
    const d = tmp();
    const vars = Object.fromEntries(HOSTILE.filter((v) => !v.includes('\n')).map((v, i) => [`V${i}`, v]));
    fs.writeFileSync(path.join(d, 'env'), renderDotenv(vars));
    // sh reads single- and double-quoted values like dotenv parsers do (without interpolation inside single quotes).
    for (const [k, v] of Object.entries(vars)) {
      const r = sh('set -a; . ./env; eval "printf %s \\"\\$$1\\""', [k], { cwd: d });
      expect(r.stdout).toBe(v);
    }
    expect(fs.existsSync(path.join(d, 'PWNED'))).toBe(false);
  });
});

describe('layout', () => {
  it('builds paths from plain names only', () => {
    const l = siteLayout('/srv/devflow/apps', 'shop', 'production');
    expect(l.current).toBe('/srv/devflow/apps/shop/production/current');
    expect(l.release('rel_01abc')).toBe('/srv/devflow/apps/shop/production/releases/rel_01abc');
    expect(() => siteLayout('/srv', '../etc', 'x')).toThrow();
    expect(() => siteLayout('/srv', 'a b', 'x')).toThrow();
    expect(() => l.release('../x')).toThrow();
  });
});

describe('plans', () => {
  it('lists deploy and rollback steps with time limits', () => {
    expect(stepsFor('deploy').map((s) => s.name)).toEqual(['lock', 'fetch', 'export', 'shared', 'build', 'framework', 'proxy', 'healthcheck', 'switch', 'verify', 'post-switch', 'cleanup']);
    expect(stepsFor('rollback').map((s) => s.name)).toEqual(['lock', 'env', 'healthcheck', 'switch', 'verify', 'cleanup']);
    expect(stepsFor('deploy', { stepTimeoutSeconds: 7 }).find((s) => s.name === 'build')?.timeoutMs).toBe(7000);
  });

  it('applies the Laravel recipe', () => {
    const p = releasePlan('laravel', null, { healthCheckPath: '/up', settings: {} });
    expect(p.envFile).toBe('.env');
    expect(p.webRoot).toBe('public');
    expect(p.sharedSpecs).toEqual(expect.arrayContaining(['d:storage', 'f:.env', 'e:storage/framework/views', 'w:bootstrap/cache', 'l:public/storage=../storage/app/public']));
    expect(p.preSwitch.map((c) => c.label)).toEqual(['artisan migrate', 'artisan optimize']);
    expect(p.preSwitch.every((c) => c.runAs === 'web')).toBe(true);
    expect(p.postSwitch.map((c) => c.label)).toEqual(['artisan queue:restart']);
    const tenant = releasePlan('laravel', { framework: 'laravel', multiTenancy: 'stancl', nodeBuild: null, phpVersion: null, frameworkVersion: '11', webRoot: 'public', healthCheckPath: '/up', hasDockerfile: false, signals: [] }, { healthCheckPath: '/', settings: {} });
    expect(tenant.preSwitch.map((c) => c.label)).toContain('artisan tenants:migrate');
  });

  it('applies Symfony, Shopware and WordPress recipes and the environment overrides', () => {
    expect(releasePlan('symfony', null, { healthCheckPath: '/', settings: {} })).toMatchObject({ envFile: '.env.local', webRoot: 'public' });
    const sw = releasePlan('shopware', null, { healthCheckPath: '/', settings: {} });
    expect(sw.sharedSpecs).toEqual(expect.arrayContaining(['f:.env.local', 'f:install.lock', 'd:config/jwt', 'd:public/media']));
    expect(sw.preSwitch.map((c) => c.label)).toEqual(['console database:migrate', 'console plugin:refresh', 'console theme:compile', 'console assets:install', 'console cache:clear', 'console cache:warmup']);
    const wp = releasePlan('wordpress', null, { healthCheckPath: '/', settings: { hooks: { build: ['echo hi'] } } });
    expect(wp).toMatchObject({ webRoot: '', envFile: '.env' });
    expect(wp.sharedSpecs).toEqual(expect.arrayContaining(['f:wp-config.php', 'd:wp-content/uploads']));
    expect(wp.build.map((c) => c.label)).toEqual(['composer install', 'build hook 1']);
    expect(releasePlan('static', null, { healthCheckPath: '/', settings: { webRoot: 'dist' } })).toMatchObject({ webRoot: 'dist', envFile: null, build: [] });
  });
});

describe('retention', () => {
  it('keeps the newest good releases and the protected ones', () => {
    const known = [
      { id: 'r1', status: 'inactive' as const },
      { id: 'r2', status: 'inactive' as const },
      { id: 'r3', status: 'failed' as const },
      { id: 'r4', status: 'inactive' as const },
      { id: 'r5', status: 'active' as const },
    ];
    expect(releasesToPrune(['r1', 'r2', 'r3', 'r4', 'r5', 'stray'], known, 2, ['r5'])).toEqual(['r1', 'r2', 'r3', 'stray']);
    expect(releasesToPrune(['r1', 'r2', 'r4', 'r5'], known, 2, ['r5', 'r1'])).toEqual(['r2']);
  });
});

describe('environment site files', () => {
  const layout = siteLayout('/srv/devflow/apps', 'shop', 'production');
  const site = {
    environmentId: 'env_1',
    slug: siteSlug('shop', 'production'),
    hostnames: ['production.shop.devflow.internal'],
    layout,
    framework: 'laravel' as const,
    webRoot: 'public',
    phpVersion: '8.2',
    projectUser: 'df-shop-1a2b3c4d',
    webServerUser: 'www-data',
    httpPort: 80,
    previewPort: 20001,
    maintenance: false,
  };

  it('renders a pool, the public site on current and the preview on release', () => {
    const files = environmentSiteFiles(site);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/php/8.2/fpm/pool.d/devflow-shop--production.conf',
      '/etc/nginx/conf.d/devflow-ratelimit-shop--production.conf',
      '/etc/nginx/sites-enabled/devflow-shop--production.conf',
      '/etc/nginx/sites-enabled/devflow-shop--production.preview.conf',
    ]);
    const [pool, , public_, preview] = files.map((f) => f.content);
    expect(pool).toContain('\nuser = df-shop-1a2b3c4d\ngroup = df-shop-1a2b3c4d\n');
    expect(pool).toContain('\nlisten.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660\n');
    expect(pool).toContain('php_admin_value[open_basedir] = /srv/devflow/apps/shop/production/:/tmp/');
    expect(public_).toContain('root /srv/devflow/apps/shop/production/current/public;');
    expect(public_).toContain('fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;');
    expect(preview).toContain('listen 127.0.0.1:20001 default_server;');
    expect(preview).toContain('root /srv/devflow/apps/shop/production/release/public;');
    expect(environmentSiteFiles({ ...site, maintenance: true })[2]?.content).toContain('return 503;');
    const statics = environmentSiteFiles({ ...site, framework: 'static', webRoot: '', phpVersion: null });
    expect(statics.map((f) => f.path)).not.toContain('/etc/php/8.2/fpm/pool.d/devflow-shop--production.conf');
  });

  it('refuses hostnames that would change the config', () => {
    expect(() => environmentSiteFiles({ ...site, hostnames: ['a.test; include /etc/passwd'] })).toThrow();
  });

  it('names one Unix user per project: valid, at most 32 characters, stable, distinct across organizations', () => {
    const a = projectUser({ id: 'prj_01j9xabcdefghjkmnpqrstvw', slug: 'shop' });
    expect(a).toMatch(/^df-shop-[0-9a-f]{8}$/);
    expect(projectUser({ id: 'prj_01j9xabcdefghjkmnpqrstvw', slug: 'shop' })).toBe(a);
    // Slugs are unique per organization only: the same slug in another organization gets another user.
    expect(projectUser({ id: 'prj_01j9xzzzzzzzzzzzzzzzzzzzz', slug: 'shop' })).not.toBe(a);
    const long = projectUser({ id: 'prj_1', slug: 'a-very-long-project-slug-that-goes-on-and-on' });
    expect(long.length).toBeLessThanOrEqual(32);
    expect(long).toMatch(/^df-a-very-long-project-[0-9a-f]{8}$/);
    for (const p of [{ id: 'prj_01J9X_UPPER', slug: null }, { id: 'x', slug: 'Shop_Ünïcode--' }, { id: 'y', slug: '---' }]) {
      expect(projectUser(p)).toMatch(/^[a-z_][a-z0-9_-]{0,31}$/);
    }
  });

  it('chooses the PHP version to run', () => {
    expect(choosePhpVersion(['8.1', '8.3', '8.2'], '8.2')).toBe('8.2');
    expect(choosePhpVersion(['8.1', '8.3', '8.2'], '8.0')).toBe('8.1');
    expect(choosePhpVersion(['8.1', '8.3', '8.2'], null)).toBe('8.3');
    expect(choosePhpVersion(['8.1', '8.3'], '9.0')).toBe('8.3');
    expect(choosePhpVersion([], '8.2')).toBeNull();
  });
});

describe('remote scripts (run locally in sh)', () => {
  it('takes and releases the lock atomically, one owner at a time', () => {
    const d = tmp();
    const lock = path.join(d, '.lock');
    expect(sh(LOCK, [lock, 'dep_a'], { cwd: d }).code).toBe(0);
    expect(sh(LOCK, [lock, 'dep_a'], { cwd: d }).code).toBe(0);
    const other = sh(LOCK, [lock, 'dep_b'], { cwd: d });
    expect(other.code).toBe(75);
    expect(other.stdout).toContain('held by dep_a');
    expect(sh(UNLOCK, [lock, 'dep_b'], { cwd: d }).stdout).toContain('left alone');
    expect(fs.existsSync(lock)).toBe(true);
    expect(sh(UNLOCK, [lock, 'dep_a'], { cwd: d }).code).toBe(0);
    expect(fs.existsSync(lock)).toBe(false);
    for (const owner of HOSTILE) {
      expect(sh(LOCK, [lock, owner], { cwd: d }).code).toBe(0);
      expect(sh(UNLOCK, [lock, owner], { cwd: d }).code).toBe(0);
    }
    expect(fs.existsSync(path.join(d, 'PWNED'))).toBe(false);
  });

  it('links shared paths, seeding them from the first release', () => {
    const d = tmp();
    const rel = path.join(d, 'releases', 'r1');
    const shared = path.join(d, 'shared');
    fs.mkdirSync(path.join(rel, 'storage', 'logs'), { recursive: true });
    fs.mkdirSync(path.join(rel, 'public'), { recursive: true });
    fs.writeFileSync(path.join(rel, 'storage', 'logs', 'keep.txt'), 'seed');
    fs.writeFileSync(path.join(rel, 'wp-config.php'), '<?php // seed');
    fs.mkdirSync(shared);
    const r = sh(LINK_SHARED, [rel, shared, 'nobody-here', 'd:storage', 'e:storage/framework/views', 'f:.env', 'f:wp-config.php', 'l:public/storage=../storage/app/public', 'w:bootstrap/cache'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readlinkSync(path.join(rel, 'storage'))).toBe(path.join(shared, 'storage'));
    expect(fs.readFileSync(path.join(shared, 'storage', 'logs', 'keep.txt'), 'utf8')).toBe('seed');
    expect(fs.existsSync(path.join(shared, 'storage', 'framework', 'views'))).toBe(true);
    expect(fs.readFileSync(path.join(shared, 'wp-config.php'), 'utf8')).toBe('<?php // seed');
    expect(fs.readFileSync(path.join(shared, '.env'), 'utf8')).toBe('');
    expect(fs.readlinkSync(path.join(rel, 'public', 'storage'))).toBe('../storage/app/public');
    expect(fs.statSync(path.join(rel, 'bootstrap', 'cache')).isDirectory()).toBe(true);
  });

  it('writes the env file 0640 from stdin and points links atomically', () => {
    const d = tmp();
    const file = path.join(d, 'shared', '.env');
    const content = renderDotenv({ SECRET: '$(touch PWNED)' });
    expect(sh(WRITE_ENV_FILE, [file, 'www-data'], { cwd: d, input: content }).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    fs.mkdirSync(path.join(d, 'releases', 'r1'), { recursive: true });
    expect(sh(POINT_LINK, [d, 'current', 'r1'], { cwd: d }).code).toBe(0);
    expect(fs.readlinkSync(path.join(d, 'current'))).toBe('releases/r1');
    expect(fs.existsSync(path.join(d, 'PWNED'))).toBe(false);
  });

  it('runs scripts in sequence in one command: each gets its own arguments, stdin reaches the reader, the first failure stops it', () => {
    const d = tmp();
    const run = (argv: string[], input?: string) => {
      const r = spawnSync(argv[0] as string, argv.slice(1), { cwd: d, input, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout };
    };
    const many = Array.from({ length: 12 }, (_, i) => `a${i}`);
    const ok = run(sequence(script('printf "%s|" "$#" "$@"; echo', 'first', ...HOSTILE), script('cat', 'reads-stdin'), script('echo "$0 $# ${12}"', 'third', ...many), script('echo none', 'no-args')), 'from stdin\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${[String(HOSTILE.length), ...HOSTILE].join('|')}|\nfrom stdin\nthird 12 a11\nnone\n`);
    const failed = run(sequence(script('echo one', 'one'), script('exit 7', 'two'), script('echo three', 'three')));
    expect(failed).toEqual({ code: 7, stdout: 'one\n' });
    expect(fs.existsSync(path.join(d, 'PWNED'))).toBe(false);
    expect(() => sequence(['echo', 'x'])).toThrow(TypeError);
  });

  it('reports the server and skips commands whose condition fails', () => {
    const d = tmp();
    const out = sh(PREPARE, [d, 'root'], { cwd: d });
    expect(out.code).toBe(0);
    const report = parseServerReport(out.stdout);
    expect(report.tools.has('git')).toBe(true);
    expect(report.projectUser).toBe('exists');
    expect(report.currentRelease).toBeNull();
    expect(sh(RUN, ['exists', 'nope', '', 'sh', '-c', 'echo ran'], { cwd: d }).stdout).toContain('skipped');
    expect(sh(RUN, ['always', '', '', 'printf', '%s', '$(touch PWNED)'], { cwd: d }).stdout).toBe('$(touch PWNED)');
    expect(fs.existsSync(path.join(d, 'PWNED'))).toBe(false);
  });

});
