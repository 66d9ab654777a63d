import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bundle = path.join(repoRoot, 'packages/server/dist/devflow.mjs');
/** The node flags `npm start` uses. */
export const startFlags = ['--max-semi-space-size=1'];
/**
 * The environment `npm start` sets: glibc returns freed memory to the system
 * above 128 KiB, so start-up garbage does not stay resident (about 25 MiB here);
 * and blocks of 32 KiB and more get their own mapping, given back when freed.
 * V8's parser and compiler take their zone memory in 32 KiB segments: from the
 * shared heap, the ~14 MiB used to compile the bundle at start stayed resident
 * in most runs, pinned below later small allocations (bench/README.md).
 */
export const startEnv = { MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '32768' };

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Polls `url` until it answers 200, for at most `ms`. */
export async function waitForHttp(url: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

/** Starts `devflow serve` from the bundle (or another build of it, e.g. an older commit's) on a fresh data directory. */
export async function startDevflow(
  env: Record<string, string> = {},
  bundlePath = bundle,
): Promise<{ child: ChildProcess; base: string; dataDir: string; stop(): Promise<void> }> {
  if (!fs.existsSync(bundlePath)) throw new Error(`Build first: npm run build (${bundlePath})`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-bench-'));
  const port = await freePort();
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there when it stops (see bench/profile-top.ts).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...startFlags, ...prof, bundlePath, 'serve'], {
    env: { ...process.env, ...startEnv, DEVFLOW_DATA_DIR: dataDir, DEVFLOW_PORT: String(port), DEVFLOW_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/healthz`);
  return {
    child,
    base,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident and proportional memory of a process, in MiB. */
export function memoryOf(pid: number): { rss: number; pss: number; anon: number } {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024, anon: kb('Anonymous') / 1024 };
}

/** Starts a node script given as source text; resolves when it prints READY. */
export async function startScript(source: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...startFlags, '--input-type=module', '-e', source], {
    cwd: path.join(repoRoot, 'packages/server'),
    env: { ...process.env, ...startEnv, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
    child.once('exit', (code) => reject(new Error(`script exited ${code}`)));
  });
  return child;
}

/** CPU time (user + system) a process has used so far, in ms (Linux; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
