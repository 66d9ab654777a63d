/**
 * Shared helpers of the foundation tests: real apps on real databases, child
 * processes running the real code through tsx, and bounded waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App, type AppOptions } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createTestDatabase, type DialectName, type TestDatabase } from '../../support/databases.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const serverSrc = path.join(repoRoot, 'packages/server/src');
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs` (an error from `probe` fails at once). */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The environment a DevFlow process gets in these tests: the test database, silent logs. */
export function testEnv(db: TestDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DEVFLOW_DATA_DIR: db.dataDir,
    DATABASE_URL: db.url,
    DEVFLOW_LOG_LEVEL: 'silent',
    ...extra,
  };
}

/**
 * Tracks what a test opened (databases, apps, child processes) and closes it
 * all in `cleanup()`, children first, so a failed assertion leaks nothing.
 */
export class Harness {
  private readonly dbs: TestDatabase[] = [];
  private readonly apps = new Set<App>();
  private readonly children = new Set<ChildProcess>();

  async database(kind: DialectName): Promise<TestDatabase> {
    const db = await createTestDatabase(kind);
    this.dbs.push(db);
    return db;
  }

  /** createApp on the test database; the app is stopped by cleanup unless the test stops it first. */
  async app(db: TestDatabase, opts: AppOptions, env: Record<string, string> = {}): Promise<App> {
    const app = await createApp(loadConfig(testEnv(db, env)), opts);
    this.apps.add(app);
    const stop = app.stop.bind(app);
    let stopped: Promise<void> | undefined;
    // Idempotent stop, so a test may stop an app itself and cleanup does not stop it twice.
    (app as { stop: () => Promise<void> }).stop = () => {
      this.apps.delete(app);
      stopped ??= stop();
      return stopped;
    };
    return app;
  }

  /** Starts a process (cwd = repo root) and keeps it for cleanup. */
  spawn(args: string[], env: Record<string, string>): ChildProcess & { output: () => { stdout: string; stderr: string } } {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return Object.assign(child, { output: () => ({ stdout, stderr }) });
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all([...this.children].map((c) => exited(c, 5_000).catch(() => undefined)));
    const apps = [...this.apps];
    this.apps.clear();
    await Promise.allSettled(apps.map((a) => a.stop()));
    const dbs = this.dbs.splice(0);
    await Promise.allSettled(dbs.map((d) => d.drop()));
  }
}

/** Node arguments that run a TypeScript entry point of this repo from source, like the built binary would. */
export function tsNodeArgs(entry: string, ...args: string[]): string[] {
  return ['--conditions=source', '--import', 'tsx', entry, ...args];
}

/** The real `devflow` command line, run from source. */
export function devflowArgs(...args: string[]): string[] {
  return tsNodeArgs(path.join(serverSrc, 'main.ts'), ...args);
}

/** Resolves with the exit code (or 128+signal) once the child ends; rejects after `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(128);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 128);
    });
  });
}

/** Waits until the child printed `line` on stdout (fixtures print `ready` once started). */
export async function waitForLine(
  child: ChildProcess & { output: () => { stdout: string; stderr: string } },
  line: string,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    `"${line}" from process ${child.pid}`,
    () => {
      if (child.exitCode !== null) {
        throw new Error(`process exited with ${child.exitCode}: ${child.output().stderr}`);
      }
      return child.output().stdout.split('\n').includes(line);
    },
    timeoutMs,
    25,
  );
}
