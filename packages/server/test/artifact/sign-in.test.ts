/**
 * Signing in to the built artifact with a password, as users run it: argon2
 * (a native addon loaded at the first hash) and the session cookie (cookie,
 * loaded lazily by @fastify/cookie) through `devflow serve`, and the headless
 * `devflow admin create` command, which loads its own chunk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, setupOwner, TEST_PASSWORD } from '../support/app.js';
import { dataDir, requireBundle, runArtifact, startServe, type ArtifactProcess, type HttpApi } from './support/artifact.js';

describe('signing in to the built artifact with a password', () => {
  let data: ReturnType<typeof dataDir>;
  let serve: ArtifactProcess & { api: HttpApi };

  beforeAll(async () => {
    requireBundle();
    data = dataDir();
    serve = await startServe({ DEVFLOW_DATA_DIR: data.dir });
  });

  afterAll(async () => {
    await serve?.stop();
    data?.cleanup();
  });

  it('sets up the owner, signs in with the password, refuses a wrong one, and knows the session', async () => {
    const owner = await setupOwner(serve.api, 'owner@example.test');
    const session = await login(serve.api, 'owner@example.test', TEST_PASSWORD);
    const me = await serve.api.request('GET', '/api/v1/me', { session });
    expect(me.status, me.text).toBe(200);
    expect((me.json.user as { id: string }).id).toBe(owner.userId);
    const wrong = await serve.api.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: 'not the password at all' } });
    expect(wrong.status, wrong.text).toBe(401);
    expect(serve.output()).not.toMatch(/not a constructor|is not a function|Cannot find module/);
  });

  it('creates an admin with `devflow admin create`, who then signs in through the API', async () => {
    const res = await runArtifact(['admin', 'create', '--email', 'ops@example.test', '--organization', 'Ops'], { DEVFLOW_DATA_DIR: data.dir, DEVFLOW_ADMIN_PASSWORD: 'another long passphrase' });
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/Created ops@example\.test/);
    const session = await login(serve.api, 'ops@example.test', 'another long passphrase');
    const me = await serve.api.request('GET', '/api/v1/me', { session });
    expect(me.status, me.text).toBe(200);
  });
});
