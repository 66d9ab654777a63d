/**
 * Deleting an environment (or its project) takes what it served off the
 * server — nginx site, preview listener, rate-limit snippet, PHP-FPM pool —
 * while its directory with releases and shared files stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { labAvailable } from '../support/lab.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, deploy, httpGet, startDeployLab, waitFor, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

describe.skipIf(!lab)('deleting what a server serves', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let repo: FixtureRepo;
  beforeAll(async () => {
    L = await startDeployLab();
    repo = FixtureRepo.create('teardown', laravelTree('v1'));
    await repo.copyTo(L.vps);
  });
  afterAll(async () => L?.close());

  /** The environment's web-server files present on the server. */
  async function siteFiles(slug: string): Promise<string[]> {
    const res = await L.vps.exec(['sh', '-c', 'ls -1 /etc/nginx/sites-enabled/devflow-"$1".* /etc/nginx/conf.d/devflow-ratelimit-"$1".conf /etc/php/*/fpm/pool.d/devflow-"$1".conf 2>/dev/null; exit 0', 'ls', slug]);
    return res.stdout.split('\n').filter(Boolean);
  }

  async function deployed(project: { id: string; slug: string }, name: string) {
    const env = await createEnvironment(L, project.id, { name });
    const slug = `${project.slug}--${name}`;
    // Each site says who it is, so a request that reaches another site (nginx's default) is told apart.
    const vars = await L.t.request('PUT', `/api/v1/environments/${env.id}/variables`, { session: L.owner, body: { variables: { APP_NAME: slug } } });
    expect(vars.status, vars.text).toBe(200);
    const d = await deploy(L, env.id);
    expect(d.status, d.error ?? '').toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname, '/env')).toEqual({ code: 200, body: `APP_NAME=${slug}\n` });
    expect(await siteFiles(slug)).toHaveLength(4); // site, preview, rate-limit snippet, pool
    return { env, slug, base: baseOf(project, env) };
  }

  async function gone(slug: string, hostname: string): Promise<void> {
    await waitFor(`the files of ${slug} to go`, async () => ((await siteFiles(slug)).length === 0 ? true : undefined), 60_000);
    // nginx no longer serves the app for its name (another site may answer as the default server);
    // a reload is graceful, so the old workers may answer for a moment after the files went.
    await waitFor(`nginx to stop serving ${hostname}`, async () => (!(await httpGet(L.vps, hostname, '/env')).body.includes(`APP_NAME=${slug}`) ? true : undefined), 30_000);
    // The configuration left is valid and php-fpm runs on.
    expect((await L.vps.exec(['nginx', '-t'])).code).toBe(0);
    expect((await L.vps.exec(['pgrep', '-x', 'php-fpm8.2'])).code).toBe(0);
  }

  it('takes a deleted environment off its server, and keeps its files', async () => {
    const project = await createProject(L, { name: 'Teardown', repositoryUrl: repo.url });
    const keep = await deployed(project, 'production');
    const drop = await deployed(project, 'staging');

    const res = await L.t.request('DELETE', `/api/v1/environments/${drop.env.id}`, { session: L.owner });
    expect(res.status, res.text).toBe(204);
    await gone(drop.slug, drop.env.hostname);
    // Data stays: releases, shared storage and the env file are still there for the user to keep or remove.
    expect((await L.vps.exec(['test', '-d', `${drop.base}/releases`])).code).toBe(0);
    expect((await L.vps.exec(['test', '-f', `${drop.base}/shared/.env`])).code).toBe(0);
    // The other environment is untouched.
    expect(await siteFiles(keep.slug)).toHaveLength(4);
    expect(await httpGet(L.vps, keep.env.hostname, '/env')).toEqual({ code: 200, body: `APP_NAME=${keep.slug}\n` });
  });

  it('takes every environment of a deleted project off its server', async () => {
    const project = await createProject(L, { name: 'Teardown two', repositoryUrl: repo.url });
    const a = await deployed(project, 'production');
    const b = await deployed(project, 'staging');
    const res = await L.t.request('DELETE', `/api/v1/projects/${project.id}`, { session: L.owner });
    expect(res.status, res.text).toBe(204);
    await gone(a.slug, a.env.hostname);
    await gone(b.slug, b.env.hostname);
  });
});
