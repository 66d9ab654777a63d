/**
 * The README's start command, for real: the built bundle serves on a fresh
 * data directory with SQLite, creates its key file 0600, answers setup, and
 * stops cleanly on SIGTERM. (`npm test` builds before it runs the tests.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForHttp } from '../../../bench/lib/processes.js';

const bundle = path.resolve(import.meta.dirname, '../dist/devflow.mjs');

describe('npm start (the built bundle)', () => {
  let child: ChildProcess;
  let base: string;
  let dataDir: string;
  let stderr = '';

  beforeAll(async () => {
    expect(fs.existsSync(bundle), 'run `npm run build` first').toBe(true);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-start-'));
    const port = await freePort();
    child = spawn(process.execPath, ['--max-semi-space-size=1', bundle, 'serve'], {
      env: { ...process.env, DEVFLOW_DATA_DIR: dataDir, DEVFLOW_PORT: String(port), DEVFLOW_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, 30_000);
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves on SQLite with migrations applied and a 0600 key file', async () => {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { database: string };
    expect(health.database).toBe('sqlite');
    expect(fs.existsSync(path.join(dataDir, 'devflow.sqlite'))).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    const setup = await fetch(`${base}/api/v1/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@example.test', password: 'a long enough passphrase', name: 'First', organizationName: 'Team' }),
    });
    expect(setup.status).toBe(201);
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/error/i);
  });
});
