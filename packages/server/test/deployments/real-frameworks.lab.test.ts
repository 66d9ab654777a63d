/**
 * Real framework code end to end on a lab server: Laravel 8.83, Symfony 5.4
 * and WordPress 6.1 from the lab image's Debian packages, committed into fixture
 * repositories (test/fixtures/real-frameworks.ts). Each is detected,
 * deployed with its recipe, answers 200 with the commit's content, and so
 * does a second commit; the framework's own commands really ran (artisan's
 * output in the log, the migrations in the SQLite database, Symfony's
 * compiled container, WordPress installed in MariaDB). The framework-shaped stand-ins of
 * frameworks.lab.test.ts stay for the fault-injection tests.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable } from '../support/lab.js';
import { debianCode, realLaravelRepo, realSymfonyRepo, realWordpressRepo, type DebianCode } from '../fixtures/real-frameworks.js';
import { LARAVEL_SECOND_MIGRATION } from '../fixtures/real-laravel.js';
import { projectUser } from '../../src/core/deploy/project-user.js';
import { baseOf, createEnvironment, createProject, currentRelease, deploy, httpGet, logLines, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

describe.skipIf(!lab)('real framework code deployed on a lab server', { timeout: 600_000 }, () => {
  let L: DeployLab;
  let code: DebianCode;
  beforeAll(async () => {
    // MariaDB for WordPress, started at boot as on a VPS that hosts one.
    L = await startDeployLab({ services: ['nginx', 'php8.2-fpm', 'mariadb'] });
    code = debianCode(L.vps);
  }, 300_000);
  afterAll(async () => L?.close());

  async function detect(url: string): Promise<Record<string, unknown>> {
    const res = await L.t.request('POST', '/api/v1/projects/detect', { session: L.owner, body: { repositoryUrl: url, branch: 'main' } });
    expect(res.status, res.text).toBe(200);
    return res.json;
  }

  async function setVariables(environmentId: string, variables: Record<string, string>): Promise<void> {
    const res = await L.t.request('PUT', `/api/v1/environments/${environmentId}/variables`, { session: L.owner, body: { variables } });
    expect(res.status, res.text).toBe(200);
  }

  async function logText(deploymentId: string): Promise<string> {
    return (await logLines(L, deploymentId)).map((l) => l.line).join('\n');
  }

  it('Laravel 8.83 (php-laravel-framework): detected, migrated, optimized, answers 200 with each new commit', async () => {
    const repo = realLaravelRepo(code, 'v1');
    await repo.copyTo(L.vps);
    expect(await detect(repo.url)).toMatchObject({ framework: 'laravel', frameworkVersion: '8', phpVersion: '8.1', webRoot: 'public', healthCheckPath: '/' });
    const project = await createProject(L, { name: 'Real Laravel', repositoryUrl: repo.url });
    const user = projectUser(project); // PHP-FPM and the framework commands run as the project's own Unix user
    expect(project.framework).toBe('laravel');
    const env = await createEnvironment(L, project.id, { name: 'production' });
    expect(env.healthCheckPath).toBe('/');
    await setVariables(env.id, { APP_NAME: 'Real Laravel', APP_ENV: 'production', APP_KEY: 'base64:ZGV2Zmxvdy1maXh0dXJlLWtleS0wMTIzNDU2Nzg5YWI=' });
    const base = baseOf(project, env);

    const first = await deploy(L, env.id);
    expect(first.status, first.error ?? '').toBe('succeeded');
    expect(first.commit).toBe(repo.head());
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
    // .env → config:cache → the cached config PHP-FPM reads.
    expect(await httpGet(L.vps, env.hostname, '/env')).toEqual({ code: 200, body: 'APP_NAME=Real Laravel\n' });
    expect(await httpGet(L.vps, env.hostname, '/db')).toEqual({ code: 200, body: 'migrations=1\n' });

    // artisan's own output is in the deployment log.
    const log1 = await logText(first.id);
    expect(log1).toContain('vendor/ is in the release: composer install not needed');
    expect(log1).toMatch(/Migrated:\s+2024_01_01_000000_create_deploy_marks_table/);
    expect(log1).toContain('Configuration cached successfully!');
    expect(log1).toContain('Routes cached successfully!');
    expect(log1).toContain('Broadcasting queue restart signal.');
    // What the framework wrote, as the project's user: caches in the release, the database and the restart signal in shared storage.
    const release1 = `${base}/releases/${first.releaseId ?? ''}`;
    const caches = await L.vps.exec(['stat', '-c', '%U %n', `${release1}/bootstrap/cache/config.php`, `${release1}/bootstrap/cache/routes-v7.php`, `${base}/shared/storage/app/database.sqlite`]);
    expect(caches.code, caches.stderr).toBe(0);
    expect(caches.stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual([user, user, user]);
    // queue:restart's signal: Laravel's file cache keeps a key at data/<sha1[0:2]>/<sha1[2:4]>/<sha1>.
    const key = createHash('sha1').update('illuminate:queue:restart').digest('hex');
    const signal = await L.vps.exec(['stat', '-c', '%U', `${base}/shared/storage/framework/cache/data/${key.slice(0, 2)}/${key.slice(2, 4)}/${key}`]);
    expect(signal.stdout.trim(), signal.stderr).toBe(user);

    // A second commit with a new migration: only that one runs, in batch 2.
    const sha2 = repo.commit({ VERSION: 'v2\n', ...LARAVEL_SECOND_MIGRATION }, 'Second release');
    await repo.copyTo(L.vps);
    const second = await deploy(L, env.id);
    expect(second.status, second.error ?? '').toBe('succeeded');
    expect(second.commit).toBe(sha2);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v2\n' });
    expect(await httpGet(L.vps, env.hostname, '/db')).toEqual({ code: 200, body: 'migrations=2\n' });
    expect(await currentRelease(L.vps, base)).toBe(second.releaseId);
    const log2 = await logText(second.id);
    expect(log2).toMatch(/Migrated:\s+2024_02_01_000000_add_release_to_deploy_marks/);
    expect(log2).not.toContain('create_deploy_marks_table');
    const rows = await L.vps.exec([
      'php',
      '-r',
      '$db = new PDO("sqlite:" . $argv[1]); foreach ($db->query("SELECT migration, batch FROM migrations ORDER BY id") as $r) echo $r[0], " ", $r[1], "\\n";',
      '--',
      `${base}/shared/storage/app/database.sqlite`,
    ]);
    expect(rows.stdout.trim().split('\n'), rows.stderr).toEqual(['2024_01_01_000000_create_deploy_marks_table 1', '2024_02_01_000000_add_release_to_deploy_marks 2']);
  });

  it('Symfony 5.4 (php-symfony-framework-bundle): detected, cache cleared and warmed, answers 200 with each new commit', async () => {
    const repo = realSymfonyRepo(code, 'v1');
    await repo.copyTo(L.vps);
    expect(await detect(repo.url)).toMatchObject({ framework: 'symfony', frameworkVersion: '5', webRoot: 'public', healthCheckPath: '/' });
    const project = await createProject(L, { name: 'Real Symfony', repositoryUrl: repo.url });
    const user = projectUser(project); // PHP-FPM and the framework commands run as the project's own Unix user
    expect(project.framework).toBe('symfony');
    const env = await createEnvironment(L, project.id, { name: 'production' });
    await setVariables(env.id, { APP_NAME: 'Real Symfony', APP_SECRET: 'sekret-symfony-0123' });
    const base = baseOf(project, env);

    const first = await deploy(L, env.id);
    expect(first.status, first.error ?? '').toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'symfony v1\n' });
    // .env.local (DevFlow's) overrides the committed .env through Symfony's Dotenv.
    expect(await httpGet(L.vps, env.hostname, '/env')).toEqual({ code: 200, body: 'APP_NAME=Real Symfony\n' });
    expect(await httpGet(L.vps, env.hostname, '/nowhere')).toMatchObject({ code: 404 });
    // SymfonyStyle wraps its blocks to the terminal width: compare with whitespace folded.
    const log1 = (await logText(first.id)).replace(/\s+/g, ' ');
    expect(log1).toContain('[OK] Cache for the "prod" environment (debug=false) was successfully cleared.');
    expect(log1).toContain('[OK] Cache for the "prod" environment (debug=false) was successfully warmed.');
    // The compiled container and router, written by the project's user into the release's var/cache.
    const release1 = `${base}/releases/${first.releaseId ?? ''}`;
    const compiled = await L.vps.exec(['sh', '-c', 'stat -c %U "$1"/var/cache/prod/App_KernelProdContainer.php "$1"/var/cache/prod/url_matching_routes.php', 'stat', release1]);
    expect(compiled.stdout.trim().split('\n'), compiled.stderr).toEqual([user, user]);

    const sha2 = repo.commit({ VERSION: 'v2\n' }, 'Second release');
    await repo.copyTo(L.vps);
    const second = await deploy(L, env.id);
    expect(second.status, second.error ?? '').toBe('succeeded');
    expect(second.commit).toBe(sha2);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'symfony v2\n' });
    expect(await currentRelease(L.vps, base)).toBe(second.releaseId);
  });

  it('WordPress 6.1 (wordpress package): detected, installed into MariaDB by a hook, answers 200 with each new commit', async () => {
    // The database, as the server's admin makes it for a site.
    const sql = "CREATE DATABASE wp_site; CREATE USER 'wp_site'@'localhost' IDENTIFIED BY 'db-pass-0123'; GRANT ALL ON wp_site.* TO 'wp_site'@'localhost';";
    const created = await L.vps.exec(['mariadb', '-e', sql]);
    expect(created.code, created.stderr).toBe(0);

    const repo = realWordpressRepo(code, 'v1');
    await repo.copyTo(L.vps);
    expect(await detect(repo.url)).toMatchObject({ framework: 'wordpress', webRoot: '', healthCheckPath: '/' });
    const project = await createProject(L, { name: 'Real WordPress', repositoryUrl: repo.url });
    const user = projectUser(project); // PHP-FPM and the framework commands run as the project's own Unix user
    expect(project.framework).toBe('wordpress');
    const env = await createEnvironment(L, project.id, { name: 'production' });
    await setVariables(env.id, { DB_NAME: 'wp_site', DB_USER: 'wp_site', DB_PASSWORD: 'db-pass-0123', WP_HOME: `http://${env.hostname}`, WP_SALT: 'salt-0123456789' });
    const patched = await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { preSwitch: ['php bin/install.php'] } } } });
    expect(patched.status, patched.text).toBe(200);
    const base = baseOf(project, env);

    const first = await deploy(L, env.id);
    expect(first.status, first.error ?? '').toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'wordpress v1\n' });
    const log1 = await logText(first.id);
    expect(log1).toMatch(/installed WordPress 6\.1/);
    expect(log1).toContain('skipped: wp is not installed');
    const template = await L.vps.exec(['mariadb', '-N', '-e', "SELECT option_value FROM wp_site.wp_options WHERE option_name IN ('template', 'home') ORDER BY option_name"]);
    expect(template.stdout.trim().split('\n')).toEqual([`http://${env.hostname}`, 'devflow-fixture']);
    // wp-config.php is shared (seeded from the first release) and reads the .env beside it.
    expect((await L.vps.exec(['readlink', `${base}/current/wp-config.php`])).stdout.trim()).toBe(`${base}/shared/wp-config.php`);
    expect((await L.vps.exec(['stat', '-c', '%U', `${base}/shared/wp-content/uploads`])).stdout.trim()).toBe(user);
    // The real login page renders (WordPress core, not the theme).
    const login = await httpGet(L.vps, env.hostname, '/wp-login.php');
    expect(login.code).toBe(200);
    expect(login.body).toContain('user_login');

    const sha2 = repo.commit({ VERSION: 'v2\n' }, 'Second release');
    await repo.copyTo(L.vps);
    const second = await deploy(L, env.id);
    expect(second.status, second.error ?? '').toBe('succeeded');
    expect(second.commit).toBe(sha2);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'wordpress v2\n' });
    expect(await logText(second.id)).toMatch(/WordPress 6\.1\S* is installed/);
    expect(await currentRelease(L.vps, base)).toBe(second.releaseId);
  });
});
