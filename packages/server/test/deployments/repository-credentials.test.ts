/**
 * Issue 11, finding 13: credentials in repository URLs
 * (`https://user:token@host/…`) were shown to viewers and stored in audit
 * diffs. They are now stored sealed apart from the URL, shown nowhere, and
 * given to git only when it runs (through its environment).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, ALLOW_LOOPBACK_ENV, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

const TOKEN = 'ghp_s3cr3tT0kenValue';

describe('credentials in repository URLs', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let developer: Session;
  let viewer: Session;
  let git: { port: number; auth: (string | undefined)[]; close: () => Promise<void> };

  beforeAll(async () => {
    t = await startTestApp('sqlite', { loginPerMinute: 1000, env: { ...ALLOW_LOOPBACK_ENV } });
    owner = await setupOwner(t);
    developer = await addMember(t, owner, 'dev@example.test', 'developer');
    viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    // A stand-in Git HTTP server: it records the Authorization header git sends, then answers 401.
    const auth: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      auth.push(req.headers.authorization);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    git = { port: (server.address() as AddressInfo).port, auth, close: () => new Promise<void>((r) => server.close(() => r())) };
  });
  afterAll(async () => {
    await git?.close();
    await t?.close();
  });

  it('stores them sealed apart from the URL; no response, audit diff or error shows them; git gets them when it runs', async () => {
    const url = `http://alice:${TOKEN}@127.0.0.1:${git.port}/acme/shop.git`;
    const clean = `http://127.0.0.1:${git.port}/acme/shop.git`;
    const created = await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name: 'Shop', repositoryUrl: url } });
    expect(created.status, created.text).toBe(201);
    expect(created.text).not.toContain(TOKEN);
    expect(created.json.repositoryUrl).toBe(clean);
    expect(String(created.json.repositoryCredentialsHint)).toMatch(/deploy key/);
    // Detection ran git with the credentials (Basic alice:token), although the URL it was given has none.
    expect(git.auth).toContain(`Basic ${Buffer.from(`alice:${TOKEN}`).toString('base64')}`);

    const id = String(created.json.id);
    const seen = await t.request('GET', `/api/v1/projects/${id}`, { session: viewer });
    expect(seen.status).toBe(200);
    expect(seen.text).not.toContain(TOKEN);
    expect(seen.json.repositoryUrl).toBe(clean);

    const row = await t.app.db.kysely.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.repository_url).toBe(clean);
    expect(row.repository_credentials).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toContain(TOKEN);

    // A new URL with other credentials replaces them; the audit diff names neither.
    const patched = await t.request('PATCH', `/api/v1/projects/${id}`, { session: developer, body: { repositoryUrl: `https://bob:other-${TOKEN}@git.example.invalid/acme/shop.git` } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.repositoryUrl).toBe('https://git.example.invalid/acme/shop.git');
    const audit = await t.request('GET', '/api/v1/audit-events', { session: owner });
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('project.update');
    expect(audit.text).not.toContain(TOKEN);

    // Detection errors name the URL without them.
    const detect = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl: `https://carol:${TOKEN}@repo.invalid/x.git` } });
    expect(detect.status).toBe(422);
    expect(detect.text).not.toContain(TOKEN);

    // A URL without credentials drops the stored ones.
    await t.request('PATCH', `/api/v1/projects/${id}`, { session: developer, body: { repositoryUrl: clean } });
    const plain = await t.request('GET', `/api/v1/projects/${id}`, { session: viewer });
    expect(plain.json.repositoryCredentialsHint).toBeNull();
  });

  it('moves credentials still written in stored URLs into the sealed column at start', async () => {
    const created = await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name: 'Legacy', repositoryUrl: 'https://git.example.invalid/acme/legacy.git', framework: 'php' } });
    const id = String(created.json.id);
    await t.app.db.kysely.updateTable('projects').set({ repository_url: `https://dave:${TOKEN}@git.example.invalid/acme/legacy.git`, repository_credentials: null }).where('id', '=', id).execute();
    expect(await t.app.deployments.projects.sealUrlCredentials()).toBe(1);
    const row = await t.app.db.kysely.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.repository_url).toBe('https://git.example.invalid/acme/legacy.git');
    expect(t.app.deployments.projects.authHeader(row)).toBe(`Authorization: Basic ${Buffer.from(`dave:${TOKEN}`).toString('base64')}`);
  });

  it('refuses a password in an ssh:// URL (git over SSH uses the deploy key)', async () => {
    const res = await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name: 'Ssh', repositoryUrl: `ssh://git:${TOKEN}@git.example.invalid/acme/x.git` } });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(TOKEN);
  });
});
