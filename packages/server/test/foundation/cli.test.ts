/**
 * The `devflow` command as an operator runs it (src/main.ts, run from source
 * through tsx): refusing bad configuration, serving, and stopping cleanly.
 */
import { describe, expect, it } from 'vitest';
import { generateKey, keyId, parseKey } from '../../src/secrets/secret-box.js';
import { devflowArgs, exited, harnessed, testEnv, waitFor, PROCESS_TEST_TIMEOUT } from './support/harness.js';

describe.concurrent('devflow command line', () => {
  it('refuses to start with bad configuration, naming every bad variable', harnessed(async (h) => {
    const bad = {
      DEVFLOW_PORT: '99999',
      DEVFLOW_LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://root@localhost/devflow',
      DEVFLOW_SECRET_KEY: 'too-short',
      DEVFLOW_PUBLIC_URL: 'not a url',
      DEVFLOW_JOB_LEASE_MS: '10',
    };
    const child = h.spawn(devflowArgs('serve'), { DEVFLOW_DATA_DIR: '/nonexistent/devflow', ...bad });
    const code = await exited(child, 45_000);
    const { stderr, stdout } = child.output();
    expect(code).not.toBe(0);
    for (const variable of Object.keys(bad)) expect(stderr).toContain(variable);
    // The secret itself is not echoed back.
    expect(stderr + stdout).not.toContain('too-short');
    expect(stdout).not.toContain('started');
  }), PROCESS_TEST_TIMEOUT);

  it('serves /healthz on the configured port and stops with exit code 0 on SIGTERM', harnessed(async (h) => {
    const db = await h.database('sqlite');
    const child = h.spawn(devflowArgs('serve'), testEnv(db, { DEVFLOW_PORT: '0', DEVFLOW_LOG_LEVEL: 'info' }));
    const address = await waitFor(
      'the started log line',
      () => {
        if (child.exitCode !== null) throw new Error(`devflow serve exited: ${child.output().stderr}`);
        for (const line of child.output().stdout.split('\n')) {
          if (!line.includes('devflow serve started')) continue;
          return (JSON.parse(line) as { address: string }).address;
        }
        return undefined;
      },
      45_000,
    );
    const res = await fetch(`${address}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
    child.kill('SIGTERM');
    expect(await exited(child, 10_000)).toBe(0);
  }), PROCESS_TEST_TIMEOUT);

  it('keeps `devflow worker` running until it is told to stop (SQLite)', harnessed(async (h) => {
    const db = await h.database('sqlite');
    const child = h.spawn(devflowArgs('worker'), testEnv(db, { DEVFLOW_LOG_LEVEL: 'info' }));
    await waitFor('the started log line', () => child.output().stdout.includes('devflow worker started'), 45_000);
    // A worker with nothing to do must still be there a while later.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exited(child, 10_000)).toBe(0);
  }), PROCESS_TEST_TIMEOUT);

  it('refuses to start with a secret key other than the one that sealed the database, naming both keys', harnessed(async (h) => {
    const db = await h.database('sqlite');
    const original = generateKey();
    const app = await h.app(db, { role: 'worker' }, { DEVFLOW_SECRET_KEY: original });
    await app.stop();

    const wrong = generateKey();
    const child = h.spawn(devflowArgs('serve'), testEnv(db, { DEVFLOW_SECRET_KEY: wrong, DEVFLOW_PORT: '0' }));
    const code = await exited(child, 45_000);
    const { stderr } = child.output();
    expect(code).not.toBe(0);
    expect(stderr).toContain(keyId(parseKey(original)));
    expect(stderr).toContain(keyId(parseKey(wrong)));
    expect(stderr).toContain('DEVFLOW_SECRET_KEY');
    expect(stderr).not.toContain(wrong);
  }), PROCESS_TEST_TIMEOUT);
});
