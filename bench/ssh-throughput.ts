/**
 * Remote commands per second: DevFlow's pooled ssh2 connection (many channels
 * on one connection) beside a fresh `ssh` process per command, in the same run
 * against one lab container. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/ssh-throughput.ts [--count 300] [--fresh-count 60] [--concurrency 8]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateEd25519 } from '../packages/server/src/adapters/ssh/key-material.js';
import { Ssh2Executor } from '../packages/server/src/adapters/ssh/ssh2-executor.js';
import { labAvailable, startServer } from '../packages/server/test/support/lab.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
}
const count = arg('count', 300);
const freshCount = arg('fresh-count', 60);
const concurrency = arg('concurrency', 8);

if (!(await labAvailable())) {
  console.log('The lab (Docker + VPS image) is not available here; nothing measured.');
  process.exit(0);
}

const key = generateEd25519('bench');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-bench-ssh-'));
const keyFile = path.join(dir, 'id_ed25519');
fs.writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
const vps = await startServer({ authorizedKey: key.publicKey });
const ssh = new Ssh2Executor();

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** Runs `n` tasks with at most `c` at once; returns commands/s and latencies. */
async function measure(n: number, c: number, task: () => Promise<void>): Promise<{ perSecond: number; p50: number; p95: number; cpuMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        next++;
        const s = performance.now();
        await task();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: n / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

function freshSsh(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [
      '-i', keyFile, '-p', String(vps.port),
      '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      `root@${vps.host}`, 'true',
    ], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh exited ${code}`))));
  });
}

try {
  const { hostKeyFingerprint } = await ssh.connect({ id: 'bench', host: vps.host, port: vps.port, user: 'root', privateKey: key.privateKey, hostKeyFingerprint: null });
  const target = { id: 'bench', host: vps.host, port: vps.port, user: 'root', privateKey: key.privateKey, hostKeyFingerprint };
  await ssh.exec(target, ['true']); // warm
  const rows: [string, Awaited<ReturnType<typeof measure>>, number][] = [];
  rows.push(['pooled ssh2, 1 at a time', await measure(count, 1, async () => void (await ssh.exec(target, ['true']))), count]);
  rows.push([`pooled ssh2, ${concurrency} at a time`, await measure(count, concurrency, async () => void (await ssh.exec(target, ['true']))), count]);
  rows.push(['fresh ssh process, 1 at a time', await measure(freshCount, 1, freshSsh), freshCount]);
  rows.push([`fresh ssh process, ${concurrency} at a time`, await measure(freshCount, Math.min(concurrency, 8), freshSsh), freshCount]);
  console.log(`\nRemote command \`true\` against a lab container (${os.cpus().length} cores)\n`);
  console.log('mode'.padEnd(34), 'n'.padStart(5), 'cmd/s'.padStart(8), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8), 'local CPU ms/cmd'.padStart(17));
  for (const [name, r, n] of rows) {
    console.log(name.padEnd(34), String(n).padStart(5), r.perSecond.toFixed(1).padStart(8), r.p50.toFixed(1).padStart(8), r.p95.toFixed(1).padStart(8), r.cpuMs.toFixed(2).padStart(17));
  }
  console.log('\n(local CPU of the fresh-ssh rows is only this process spawning ssh; the ssh clients themselves are not counted)');
} finally {
  await ssh.destroy();
  await vps.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
