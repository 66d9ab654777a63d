/**
 * Requests/s and p99 of a list endpoint holding 1,000 rows (GET /api/v1/audit-events,
 * authenticated with an API token, through the full guard) beside a bare Fastify
 * route serving the same JSON from memory, in the same run, same load.
 * Targets: ≥ 0.5× the bare route's requests/s, p99 ≤ 25 ms.
 * Run: npm run build && node --import tsx bench/http-list.ts [--seconds 10] [--connections 10]
 */
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import path from 'node:path';
import { fmt, freePort, startDevflow, startScript } from './lib/processes.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('--seconds', 10);
const connections = arg('--connections', 10);
const pageSize = arg('--limit', 100);

const df = await startDevflow({ DEVFLOW_TOKEN_RATE_LIMIT: '100000000' });
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

const listPath = `/api/v1/audit-events?organizationId=${orgId}&limit=${pageSize}`;
const headers = { authorization: `Bearer ${token}` };
const body = await (await fetch(df.base + listPath, { headers })).text();
const rows = (JSON.parse(body) as { data: unknown[] }).data.length;

const barePort = await freePort();
const bare = await startScript(
  `import Fastify from 'fastify'; const body = process.env.BODY; const app = Fastify();
   app.get('/list', (req, reply) => { reply.type('application/json; charset=utf-8').send(body); });
   await app.listen({ host: '127.0.0.1', port: ${barePort} }); console.log('READY');`,
  { BODY: body },
);

async function load(url: string, h: Record<string, string>) {
  await autocannon({ url, headers: h, connections, duration: 2 }); // warm-up
  const r = await autocannon({ url, headers: h, connections, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

const bareResult = await load(`http://127.0.0.1:${barePort}/list`, {});
const dfResult = await load(df.base + listPath, headers);
bare.kill();
await df.stop();

console.log(`\nList endpoint: ${rows} rows per response (${(body.length / 1024).toFixed(1)} KiB) of 1,000 stored; ${connections} connections, ${seconds} s each\n`);
console.log('server'.padEnd(36), 'req/s'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'errors'.padStart(7));
for (const [name, r] of [['bare fastify, JSON from memory', bareResult], ['devflow GET /api/v1/audit-events', dfResult]] as const) {
  console.log(name.padEnd(36), fmt(r.rps, 0).padStart(9), fmt(r.p50).padStart(8), fmt(r.p99).padStart(8), String(r.errors).padStart(7));
}
const ratio = dfResult.rps / bareResult.rps;
console.log(`\nratio ${fmt(ratio, 2)}× of bare (target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'NOT met'}); p99 ${fmt(dfResult.p99)} ms (target ≤ 25 ms: ${dfResult.p99 <= 25 ? 'met' : 'NOT met'})`);
