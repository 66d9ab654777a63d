/**
 * Rollback under load, on the real Laravel 8 app (test/fixtures/real-laravel.ts,
 * Debian's php-laravel-framework): from `POST /environments/{id}/rollback` to the
 * first response served by the release rolled back to, while N keep-alive
 * clients inside the server read the site as fast as they can (default 4), and
 * the same with no clients, alternating, in the same run (the baseline).
 *
 * Every response's end time and body ("laravel v1" / "laravel v2") is logged by
 * the clients (PHP, raw HTTP/1.1 keep-alive to nginx on 127.0.0.1:80, bounded in
 * requests and time); the container shares this machine's clock. Also printed:
 * the rollback's steps, and how long requests sent after the switch step had
 * finished were still answered by the release rolled away from.
 *
 *   node --conditions=source --import tsx bench/deploy/rollback-load.ts [--rollbacks 3] [--clients 4]
 */
import os from 'node:os';
import { setupOwner, startTestApp } from '../../packages/server/test/support/app.js';
import { labAvailable, startServer } from '../../packages/server/test/support/lab.js';
import { createKey, createServer, loopbackLookup } from '../../packages/server/test/servers/lab-fixtures.js';
import { debianCode, realLaravelRepo } from '../../packages/server/test/fixtures/real-frameworks.js';

function arg(name: string, def: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? Math.min(v, max) : def;
}
const rollbacks = arg('rollbacks', 3, 20);
const clients = arg('clients', 4, 16);

if (!(await labAvailable())) {
  console.log('The lab (Docker + VPS image) is not available here; nothing measured.');
  process.exit(0);
}

/**
 * One reading client: HTTP/1.1 keep-alive GET / (reconnects when nginx closes), one line per response:
 * "<sent at> <answered at> <status> <body>" (times in ms since the epoch). Stops at the stop file, after 60,000 requests or 600 s.
 */
const CLIENT = `<?php
[$_, $host, $out, $stop] = $argv;
$f = fopen($out, 'w'); $n = 0; $end = microtime(true) + 600; $s = null;
while (!file_exists($stop) && $n < 60000 && microtime(true) < $end) {
  if (!$s) { $s = @stream_socket_client('tcp://127.0.0.1:80', $e, $es, 5); if (!$s) { usleep(10000); continue; } stream_set_timeout($s, 10); }
  $t0 = microtime(true) * 1000;
  fwrite($s, "GET / HTTP/1.1\\r\\nHost: $host\\r\\nUser-Agent: bench\\r\\n\\r\\n");
  $status = fgets($s); $len = 0; $close = false; $chunked = false;
  if ($status === false) { fclose($s); $s = null; continue; }
  while (($h = fgets($s)) !== false && $h !== "\\r\\n") {
    if (stripos($h, 'content-length:') === 0) $len = (int) trim(substr($h, 15));
    if (stripos($h, 'transfer-encoding: chunked') === 0) $chunked = true;
    if (stripos($h, 'connection: close') === 0) $close = true;
  }
  $read = function ($n) use ($s) { $b = ''; while (strlen($b) < $n && ($c = fread($s, $n - strlen($b))) !== false && $c !== '') $b .= $c; return $b; };
  if ($chunked) { $body = ''; while (($n = hexdec(trim((string) fgets($s)))) > 0) { $body .= $read($n); fgets($s); } fgets($s); }
  else $body = $read($len);
  fwrite($f, sprintf("%.3f %.3f %s %s\\n", $t0, microtime(true) * 1000, substr($status, 9, 3), trim($body)));
  $n++;
  if ($close) { fclose($s); $s = null; }
}
fclose($f);`;

type Step = { name: string; status: string; startedAt: string | null; finishedAt: string | null };
type Dep = { id: string; status: string; releaseId: string | null; steps: Step[]; error: string | null };

const t = await startTestApp('sqlite', { servers: { ssh: { lookup: loopbackLookup } }, deployments: { allowLocalRepositories: true } });
t.app.worker.start();
const owner = await setupOwner(t);
const key = await createKey(t, owner, 'bench');
const vps = await startServer({ authorizedKey: key.publicKey, services: ['nginx', 'php8.2-fpm'] });
const load0 = os.loadavg();
try {
  const server = await createServer(t, owner, { name: 'bench', host: vps.host, port: vps.port, sshKeyId: key.id });
  await t.request('POST', `/api/v1/servers/${server.id}/validate`, { session: owner });
  const repo = realLaravelRepo(debianCode(vps), 'v1');
  await repo.copyTo(vps);
  const project = await t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name: 'Rollback bench', repositoryUrl: repo.url } });
  const env = await t.request('POST', `/api/v1/projects/${String(project.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [server.id] } });
  const envId = String(env.json.id);
  const host = String(env.json.hostname);
  await t.request('PUT', `/api/v1/environments/${envId}/variables`, {
    session: owner,
    body: { variables: { APP_NAME: 'Rollback bench', APP_ENV: 'production', APP_KEY: 'base64:ZGV2Zmxvdy1maXh0dXJlLWtleS0wMTIzNDU2Nzg5YWI=' } },
  });
  await vps.exec(['sh', '-c', 'cat > /tmp/bench-client.php'], { input: CLIENT });

  async function wait(id: string, timeoutMs = 180_000): Promise<Dep> {
    const giveUp = Date.now() + timeoutMs;
    for (;;) {
      if (Date.now() > giveUp) throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
      const d = (await t.request('GET', `/api/v1/deployments/${id}`, { session: owner })).json as unknown as Dep;
      if (['succeeded', 'failed', 'cancelled'].includes(d.status)) return d;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  async function deployVersion(v: string): Promise<Dep> {
    if (v !== 'v1') repo.commit({ VERSION: `${v}\n` }, `release ${v}`);
    await repo.copyTo(vps);
    const res = await t.request('POST', `/api/v1/environments/${envId}/deployments`, { session: owner, body: {} });
    const d = await wait(String(res.json.id));
    if (d.status !== 'succeeded') throw new Error(`deploy ${v}: ${d.status} ${d.error}`);
    return d;
  }
  const releaseOf = { v1: String((await deployVersion('v1')).releaseId), v2: String((await deployVersion('v2')).releaseId) };
  const body = (v: string) => `laravel ${v}`;

  type Run = { load: boolean; target: string; servedMs: number; wallMs: number; steps: Record<string, number>; switchEndMs: number; staleAfterSwitchMs: number; requests: number; bad: number };
  const runs: Run[] = [];
  // The live release alternates v2 → v1 → v2…: each rollback goes to the other one (both were served before).
  let live: 'v1' | 'v2' = 'v2';
  for (let i = 0; i < rollbacks * 2; i++) {
    const withLoad = i % 2 === 0;
    const target: 'v1' | 'v2' = live === 'v2' ? 'v1' : 'v2';
    await vps.exec(['sh', '-c', 'rm -f /tmp/bench-stop /tmp/bench-client-*.txt']);
    const readers = withLoad ? [...Array(clients).keys()].map((c) => vps.exec(['php', '/tmp/bench-client.php', host, `/tmp/bench-client-${c}.txt`, '/tmp/bench-stop'], { timeoutMs: 660_000 })) : [];
    // Without clients, one probe loop (one request at a time) sees when the release changes.
    if (!withLoad) readers.push(vps.exec(['php', '/tmp/bench-client.php', host, '/tmp/bench-client-probe.txt', '/tmp/bench-stop'], { timeoutMs: 660_000 }));
    await new Promise((r) => setTimeout(r, 1500)); // clients connected and in their stride
    const t0 = Date.now();
    const res = await t.request('POST', `/api/v1/environments/${envId}/rollback`, { session: owner, body: { releaseId: releaseOf[target] } });
    if (res.status !== 202) throw new Error(`rollback answered ${res.status}: ${res.text}`);
    const d = await wait(String(res.json.id));
    const wallMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    await vps.exec(['touch', '/tmp/bench-stop']);
    await Promise.all(readers);
    if (d.status !== 'succeeded') throw new Error(`rollback ${d.status}: ${d.error}`);
    const lines = (await vps.exec(['sh', '-c', 'cat /tmp/bench-client-*.txt'])).stdout.split('\n').filter(Boolean);
    const seen = lines.map((l) => {
      const [sent, at, code, ...rest] = l.split(' ');
      return { sent: Number(sent), at: Number(at), code: String(code), body: rest.join(' ') };
    });
    const steps: Record<string, number> = {};
    for (const s of d.steps) if (s.startedAt && s.finishedAt) steps[s.name] = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
    const sw = d.steps.find((s) => s.name === 'switch');
    const switchEnd = sw?.finishedAt ? Date.parse(sw.finishedAt) : NaN;
    const firstNew = Math.min(...seen.filter((x) => x.at > t0 && x.body === body(target)).map((x) => x.at));
    // A request sent after the switch had finished that still got the release rolled away from.
    const lastOld = Math.max(switchEnd, ...seen.filter((x) => x.body === body(live) && x.sent > switchEnd).map((x) => x.at));
    runs.push({
      load: withLoad,
      target,
      servedMs: firstNew - t0,
      wallMs,
      steps,
      switchEndMs: switchEnd - t0,
      staleAfterSwitchMs: Math.max(0, lastOld - switchEnd),
      requests: seen.filter((x) => x.at > t0 && x.at < t0 + wallMs).length,
      bad: seen.filter((x) => x.code !== '200').length,
    });
    live = target;
  }

  const stepNames = [...new Set(runs.flatMap((r) => Object.keys(r.steps)))];
  console.log(`\n## Rollback: call → first response from the release rolled back to (real Laravel 8, ${clients} keep-alive clients vs none, alternating)\n`);
  console.log(`| run | clients | call → served ms | call → succeeded ms | call → switch done ms | newer release answered to requests sent after the switch, for ms | ${stepNames.join(' | ')} | requests during the rollback | not 200 |`);
  console.log(`|---|---:|---:|---:|---:|---:|${stepNames.map(() => '---:').join('|')}|---:|---:|`);
  runs.forEach((r, i) => console.log(`| ${i + 1} → ${r.target} | ${r.load ? clients : 0} | **${r.servedMs.toFixed(0)}** | ${r.wallMs} | ${r.switchEndMs.toFixed(0)} | ${r.staleAfterSwitchMs.toFixed(0)} | ${stepNames.map((n) => r.steps[n] ?? '–').join(' | ')} | ${r.requests} | ${r.bad} |`));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const loaded = runs.filter((r) => r.load);
  const idle = runs.filter((r) => !r.load);
  console.log(`\ncall → served: under load median ${median(loaded.map((r) => r.servedMs)).toFixed(0)} ms, max ${Math.max(...loaded.map((r) => r.servedMs)).toFixed(0)} ms (target ≤ 1000 ms); baseline without load median ${median(idle.map((r) => r.servedMs)).toFixed(0)} ms`);
} finally {
  await vps.exec(['touch', '/tmp/bench-stop']).catch(() => undefined);
  await t.app.worker.stop();
  await vps.stop();
  await t.close();
}
console.log(`load average at the start ${load0.map((x) => x.toFixed(2)).join(' ')}, at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
