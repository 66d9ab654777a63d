/**
 * Each framework end to end on a real server (lab container with sshd,
 * nginx, php8.2-fpm, git): detected at creation, deployed with its recipe,
 * answering 200 with the deployed commit's content, then a second commit.
 * The trees are framework-shaped fixtures (see test/fixtures/deploy-repos.ts);
 * real-frameworks.lab.test.ts deploys real Laravel, Symfony and WordPress code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectUser } from '../../src/core/deploy/project-user.js';
import { labAvailable } from '../support/lab.js';
import { laravelTree, shopwareTree, staticTree, symfonyTree, wordpressTree, type FixtureFiles } from '../fixtures/deploy-repos.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, currentRelease, deploy, httpGet, logLines, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

interface Case {
  framework: string;
  tree: (version: string) => FixtureFiles;
  envFile: string | null;
  /** Where the framework-command stand-ins log, relative to shared/. */
  commandLog: string | null;
  commands: string[];
  postSwitch: string[];
  healthCheckPath: string;
  body: (version: string) => string;
}

const cases: Case[] = [
  {
    framework: 'laravel',
    tree: laravelTree,
    envFile: '.env',
    commandLog: 'storage/logs/commands.log',
    commands: ['migrate --force', 'optimize'],
    postSwitch: ['queue:restart'],
    healthCheckPath: '/up',
    body: (v) => `laravel ${v}\n`,
  },
  {
    framework: 'symfony',
    tree: symfonyTree,
    envFile: '.env.local',
    commandLog: 'var/log/commands.log',
    commands: ['cache:clear --no-interaction', 'cache:warmup --no-interaction'],
    postSwitch: [],
    healthCheckPath: '/',
    body: (v) => `symfony ${v}\n`,
  },
  {
    framework: 'shopware',
    tree: shopwareTree,
    envFile: '.env.local',
    commandLog: 'var/log/commands.log',
    commands: ['database:migrate --all --no-interaction', 'plugin:refresh --no-interaction', 'theme:compile --no-interaction', 'assets:install --no-interaction', 'cache:clear --no-interaction', 'cache:warmup --no-interaction'],
    postSwitch: [],
    healthCheckPath: '/',
    body: (v) => `shopware ${v}\n`,
  },
  { framework: 'wordpress', tree: wordpressTree, envFile: '.env', commandLog: null, commands: [], postSwitch: [], healthCheckPath: '/', body: (v) => `wordpress ${v}\n` },
  { framework: 'static', tree: staticTree, envFile: null, commandLog: null, commands: [], postSwitch: [], healthCheckPath: '/', body: (v) => `<!doctype html><p>static ${v}</p>\n` },
];

describe.skipIf(!lab)('framework deployments on a lab server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  beforeAll(async () => {
    L = await startDeployLab();
  });
  afterAll(async () => L?.close());

  it.each(cases)('$framework: detected, deployed with its recipe, answers 200 with each new commit', async (c) => {
    const repo = FixtureRepo.create(c.framework, c.tree('v1'));
    await repo.copyTo(L.vps);
    const project = await createProject(L, { name: `${c.framework} app`, repositoryUrl: repo.url });
    expect(project.framework).toBe(c.framework);
    const env = await createEnvironment(L, project.id, { name: 'production' });
    expect(env.healthCheckPath).toBe(c.healthCheckPath);
    const put = await L.t.request('PUT', `/api/v1/environments/${env.id}/variables`, { session: L.owner, body: { variables: { APP_NAME: `${c.framework} shop`, APP_SECRET: `sekret-${c.framework}-0123` } } });
    expect(put.status).toBe(200);
    const base = baseOf(project, env);
    const user = projectUser(project);

    const first = await deploy(L, env.id);
    expect(first.status, first.error ?? '').toBe('succeeded');
    expect(first).toMatchObject({ commit: repo.head(), commitAuthor: 'Ada Lovelace <ada@example.test>', commitMessage: 'First commit' });
    expect(first.steps.every((s) => ['succeeded', 'skipped'].includes(s.status))).toBe(true);
    expect(first.steps.every((s) => s.status === 'skipped' || (s.startedAt && s.finishedAt && s.exitCode === 0))).toBe(true);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: c.body('v1') });
    expect((await httpGet(L.vps, env.hostname, c.healthCheckPath)).code).toBe(200);

    const sha2 = repo.commit(c.tree('v2'), 'Second release');
    await repo.copyTo(L.vps);
    const second = await deploy(L, env.id);
    expect(second.status, second.error ?? '').toBe('succeeded');
    expect(second.commit).toBe(sha2);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: c.body('v2') });
    expect(await currentRelease(L.vps, base)).toBe(second.releaseId);

    // The env file: in shared/, readable by the project user's group only, linked into the release, read by the app.
    if (c.envFile) {
      const stat = await L.vps.exec(['stat', '-c', '%a %U %G', `${base}/shared/${c.envFile}`]);
      expect(stat.stdout.trim()).toBe(`640 root ${user}`);
      expect((await L.vps.exec(['readlink', `${base}/current/${c.envFile}`])).stdout.trim()).toBe(`${base}/shared/${c.envFile}`);
      if (c.framework !== 'static') expect((await httpGet(L.vps, env.hostname, '/env')).body).toBe(`APP_NAME=${c.framework} shop\n`);
      // nginx never serves it.
      expect((await httpGet(L.vps, env.hostname, `/${c.envFile}`)).code).toBe(403);
    }
    // The recipe's framework commands ran in each release, as the project's own user.
    if (c.commandLog) {
      const log = await L.vps.exec(['cat', `${base}/shared/${c.commandLog}`]);
      const ran = log.stdout.trim().split('\n').map((l) => l.split(' ').slice(2).join(' '));
      expect(ran).toEqual([...c.commands, ...c.postSwitch, ...c.commands, ...c.postSwitch]);
      expect((await L.vps.exec(['stat', '-c', '%U', `${base}/shared/${c.commandLog}`])).stdout.trim()).toBe(user);
    }
    if (c.framework === 'wordpress') {
      // wp-config.php is shared, seeded from the first release; uploads are shared and writable by the project's PHP.
      expect((await L.vps.exec(['cat', `${base}/shared/wp-config.php`])).stdout).toContain("define('DB_NAME'");
      expect((await L.vps.exec(['stat', '-c', '%U', `${base}/shared/wp-content/uploads`])).stdout.trim()).toBe(user);
      expect((await logLines(L, second.id)).some((l) => l.line.includes('skipped: wp is not installed'))).toBe(true);
    }
    if (c.framework === 'laravel') {
      expect((await L.vps.exec(['readlink', `${base}/current/public/storage`])).stdout.trim()).toBe('../storage/app/public');
      expect((await L.vps.exec(['stat', '-c', '%U', `${base}/current/bootstrap/cache`])).stdout.trim()).toBe(user);
    }

    // Releases are records: commit, author, message, path, config hash, status.
    const releases = await L.t.request('GET', `/api/v1/environments/${env.id}/releases`, { session: L.owner });
    const rows = releases.json.data as { id: string; commit: string; author: string; message: string; path: string; configHash: string; status: string; envVersion: number }[];
    expect(rows.map((r) => [r.commit, r.status])).toEqual([
      [sha2, 'active'],
      [first.commit, 'inactive'],
    ]);
    expect(rows[0]).toMatchObject({ id: second.releaseId, author: 'Ada Lovelace <ada@example.test>', message: 'Second release', path: `${base}/releases/${second.releaseId}`, envVersion: 1 });
    expect(rows[0]?.configHash).toMatch(/^[0-9a-f]{64}$/);
    const detail = await L.t.request('GET', `/api/v1/environments/${env.id}`, { session: L.owner });
    expect(detail.json.currentReleaseId).toBe(second.releaseId);
  });
});
