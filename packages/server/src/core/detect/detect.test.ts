import { describe, expect, it } from 'vitest';
import { detectFramework, relevantFiles } from './detect.js';
import { lowestVersion, phpVersionOf } from './php-version.js';

const composer = (require: Record<string, string>, extra: Record<string, unknown> = {}) => JSON.stringify({ require, ...extra });

describe('detectFramework', () => {
  it('detects Laravel from artisan + laravel/framework, with /up for Laravel 11+', () => {
    const d = detectFramework({
      files: ['artisan', 'public/index.php', 'composer.json', 'routes/web.php'],
      composerJson: composer({ php: '^8.2', 'laravel/framework': '^11.0' }),
    });
    expect(d).toMatchObject({ framework: 'laravel', phpVersion: '8.2', frameworkVersion: '11', healthCheckPath: '/up', webRoot: 'public', multiTenancy: null });
    expect(d.signals).toEqual(expect.arrayContaining(['artisan present', 'composer.json requires laravel/framework (^11.0)']));
  });

  it('takes the exact Laravel version from composer.lock', () => {
    const d = detectFramework({
      files: ['artisan'],
      composerJson: composer({ 'laravel/framework': '^10.0|^11.0' }),
      composerLock: JSON.stringify({ packages: [{ name: 'laravel/framework', version: 'v10.48.2' }] }),
    });
    expect(d.frameworkVersion).toBe('10');
    expect(d.healthCheckPath).toBe('/');
  });

  it('needs both artisan and laravel/framework', () => {
    expect(detectFramework({ files: ['composer.json'], composerJson: composer({ 'laravel/framework': '^11' }) }).framework).toBe('php');
    expect(detectFramework({ files: ['artisan', 'index.php'] }).framework).toBe('php');
  });

  it('checks Shopware before Symfony (both have bin/console)', () => {
    const d = detectFramework({
      files: ['bin/console', 'public/index.php', 'composer.json'],
      composerJson: composer({ 'shopware/core': '~6.5.0', 'symfony/framework-bundle': '^6.4' }),
    });
    expect(d.framework).toBe('shopware');
    expect(d.frameworkVersion).toBe('6');
  });

  it('detects Symfony from framework-bundle + bin/console', () => {
    const d = detectFramework({ files: ['bin/console', 'public/index.php'], composerJson: composer({ php: '>=8.1', 'symfony/framework-bundle': '6.4.*' }) });
    expect(d).toMatchObject({ framework: 'symfony', phpVersion: '8.1', webRoot: 'public', healthCheckPath: '/' });
    expect(detectFramework({ files: ['public/index.php'], composerJson: composer({ 'symfony/framework-bundle': '6.4.*' }) }).framework).toBe('php');
  });

  it('detects WordPress, then Bedrock', () => {
    expect(detectFramework({ files: ['wp-settings.php', 'index.php', 'wp-content/themes/x/style.css'] })).toMatchObject({ framework: 'wordpress', webRoot: '' });
    expect(detectFramework({ files: ['config/application.php', 'web/wp-config.php', 'composer.json'], composerJson: composer({ 'roots/wordpress': '^6.4' }) })).toMatchObject({
      framework: 'bedrock',
      webRoot: 'web',
    });
  });

  it('falls back to generic PHP, static and Dockerfile in that order', () => {
    expect(detectFramework({ files: ['index.php'] }).framework).toBe('php');
    expect(detectFramework({ files: ['public/index.php', 'src/a.php'] })).toMatchObject({ framework: 'php', webRoot: 'public' });
    expect(detectFramework({ files: ['index.html', 'Dockerfile'] })).toMatchObject({ framework: 'static', hasDockerfile: true });
    expect(detectFramework({ files: ['main.go', 'Dockerfile'] })).toMatchObject({ framework: 'dockerfile', hasDockerfile: true });
    expect(detectFramework({ files: ['README.md'] }).framework).toBe('static');
  });

  it('reports multi-tenancy packages for Laravel', () => {
    const base = ['artisan'];
    expect(detectFramework({ files: base, composerJson: composer({ 'laravel/framework': '^11', 'stancl/tenancy': '^3.8' }) }).multiTenancy).toBe('stancl');
    expect(detectFramework({ files: base, composerJson: composer({ 'laravel/framework': '^10', 'spatie/laravel-multitenancy': '^3' }) }).multiTenancy).toBe('spatie');
  });

  it('sees a Node build and its package manager', () => {
    const pkg = JSON.stringify({ scripts: { build: 'vite build' } });
    expect(detectFramework({ files: ['artisan', 'package.json'], composerJson: composer({ 'laravel/framework': '^11' }), packageJson: pkg }).nodeBuild).toEqual({ packageManager: 'npm', script: 'build' });
    expect(detectFramework({ files: ['package.json', 'yarn.lock'], packageJson: pkg }).nodeBuild?.packageManager).toBe('yarn');
    expect(detectFramework({ files: ['package.json', 'pnpm-lock.yaml', 'vite.config.ts'], packageJson: pkg })).toMatchObject({ framework: 'static', webRoot: 'dist' });
    expect(detectFramework({ files: ['package.json'], packageJson: JSON.stringify({ scripts: { dev: 'x' } }) }).nodeBuild).toBeNull();
  });

  it('prefers config.platform.php and survives broken JSON', () => {
    expect(detectFramework({ files: [], composerJson: composer({ php: '^8.1' }, { config: { platform: { php: '8.3.4' } } }) }).phpVersion).toBe('8.3');
    const d = detectFramework({ files: ['index.php', 'composer.json'], composerJson: '{nope' });
    expect(d.framework).toBe('php');
    expect(d.signals).toContain('composer.json is not valid JSON (ignored)');
  });
});

describe('Composer constraints', () => {
  it.each([
    ['^8.1', '8.1'],
    ['>=8.2 <8.4', '8.2'],
    ['~8.3.0', '8.3'],
    ['8.2.*', '8.2'],
    ['^8.1 || ^8.2', '8.1'],
    ['^7.4|^8.0', '7.4'],
    ['>=8.0,<9', '8.0'],
    ['^8', '8.0'],
    ['*', null],
    ['', null],
  ])('%s → %s', (c, v) => expect(phpVersionOf(c)).toBe(v));

  it('takes the largest lower bound within one alternative', () => {
    expect(lowestVersion('>=8.0 >=8.2')).toEqual({ major: 8, minor: 2 });
  });
});

describe('relevantFiles', () => {
  it('drops vendor, node_modules, .git and deep paths', () => {
    expect(relevantFiles(['./artisan', 'vendor/a/b.php', 'node_modules/x/y.js', '.git/HEAD', 'a/b/c/d/e.php', 'a/b/c/d.php'])).toEqual(['artisan', 'a/b/c/d.php']);
  });
});
