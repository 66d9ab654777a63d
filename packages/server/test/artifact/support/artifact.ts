/**
 * The built artifact as users run it: `node packages/server/dist/devflow.mjs`
 * (what `npm start` and the `devflow` binary start), configured by environment
 * variables only and driven over real HTTP. Tests here exercise every lazily
 * loaded dependency (acme-client, pg, argon2, …) the way the bundle loads it,
 * which running the sources cannot show. `npm test` builds before it runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle as builtBundle, freePort, startEnv, startFlags, waitForHttp } from '../../../../../bench/lib/processes.js';
import { decodeResponse, encodeRequest, type TestApp, type TestResponse } from '../../support/app.js';

/** The bundle under test; DEVFLOW_TEST_BUNDLE points at another build (e.g. an older commit's, to show a test failing there). */
export const bundle = process.env.DEVFLOW_TEST_BUNDLE ? path.resolve(process.env.DEVFLOW_TEST_BUNDLE) : builtBundle;

/** Throws a message saying what to do when the artifact has not been built. */
export function requireBundle(): string {
  if (!fs.existsSync(bundle)) {
    throw new Error(`The built artifact ${path.relative(process.cwd(), bundle)} is missing: run \`npm run build\` first (\`npm test\` does). These tests run the bundle users run, not the sources.`);
  }
  return bundle;
}

/**
 * What a user's shell would hand the process: PATH and HOME, plus the
 * variables given. Nothing of the test runner's environment (NODE_ENV,
 * VITEST, …) leaks in.
 */
function userEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), ...startEnv, ...env };
}

/** A running `devflow` process and everything it printed. */
export interface ArtifactProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far (JSON log lines). */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** An API client over real HTTP, shaped like the in-process TestApp so the shared helpers (setupOwner, createKey, …) work with it. */
export type HttpApi = Pick<TestApp, 'request'> & { readonly base: string };

function track(child: ChildProcess): ArtifactProcess {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs `devflow <args>` to its end; resolves with its exit code and output. */
export async function runArtifact(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...startFlags, requireBundle(), ...args], { env: userEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const p = track(child);
  child.stdin?.end(input ?? '');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, output: p.output() };
}

/**
 * Starts `devflow worker` and resolves once it logged that it started (a
 * worker has no HTTP port to poll).
 */
export async function startWorker(env: Record<string, string>, timeoutMs = 30_000): Promise<ArtifactProcess> {
  const child = spawn(process.execPath, [...startFlags, requireBundle(), 'worker'], { env: userEnv({ DEVFLOW_LOG_LEVEL: 'info', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(child);
  const end = Date.now() + timeoutMs;
  while (!p.output().includes('devflow worker started')) {
    if (child.exitCode !== null || Date.now() > end) {
      await p.stop();
      throw new Error(`devflow worker did not start (exit ${child.exitCode}):\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/** Starts `devflow serve` on a free port; resolves once /healthz answers, with an HTTP client for its API. */
export async function startServe(env: Record<string, string>, timeoutMs = 30_000): Promise<ArtifactProcess & { api: HttpApi }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...startFlags, requireBundle(), 'serve'], {
    env: userEnv({ DEVFLOW_LOG_LEVEL: 'warn', ...env, DEVFLOW_PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = track(child);
  const base = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForHttp(`${base}/healthz`, timeoutMs),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`devflow serve exited (${code})`)))),
    ]);
  } catch (err) {
    await p.stop();
    throw new Error(`${(err as Error).message}:\n${p.output()}`);
  }
  return { ...p, api: httpApi(base) };
}

/** The TestApp request shape over fetch: session cookie and CSRF header, JSON in and out, every Set-Cookie kept. */
export function httpApi(base: string): HttpApi {
  return {
    base,
    async request(method, url, o = {}): Promise<TestResponse> {
      const { headers, payload } = encodeRequest(o);
      const res = await fetch(`${base}${url}`, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
      const out: TestResponse['headers'] = Object.fromEntries(res.headers.entries());
      out['set-cookie'] = res.headers.getSetCookie();
      return decodeResponse(res.status, out, await res.text());
    },
  };
}

/** A fresh data directory for one test file, and how to remove it. */
export function dataDir(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-artifact-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
