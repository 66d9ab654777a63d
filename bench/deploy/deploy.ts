/**
 * Deployment figures on one lab container, through the real API, job queue,
 * worker, SSH pool and nginx/PHP-FPM: time of a cold and of warm deployments
 * (wall and per step), time of a rollback, and what visitors see meanwhile
 * (requests, failures, latency) from a load loop inside the server.
 * Prints figures; asserts nothing.
 *
 *   node --import tsx bench/deploy/deploy.ts [--deploys 6] [--rollbacks 4]
 */
import { setupOwner, startTestApp } from '../../packages/server/test/support/app.js';
import { labAvailable, startServer } from '../../packages/server/test/support/lab.js';
import { createKey, createServer, loopbackLookup } from '../../packages/server/test/servers/lab-fixtures.js';
import { laravelTree } from '../../packages/server/test/fixtures/deploy-repos.js';
import { FixtureRepo } from '../../packages/server/test/deployments/support/git-fixture.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
}
const deploys = arg('deploys', 6);
const rollbacks = arg('rollbacks', 4);

if (!(await labAvailable())) {
  console.log('The lab (Docker + VPS image) is not available here; nothing measured.');
  process.exit(0);
}

type Step = { name: string; status: string; startedAt: string | null; finishedAt: string | null };
type Dep = { id: string; status: string; releaseId: string | null; steps: Step[]; error: string | null };

const t = await startTestApp('sqlite', { servers: { ssh: { lookup: loopbackLookup } }, deployments: { allowLocalRepositories: true } });
t.app.worker.start();
const owner = await setupOwner(t);
const key = await createKey(t, owner, 'bench');
const vps = await startServer({ authorizedKey: key.publicKey });
try {
  const server = await createServer(t, owner, { name: 'bench', host: vps.host, port: vps.port, sshKeyId: key.id });
  await t.request('POST', `/api/v1/servers/${server.id}/validate`, { session: owner });
  const repo = FixtureRepo.create('bench', laravelTree('v0'));
  await repo.copyTo(vps);
  const project = await t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name: 'Bench', repositoryUrl: repo.url } });
  const env = await t.request('POST', `/api/v1/projects/${String(project.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [server.id], keepReleases: 50 } });
  const envId = String(env.json.id);
  const host = String(env.json.hostname);

  async function wait(id: string): Promise<Dep> {
    for (;;) {
      const d = (await t.request('GET', `/api/v1/deployments/${id}`, { session: owner })).json as unknown as Dep;
      if (['succeeded', 'failed', 'cancelled'].includes(d.status)) return d;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  async function timed(path: string, body: unknown): Promise<{ ms: number; d: Dep }> {
    const t0 = performance.now();
    const res = await t.request('POST', path, { session: owner, body });
    const d = await wait(String(res.json.id));
    return { ms: performance.now() - t0, d };
  }
  const stepMs = (s: Step) => (s.startedAt && s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.startedAt) : 0);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

  // Load loop inside the server: 20 keep-alive requests per curl, time of each.
  const LOOP = `host=$1 out=$2 stop=$3
: > "$out"; urls=''
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do urls="$urls -o /dev/null http://127.0.0.1/"; done
i=0
while [ ! -e "$stop" ] && [ "$i" -lt 100000 ]; do curl -s --max-time 5 -w '%{http_code} %{time_total}\\n' -H "Host: $host" $urls >> "$out"; i=$((i + 20)); done`;
  async function underLoad<T>(fn: () => Promise<T>): Promise<{ result: T; codes: string[]; latencies: number[]; seconds: number }> {
    await vps.exec(['rm', '-f', '/tmp/bench-stop']);
    const t0 = performance.now();
    const loop = vps.exec(['sh', '-c', LOOP, 'load', host, '/tmp/bench-load.txt', '/tmp/bench-stop'], { timeoutMs: 600_000 });
    await new Promise((r) => setTimeout(r, 300));
    const result = await fn();
    await vps.exec(['touch', '/tmp/bench-stop']);
    await loop;
    const lines = (await vps.exec(['cat', '/tmp/bench-load.txt'])).stdout.split('\n').filter(Boolean);
    return { result, codes: lines.map((l) => l.split(' ')[0] as string), latencies: lines.map((l) => Number(l.split(' ')[1]) * 1000), seconds: (performance.now() - t0) / 1000 };
  }

  const runs: { ms: number; d: Dep }[] = [];
  for (let i = 0; i < deploys; i++) {
    repo.commit(laravelTree(`v${i + 1}`), `release ${i + 1}`);
    await repo.copyTo(vps);
    runs.push(await timed(`/api/v1/environments/${envId}/deployments`, {}));
  }
  const [cold, ...warm] = runs;
  console.log(`\n## Deployments (Laravel-shaped fixture, 1 server)\n`);
  console.log(`| run | status | wall ms | ${runs[0]?.d.steps.map((s) => s.name).join(' | ')} |`);
  console.log(`|---|---|---:|${runs[0]?.d.steps.map(() => '---:').join('|')}|`);
  runs.forEach((r, i) => console.log(`| ${i === 0 ? 'cold' : `warm ${i}`} | ${r.d.status} | ${r.ms.toFixed(0)} | ${r.d.steps.map((s) => (s.status === 'skipped' ? '–' : stepMs(s))).join(' | ')} |`));
  if (warm.length) console.log(`\nwarm median: ${median(warm.map((r) => r.ms)).toFixed(0)} ms wall; cold: ${cold?.ms.toFixed(0)} ms (mirror clone, pool + site + preview written, php-fpm and nginx reloaded)`);

  const ids = runs.map((r) => r.d.releaseId as string);
  const rb: { ms: number; d: Dep }[] = [];
  for (let i = 0; i < rollbacks; i++) rb.push(await timed(`/api/v1/environments/${envId}/rollback`, { releaseId: ids[i % 2 === 0 ? ids.length - 2 : ids.length - 1] }));
  console.log(`\n## Rollbacks (re-activate a kept release: lock, env file, preview check, switch, public check)\n`);
  console.log(`median ${median(rb.map((r) => r.ms)).toFixed(0)} ms wall (${rb.map((r) => r.ms.toFixed(0)).join(', ')}); switch step median ${median(rb.map((r) => stepMs(r.d.steps.find((s) => s.name === 'switch') as Step)))} ms`);

  const idle = await underLoad(() => new Promise((r) => setTimeout(r, 3000)));
  repo.commit(laravelTree('under-load'), 'under load');
  await repo.copyTo(vps);
  const busy = await underLoad(async () => {
    const a = await timed(`/api/v1/environments/${envId}/deployments`, {});
    const b = await timed(`/api/v1/environments/${envId}/rollback`, {});
    return [a, b];
  });
  console.log(`\n## What visitors see (curl loop inside the server, GET /)\n`);
  console.log('| phase | requests | req/s | not 200 | p50 ms | p95 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, x] of [['idle', idle], ['deploy + rollback', busy]] as const) {
    const bad = x.codes.filter((c) => c !== '200').length;
    console.log(`| ${name} | ${x.codes.length} | ${(x.codes.length / x.seconds).toFixed(0)} | ${bad} | ${pct(x.latencies, 50).toFixed(1)} | ${pct(x.latencies, 95).toFixed(1)} | ${Math.max(...x.latencies).toFixed(1)} |`);
  }
  const lines = await t.app.db.kysely.selectFrom('deployment_log_lines').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const all = await t.app.db.kysely.selectFrom('deployments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  console.log(`\nlog lines stored: ${Number(lines?.n)} for ${Number(all?.n)} deployments; control-plane RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
} finally {
  await t.app.worker.stop();
  await vps.stop();
  await t.close();
}
