/**
 * Requests/s and p99 of a list endpoint holding 1,000 rows (GET /api/v1/audit-events,
 * authenticated with an API token, through the full guard) beside the fair floor:
 * bare Fastify running the same SQLite query on a copy of the same database, with a
 * token lookup (sha256 of the bearer, one indexed read) on every request, and
 * answering the same JSON. A bare route sending that JSON from memory is measured
 * too, as context. Servers are measured in turn, round after round, the order
 * rotating, so all see the same machine load; ratios are taken within a round.
 * Targets: ≥ 0.5× the floor's requests/s, p99 ≤ 25 ms.
 * DevFlow runs at its default log level (info), as in production.
 * Run: npm run build && node --import tsx bench/http-list.ts [--seconds 5] [--connections 10] [--rounds 3] [--baseline old/devflow.mjs] [--log-level info]
 * Every load is bounded (autocannon, a fixed duration) and goes to 127.0.0.1 only.
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
const seconds = arg('--seconds', 5);
const connections = arg('--connections', 10);
const pageSize = arg('--limit', 100);
const rounds = arg('--rounds', 3);
const logLevelIdx = process.argv.indexOf('--log-level');
const logLevel = logLevelIdx >= 0 ? String(process.argv[logLevelIdx + 1]) : 'info';

/** Starts a DevFlow from `bundlePath`, signs up, makes a read token and stores 1,000 audit rows. */
async function seeded(bundlePath?: string) {
  const df = await startDevflow({ DEVFLOW_TOKEN_RATE_LIMIT: '100000000', DEVFLOW_LOG_LEVEL: logLevel }, bundlePath);
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
  return { df, url, headers, body, orgId, token };
}

const dev = await seeded();
// --baseline <bundle>: an older build (e.g. the commit before a change) measured in the same run.
const baselineIdx = process.argv.indexOf('--baseline');
const base = baselineIdx >= 0 ? await seeded(path.resolve(process.argv[baselineIdx + 1] ?? '')) : undefined;
const body = dev.body;
const rows = (JSON.parse(body) as { data: unknown[] }).data.length;

// The fair floor: bare Fastify, the same database (a copy), per request a token
// lookup by hash and the same query as DevFlow's audit list (SQL as Kysely compiles it), rows presented the
// same way, JSON.stringify. No rate limit, security headers, access rules, schemas or logging.
// A copy of DevFlow's database (the same rows and indexes), so the floor shares no file, lock or WAL with the servers it is compared with.
const floorDb = path.join(dev.df.dataDir, 'floor.sqlite');
const source = new SQLite(path.join(dev.df.dataDir, 'devflow.sqlite'), { readonly: true });
await source.backup(floorDb);
source.close();
const floorPort = await freePort();
const floor = await startScript(
  `import Fastify from 'fastify'; import SQLite from 'better-sqlite3'; import { createHash } from 'node:crypto';
   const db = new SQLite(process.env.DB, { fileMustExist: true });
   const token = db.prepare('select * from "api_tokens" where "token_hash" = ?');
   const list = db.prepare('select "a".*, "u"."email" as "actor_email" from "audit_events" as "a" left join "users" as "u" on "u"."id" = "a"."actor_id" where "a"."organization_id" = ? order by "a"."id" desc limit ?');
   const app = Fastify();
   app.get('/list', (req, reply) => {
     const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
     const t = token.get(createHash('sha256').update(bearer).digest('hex'));
     if (!t || t.revoked_at || (t.expires_at && Date.parse(t.expires_at) <= Date.now())) return reply.code(401).send({ code: 'auth.required' });
     const limit = Number(req.query.limit ?? 50);
     const found = list.all(req.query.organizationId, limit + 1);
     const page = found.slice(0, limit);
     const data = page.map((r) => ({ id: r.id, organizationId: r.organization_id, actorType: r.actor_type, actorId: r.actor_id, actorEmail: r.actor_email,
       action: r.action, targetType: r.target_type, targetId: r.target_id, ip: r.ip, userAgent: r.user_agent,
       diff: r.diff ? JSON.parse(r.diff) : null, createdAt: r.created_at }));
     reply.type('application/json; charset=utf-8').send(JSON.stringify({ data, nextCursor: found.length > limit ? page.at(-1).id : null }));
   });
   await app.listen({ host: '127.0.0.1', port: ${floorPort} }); console.log('READY');`,
  { DB: floorDb },
);
const floorUrl = `http://127.0.0.1:${floorPort}/list?organizationId=${dev.orgId}&limit=${pageSize}`;
const floorBody = await (await fetch(floorUrl, { headers: dev.headers })).text();
if (floorBody !== body) throw new Error('The floor does not answer the same JSON as DevFlow: not a fair comparison.');

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
type Result = Awaited<ReturnType<typeof load>>;

const FLOOR = 'floor: fastify + same SQLite query + token';
const MEMORY = 'context: fastify, JSON from memory';
const BEFORE = 'devflow before (--baseline)';
const AFTER = 'devflow GET /api/v1/audit-events';
const servers: [string, () => Promise<Result>][] = [
  [FLOOR, () => load(floorUrl, dev.headers, floor.pid ?? 0)],
  ...(base ? [[BEFORE, () => load(base.url, base.headers, base.df.child.pid ?? 0)] as [string, () => Promise<Result>]] : []),
  [AFTER, () => load(dev.url, dev.headers, dev.df.child.pid ?? 0)],
  [MEMORY, () => load(`http://127.0.0.1:${barePort}/list`, {}, bare.pid ?? 0)],
];
const results: { round: number; name: string; r: Result; loadavg: number }[] = [];
for (let round = 1; round <= rounds; round++) {
  // The order rotates each round, so no server always runs first (or right after the heaviest one).
  for (let k = 0; k < servers.length; k++) {
    const [name, run] = servers[(k + round - 1) % servers.length] as [string, () => Promise<Result>];
    results.push({ round, name, r: await run(), loadavg: os.loadavg()[0] ?? NaN });
  }
}
bare.kill();
floor.kill();
await dev.df.stop();
await base?.df.stop();

console.log(`\nList endpoint: ${rows} rows per response (${(body.length / 1024).toFixed(1)} KiB) of 1,000 stored; ${connections} connections, ${seconds} s each, ${rounds} round(s); devflow log level ${logLevel}\n`);
console.log('round'.padEnd(6), 'server'.padEnd(44), 'req/s'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'CPU ms/req'.padStart(11), 'errors'.padStart(7), 'load1'.padStart(6));
for (const { round, name, r, loadavg } of results) {
  console.log(String(round).padEnd(6), name.padEnd(44), fmt(r.rps, 0).padStart(9), fmt(r.p50).padStart(8), fmt(r.p99).padStart(8), fmt(r.cpuPerReq, 3).padStart(11), String(r.errors).padStart(7), fmt(loadavg, 2).padStart(6));
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const of = (name: string, pick: (r: Result) => number) => results.filter((x) => x.name === name).map((x) => pick(x.r));
// Ratios within each round (same load), then their median.
const ratioTo = (name: string, ref: string, pick: (r: Result) => number) =>
  median([...Array(rounds).keys()].map((i) => {
    const a = results.find((x) => x.round === i + 1 && x.name === name);
    const b = results.find((x) => x.round === i + 1 && x.name === ref);
    return a && b ? pick(a.r) / pick(b.r) : NaN;
  }));
const ratio = ratioTo(AFTER, FLOOR, (r) => r.rps);
const p99 = median(of(AFTER, (r) => r.p99));
console.log('');
if (base) console.log(`before → after (medians): ${fmt(median(of(BEFORE, (r) => r.rps)), 0)} → ${fmt(median(of(AFTER, (r) => r.rps)), 0)} req/s, ${fmt(median(of(BEFORE, (r) => r.cpuPerReq)), 3)} → ${fmt(median(of(AFTER, (r) => r.cpuPerReq)), 3)} CPU ms/req, p99 ${fmt(median(of(BEFORE, (r) => r.p99)))} → ${fmt(p99)} ms; before ${fmt(ratioTo(BEFORE, FLOOR, (r) => r.rps), 2)}× of the floor`);
console.log(`CPU per request: ${fmt(ratioTo(AFTER, FLOOR, (r) => r.cpuPerReq), 2)}× the floor's, ${fmt(ratioTo(AFTER, MEMORY, (r) => r.cpuPerReq), 1)}× the memory route's; load average ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}`);
console.log(`ratio ${fmt(ratio, 2)}× of the floor (median of per-round ratios; target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ${fmt(ratioTo(AFTER, MEMORY, (r) => r.rps), 2)}× of the memory route; p99 ${fmt(p99)} ms (target ≤ 25 ms: ${p99 <= 25 ? 'met' : 'NOT met'})`);
