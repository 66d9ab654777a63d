/**
 * Safety on a real server: branch names and variable values that would run
 * commands in any shell interpolation execute nothing; no secret value
 * reaches any stored log line, step, error, event or job row; the project's
 * deploy key is what the server fetches with over SSH.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDotenv } from '../../src/core/deploy/dotenv.js';
import { labAvailable } from '../support/lab.js';
import { pwned } from '../servers/lab-fixtures.js';
import { HOSTILE } from '../servers/hostile-values.js';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { FixtureRepo } from './support/git-fixture.js';
import { baseOf, createEnvironment, createProject, deploy, httpGet, logLines, startDeployLab, type DeployLab } from './support/deploy-lab.js';

const lab = await labAvailable();

/** Valid Git branch names that would run `touch /tmp/pwned` if any layer put them in shell text. */
const HOSTILE_BRANCHES = ['feat/$(touch${IFS}/tmp/pwned)', 'x`touch${IFS}/tmp/pwned`', "q';touch${IFS}/tmp/pwned;'", 'a;touch${IFS}/tmp/pwned', 'b|touch${IFS}/tmp/pwned', 'c&&touch${IFS}/tmp/pwned', 'd>/tmp/pwned'];

describe.skipIf(!lab)('safety of deployments on a lab server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let repo: FixtureRepo;
  let project: { id: string; slug: string };
  beforeAll(async () => {
    L = await startDeployLab();
    repo = FixtureRepo.create('safety', laravelTree('main'));
    for (const [i, branch] of HOSTILE_BRANCHES.entries()) repo.commit(laravelTree(`hostile-${i}`), `branch ${i}`, { branch });
    await repo.copyTo(L.vps);
    project = await createProject(L, { name: 'Safety', repositoryUrl: repo.url });
  });
  afterAll(async () => L?.close());

  it('deploys hostile branch names (as the followed branch and as a ref) and hostile variable values, executing nothing', async () => {
    for (const [i, branch] of HOSTILE_BRANCHES.entries()) {
      const env = await createEnvironment(L, project.id, { name: `hostile-${i}`, branch });
      const d = await deploy(L, env.id);
      expect(d.status, `${branch}: ${d.error ?? ''}`).toBe('succeeded');
      expect(d.commit).toBe(repo.head(branch));
      expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: `laravel hostile-${i}\n` });
    }
    const env = await createEnvironment(L, project.id, { name: 'values' });
    const byRef = await deploy(L, env.id, { ref: HOSTILE_BRANCHES[0] });
    expect(byRef.status).toBe('succeeded');
    expect(await pwned(L.vps)).toBe(false);

    const variables: Record<string, string> = { APP_NAME: '$(touch /tmp/pwned) `touch /tmp/pwned` ${HOME}' };
    HOSTILE.forEach((v, i) => (variables[`HOSTILE_${i}`] = v));
    const put = await L.t.request('PUT', `/api/v1/environments/${env.id}/variables`, { session: L.owner, body: { variables } });
    expect(put.status).toBe(200);
    const d = await deploy(L, env.id);
    expect(d.status, d.error ?? '').toBe('succeeded');
    expect(await pwned(L.vps)).toBe(false);
    // The env file holds every value literally, and the app reads it back unchanged.
    const file = await L.vps.exec(['cat', `${baseOf(project, env)}/shared/.env`]);
    expect(file.stdout).toBe(renderDotenv(variables));
    expect((await httpGet(L.vps, env.hostname, '/env')).body).toBe(`APP_NAME=${variables.APP_NAME}\n`);
    expect(await pwned(L.vps)).toBe(false);
  });

  it('stores no secret value in any log line, step, error, event or job row', async () => {
    const env = await createEnvironment(L, project.id, { name: 'secrets' });
    const secrets = {
      DB_PASSWORD: 'correct-horse-battery-staple-9',
      API_TOKEN: 'tok_9f8e7d6c5b4a39281706',
      STRIPE_SECRET: 'sk_live_51Habc123xyz',
      MULTI_LINE: '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----',
    };
    await L.t.request('PUT', `/api/v1/environments/${env.id}/variables`, { session: L.owner, body: { variables: { APP_NAME: 'shop', ...secrets } } });
    // The recipe's stand-in commands print every variable; the hooks print the env file and echo values on stderr.
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, {
      session: L.owner,
      body: { settings: { hooks: { build: ['cat .env', 'grep DB_PASSWORD .env >&2'], postSwitch: ['cat .env | tr a-z A-Z; cat .env'] } } },
    });
    const ok = await deploy(L, env.id);
    expect(ok.status, ok.error ?? '').toBe('succeeded');
    // A failing deployment whose error text carries a secret.
    await L.t.request('PATCH', `/api/v1/environments/${env.id}`, { session: L.owner, body: { settings: { hooks: { build: ['cat .env >&2; exit 9'] } } } });
    const failed = await deploy(L, env.id);
    expect(failed.status).toBe('failed');

    const lines = [...(await logLines(L, ok.id)), ...(await logLines(L, failed.id))].map((l) => l.line);
    expect(lines.filter((l) => l.includes('***')).length).toBeGreaterThan(5);
    // Secret-named and long values are masked; a short plain value stays readable (core/deploy/log-mask.ts).
    expect(lines.some((l) => l.includes('DB_PASSWORD=***'))).toBe(true);
    expect(lines.some((l) => l.includes('APP_NAME=shop'))).toBe(true);
    expect(lines.some((l) => l.includes('laravel command: migrate --force'))).toBe(true);
    const db = L.t.app.db.kysely;
    const stored = [
      ...(await db.selectFrom('deployment_log_lines').select('line').execute()).map((r) => r.line),
      ...(await db.selectFrom('deployment_steps').select('detail').execute()).map((r) => r.detail ?? ''),
      ...(await db.selectFrom('deployments').select('error').execute()).map((r) => r.error ?? ''),
      ...(await db.selectFrom('events').select('payload').execute()).map((r) => r.payload),
      ...(await db.selectFrom('jobs').select(['last_error', 'result']).execute()).map((r) => `${r.last_error ?? ''} ${r.result ?? ''}`),
      ...(await db.selectFrom('audit_events').select('diff').execute()).map((r) => r.diff ?? ''),
    ].join('\n');
    expect(stored.length).toBeGreaterThan(1000);
    for (const value of [...Object.values(secrets), 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC']) {
      expect(stored.includes(value), `${value} leaked`).toBe(false);
    }
    expect(failed.error).toMatch(/exited with 9/);
  });

  it("fetches over SSH with the project's deploy key", async () => {
    // A git user on the server whose only key is the project's deploy key; git-shell allows git and nothing else.
    const keyed = await createProject(L, { name: 'Keyed', repositoryUrl: `ssh://git@localhost${repo.url}`, framework: 'laravel' });
    const publicKey = (keyed.deployKey as { publicKey: string }).publicKey;
    const setup = await L.vps.exec([
      'sh',
      '-c',
      'set -e; id -u git >/dev/null 2>&1 || useradd -m -s /usr/bin/git-shell git; install -d -m 700 -o git -g git ~git/.ssh; printf "%s\\n" "$1" > ~git/.ssh/authorized_keys; chown git:git ~git/.ssh/authorized_keys; chmod 600 ~git/.ssh/authorized_keys; chmod 755 "$2"; chown -R git:git "$3"',
      'setup',
      publicKey,
      repo.url.replace(/\/[^/]+$/, ''),
      repo.url,
    ]);
    expect(setup.code, setup.stderr).toBe(0);
    const env = await createEnvironment(L, keyed.id, { name: 'production' });
    const d = await deploy(L, env.id);
    if (d.status !== 'succeeded') console.log((await logLines(L, d.id)).map((l) => l.line).join('\n'));
    expect(d.status, d.error ?? '').toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel main\n' });
    const base = baseOf(keyed, env);
    expect((await L.vps.exec(['stat', '-c', '%a', `${base}/.devflow/deploy_key`])).stdout.trim()).toBe('600');
    // The git server's host key was recorded on first use (hashed, as Debian's ssh_config asks).
    expect((await L.vps.exec(['ssh-keygen', '-F', 'localhost', '-f', `${base}/.devflow/known_hosts`])).code).toBe(0);

    // Another project's key is refused by the git server: the deployment fails at fetch and says why.
    const stranger = await createProject(L, { name: 'Stranger', repositoryUrl: `ssh://git@localhost${repo.url}`, framework: 'laravel' });
    const env2 = await createEnvironment(L, stranger.id, { name: 'production' });
    const refused = await deploy(L, env2.id);
    expect(refused.status).toBe('failed');
    expect(refused.steps.find((s) => s.name === 'fetch')?.status).toBe('failed');
    expect(refused.error).toMatch(/Permission denied|Could not read from remote repository/);
  });
});
