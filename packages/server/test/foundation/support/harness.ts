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

/** Time limit of a test that starts processes: a child's start can take many seconds on a loaded machine. */
export const PROCESS_TEST_TIMEOUT = 90_000;

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

/** Every child any harness of this process started and that is still running. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a test process that ends early (timeout, crash) must not leave workers behind.
  process.once('exit', () => {
    for (const c of liveChildren) c.kill('SIGKILL');
  });
}

/**
 * Tracks what a test opened (databases, apps, child processes) and closes it
 * all in `cleanup()`, children first, so a failed assertion leaks nothing.
 */
export class Harness {
  private readonly dbs: TestDatabase[] = [];
  private readonly apps = new Set<App>();
  private readonly children = new Set<ChildProcess>();
  private readonly deferred: (() => void)[] = [];

  /** Runs `fn` first thing in cleanup (e.g. closing a client stream). */
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

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
    trackChild(child);
    child.on('exit', () => this.children.delete(child));
    return Object.assign(child, { output: () => ({ stdout, stderr }) });
  }

  async cleanup(): Promise<void> {
    for (const fn of this.deferred.splice(0)) fn();
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all([...this.children].map((c) => exited(c, 5_000).catch(() => undefined)));
    const apps = [...this.apps];
    this.apps.clear();
    await Promise.allSettled(apps.map((a) => a.stop()));
    const dbs = this.dbs.splice(0);
    await Promise.allSettled(dbs.map((d) => d.drop()));
  }
}

/**
 * Wraps a test body with its own Harness, cleaned up when the body ends, so
 * tests can run concurrently without sharing (or closing) each other's parts.
 */
export function harnessed(body: (h: Harness) => Promise<void>): () => Promise<void> {
  return async () => {
    const h = new Harness();
    try {
      await body(h);
    } finally {
      await h.cleanup();
    }
  };
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
  timeoutMs = 45_000,
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
