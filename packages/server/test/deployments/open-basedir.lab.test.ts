/**
 * open_basedir as an environment setting: an app that requires a file from a
 * system directory fails its health check with a message naming that file,
 * and serves once the directory is added to openBasedirExtra (or the fence is off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentSiteSlug } from '../../src/core/deploy/site-files.js';
import { phpFpmPoolPath } from '../../src/core/php-fpm/php-fpm-paths.js';
import { labAvailable } from '../support/lab.js';
import { FixtureRepo } from './support/git-fixture.js';
import { createEnvironment, createProject, deploy, httpGet, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();
const LIB_DIR = '/opt/devflow-test-lib';
const LIB_FILE = `${LIB_DIR}/greeting.php`;

describe.skipIf(!lab)('open_basedir per environment', { timeout: 400_000 }, () => {
  let L: DeployLab;
  beforeAll(async () => {
    L = await startDeployLab();
    // A "distribution library" outside the environment, readable by every user.
    const res = await L.vps.exec(['sh', '-c', 'mkdir -p "$1" && printf "%s\\n" "<?php return \'hello from the library\';" > "$2" && chmod -R a+rX "$1"', 'lib', LIB_DIR, LIB_FILE]);
    if (res.code !== 0) throw new Error(res.stderr);
  });
  afterAll(async () => L?.close());

  it('names the refused file when the health check fails, and serves it once the directory is allowed', async () => {
    const repo = FixtureRepo.create('basedir', {
      'index.php': `<?php\nheader('Content-Type: text/plain');\necho (require '${LIB_FILE}') . "\\n";\n`,
    });
    await repo.copyTo(L.vps);
    const project = await createProject(L, { name: 'Basedir', repositoryUrl: repo.url });
    const env = await createEnvironment(L, project.id, { name: 'production' });
    expect(env.openBasedir).toBe(true);
    expect(env.openBasedirExtra).toEqual([]);

    // Fenced to its own directory and /tmp/, PHP cannot require the library: the check fails and says which file.
    const fenced = await deploy(L, env.id);
    expect(fenced.status).toBe('failed');
    expect(fenced.error).toContain(`PHP refused to open ${LIB_FILE} (open_basedir restriction in effect)`);
    expect(fenced.error).toContain('openBasedirExtra');

    // Bad paths are refused by the API, naming the field.
    for (const bad of ['relative/dir', '/a:/b', '/x\n/y', '/a/../etc']) {
      const res = await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { openBasedirExtra: [bad] } });
      expect(res.status, bad).toBe(400);
      expect(res.text).toContain('openBasedirExtra');
    }

    const patched = await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { openBasedirExtra: [LIB_DIR] } });
    expect(patched.status, patched.text).toBe(200);
    expect((patched.json as { openBasedirExtra: string[] }).openBasedirExtra).toEqual([LIB_DIR]);

    const allowed = await deploy(L, env.id);
    expect(allowed.status, allowed.error ?? '').toBe('succeeded');
    const page = await httpGet(L.vps, String(env.hostname));
    expect(page.code).toBe(200);
    expect(page.body).toBe('hello from the library\n');
    const slug = environmentSiteSlug(project, 'production');
    const pool = await L.vps.exec(['sh', '-c', 'cat /etc/php/*/fpm/pool.d/devflow-"$1".conf', 'pool', slug]);
    expect(pool.stdout).toMatch(new RegExp(`^php_admin_value\\[open_basedir\\] = /srv/devflow/apps/[^:]+/production/:${LIB_DIR}/:/tmp/$`, 'm'));

    // Turned off: the pool has no open_basedir at all, and the page still serves.
    const off = await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { openBasedir: false, openBasedirExtra: [] } });
    expect(off.status, off.text).toBe(200);
    const unfenced = await deploy(L, env.id);
    expect(unfenced.status, unfenced.error ?? '').toBe('succeeded');
    expect((await httpGet(L.vps, String(env.hostname))).body).toBe('hello from the library\n');
    const poolOff = await L.vps.exec(['cat', phpFpmPoolPath('8.2', slug)]);
    expect(poolOff.stdout).not.toContain('open_basedir =');
  });
});
