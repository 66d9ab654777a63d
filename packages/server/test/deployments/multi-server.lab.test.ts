/**
 * Two servers in one environment: every step up to the switch runs on both,
 * the switch happens only when both are ready, and a failure on one server
 * after the switch switches both back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable, startServer, type LabServer } from '../support/lab.js';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { createKey, createServer } from '../servers/lab-fixtures.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, currentRelease, deploy, httpGet, logLines, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

describe.skipIf(!lab)('an environment on two servers', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let second: LabServer;
  let secondId: string;
  beforeAll(async () => {
    L = await startDeployLab();
    const key = await createKey(L.t, L.owner, 'second');
    second = await startServer({ authorizedKey: key.publicKey });
    secondId = (await createServer(L.t, L.owner, { name: 'web-2', host: second.host, port: second.port, sshKeyId: key.id })).id;
    const v = await L.t.request('POST', `/api/v1/servers/${secondId}/validate`, { session: L.owner });
    expect(v.status).toBe(200);
  });
  afterAll(async () => {
    await second?.stop();
    await L?.close();
  });

  it('deploys to both, and switches both back when one fails its public check', async () => {
    const repo = FixtureRepo.create('multi', laravelTree('v1'));
    await Promise.all([repo.copyTo(L.vps), repo.copyTo(second)]);
    const project = await createProject(L, { name: 'Multi', repositoryUrl: repo.url });
    const env = await createEnvironment(L, project.id, { name: 'production', serverIds: [L.serverId, secondId] });
    const base = baseOf(project, env);
    const v1 = await deploy(L, env.id);
    expect(v1.status, v1.error ?? '').toBe('succeeded');
    for (const s of [L.vps, second]) {
      expect(await httpGet(s, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
      expect(await currentRelease(s, base)).toBe(v1.releaseId);
    }
    const lines = (await logLines(L, v1.id)).map((l) => l.line);
    expect(lines.some((l) => l.startsWith('[web-1] $ switch'))).toBe(true);
    expect(lines.some((l) => l.startsWith('[web-2] $ switch'))).toBe(true);

    repo.commit(laravelTree('v2'), 'v2');
    await Promise.all([repo.copyTo(L.vps), repo.copyTo(second)]);
    await second.exec(['touch', '/tmp/devflow-fail-public']);
    const v2 = await deploy(L, env.id);
    expect(v2.status).toBe('failed');
    expect(v2.steps.find((s) => s.name === 'switch')?.status).toBe('succeeded');
    expect(v2.steps.find((s) => s.name === 'verify')?.status).toBe('failed');
    // web-1 passed its check, yet it is back on v1 too.
    for (const s of [L.vps, second]) expect(await currentRelease(s, base)).toBe(v1.releaseId);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
    await second.exec(['rm', '-f', '/tmp/devflow-fail-public']);
    expect(await httpGet(second, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });

    const v3 = await deploy(L, env.id);
    expect(v3.status).toBe('succeeded');
    for (const s of [L.vps, second]) expect(await httpGet(s, env.hostname)).toEqual({ code: 200, body: 'laravel v2\n' });
  });
});
