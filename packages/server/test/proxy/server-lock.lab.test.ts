import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NginxConfigurator } from '../../src/adapters/proxy/nginx/nginx-configurator.js';
import { ProxyError } from '../../src/adapters/proxy/proxy-errors.js';
import { acquireServerLock, PROXY_LOCK_PATH } from '../../src/adapters/proxy/server-lock.js';
import { tsNodeArgs } from '../foundation/support/harness.js';
import { labAvailable } from '../support/lab.js';
import { fileAt, listDir, sh, startProxyLab, type ProxyLab } from './proxy-lab.js';

const lab = await labAvailable();
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
// Each apply checks and reloads nginx (a few seconds on a loaded machine) and they all run one after another.
const ROUNDS = 10;

interface Outcome {
  applied: number;
  rejected: number;
  errors: { code: string; message: string }[];
}

/** Runs test/proxy/fixtures/apply-process.ts as its own OS process and returns what it printed. */
function applyProcess(job: { target: ProxyLab['target']; name: string; rounds: number; broken: boolean }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsNodeArgs(path.join(here, 'fixtures/apply-process.ts')), {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 400_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`apply process ${job.name} exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Outcome);
    });
    child.stdin.end(JSON.stringify(job));
  });
}

/** Hosts among `names`×1..ROUNDS whose site does not answer `<name> <round>`, checked by curl inside the server. */
async function unserved(t: ProxyLab, names: string[]): Promise<string[]> {
  const out = await sh(
    t.vps,
    `for n in "$@"; do i=1; while [ "$i" -le ${ROUNDS} ]; do
       b=$(curl -s --max-time 5 -H "Host: $n-$i.test" http://127.0.0.1/); [ "$b" = "$n $i" ] || echo "$n-$i.test: $b"; i=$((i + 1)); done; done`,
    ...names,
  );
  return out.split('\n').filter(Boolean);
}

const lockFiles = async (t: ProxyLab, name: string) => (await listDir(t.vps, '/etc/nginx/sites-enabled')).filter((f) => f.startsWith(`devflow-lock-${name}-`));

/**
 * The server-side lock around every configuration change: separate OS
 * processes, each with its own configurator and SSH connection, applying to
 * one real server at once.
 */
describe.skipIf(!lab)('proxy changes from several processes on one server', () => {
  let t: ProxyLab;

  beforeAll(async () => {
    t = await startProxyLab();
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`two processes applying ${ROUNDS} sites each at once: every site of both is live and nginx -t passes`, async () => {
    const [a, b] = await Promise.all([
      applyProcess({ target: t.target, name: 'alpha', rounds: ROUNDS, broken: false }),
      applyProcess({ target: t.target, name: 'bravo', rounds: ROUNDS, broken: false }),
    ]);
    expect(a).toEqual({ applied: ROUNDS, rejected: 0, errors: [] });
    expect(b).toEqual({ applied: ROUNDS, rejected: 0, errors: [] });
    expect(await lockFiles(t, 'alpha')).toHaveLength(ROUNDS);
    expect(await lockFiles(t, 'bravo')).toHaveLength(ROUNDS);
    expect((await t.vps.exec(['nginx', '-t'])).code).toBe(0);
    expect(await unserved(t, ['alpha', 'bravo'])).toEqual([]);
    // The lock file names the last holder: a process of this test and what it applied.
    expect(await fileAt(t.vps, PROXY_LOCK_PATH)).toMatch(new RegExp(`^lock-test (alpha|bravo) pid \\d+ for round ${ROUNDS}: apply /etc/nginx/sites-enabled/devflow-lock-`));
  }, 450_000);

  it('one process whose every apply fails nginx -t never undoes the other process\'s applies', async () => {
    const [bad, good] = await Promise.all([
      // Three times as many (and quicker: no reload) rounds, so broken files are in place all through charlie's applies.
      applyProcess({ target: t.target, name: 'broken', rounds: 3 * ROUNDS, broken: true }),
      applyProcess({ target: t.target, name: 'charlie', rounds: ROUNDS, broken: false }),
    ]);
    // Without the server's lock, charlie's nginx -t sees broken's file and charlie's own apply is rolled back.
    expect(good).toEqual({ applied: ROUNDS, rejected: 0, errors: [] });
    expect(bad).toEqual({ applied: 0, rejected: 3 * ROUNDS, errors: [] });
    expect(await lockFiles(t, 'charlie')).toHaveLength(ROUNDS);
    expect(await lockFiles(t, 'broken')).toEqual([]);
    expect((await t.vps.exec(['nginx', '-t'])).code).toBe(0);
    expect(await unserved(t, ['charlie'])).toEqual([]);
  }, 450_000);

  it('an apply waiting on a held lock gives up with an error naming the holder, and goes through once it is released', async () => {
    const held = await acquireServerLock(t.ssh, t.target, { waitMs: 5000, maxHoldMs: 60_000, holder: 'devflow worker on ci-7 pid 4242 for deployment dep_held: apply site' });
    const proxy = new NginxConfigurator(t.ssh, { lockWaitMs: 1500 });
    const site = { path: '/etc/nginx/sites-enabled/devflow-lock-delta-1.conf', content: 'server { listen 80; server_name delta-1.test; location / { return 200 "delta 1\\n"; } }\n' };
    const started = Date.now();
    const err = await proxy.apply(t.target, [site]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).code).toBe('proxy.locked');
    expect((err as ProxyError).message).toContain('held by: devflow worker on ci-7 pid 4242 for deployment dep_held: apply site');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await fileAt(t.vps, site.path)).toBeNull();

    await held.release();
    expect((await proxy.apply(t.target, [site])).changed).toEqual([site.path]);
    expect(await fileAt(t.vps, site.path)).toBe(site.content);
  }, 60_000);

  it('a holder whose connection drops lets go of the lock', async () => {
    const { Ssh2Executor } = await import('../../src/adapters/ssh/ssh2-executor.js');
    const other = new Ssh2Executor({ connectTimeoutMs: 5000 });
    await acquireServerLock(other, t.target, { waitMs: 5000, maxHoldMs: 600_000, holder: 'a process that dies' });
    // The connection goes away without a release, as when a worker is killed.
    await other.destroy();
    const next = await acquireServerLock(t.ssh, t.target, { waitMs: 20_000, maxHoldMs: 60_000, holder: 'the next one' });
    await next.release();
    expect(await fileAt(t.vps, PROXY_LOCK_PATH)).toBe('the next one\n');
  }, 60_000);
});
