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
await devflow.stop();

console.log(`\nIdle memory after ${settle} ms (MiB)\n`);
console.log('process'.padEnd(32), 'RSS'.padStart(8), 'PSS'.padStart(8), 'anon'.padStart(8));
for (const [name, m] of rows) console.log(name.padEnd(32), fmt(m.rss).padStart(8), fmt(m.pss).padStart(8), fmt(m.anon).padStart(8));
const rss = rows[2]?.[1].rss ?? 0;
console.log(`\ndevflow idle RSS ${fmt(rss)} MiB — target ≤ 80 MiB: ${rss <= 80 ? 'met' : 'NOT met'}`);
