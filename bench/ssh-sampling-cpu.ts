/**
 * CPU used by the control plane to sample metrics of 200 server records (spread
 * over a few lab containers) at a 30 s interval, through the real scheduler, job
 * queue, pooled SSH connections, parsers and SQLite writes. Prints % of one core;
 * asserts nothing.
 *
 *   node --import tsx bench/ssh-sampling-cpu.ts [--seconds 300] [--servers 200] [--containers 4]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../packages/server/src/app.js';
import { loadConfig } from '../packages/server/src/config/config.js';
import { newId } from '../packages/server/src/lib/ids.js';
import { emptyFacts } from '../packages/server/src/core/server-facts.js';
import { labAvailable, startServer, type LabServer } from '../packages/server/test/support/lab.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
}
const seconds = arg('seconds', 300);
const serverCount = arg('servers', 200);
const containerCount = arg('containers', 4);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!(await labAvailable())) {
  console.log('The lab (Docker + VPS image) is not available here; nothing measured.');
  process.exit(0);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-bench-sampling-'));
const app = await createApp(loadConfig({ DEVFLOW_DATA_DIR: dataDir, DEVFLOW_LOG_LEVEL: 'error' }), { role: 'worker' });
const labs: LabServer[] = [];
try {
  const ctx = { actor: undefined, ip: null, userAgent: null, audited: false };
  const now = new Date().toISOString();
  const orgId = newId('org');
  await app.db.kysely.insertInto('organizations').values({ id: orgId, name: 'bench', require_two_factor: 0, created_at: now, updated_at: now }).execute();
  const key = await app.servers.keys.create(ctx, { organizationId: orgId, name: 'bench' });
  labs.push(...(await Promise.all(Array.from({ length: containerCount }, () => startServer({ authorizedKey: key.publicKey })))));
  // Pin each container's host key the way validate does (one fresh connection each).
  const privateKey = await app.servers.keys.openPrivateKey(key.id);
  const pins = await Promise.all(labs.map((l) => app.servers.ssh.connect({ id: `pin-${l.name}`, host: l.host, port: l.port, user: 'root', privateKey, hostKeyFingerprint: null }, { fresh: true })));
  for (const l of labs) await app.servers.ssh.disconnect(`pin-${l.name}`);
  const rows = Array.from({ length: serverCount }, (_, i) => {
    const l = labs[i % labs.length] as LabServer;
    return {
      id: newId('srv'),
      organization_id: orgId,
      name: `bench-${i}`,
      host: l.host,
      port: l.port,
      user: 'root',
      ssh_key_id: key.id,
      status: 'online' as const,
      host_key_fingerprint: (pins[i % labs.length] as { hostKeyFingerprint: string }).hostKeyFingerprint,
      pending_host_key_fingerprint: null,
      facts: JSON.stringify(emptyFacts),
      last_seen_at: null,
      last_error: null,
      metrics_interval_seconds: 30,
      last_sampled_at: null,
      created_at: now,
      updated_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 100) await app.db.kysely.insertInto('servers').values(rows.slice(i, i + 100)).execute();

  const samples = async () => Number((await app.db.kysely.selectFrom('server_metric_samples').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const failedServers = async () => Number((await app.db.kysely.selectFrom('servers').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'unreachable').executeTakeFirstOrThrow()).n);

  // Warm-up: the first tick opens 200 connections (key exchange, auth); measured on its own.
  const warmCpu = process.cpuUsage();
  const warmT = performance.now();
  await app.start();
  while ((await samples()) < serverCount && performance.now() - warmT < 120_000) await sleep(500);
  const warm = process.cpuUsage(warmCpu);
  const warmSeconds = (performance.now() - warmT) / 1000;
  console.log(`warm-up: ${await samples()} first samples, ${(app.servers.ssh as { connections?: number }).connections ?? '?'} pooled connections in ${warmSeconds.toFixed(1)} s, CPU ${((warm.user + warm.system) / 1000).toFixed(0)} ms`);

  const before = await samples();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const step = Math.min(60, seconds);
  for (let elapsed = 0; elapsed < seconds; elapsed += step) {
    await sleep(Math.min(step, seconds - elapsed) * 1000);
    const c = process.cpuUsage(cpu0);
    const s = (performance.now() - t0) / 1000;
    console.log(`  ${s.toFixed(0)} s: ${(await samples()) - before} samples, ${(((c.user + c.system) / 1e6 / s) * 100).toFixed(2)} % of one core`);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  const taken = (await samples()) - before;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`\nSampling ${serverCount} servers on ${containerCount} lab containers every 30 s, for ${wall.toFixed(0)} s (${os.cpus().length} cores):`);
  console.log(`  samples stored          ${taken} (${(taken / wall).toFixed(2)}/s; expected ≈ ${(serverCount / 30).toFixed(2)}/s)`);
  console.log(`  unreachable servers     ${await failedServers()}`);
  console.log(`  control-plane CPU       ${(cpuSeconds * 1000).toFixed(0)} ms = ${((cpuSeconds / wall) * 100).toFixed(2)} % of one core`);
  console.log(`  CPU per sample          ${taken ? ((cpuSeconds * 1000) / taken).toFixed(2) : '-'} ms`);
  console.log(`  RSS                     ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
} finally {
  await app.stop();
  await Promise.all(labs.map((l) => l.stop()));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
