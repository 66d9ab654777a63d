/**
 * Two projects on one lab server: each gets its own Unix user, its PHP-FPM
 * pool runs as that user, and neither can read the other's env file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectUser } from '../../src/core/deploy/project-user.js';
import { labAvailable } from '../support/lab.js';
import { laravelTree, type FixtureFiles } from '../fixtures/deploy-repos.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, deploy, httpGet, logLines, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

/** A plain PHP app that says which user runs it and whether it can read its own env file. */
const whoamiTree = (name: string): FixtureFiles => ({
  'index.php': `<?php
header('Content-Type: text/plain');
echo '${name} runs as ' . posix_getpwuid(posix_geteuid())['name'] . "\\n";
echo 'own env: ' . (is_readable(__DIR__ . '/.env') ? 'readable' : 'unreadable') . "\\n";
`,
  VERSION: 'v1\n',
});

describe.skipIf(!lab)('projects isolated from each other on one server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  beforeAll(async () => {
    L = await startDeployLab();
  });
  afterAll(async () => L?.close());

  it("runs each project's PHP as its own user, who cannot read the other project's env file", async () => {
    const repoA = FixtureRepo.create('alpha', whoamiTree('alpha'));
    const repoB = FixtureRepo.create('beta', laravelTree('v1'));
    await Promise.all([repoA.copyTo(L.vps), repoB.copyTo(L.vps)]);
    const a = await createProject(L, { name: 'Alpha', repositoryUrl: repoA.url });
    const b = await createProject(L, { name: 'Beta', repositoryUrl: repoB.url });
    const envA = await createEnvironment(L, a.id, { name: 'production' });
    const envB = await createEnvironment(L, b.id, { name: 'production' });
    for (const [env, secret] of [
      [envA, 'alpha-secret-0123'],
      [envB, 'beta-secret-4567'],
    ] as const) {
      const put = await L.t.request('PUT', `/api/v1/environments/${env.id}/variables`, { session: L.owner, body: { variables: { APP_NAME: 'app', APP_SECRET: secret } } });
      expect(put.status).toBe(200);
    }
    const [depA, depB] = await Promise.all([deploy(L, envA.id), deploy(L, envB.id)]);
    expect(depA?.status, depA?.error ?? '').toBe('succeeded');
    expect(depB?.status, depB?.error ?? '').toBe('succeeded');

    const userA = projectUser(a);
    const userB = projectUser(b);
    expect(userA).not.toBe(userB);
    const envFileA = `${baseOf(a, envA)}/shared/.env`;
    const envFileB = `${baseOf(b, envB)}/shared/.env`;

    // The first deployment made the user and said so; later ones find it.
    expect((await logLines(L, depA?.id ?? '')).some((l) => l.line.includes(`created the Unix user ${userA}`))).toBe(true);

    // Each user exists on the server as a system account without a login shell.
    for (const u of [userA, userB]) {
      const pw = (await L.vps.exec(['getent', 'passwd', u])).stdout.trim().split(':');
      expect(pw[0]).toBe(u);
      expect(Number(pw[2])).toBeLessThan(1000);
      expect(pw[6]).toBe('/usr/sbin/nologin');
    }

    // The app answers as its own user and reads its own env file.
    expect((await httpGet(L.vps, envA.hostname)).body).toBe(`alpha runs as ${userA}\nown env: readable\n`);
    expect((await httpGet(L.vps, envB.hostname, '/env')).body).toBe('APP_NAME=app\n');

    // Each pool's workers run as the project's user.
    const ps = (await L.vps.exec(['ps', '-C', 'php-fpm8.2', '-o', 'user:32=,args='])).stdout;
    const workers = (slug: string) =>
      ps
        .split('\n')
        .filter((l) => l.includes(`pool devflow-${slug}--production`))
        .map((l) => l.trim().split(/\s+/)[0]);
    expect(workers(a.slug).length).toBeGreaterThan(0);
    expect(new Set(workers(a.slug))).toEqual(new Set([userA]));
    expect(new Set(workers(b.slug))).toEqual(new Set([userB]));

    // The env files: 0640, root and the project's group.
    expect((await L.vps.exec(['stat', '-c', '%a %U %G', envFileA])).stdout.trim()).toBe(`640 root ${userA}`);
    expect((await L.vps.exec(['stat', '-c', '%a %U %G', envFileB])).stdout.trim()).toBe(`640 root ${userB}`);

    // Each user reads its own env file, and is refused the other's.
    const as = (user: string, file: string) => L.vps.exec(['runuser', '-u', user, '--', 'cat', '--', file]);
    expect((await as(userA, envFileA)).stdout).toContain('alpha-secret-0123');
    expect((await as(userB, envFileB)).stdout).toContain('beta-secret-4567');
    const aReadsB = await as(userA, envFileB);
    expect(aReadsB.code).not.toBe(0);
    expect(aReadsB.stderr).toContain('Permission denied');
    expect(aReadsB.stdout).not.toContain('beta-secret');
    const bReadsA = await as(userB, envFileA);
    expect(bReadsA.code).not.toBe(0);
    expect(bReadsA.stderr).toContain('Permission denied');

    // Beta's framework commands ran as Beta's user, and Alpha's user cannot write Beta's storage.
    expect((await L.vps.exec(['stat', '-c', '%U', `${baseOf(b, envB)}/shared/storage/logs/commands.log`])).stdout.trim()).toBe(userB);
    const write = await L.vps.exec(['runuser', '-u', userA, '--', 'sh', '-c', 'echo x > "$1"', 'sh', `${baseOf(b, envB)}/shared/storage/logs/pwned.log`]);
    expect(write.code).not.toBe(0);

    // An environment deployed before projects had their own user (www-data owned storage, .env and
    // bootstrap/cache): turning maintenance on and off re-renders its pool as the project user and
    // hands those paths over, so the app keeps working before its next deployment.
    const baseB = baseOf(b, envB);
    await L.vps.exec(['chown', '-R', 'www-data:www-data', `${baseB}/shared/storage`, `${baseB}/current/bootstrap/cache`]);
    await L.vps.exec(['chgrp', 'www-data', envFileB]);
    for (const enabled of [true, false]) {
      const res = await L.t.request('POST', `/api/v1/environments/${envB.id}/maintenance`, { session: L.owner, body: { enabled } });
      expect(res.status, res.text).toBe(200);
    }
    expect((await L.vps.exec(['stat', '-c', '%U %G', `${baseB}/shared/storage`, `${baseB}/current/bootstrap/cache`])).stdout.trim().split('\n')).toEqual([`${userB} ${userB}`, `${userB} ${userB}`]);
    expect((await L.vps.exec(['stat', '-c', '%a %U %G', envFileB])).stdout.trim()).toBe(`640 root ${userB}`);
    expect((await httpGet(L.vps, envB.hostname, '/env')).body).toBe('APP_NAME=app\n');

    // A second deployment finds the user already there and keeps it.
    const again = await deploy(L, envA.id);
    expect(again.status, again.error ?? '').toBe('succeeded');
    expect((await logLines(L, again.id)).some((l) => l.line.includes('created the Unix user'))).toBe(false);
    expect((await L.vps.exec(['getent', 'passwd', userA])).stdout.split(':')[2]).toBe((await L.vps.exec(['id', '-u', userA])).stdout.trim());
    expect((await httpGet(L.vps, envA.hostname)).body).toBe(`alpha runs as ${userA}\nown env: readable\n`);
  });
});
