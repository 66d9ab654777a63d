/**
 * Releases on a real server: rollback re-activates a kept release with its
 * own variables in one atomic switch; no request fails while deploying and
 * rolling back under a bounded load loop; old releases are pruned;
 * maintenance mode; the log stream over SSE.
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
  httpGet,
  logLines,
  startDeployLab,
  trigger,
  waitForDeployment,
  type Deployment,
  type DeployLab,
} from './support/deploy-lab.js';

const lab = await labAvailable();

/**
 * Requests the site in a loop inside the server until `$3` exists (at most
 * `$4` requests), 20 keep-alive requests per curl: per request its body line,
 * then ` <code>`. `$5` is a fixed path of the test.
 */
const LOAD_LOOP = `host=$1 out=$2 stop=$3 max=$4 path=$5
: > "$out"
urls=''
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do urls="$urls http://127.0.0.1$path"; done
i=0
while [ ! -e "$stop" ] && [ "$i" -lt "$max" ]; do
  curl -s --max-time 5 -w ' %{http_code}\\n' -H "Host: $host" $urls >> "$out"
  i=$((i + 20))
done`;

/** Pairs of (body, status) from LOAD_LOOP's output. */
function parseLoad(text: string): { body: string; code: string }[] {
  const out: { body: string; code: string }[] = [];
  let body = '';
  for (const line of text.split('\n')) {
    const m = /^(.*) (\d{3})$/.exec(line);
    if (m) {
      out.push({ body: (body + (m[1] ?? '')).trim(), code: m[2] as string });
      body = '';
    } else {
      body += line;
    }
  }
  return out;
}

describe.skipIf(!lab)('releases on a lab server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let repo: FixtureRepo;
  let project: { id: string; slug: string };
  beforeAll(async () => {
    L = await startDeployLab();
    repo = FixtureRepo.create('releases', laravelTree('v1'));
    await repo.copyTo(L.vps);
    project = await createProject(L, { name: 'Releases', repositoryUrl: repo.url });
  });
  afterAll(async () => L?.close());

  async function setVars(envId: string, variables: Record<string, string>) {
    const res = await L.t.request('PUT', `/api/v1/environments/${envId}/variables`, { session: L.owner, body: { variables } });
    expect(res.status).toBe(200);
  }
  async function rollback(envId: string, body: Record<string, unknown> = {}): Promise<Deployment> {
    const res = await L.t.request('POST', `/api/v1/environments/${envId}/rollback`, { session: L.owner, body });
    expect(res.status, res.text).toBe(202);
    return waitForDeployment(L, String(res.json.id));
  }

  it('rolls back to a kept release with the variables it was built with, then forward again', async () => {
    const env = await createEnvironment(L, project.id, { name: 'rollback' });
    const base = baseOf(project, env);
    await setVars(env.id, { APP_NAME: 'first' });
    const v1 = await deploy(L, env.id);
    repo.commit(laravelTree('v2'), 'v2');
    await repo.copyTo(L.vps);
    await setVars(env.id, { APP_NAME: 'second' });
    const v2 = await deploy(L, env.id);
    expect([v1.status, v2.status]).toEqual(['succeeded', 'succeeded']);
    expect((await httpGet(L.vps, env.hostname, '/env')).body).toBe('APP_NAME=second\n');

    const back = await rollback(env.id);
    expect(back).toMatchObject({ kind: 'rollback', status: 'succeeded', trigger: 'rollback', releaseId: v1.releaseId, commit: v1.commit });
    // v1 served before with exactly these variables and settings: no preview check (the public one still runs).
    expect(back.steps.map((s) => [s.name, s.status])).toEqual([
      ['lock', 'succeeded'],
      ['env', 'succeeded'],
      ['healthcheck', 'skipped'],
      ['switch', 'succeeded'],
      ['verify', 'succeeded'],
      ['cleanup', 'succeeded'],
    ]);
    // No rebuild: no fetch, export or framework command ran.
    expect((await logLines(L, back.id)).some((l) => /git archive|artisan/.test(l.line))).toBe(false);
    expect(await currentRelease(L.vps, base)).toBe(v1.releaseId);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
    expect((await httpGet(L.vps, env.hostname, '/env')).body).toBe('APP_NAME=first\n');
    const releases = (await L.t.request('GET', `/api/v1/environments/${env.id}/releases`, { session: L.owner })).json.data as { id: string; status: string }[];
    expect(releases.map((r) => [r.id, r.status])).toEqual([
      [v2.releaseId, 'inactive'],
      [v1.releaseId, 'active'],
    ]);

    const forward = await rollback(env.id, { releaseId: v2.releaseId });
    expect(forward.status).toBe('succeeded');
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v2\n' });
    expect((await httpGet(L.vps, env.hostname, '/env')).body).toBe('APP_NAME=second\n');
    const live = await L.t.request('POST', `/api/v1/environments/${env.id}/rollback`, { session: L.owner, body: { releaseId: v2.releaseId } });
    expect(live.status).toBe(409);
  });

  it('rolls back to a release that served with the same configuration without re-checking it or rewriting the env file, and switches back when it fails publicly', async () => {
    const env = await createEnvironment(L, project.id, { name: 'served' });
    const base = baseOf(project, env);
    await setVars(env.id, { APP_NAME: 'same' });
    repo.commit(laravelTree('v1'), 'v1 again');
    await repo.copyTo(L.vps);
    const v1 = await deploy(L, env.id);
    repo.commit(laravelTree('v2'), 'v2 again');
    await repo.copyTo(L.vps);
    const v2 = await deploy(L, env.id);
    expect([v1.status, v2.status]).toEqual(['succeeded', 'succeeded']);
    const envFile = ['stat', '-c', '%i %Y', `${base}/shared/.env`];
    const before = (await L.vps.exec(envFile)).stdout;

    const back = await rollback(env.id);
    expect(back.steps.map((s) => [s.name, s.status])).toEqual([
      ['lock', 'succeeded'],
      ['env', 'succeeded'],
      ['healthcheck', 'skipped'],
      ['switch', 'succeeded'],
      ['verify', 'succeeded'],
      ['cleanup', 'succeeded'],
    ]);
    expect((await L.vps.exec(envFile)).stdout).toBe(before); // same file (a rewrite renames a new one over it)
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
    expect((await httpGet(L.vps, env.hostname, '/env')).body).toBe('APP_NAME=same\n');

    // v2 broke on the server since it served (its front controller is gone): not checked before the switch,
    // so the public check after it fails and every server goes back to v1.
    await L.vps.exec(['rm', '-f', `${base}/releases/${String(v2.releaseId)}/public/index.php`]);
    const broken = await rollback(env.id, { releaseId: v2.releaseId });
    expect(broken.status).toBe('failed');
    expect(broken.steps.find((s) => s.name === 'healthcheck')?.status).toBe('skipped');
    expect(broken.steps.find((s) => s.name === 'verify')?.status).toBe('failed');
    expect(await currentRelease(L.vps, base)).toBe(v1.releaseId);
    expect(await httpGet(L.vps, env.hostname)).toEqual({ code: 200, body: 'laravel v1\n' });
    // The lock was released: the next rollback runs.
    expect((await L.vps.exec(['test', '-e', `${base}/.lock`])).code).not.toBe(0);
  });

  it('serves every request during a deployment and a rollback (bounded load loop inside the server)', async () => {
    const env = await createEnvironment(L, project.id, { name: 'load' });
    repo.commit(laravelTree('v1'), 'back to v1');
    await repo.copyTo(L.vps);
    const v1 = await deploy(L, env.id);
    expect(v1.status).toBe('succeeded');
    repo.commit(laravelTree('v2'), 'v2 under load');
    await repo.copyTo(L.vps);

    const stop = '/tmp/devflow-load-stop';
    await L.vps.exec(['rm', '-f', stop]);
    const loops = ['/', '/slow', '/up'].map((path, i) =>
      L.vps.exec(['sh', '-c', LOAD_LOOP, 'load', env.hostname, `/tmp/devflow-load-${i}.txt`, stop, '20000', path], { timeoutMs: 180_000 }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const v2 = await deploy(L, env.id);
    const back = await rollback(env.id);
    const again = await rollback(env.id, { releaseId: v2.releaseId });
    await L.vps.exec(['touch', stop]);
    await Promise.all(loops);
    expect([v2.status, back.status, again.status]).toEqual(['succeeded', 'succeeded', 'succeeded']);

    const results = await Promise.all([0, 1, 2].map(async (i) => parseLoad((await L.vps.exec(['cat', `/tmp/devflow-load-${i}.txt`])).stdout)));
    const all = results.flat();
    const failed = all.filter((r) => r.code !== '200');
    const bodies = new Set(results[0]?.map((r) => r.body));
    console.log(`load: ${all.length} requests (${results.map((r) => r.length).join(' / ')} for / /slow /up), ${failed.length} not 200, versions seen: ${[...bodies].join(', ')}`);
    expect(all.length).toBeGreaterThan(300);
    expect(failed).toEqual([]);
    expect(bodies).toEqual(new Set(['laravel v1', 'laravel v2']));
  });

  it('keeps N releases and prunes the rest', async () => {
    const env = await createEnvironment(L, project.id, { name: 'retention', keepReleases: 2 });
    const base = baseOf(project, env);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(String((await deploy(L, env.id)).releaseId));
    const onDisk = (await L.vps.exec(['ls', '-1', `${base}/releases`])).stdout.split('\n').filter(Boolean);
    expect(onDisk).toEqual(ids.slice(2));
    const releases = (await L.t.request('GET', `/api/v1/environments/${env.id}/releases`, { session: L.owner })).json.data as { id: string; status: string }[];
    expect(releases.map((r) => r.status)).toEqual(['active', 'inactive', 'pruned', 'pruned']);
    // A pruned release cannot be rolled back to; the kept one can.
    expect((await L.t.request('POST', `/api/v1/environments/${env.id}/rollback`, { session: L.owner, body: { releaseId: ids[0] } })).status).toBe(409);
    expect((await rollback(env.id)).releaseId).toBe(ids[2]);
  });

  it('turns maintenance mode on and off; a deployment during maintenance keeps it on', async () => {
    const env = await createEnvironment(L, project.id, { name: 'maint' });
    expect((await deploy(L, env.id)).status).toBe('succeeded');
    const on = await L.t.request('POST', `/api/v1/environments/${env.id}/maintenance`, { session: L.owner, body: { enabled: true } });
    expect(on.status, on.text).toBe(200);
    expect(on.json.maintenance).toBe(true);
    const page = await httpGet(L.vps, env.hostname);
    expect(page.code).toBe(503);
    expect(page.body).toContain('Down for maintenance');
    const headers = await L.vps.exec(['curl', '-sS', '-D', '-', '-o', '/dev/null', '-H', `Host: ${env.hostname}`, 'http://127.0.0.1/up']);
    expect(headers.stdout).toMatch(/Retry-After: 120/i);

    const during = await deploy(L, env.id);
    expect(during.status).toBe('succeeded');
    expect(during.steps.find((s) => s.name === 'verify')?.detail).toBe('skipped: maintenance mode');
    expect((await httpGet(L.vps, env.hostname)).code).toBe(503);

    const off = await L.t.request('POST', `/api/v1/environments/${env.id}/maintenance`, { session: L.owner, body: { enabled: false } });
    expect(off.json.maintenance).toBe(false);
    expect((await httpGet(L.vps, env.hostname)).code).toBe(200);
    const audit = await L.t.app.db.kysely.selectFrom('audit_events').select('action').where('target_id', '=', env.id).where('action', 'like', 'environment.maintenance%').execute();
    expect(audit.map((a) => a.action)).toEqual(['environment.maintenance.on', 'environment.maintenance.off']);
  });

  it('streams the log over SSE, live and resumed from Last-Event-ID, matching the stored JSON lines', async () => {
    const env = await createEnvironment(L, project.id, { name: 'stream' });
    const base = (await L.t.app.http?.listen({ host: '127.0.0.1', port: 0 })) as string;
    const headers = { accept: 'text/event-stream', cookie: `devflow_session=${L.owner.cookie}` };
    async function read(id: string, extra: Record<string, string> = {}) {
      const res = await fetch(`${base}/api/v1/deployments/${id}/logs`, { headers: { ...headers, ...extra }, signal: AbortSignal.timeout(60_000) });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await res.text();
      const events = text.split('\n\n').filter((e) => e.includes('data: '));
      const lines = events.filter((e) => e.includes('event: log')).map((e) => JSON.parse(e.split('data: ')[1] as string) as { seq: number; line: string });
      const end = events.find((e) => e.includes('event: end'));
      return { lines, end: end ? (JSON.parse(end.split('data: ')[1] as string) as { status: string }) : null, ids: events.filter((e) => e.includes('event: log')).map((e) => Number(/^id: (\d+)/m.exec(e)?.[1])) };
    }
    const d = await trigger(L, env.id);
    const live = await read(d.id);
    expect(live.end).toEqual({ status: 'succeeded' });
    const stored = await logLines(L, d.id);
    expect(live.lines.map((l) => l.seq)).toEqual(stored.map((l) => l.seq));
    expect(live.ids).toEqual(stored.map((l) => l.seq));
    expect(stored.map((l) => l.seq)).toEqual(stored.map((_, i) => i + 1));
    const resumed = await read(d.id, { 'last-event-id': '10' });
    expect(resumed.lines.map((l) => l.seq)).toEqual(stored.filter((l) => l.seq > 10).map((l) => l.seq));
    const after = await L.t.request('GET', `/api/v1/deployments/${d.id}/logs?after=${stored.length - 3}`, { session: L.owner });
    expect(after.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(after.text.trim().split('\n')).toHaveLength(3);
  });
});
