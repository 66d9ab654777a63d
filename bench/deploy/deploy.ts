/**
 * Deployment figures on one lab container, through the real API, job queue,
 * worker, SSH pool and nginx/PHP-FPM: time of a cold and of warm deployments
 * (wall and per step), time of a rollback, and what visitors see meanwhile
 * (requests, failures, latency) from a load loop inside the server.
 * Prints figures; asserts nothing.
 *
 * Issue #5 adds, in the same run: the warm deploy time beside a plain shell
 * script doing the same release steps over one ssh session (shell-baseline.ts),
 * and the latency from a signed GitHub push webhook to the deployment's
 * `running` status (seen on the app's event bus).
 *
 *   node --conditions=source --import tsx bench/deploy/deploy.ts [--deploys 6] [--rollbacks 4] [--script-runs 6] [--hooks 6]
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { hmacSha256Header } from '../../packages/server/src/core/webhooks/signatures.js';
import { projectUser } from '../../packages/server/src/core/deploy/project-user.js';
import { prepareShellBaseline } from './shell-baseline.js';
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
const scriptRuns = Math.min(arg('script-runs', 6), 30);
const hooks = Math.min(arg('hooks', 6), 30);

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
console.log(`load average at the start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
try {
  const server = await createServer(t, owner, { name: 'bench', host: vps.host, port: vps.port, sshKeyId: key.id });
  await t.request('POST', `/api/v1/servers/${server.id}/validate`, { session: owner });
  const repo = FixtureRepo.create('bench', laravelTree('v0'));
  await repo.copyTo(vps);
  const project = await t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name: 'Bench', repositoryUrl: repo.url } });
  const env = await t.request('POST', `/api/v1/projects/${String(project.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [server.id], keepReleases: 50 } });
  const envId = String(env.json.id);
  const host = String(env.json.hostname);

  async function wait(id: string, timeoutMs = 180_000): Promise<Dep> {
    const giveUp = Date.now() + timeoutMs;
    for (;;) {
      if (Date.now() > giveUp) throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
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
  // Issue #5 (1): DevFlow beside a plain shell script over one ssh session, same container and repository.
  // Interleaved (DevFlow, script, DevFlow, script…) so both see the same machine load; a new commit before each.
  const releases = (await t.request('GET', `/api/v1/environments/${envId}/releases`, { session: owner })).json as unknown as { data: { path: string }[] };
  const base = String(releases.data[0]?.path).replace(/\/releases\/[^/]+$/, '');
  const user = projectUser({ id: String(project.json.id), slug: String(project.json.slug) });
  const sh = await prepareShellBaseline(vps, { base, repoUrl: repo.url, previewPort: Number(env.json.previewPort), keep: 5, user });
  const devflowMs: number[] = [];
  const scriptMs: number[] = [];
  try {
    repo.commit(laravelTree('script-warmup'), 'script warm-up');
    await repo.copyTo(vps);
    const coldScript = await sh.deploy('r000-warmup'); // clones the script's mirror: not counted
    for (let i = 0; i < scriptRuns; i++) {
      repo.commit(laravelTree(`cmp-d${i}`), `compare devflow ${i}`);
      await repo.copyTo(vps);
      const d = await timed(`/api/v1/environments/${envId}/deployments`, {});
      if (d.d.status !== 'succeeded') throw new Error(`DevFlow deployment ${d.d.status}: ${d.d.error}`);
      devflowMs.push(d.ms);
      repo.commit(laravelTree(`cmp-s${i}`), `compare script ${i}`);
      await repo.copyTo(vps);
      scriptMs.push(await sh.deploy(`r${String(i + 1).padStart(3, '0')}`));
    }
    const served = await vps.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${Number(env.json.previewPort) + 5000}/`]);
    const dm = median(devflowMs);
    const sm = median(scriptMs);
    console.log(`\n## DevFlow vs a shell script over one ssh session (warm, median of ${scriptRuns} each, interleaved)\n`);
    console.log('| | median ms | runs ms |');
    console.log('|---|---:|---|');
    console.log(`| DevFlow (API → queue → worker → pooled SSH; all steps) | ${dm.toFixed(0)} | ${devflowMs.map((x) => x.toFixed(0)).join(', ')} |`);
    console.log(`| shell script (lock, fetch, export, shared, artisan migrate + optimize, health, switch, check, queue:restart, unlock, prune) | ${sm.toFixed(0)} | ${scriptMs.map((x) => x.toFixed(0)).join(', ')} |`);
    console.log(`\nratio DevFlow/script: ${(dm / sm).toFixed(2)}× (target ≤ 1.10×); script cold (mirror clone) ${coldScript.toFixed(0)} ms; ${sh.why}; script release answers HTTP ${served.stdout}`);
  } finally {
    sh.cleanup();
  }

  // Issue #5 (2): signed GitHub push webhook → deployment `running`, seen on the event bus.
  const hook = (await t.request('GET', `/api/v1/environments/${envId}/webhook`, { session: owner })).json as unknown as { secret: string };
  const runningAt = new Map<string, number>();
  const unsubscribe = t.app.bus.subscribe((e) => {
    const p = e.payload as { deploymentId?: string; status?: string } | null;
    if (e.type === 'deployment.updated' && p?.status === 'running' && p.deploymentId && !runningAt.has(p.deploymentId)) runningAt.set(p.deploymentId, performance.now());
  });
  const hookMs: number[] = [];
  const answerMs: number[] = [];
  try {
    for (let i = 0; i < hooks; i++) {
      const sha = repo.commit(laravelTree(`hook-${i}`), `hook ${i}`);
      await repo.copyTo(vps);
      const body = JSON.stringify({ ref: 'refs/heads/main', before: createHash('sha1').update(`b${i}`).digest('hex'), after: sha, deleted: false, pusher: { name: 'bench' }, repository: { full_name: 'bench/bench' } });
      const t0 = performance.now();
      const res = await t.request('POST', `/api/v1/hooks/github/${envId}`, {
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': hmacSha256Header(hook.secret, body) },
      });
      answerMs.push(performance.now() - t0);
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${res.text}`);
      const id = String(res.json.deploymentId);
      const giveUp = Date.now() + 30_000;
      while (!runningAt.has(id) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 2));
      const at = runningAt.get(id);
      if (at === undefined) throw new Error(`deployment ${id} was not running 30 s after the webhook`);
      hookMs.push(at - t0);
      const d = await wait(id);
      if (d.status !== 'succeeded') throw new Error(`webhook deployment ${d.status}: ${d.error}`);
    }
  } finally {
    unsubscribe();
  }
  console.log(`\n## Webhook → deployment running (signed GitHub push, in-process HTTP inject; median of ${hooks})\n`);
  console.log(`POST → status running: median ${median(hookMs).toFixed(1)} ms, max ${Math.max(...hookMs).toFixed(1)} ms (${hookMs.map((x) => x.toFixed(0)).join(', ')}; target ≤ 200 ms); webhook answer (202) median ${median(answerMs).toFixed(1)} ms`);

  const lines = await t.app.db.kysely.selectFrom('deployment_log_lines').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const all = await t.app.db.kysely.selectFrom('deployments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  console.log(`\nlog lines stored: ${Number(lines?.n)} for ${Number(all?.n)} deployments; control-plane RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
} finally {
  await t.app.worker.stop();
  await vps.stop();
  await t.close();
}
const [l1, l5, l15] = os.loadavg();
console.log(`\nload average at the end: ${l1?.toFixed(2)} ${l5?.toFixed(2)} ${l15?.toFixed(2)} (${os.cpus().length} cores)`);
