/**
 * Requests/s and p99 of a list endpoint holding 1,000 rows (GET /api/v1/audit-events,
 * authenticated with an API token, through the full guard) beside a bare Fastify
 * route serving the same JSON from memory, in the same run, same load.
 * Targets: ≥ 0.5× the bare route's requests/s, p99 ≤ 25 ms.
 * Run: npm run build && node --import tsx bench/http-list.ts [--seconds 10] [--connections 10] [--rounds 1] [--baseline old/devflow.mjs]
 */
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { cpuMsOf, fmt, freePort, startDevflow, startScript } from './lib/processes.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('--seconds', 10);
const connections = arg('--connections', 10);
const pageSize = arg('--limit', 100);
const rounds = arg('--rounds', 1);

/** Starts a DevFlow from `bundlePath`, signs up, makes a read token and stores 1,000 audit rows. */
async function seeded(bundlePath?: string) {
  const df = await startDevflow({ DEVFLOW_TOKEN_RATE_LIMIT: '100000000' }, bundlePath);
  const setup = await fetch(`${df.base}/api/v1/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.test', password: 'load test passphrase 2026', name: 'Bench', organizationName: 'Bench' }),
  });
  const cookie = String(setup.headers.get('set-cookie')).split(';')[0] ?? '';
  const { csrfToken } = (await setup.json()) as { csrfToken: string };
  const meRes = await fetch(`${df.base}/api/v1/me`, { headers: { cookie } });
  if (!setup.ok || !meRes.ok) throw new Error(`setup failed: ${setup.status} ${meRes.status} ${await meRes.text()}`);
  const me = (await meRes.json()) as { memberships: { organizationId: string }[] };
  const orgId = me.memberships[0]?.organizationId ?? '';
  const tokenRes = await fetch(`${df.base}/api/v1/tokens`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', abilities: ['read'] }),
  });
  const { token } = (await tokenRes.json()) as { token: string };

  // 1,000 audit rows of the organization, written straight into the database file.
  const sqlite = new SQLite(path.join(df.dataDir, 'devflow.sqlite'));
  const insert = sqlite.prepare(
    `insert into audit_events (id, organization_id, actor_type, actor_id, action, target_type, target_id, ip, user_agent, diff, created_at)
     values (?, ?, 'system', null, 'bench.row', 'server', ?, '127.0.0.1', 'bench', ?, ?)`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < 1000; i++) {
      insert.run(`aud_bench_${String(i).padStart(5, '0')}`, orgId, `srv_${i}`, JSON.stringify({ n: i, name: `server-${i}` }), new Date(Date.now() - i * 1000).toISOString());
    }
  })();
  sqlite.close();

  const url = `${df.base}/api/v1/audit-events?organizationId=${orgId}&limit=${pageSize}`;
  const headers = { authorization: `Bearer ${token}` };
  const body = await (await fetch(url, { headers })).text();
  return { df, url, headers, body };
}

const dev = await seeded();
// --baseline <bundle>: an older build (e.g. the commit before a change) measured in the same run.
const baselineIdx = process.argv.indexOf('--baseline');
const base = baselineIdx >= 0 ? await seeded(path.resolve(process.argv[baselineIdx + 1] ?? '')) : undefined;
const body = dev.body;
const rows = (JSON.parse(body) as { data: unknown[] }).data.length;

const barePort = await freePort();
const bare = await startScript(
  `import Fastify from 'fastify'; const body = process.env.BODY; const app = Fastify();
   app.get('/list', (req, reply) => { reply.type('application/json; charset=utf-8').send(body); });
   await app.listen({ host: '127.0.0.1', port: ${barePort} }); console.log('READY');`,
  { BODY: body },
);

// Requests/s depends on what else the 2 cores run; the server's CPU time per request much less so.
async function load(url: string, h: Record<string, string>, pid: number) {
  await autocannon({ url, headers: h, connections, duration: 2 }); // warm-up
  const cpu0 = cpuMsOf(pid);
  const r = await autocannon({ url, headers: h, connections, duration: seconds });
  const cpuPerReq = (cpuMsOf(pid) - cpu0) / r.requests.total;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuPerReq };
}

const results: [string, Awaited<ReturnType<typeof load>>][] = [];
for (let round = 1; round <= rounds; round++) {
  results.push([`bare fastify, JSON from memory`, await load(`http://127.0.0.1:${barePort}/list`, {}, bare.pid ?? 0)]);
  if (base) results.push([`devflow before (--baseline)`, await load(base.url, base.headers, base.df.child.pid ?? 0)]);
  results.push([`devflow GET /api/v1/audit-events`, await load(dev.url, dev.headers, dev.df.child.pid ?? 0)]);
}
bare.kill();
await dev.df.stop();
await base?.df.stop();

console.log(`\nList endpoint: ${rows} rows per response (${(body.length / 1024).toFixed(1)} KiB) of 1,000 stored; ${connections} connections, ${seconds} s each, ${rounds} round(s)\n`);
console.log('server'.padEnd(36), 'req/s'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'CPU ms/req'.padStart(11), 'errors'.padStart(7));
for (const [name, r] of results) {
  console.log(name.padEnd(36), fmt(r.rps, 0).padStart(9), fmt(r.p50).padStart(8), fmt(r.p99).padStart(8), fmt(r.cpuPerReq, 3).padStart(11), String(r.errors).padStart(7));
}
// Several rounds: the median of each server's rounds.
const median = (name: string, pick: (r: Awaited<ReturnType<typeof load>>) => number) => {
  const v = results.filter(([n]) => n.startsWith(name)).map(([, r]) => pick(r)).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)] ?? NaN;
};
const bareResult = { rps: median('bare', (r) => r.rps), cpuPerReq: median('bare', (r) => r.cpuPerReq) };
const dfResult = { rps: median('devflow GET', (r) => r.rps), cpuPerReq: median('devflow GET', (r) => r.cpuPerReq), p99: median('devflow GET', (r) => r.p99) };
const ratio = dfResult.rps / bareResult.rps;
if (base) console.log(`\nbefore → after: ${fmt(median('devflow before', (r) => r.rps), 0)} → ${fmt(dfResult.rps, 0)} req/s, ${fmt(median('devflow before', (r) => r.cpuPerReq), 3)} → ${fmt(dfResult.cpuPerReq, 3)} CPU ms/req, p99 ${fmt(median('devflow before', (r) => r.p99))} → ${fmt(dfResult.p99)} ms`);
console.log(`\nserver CPU per request: ${fmt(dfResult.cpuPerReq / bareResult.cpuPerReq, 1)}× bare's; load average ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}`);
console.log(`ratio ${fmt(ratio, 2)}× of bare (target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'NOT met'}); p99 ${fmt(dfResult.p99)} ms (target ≤ 25 ms: ${dfResult.p99 <= 25 ? 'met' : 'NOT met'})`);
