/**
 * CPU per request of the HTTP edge alone (no database, no socket): the same
 * 100-row audit page answered through `app.inject` by DevFlow's createHttpApp
 * (zod parse as the response check, one access line) and by the edge as it was
 * before issue #10 (fastify-type-provider-zod's encode serializer, Fastify's two
 * request lines), both logging at info to a discarding stream. Alternating
 * batches, CPU time of this process per request; the minimum batch is the
 * figure least disturbed by other work on the machine.
 * Run: node --conditions=source --import tsx bench/http-edge.ts [--batches 20] [--requests 300]
 */
import { Writable } from 'node:stream';
import os from 'node:os';
import Fastify from 'fastify';
import { serializerCompiler as encodeSerializer, validatorCompiler } from 'fastify-type-provider-zod';
import { auditEventPageSchema } from '@devflow/contracts';
import { createLogger } from '../packages/server/src/lib/logger.js';
import { createHttpApp } from '../packages/server/src/http/app.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Math.min(Number(process.argv[i + 1]), 200) : dflt;
};
const batches = arg('--batches', 20);
const perBatch = arg('--requests', 300);

const page = {
  data: Array.from({ length: 100 }, (_, i) => ({
    id: `aud_bench_${String(i).padStart(5, '0')}`, organizationId: 'org_bench', actorType: 'system' as const, actorId: null, actorEmail: null,
    action: 'bench.row', targetType: 'server', targetId: `srv_${i}`, ip: '127.0.0.1', userAgent: 'bench', diff: { n: i, name: `server-${i}` }, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  })),
  nextCursor: 'aud_bench_00099',
};
const sink = () => new Writable({ write: (_c, _e, done) => done() });
const schema = { response: { 200: auditEventPageSchema } };

const after = await createHttpApp({ logger: createLogger('info', sink()), trustProxy: false, version: 'bench' });
after.get('/list', { config: { access: 'public' }, schema }, async () => page);

const before = Fastify({ loggerInstance: createLogger('info', sink()) });
before.setValidatorCompiler(validatorCompiler);
before.setSerializerCompiler(encodeSerializer);
before.get('/list', { schema }, async () => page);
await Promise.all([after.ready(), before.ready()]);

const a = (await after.inject({ url: '/list' })).body;
const b = (await before.inject({ url: '/list' })).body;
if (a !== b) throw new Error('The two edges do not answer the same JSON.');

async function batch(app: typeof before | typeof after): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < perBatch; i++) await app.inject({ url: '/list' });
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / perBatch;
}
const times: Record<'before' | 'after', number[]> = { before: [], after: [] };
for (let i = 0; i < 3; i++) await Promise.all([batch(before), batch(after)]); // warm-up
for (let i = 0; i < batches; i++) {
  // Alternating, the order swapped every batch.
  if (i % 2) { times.before.push(await batch(before)); times.after.push(await batch(after)); }
  else { times.after.push(await batch(after)); times.before.push(await batch(before)); }
}
await Promise.all([after.close(), before.close()]);
const min = (v: number[]) => Math.min(...v);
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] ?? NaN;
console.log(`HTTP edge, ${(a.length / 1024).toFixed(1)} KiB page, ${batches} × ${perBatch} requests each, alternating (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
for (const k of ['before', 'after'] as const) console.log(`${k.padEnd(7)} CPU µs/request: min ${min(times[k]).toFixed(0)}, median ${median(times[k]).toFixed(0)}`);
console.log(`after/before: min ${(min(times.after) / min(times.before)).toFixed(2)}×, median ${(median(times.after) / median(times.before)).toFixed(2)}×`);
