/**
 * Crash safety: a worker process running a deployment is killed with
 * SIGKILL. Once its job lease expires, another worker ends the deployment
 * as failed ("control plane restarted during <step>"), releases its server
 * lock, removes its unfinished release, switches back if it had switched —
 * and the site serves the last good release throughout.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable } from '../support/lab.js';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { exited, Harness, testEnv, tsNodeArgs, waitForLine } from '../foundation/support/harness.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, currentRelease, deploy, getDeployment, httpGet, startDeployLab, trigger, waitFor, waitForDeployment, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();
const LEASE_MS = 2000;
const workerEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'deploy-worker.ts');

describe.skipIf(!lab)('a deployment whose worker is killed (-9)', { timeout: 300_000 }, () => {
  const h = new Harness();
  let L: DeployLab;
  let repo: FixtureRepo;
  let project: { id: string; slug: string };
  beforeAll(async () => {
    L = await startDeployLab({ startWorker: false, env: { DEVFLOW_JOB_LEASE_MS: String(LEASE_MS) } });
    repo = FixtureRepo.create('crash', laravelTree('v1'));
    await repo.copyTo(L.vps);
    project = await createProject(L, { name: 'Crash', repositoryUrl: repo.url });
  });
  afterAll(async () => {
    await h.cleanup();
    await L?.close();
  });

  /** A real worker process on the same database and key file as the test's control plane. */
  async function childWorker() {
    const child = h.spawn(tsNodeArgs(workerEntry), testEnv(L.t.db, { DEVFLOW_JOB_LEASE_MS: String(LEASE_MS), DEVFLOW_WORKER_CONCURRENCY: '2' }));
    await waitForLine(child, 'ready');
    return child;
  }
  async function killWhen(child: Awaited<ReturnType<typeof childWorker>>, id: string, step: string) {
    await waitFor(`step ${step} to run`, async () => (await getDeployment(L, id)).steps.find((s) => s.name === step)?.status === 'running', 60_000);
    child.kill('SIGKILL');
    await exited(child, 5000);
  }
  const locked = async (base: string) => (await L.vps.exec(['test', '-e', `${base}/.lock`])).code === 0;

  it('during the build: the job runs again, finds it mid-way, fails it and cleans up; the old release keeps serving', async () => {
    const env = await createEnvironment(L, project.id, { name: 'build' });
    const base = baseOf(project, env);
    const child = await childWorker();
    const v1 = await deploy(L, env.id);
    expect(v1.status).toBe('succeeded');

    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { build: ['sleep 60'] } } } });
    const d = await trigger(L, env.id);
    await killWhen(child, d.id, 'build');
    // Nobody runs it now: it is still "running", its lock is on the server, and the old release serves.
    expect((await getDeployment(L, d.id)).status).toBe('running');
    expect(await locked(base)).toBe(true);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });

    // Another worker starts: after the lease expires the job is taken back and its re-run recovers.
    L.t.app.worker.start();
    const ended = await waitForDeployment(L, d.id, ['failed', 'succeeded', 'cancelled'], 60_000);
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('control plane restarted during build');
    expect(ended.steps.find((s) => s.name === 'build')).toMatchObject({ status: 'failed', detail: expect.stringContaining('The control plane restarted during build') });
    expect(ended.steps.slice(5).every((s) => s.status === 'skipped')).toBe(true);
    expect(await locked(base)).toBe(false);
    expect(await currentRelease(L.vps, base)).toBe(v1.releaseId);
    expect((await L.vps.exec(['ls', '-1', `${base}/releases`])).stdout.trim()).toBe(v1.releaseId);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });

    // No lock is left behind: the next deployment goes through.
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: {} } });
    repo.commit(laravelTree('v2'), 'v2');
    await repo.copyTo(L.vps);
    const next = await deploy(L, env.id);
    expect(next.status).toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v2\n' });
    await L.t.app.worker.stop();
  });

  it('after the switch, with its job attempts spent: the recovery sweep switches back to the last good release', async () => {
    const env = await createEnvironment(L, project.id, { name: 'switched' });
    const base = baseOf(project, env);
    const child = await childWorker();
    const good = await deploy(L, env.id);
    expect(good.status).toBe('succeeded');

    repo.commit(laravelTree('v3'), 'v3');
    await repo.copyTo(L.vps);
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { postSwitch: ['sleep 60'] } } } });
    const d = await trigger(L, env.id);
    await killWhen(child, d.id, 'post-switch');
    const row = await L.t.app.db.kysely.selectFrom('deployments').select(['job_id', 'release_id']).where('id', '=', d.id).executeTakeFirstOrThrow();
    // The new release serves: it switched before the kill.
    expect(await currentRelease(L.vps, base)).toBe(row.release_id);
    // This job may not run again: the reaper keeps it failed, so only the sweep finds the deployment.
    await L.t.app.db.kysely.updateTable('jobs').set({ max_attempts: 1 }).where('id', '=', row.job_id as string).execute();

    L.t.app.worker.start();
    L.t.app.scheduler.start();
    const ended = await waitForDeployment(L, d.id, ['failed', 'succeeded', 'cancelled'], 60_000);
    L.t.app.scheduler.stop();
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('control plane restarted during post-switch');
    expect((await L.t.app.queue.get(row.job_id as string)).status).toBe('failed');
    expect(await currentRelease(L.vps, base)).toBe(good.releaseId);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v2\n' });
    expect(await locked(base)).toBe(false);
    const envNow = await L.t.request('GET', `/api/v1/environments/${env.id}`, { session: L.owner });
    expect(envNow.json.currentReleaseId).toBe(good.releaseId);
    await L.t.app.worker.stop();
  });
});
