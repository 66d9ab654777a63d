/**
 * Issue 11, finding 5: a developer must not become root. Build hooks (and
 * composer, npm) ran as the SSH user, often root; they now run as the
 * project's own Unix user, with a HOME it owns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectUser } from '../../src/core/deploy/project-user.js';
import { labAvailable } from '../support/lab.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, deploy, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

describe.skipIf(!lab)('build and post-switch hooks run as the project user', { timeout: 300_000 }, () => {
  let L: DeployLab;
  beforeAll(async () => {
    L = await startDeployLab();
  });
  afterAll(async () => L?.close());

  it('a hook that asks who it is writes the project user, not root', async () => {
    const repo = FixtureRepo.create('hooks', { 'index.php': '<?php echo "ok";\n', VERSION: 'v1\n' });
    await repo.copyTo(L.vps);
    const project = await createProject(L, { name: 'Hooks', repositoryUrl: repo.url, framework: 'php' });
    const env = await createEnvironment(L, project.id, {
      name: 'production',
      settings: { hooks: { build: ['id -un > build-user.txt; echo "$HOME" > build-home.txt; touch /root/devflow-hook-was-root 2>/dev/null || true'], postSwitch: ['id -un > post-switch-user.txt'] } },
    });
    const d = await deploy(L, env.id);
    expect(d.status, JSON.stringify(d)).toBe('succeeded');
    const current = `${baseOf(project, env)}/current`;
    const user = projectUser(project);
    expect((await L.vps.exec(['cat', `${current}/build-user.txt`])).stdout.trim()).toBe(user);
    expect((await L.vps.exec(['cat', `${current}/post-switch-user.txt`])).stdout.trim()).toBe(user);
    expect((await L.vps.exec(['cat', `${current}/build-home.txt`])).stdout.trim()).toBe(`${baseOf(project, env)}/.home`);
    // root's home stayed out of reach.
    expect((await L.vps.exec(['test', '-e', '/root/devflow-hook-was-root'])).code).not.toBe(0);
  });
});
