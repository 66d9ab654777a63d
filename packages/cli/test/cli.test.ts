import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToken, setupOwner, startTestApp, type TestApp } from '../../server/test/support/app.js';
import { run } from '../src/main.js';

describe('devflow-cli against a running control plane', () => {
  let t: TestApp;
  let base: string;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const owner = await setupOwner(t);
    token = await createToken(t, owner, ['read']);
    base = (await t.app.http?.listen({ host: '127.0.0.1', port: 0 })) ?? '';
  });
  afterAll(async () => t?.close());

  async function capture(argv: string[], env: Record<string, string>) {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
    const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void err.push(String(m)));
    try {
      const code = await run(argv, env);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('prints who the token belongs to and their organizations', async () => {
    const r = await capture(['whoami'], { DEVFLOW_URL: base, DEVFLOW_TOKEN: token });
    expect(r.code).toBe(0);
    expect(r.out).toContain('<owner@example.test>');
    expect(r.out).toMatch(/owner\s+Acme \(org_/);
  });

  it('says what is wrong with a bad token and exits non-zero', async () => {
    const r = await capture(['orgs'], { DEVFLOW_URL: base, DEVFLOW_TOKEN: 'dfp_' + 'x'.repeat(40) });
    expect(r.code).toBe(1);
    expect(r.err).toContain('auth.token_invalid');
  });

  it('asks for a token when none is set', async () => {
    const r = await capture(['orgs'], { DEVFLOW_URL: base });
    expect(r.code).toBe(2);
    expect(r.err).toContain('DEVFLOW_TOKEN');
  });
});
