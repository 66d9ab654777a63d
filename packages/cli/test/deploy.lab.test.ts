/**
 * devflow-cli deploys, streams the live log, lists releases and rolls back,
 * against a real control plane (HTTP on loopback) and a lab server.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { laravelTree } from '../../server/test/fixtures/deploy-repos.js';
import { createToken } from '../../server/test/support/app.js';
import { labAvailable } from '../../server/test/support/lab.js';
import { FixtureRepo } from '../../server/test/deployments/support/git-fixture.js';
import { createEnvironment, createProject, httpGet, startDeployLab, type DeployLab } from '../../server/test/deployments/support/deploy-lab.js';
import { run } from '../src/main.js';

const lab = await labAvailable();

describe.skipIf(!lab)('devflow-cli deployments on a lab server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let repo: FixtureRepo;
  let env: { id: string; hostname: string };
  let projectId: string;
  let cli: Record<string, string>;

  beforeAll(async () => {
    L = await startDeployLab();
    const base = (await L.t.app.http?.listen({ host: '127.0.0.1', port: 0 })) ?? '';
    repo = FixtureRepo.create('cli-shop', laravelTree('v1'), 'v1: first');
    await repo.copyTo(L.vps);
    const project = await createProject(L, { name: 'CLI shop', repositoryUrl: repo.url });
    projectId = project.id;
    env = await createEnvironment(L, project.id, { name: 'production' });
    cli = { DEVFLOW_URL: base, DEVFLOW_TOKEN: await createToken(L.t, L.owner, ['read', 'deploy']) };
  });
  afterAll(async () => L?.close());

  async function capture(argv: string[], env: Record<string, string> = cli) {
    const out: string[] = [];
    const err: string[] = [];
    const all: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => {
      out.push(String(m));
      all.push(String(m));
    });
    const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => {
      err.push(String(m));
      all.push(String(m));
    });
    try {
      const code = await run(argv, env);
      return { code, out: out.join('\n'), err: err.join('\n'), all };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('lists projects and environments', async () => {
    const projects = await capture(['projects']);
    expect(projects.code).toBe(0);
    expect(projects.out).toMatch(new RegExp(`${projectId}\\s+CLI shop\\s+laravel`));
    const envs = await capture(['envs', projectId]);
    expect(envs.out).toMatch(new RegExp(`${env.id}\\s+production\\s+main\\s+1`));
    const servers = await capture(['servers']);
    expect(servers.out).toMatch(/web-1\s+127\.0\.0\.1:\d+\s+online/);
  });

  it('deploys, streaming the log and the step table, and exits 0 when the release is live', async () => {
    const r = await capture(['deploy', env.id]);
    expect(r.code, r.all.join('\n')).toBe(0);
    // Remote stderr (git's progress) goes to stderr, everything else to stdout; no error of the CLI itself.
    expect(r.err).toContain('[fetch] Cloning into bare repository');
    expect(r.err).not.toContain('devflow-cli:');
    expect(r.out).toMatch(/^Deployment dep_\S+ queued\./);
    expect(r.out).toMatch(/\[fetch\] /);
    expect(r.out).toMatch(/\[framework\] .*artisan/);
    expect(r.out).toMatch(/^switch\s+succeeded\s+\d+\.\d s\s*/m);
    expect(r.out).toContain(`${repo.head().slice(0, 8)} is live`);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
    // The streamed log is the stored one, line for line.
    const id = /^Deployment (dep_\S+)/.exec(r.out)![1]!;
    const stored = await capture(['logs', id]);
    const streamed = r.all.filter((l) => l.startsWith('['));
    expect(streamed.length).toBeGreaterThan(5);
    expect(stored.all).toEqual(streamed);
  });

  it('exits 1 with the reason when a deployment fails, and the old release keeps serving', async () => {
    repo.commit(laravelTree('broken', { FAIL_HEALTH: '1' }), 'broken health');
    await repo.copyTo(L.vps);
    const r = await capture(['deploy', env.id]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^healthcheck\s+failed/m);
    expect(r.err).toMatch(/Deployment dep_\S+ failed: /);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
  });

  it('rolls back to the previous release from the release list', async () => {
    repo.commit(laravelTree('v2'), 'v2: second', { remove: ['FAIL_HEALTH'] });
    await repo.copyTo(L.vps);
    const v2 = await capture(['deploy', env.id]);
    expect(v2.code, v2.all.join('\n')).toBe(0);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v2\n' });

    const releases = await capture(['releases', env.id]);
    expect(releases.out).toMatch(/rel_\S+\s+\S{8}\s+live\s+.*v2: second/);
    expect(releases.out).toMatch(/rel_\S+\s+\S{8}\s+inactive\s+.*v1: first/);
    const back = await capture(['rollback', env.id]);
    expect(back.code).toBe(0);
    expect(back.out).toMatch(/^Rollback dep_\S+ to \S{8} queued\./);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
  });

  it('refuses a deploy to a read-only token with the API reason, and a missing argument with usage', async () => {
    const readOnly = { ...cli, DEVFLOW_TOKEN: await createToken(L.t, L.owner, ['read']) };
    const r = await capture(['deploy', env.id], readOnly);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/devflow-cli: .*\(auth\.\S+\)/);
    const u = await capture(['deploy']);
    expect(u.code).toBe(2);
    expect(u.err).toContain('Missing the environment id');
  });
});
