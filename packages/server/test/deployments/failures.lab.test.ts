/**
 * What happens when a deployment goes wrong, on a real server: a failing
 * build or pre-activation health check leaves the old release serving; a
 * failing public check or post-switch step switches back automatically;
 * cancel stops a running deployment and cleans up; concurrent triggers are
 * serialized and priorities honoured. No failure leaves a lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable } from '../support/lab.js';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { FixtureRepo } from './support/git-fixture.js';
import {
  baseOf,
  createEnvironment,
  createProject,
  currentRelease,
  deploy,
  getDeployment,
  httpGet,
  logLines,
  startDeployLab,
  trigger,
  waitFor,
  waitForDeployment,
  type Deployment,
  type DeployLab,
} from './support/deploy-lab.js';

const lab = await labAvailable();

describe.skipIf(!lab)('deployment failures on a lab server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let repo: FixtureRepo;
  let project: { id: string; slug: string };
  beforeAll(async () => {
    L = await startDeployLab();
    repo = FixtureRepo.create('failures', laravelTree('v1'));
    await repo.copyTo(L.vps);
    project = await createProject(L, { name: 'Failures', repositoryUrl: repo.url });
  });
  afterAll(async () => L?.close());

  const stepOf = (d: Deployment, name: string) => d.steps.find((s) => s.name === name);
  async function noLock(base: string): Promise<boolean> {
    return (await L.vps.exec(['test', '-e', `${base}/.lock`])).code !== 0;
  }
  async function releaseDirs(base: string): Promise<string[]> {
    return (await L.vps.exec(['ls', '-1', `${base}/releases`])).stdout.split('\n').filter(Boolean);
  }

  it('keeps the old release serving through a failing build and health check; switches back after a failing public check or post-switch step', async () => {
    // Its own branch: the broken commits below never reach main, which the other tests deploy.
    repo.commit(laravelTree('v1'), 'v1 on the failures branch', { branch: 'failures' });
    await repo.copyTo(L.vps);
    const env = await createEnvironment(L, project.id, { name: 'production', branch: 'failures' });
    const base = baseOf(project, env);
    const good = await deploy(L, env.id);
    expect(good.status).toBe('succeeded');
    const live = good.releaseId;

    // 1. Build: vendor/ is gone, so composer install is needed, and composer is not on the server.
    repo.commit({ VERSION: 'v2\n' }, 'Drop vendor', { branch: 'failures', remove: ['vendor'] });
    await repo.copyTo(L.vps);
    const build = await deploy(L, env.id);
    expect(build.status).toBe('failed');
    expect(stepOf(build, 'build')).toMatchObject({ status: 'failed', exitCode: 127 });
    expect(build.error).toMatch(/composer is not installed/);
    expect(build.steps.slice(5).map((s) => s.status)).toEqual(Array(7).fill('skipped'));

    // 2. Pre-activation health check: the new release answers 500 on the private listener.
    repo.commit({ ...laravelTree('v3'), FAIL_HEALTH: '1\n' }, 'Broken release', { branch: 'failures' });
    await repo.copyTo(L.vps);
    const health = await deploy(L, env.id);
    expect(health.status).toBe('failed');
    expect(stepOf(health, 'healthcheck')).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(stepOf(health, 'switch')?.status).toBe('skipped');
    expect(health.error).toMatch(/HTTP 500/);

    for (const d of [build, health]) {
      expect(await currentRelease(L.vps, base)).toBe(live);
      expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
      expect(await releaseDirs(base)).not.toContain(d.releaseId);
    }

    // 3. Public check: fine on the private listener, 500 through the public site: switched back.
    repo.commit({ ...laravelTree('v4'), FAIL_PUBLIC: '1\n' }, 'Fails publicly', { branch: 'failures', remove: ['FAIL_HEALTH'] });
    await repo.copyTo(L.vps);
    const pub = await deploy(L, env.id);
    expect(pub.status).toBe('failed');
    expect(pub.steps.map((s) => [s.name, s.status]).slice(7, 10)).toEqual([
      ['healthcheck', 'succeeded'],
      ['switch', 'succeeded'],
      ['verify', 'failed'],
    ]);
    expect((await logLines(L, pub.id)).map((l) => l.line)).toContain(`switching every server back to ${live}`);
    expect(await currentRelease(L.vps, base)).toBe(live);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });

    // 4. A post-switch step fails: every server switches back too.
    repo.commit({ ...laravelTree('v5') }, 'Good again', { branch: 'failures', remove: ['FAIL_PUBLIC'] });
    await repo.copyTo(L.vps);
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { postSwitch: ['echo restarting workers; exit 4'] } } } });
    const post = await deploy(L, env.id);
    expect(post.status).toBe('failed');
    expect(stepOf(post, 'post-switch')).toMatchObject({ status: 'failed', exitCode: 4 });
    expect(await currentRelease(L.vps, base)).toBe(live);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });

    const envNow = await L.t.request('GET', `/api/v1/environments/${env.id}`, { session: L.owner });
    expect(envNow.json.currentReleaseId).toBe(live);
    const releases = (await L.t.request('GET', `/api/v1/environments/${env.id}/releases`, { session: L.owner })).json.data as { id: string; status: string }[];
    expect(releases.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'active']);
    expect(await noLock(base)).toBe(true);

    // And then a good deployment goes through.
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: {} } });
    const fixed = await deploy(L, env.id);
    expect(fixed.status).toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v5\n' });
    expect(await releaseDirs(base)).toEqual([live, fixed.releaseId].sort());
  });

  it('cancels a running deployment: its command is killed, it cleans up and the old release keeps serving', async () => {
    const env = await createEnvironment(L, project.id, { name: 'cancel' });
    const base = baseOf(project, env);
    const good = await deploy(L, env.id);
    expect(good.status).toBe('succeeded');
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { build: ['echo long build; sleep 45'] } } } });
    const d = await trigger(L, env.id);
    await waitFor('the build to run', async () => (await getDeployment(L, d.id)).steps.find((s) => s.name === 'build')?.status === 'running', 30_000);
    await waitFor('the sleep to start', async () => (await L.vps.exec(['pgrep', '-f', 'sleep 45'])).code === 0, 10_000);
    const started = Date.now();
    const res = await L.t.request('POST', `/api/v1/deployments/${d.id}/cancel`, { session: L.owner });
    expect(res.status).toBe(200);
    const done = await waitForDeployment(L, d.id);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done.status).toBe('cancelled');
    expect(done.error).toBe('Cancelled during build.');
    expect(done.steps.find((s) => s.name === 'build')?.status).toBe('cancelled');
    expect(done.steps.slice(5).every((s) => s.status === 'cancelled')).toBe(true);
    expect((await L.vps.exec(['pgrep', '-f', 'sleep 45'])).code).toBe(1);
    expect(await noLock(base)).toBe(true);
    expect(await currentRelease(L.vps, base)).toBe(good.releaseId);
    expect(await releaseDirs(base)).toEqual([good.releaseId]);
    expect((await httpGet(L.vps, env.hostname)).code).toBe(200);
    const audit = await L.t.app.db.kysely.selectFrom('audit_events').select('action').where('target_id', '=', d.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['deployment.create', 'deployment.cancel']);
  });

  it('runs two concurrent triggers one after the other, and queued deployments by priority', async () => {
    const env = await createEnvironment(L, project.id, { name: 'busy' });
    const [a, b] = await Promise.all([trigger(L, env.id), trigger(L, env.id)]);
    const [da, db] = await Promise.all([waitForDeployment(L, a.id), waitForDeployment(L, b.id)]);
    expect([da.status, db.status]).toEqual(['succeeded', 'succeeded']);
    const [first, second] = [da, db].sort((x, y) => String(x.startedAt).localeCompare(String(y.startedAt))) as [Deployment, Deployment];
    expect(String(second.startedAt) >= String(first.finishedAt)).toBe(true);
    expect((await logLines(L, second.id)).some((l) => l.line.includes('waiting for deployment'))).toBe(false);

    // A slow deployment holds the environment; a later high-priority one goes before an earlier normal one.
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { build: ['sleep 3'] } } } });
    const slow = await trigger(L, env.id);
    await waitFor('the slow deployment to start', async () => (await getDeployment(L, slow.id)).status === 'running', 20_000);
    const normal = await trigger(L, env.id, { priority: 0 });
    const urgent = await trigger(L, env.id, { priority: 50 });
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: {} } });
    const all = await Promise.all([slow, normal, urgent].map((d) => waitForDeployment(L, d.id)));
    expect(all.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const [s, n, u] = all as [Deployment, Deployment, Deployment];
    expect(String(u.startedAt) >= String(s.finishedAt)).toBe(true);
    expect(String(n.startedAt) >= String(u.finishedAt)).toBe(true);
  });
});
