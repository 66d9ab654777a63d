/**
 * Test lab helper: real "VPS" servers (Docker containers with sshd, nginx,
 * php-fpm, git) reachable on 127.0.0.1. See lab/README.md at the repo root.
 *
 *   if (await labAvailable()) {
 *     const server = await startServer({ authorizedKey: publicKeyLine });
 *     // connect with ssh to server.host:server.port as root
 *     const { stdout } = await server.exec(['pgrep', '-a', 'nginx']);
 *     await server.stop();
 *   }
 *
 * Only node: builtins, so it works before any dependency is installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; 128 + n when killed by signal n. */
  code: number;
}

export interface ExecOptions {
  /** Written to the command's stdin (docker exec -i). */
  input?: string | undefined;
  /** Default 60 s; the promise rejects when it is exceeded. */
  timeoutMs?: number | undefined;
}

export interface LabServer {
  /** Container name (also the server's hostname). */
  readonly name: string;
  readonly host: '127.0.0.1';
  /** Loopback port where the server's sshd listens. */
  readonly port: number;
  /** Runs argv as root inside the server (docker exec), for assertions and fixtures. Never rejects on a non-zero exit. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Removes the server. Idempotent. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** Container name; default devflow-lab-<pid>-<n>-<random>. */
  name?: string | undefined;
  /** OpenSSH public key line(s) for root's authorized_keys. */
  authorizedKey: string;
  /** Loopback port for sshd; default: a free port chosen by Docker at bind time (no race). */
  port?: number | undefined;
  /** Services started at boot besides ssh; default ['nginx', 'php8.2-fpm']. */
  services?: string[] | undefined;
}

const HOST = '127.0.0.1' as const;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'lab', 'up.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`lab/up.sh not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

let root: string | undefined;
/** The repository root (the directory holding lab/). */
export function repoRoot(): string {
  root ??= findRepoRoot();
  return root;
}

function dockerBin(): string {
  // The Debian client matches the Debian daemon; a newer docker in /usr/local/bin
  // also works (it negotiates the API version down) but is not preferred.
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

interface RunOptions {
  env?: NodeJS.ProcessEnv | undefined;
  input?: string | undefined;
  timeoutMs: number;
  /** Called with stderr chunks as they arrive. */
  onStderr?: ((chunk: Buffer) => void) | undefined;
}

function run(cmd: string, args: string[], opts: RunOptions): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: 'pipe',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      opts.onStderr?.(c);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 128 + signalNumber(signal),
      };
      if (timedOut) {
        reject(new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs} ms\n${result.stderr}`));
      } else {
        resolvePromise(result);
      }
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading stdin
    child.stdin.end(opts.input);
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? constants.signals[signal] : 0;
}

let availability: Promise<boolean> | undefined;
/**
 * Whether the lab can run here: Linux, not disabled with DEVFLOW_LAB=0, and either a
 * Docker engine answers or we are root with dockerd or apt-get to provide one.
 * Cheap: starts and installs nothing. Use it to skip lab tests elsewhere.
 */
export function labAvailable(): Promise<boolean> {
  availability ??= (async () => {
    if (process.env.DEVFLOW_LAB === '0' || process.platform !== 'linux') return false;
    try {
      repoRoot();
    } catch {
      return false;
    }
    try {
      const info = await run(dockerBin(), ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
      if (info.code === 0) return true;
    } catch {
      // no docker client yet, or it hung: fall through
    }
    const isRoot = process.getuid?.() === 0;
    return isRoot && (existsSync('/usr/bin/dockerd') || existsSync('/usr/bin/apt-get'));
  })();
  return availability;
}

let labReady: Promise<void> | undefined;
/**
 * Runs lab/up.sh (Docker engine + VPS image) once per process. Cheap when the lab is
 * warm; the first build on a machine takes a minute or two. Its progress is shown
 * on stderr only when it takes a while (or with DEVFLOW_LAB_VERBOSE=1).
 */
export function ensureLab(): Promise<void> {
  labReady ??= (async () => {
    const upSh = join(repoRoot(), 'lab', 'up.sh');
    let streaming = process.env.DEVFLOW_LAB_VERBOSE === '1';
    const pending: Buffer[] = [];
    const slow = setTimeout(() => {
      streaming = true;
      process.stderr.write('[lab] preparing the test lab (a cold build takes 1-2 minutes)...\n');
      for (const c of pending.splice(0)) process.stderr.write(c);
    }, 3_000);
    try {
      const r = await run('bash', [upSh], {
        timeoutMs: 20 * 60_000,
        onStderr: (c) => (streaming ? process.stderr.write(c) : pending.push(c)),
      });
      if (r.code !== 0) throw new Error(`lab/up.sh failed (exit ${r.code}):\n${r.stderr}`);
    } finally {
      clearTimeout(slow);
    }
  })();
  return labReady;
}

const running = new Set<string>();
let exitHookInstalled = false;
let counter = 0;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for servers a crashed or forgetful test did not stop.
  process.once('exit', () => {
    if (running.size > 0) spawnSync(dockerBin(), ['rm', '-f', '-v', ...running], { stdio: 'ignore', timeout: 20_000 });
  });
}

/** Starts a lab server (a fresh container) and resolves once its sshd answers. */
export async function startServer(opts: StartServerOptions): Promise<LabServer> {
  const key = opts.authorizedKey.trim();
  if (!key) throw new Error('startServer: authorizedKey is empty');
  await ensureLab();

  counter += 1;
  const name = opts.name ?? `devflow-lab-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, LAB_AUTHORIZED_KEYS: key };
  if (opts.services) env.LAB_SERVICES = opts.services.join(' ');
  const serversSh = join(repoRoot(), 'lab', 'servers.sh');

  installExitHook();
  running.add(name);
  const up = await run('bash', [serversSh, 'up', name, String(opts.port ?? 0)], { env, timeoutMs: 120_000 }).catch(
    (e: unknown) => {
      running.delete(name);
      throw e;
    },
  );
  const port = Number(up.stdout.trim().split('\n').pop());
  if (up.code !== 0 || !Number.isInteger(port) || port <= 0) {
    await run('bash', [serversSh, 'down', name], { timeoutMs: 60_000 }).catch(() => undefined);
    running.delete(name);
    throw new Error(`lab/servers.sh up ${name} failed (exit ${up.code}):\n${up.stderr}${up.stdout}`);
  }

  let stopped: Promise<void> | undefined;
  return {
    name,
    host: HOST,
    port,
    exec(argv: string[], execOpts: ExecOptions = {}): Promise<ExecResult> {
      if (argv.length === 0) return Promise.reject(new Error('exec: empty argv'));
      const args = ['exec', ...(execOpts.input === undefined ? [] : ['-i']), name, ...argv];
      return run(dockerBin(), args, { input: execOpts.input, timeoutMs: execOpts.timeoutMs ?? 60_000 });
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        const r = await run('bash', [serversSh, 'down', name], { timeoutMs: 60_000 });
        if (r.code !== 0) throw new Error(`lab/servers.sh down ${name} failed (exit ${r.code}):\n${r.stderr}`);
        running.delete(name);
      })();
      return stopped;
    },
  };
}

/** Stops every server this process started and has not stopped yet (e.g. in afterAll). */
export async function stopAllServers(): Promise<void> {
  const names = [...running];
  if (names.length === 0) return;
  const r = await run('bash', [join(repoRoot(), 'lab', 'servers.sh'), 'down', ...names], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`lab/servers.sh down failed (exit ${r.code}):\n${r.stderr}`);
  for (const n of names) running.delete(n);
}

/** Absolute path of a file under lab/ (e.g. for tests that call the scripts directly). */
export function labPath(...parts: string[]): string {
  return resolve(repoRoot(), 'lab', ...parts);
}
