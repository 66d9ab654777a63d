/**
 * Idle memory of `devflow serve` (the bundle, started as `npm start` does) after
 * start, beside bare Node and a bare Fastify server measured in the same run.
 * Target: RSS ≤ 80 MB. Run: npm run build && node --import tsx bench/idle-rss.ts
 */
import { fmt, memoryOf, startDevflow, startScript } from './lib/processes.js';

const settle = Number(process.env.BENCH_SETTLE_MS ?? 5000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rows: [string, ReturnType<typeof memoryOf>][] = [];

const bare = await startScript(`console.log('READY'); setInterval(() => {}, 1e9);`);
await sleep(settle);
rows.push(['bare node (baseline)', memoryOf(bare.pid as number)]);
bare.kill();

const fastify = await startScript(
  `import Fastify from 'fastify'; const app = Fastify(); app.get('/', async () => ({ ok: true }));
   await app.listen({ host: '127.0.0.1', port: 0 }); console.log('READY');`,
);
await sleep(settle);
rows.push(['bare fastify (baseline)', memoryOf(fastify.pid as number)]);
fastify.kill();

const devflow = await startDevflow();
await fetch(`${devflow.base}/healthz`);
await sleep(settle);
rows.push(['devflow serve (SQLite, idle)', memoryOf(devflow.child.pid as number)]);

// Then used once: setup, sign-in (argon2 loaded), the dashboard, a few API reads; idle again.
// What is loaded on first use (argon2 here; acme-client, pg, ssh2 only with those features) shows in this row.
const json = { 'content-type': 'application/json' };
const account = { email: 'owner@example.test', password: 'quiet control plane 2026' };
const setup = await fetch(`${devflow.base}/api/v1/auth/setup`, {
  method: 'POST',
  headers: json,
  body: JSON.stringify({ ...account, name: 'Bench', organizationName: 'Bench' }),
});
const login = await fetch(`${devflow.base}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(account) });
if (setup.status !== 201 || !login.ok) {
  await devflow.stop();
  throw new Error(`setup ${setup.status}, login ${login.status}`);
}
const cookie = String(login.headers.get('set-cookie')).split(';')[0] ?? '';
for (const p of ['/', '/api/v1/me', '/api/v1/projects', '/api/v1/servers', '/api/v1/audit-events', '/metrics']) {
  await (await fetch(devflow.base + p, { headers: { cookie, accept: p === '/' ? 'text/html' : 'application/json' } })).arrayBuffer();
}
await sleep(settle);
rows.push(['devflow serve (after sign-in, idle)', memoryOf(devflow.child.pid as number)]);
await devflow.stop();

console.log(`\nIdle memory after ${settle} ms (MiB)\n`);
console.log('process'.padEnd(36), 'RSS'.padStart(8), 'PSS'.padStart(8), 'anon'.padStart(8));
for (const [name, m] of rows) console.log(name.padEnd(36), fmt(m.rss).padStart(8), fmt(m.pss).padStart(8), fmt(m.anon).padStart(8));
const rss = rows[2]?.[1].rss ?? 0;
// The issue says 80 MB: 80 × 10⁶ bytes is 76.3 MiB.
const target = 80e6 / 2 ** 20;
console.log(`\ndevflow idle RSS ${fmt(rss)} MiB = ${fmt((rss * 2 ** 20) / 1e6)} MB — target ≤ 80 MB (${fmt(target)} MiB): ${rss <= target ? 'met' : 'NOT met'}`);
