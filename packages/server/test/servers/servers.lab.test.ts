import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyMismatchError } from '../../src/adapters/ssh/ssh-errors.js';
import { Ssh2Executor } from '../../src/adapters/ssh/ssh2-executor.js';
import { addMember, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { labAvailable, type LabServer } from '../support/lab.js';
import {
  closedPort,
  createKey,
  createServer,
  hostFingerprints,
  loopbackLookup,
  regenerateHostKeys,
  silentPort,
  startServer,
  targetOf,
} from './lab-fixtures.js';

const lab = await labAvailable();

describe.skipIf(!lab)('servers over SSH on the lab', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let viewer: Session;
  let developer: Session;
  let key: { id: string; publicKey: string; fingerprint: string };
  let vps: LabServer;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { servers: { ssh: { lookup: loopbackLookup, connectTimeoutMs: 3000 } } });
    owner = await setupOwner(t);
    viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    developer = await addMember(t, owner, 'dev@example.test', 'developer');
    key = await createKey(t, owner, 'lab');
    vps = await startServer({ authorizedKey: key.publicKey });
  });
  afterAll(async () => {
    await vps?.stop();
    await t?.close();
  });

  it('adds a server, validates it, pins its host key and detects the right facts', async () => {
    const srv = await createServer(t, owner, { name: 'web-1', host: vps.host, port: vps.port, sshKeyId: key.id });
    expect(srv).toMatchObject({ status: 'new', hostKeyFingerprint: null, user: 'root', lastSeenAt: null });
    const res = await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner });
    expect(res.status, res.text).toBe(200);
    const body = res.json as Record<string, unknown> & { facts: Record<string, unknown> & { tools: Record<string, unknown>; os: Record<string, unknown> } };
    expect(body.status).toBe('online');
    expect(body.lastSeenAt).toEqual(expect.any(String));
    expect(await hostFingerprints(vps)).toContain(body.hostKeyFingerprint);

    // Compare with what the container itself says.
    const truth = await vps.exec(['sh', '-c', 'nproc; grep MemTotal /proc/meminfo; df -B1 -P / | tail -1; nginx -v 2>&1; git --version; php8.2 -r "echo PHP_VERSION;"']);
    const [nproc, mem, df, nginx, git, php] = truth.stdout.split('\n');
    expect(body.facts.os).toEqual({ id: 'debian', version: '12', codename: 'bookworm', name: 'Debian GNU/Linux 12 (bookworm)' });
    expect(body.facts.cpus).toBe(Number(nproc));
    expect(body.facts.memoryBytes).toBe(Number(mem?.match(/\d+/)?.[0]) * 1024);
    expect(body.facts.diskBytes).toBe(Number(df?.trim().split(/\s+/)[1]));
    expect(body.facts.serviceManager).toBe('service');
    expect(body.facts.tools).toMatchObject({
      nginx: nginx?.split('/')[1],
      git: git?.split(' ')[2],
      php: [php],
      phpFpm: [php],
      docker: null,
      composer: null,
      restic: null,
    });
    const audit = await t.request('GET', '/api/v1/audit-events?action=server.validate', { session: owner });
    expect((audit.json.data?.[0]?.diff as { hostKeyPinned?: string }).hostKeyPinned).toBe(body.hostKeyFingerprint);
  });

  it('refuses a changed host key naming both fingerprints, runs nothing, and lets an admin accept it', async () => {
    const srv = await createServer(t, owner, { name: 'rekeyed', host: vps.host, port: vps.port, sshKeyId: key.id });
    const first = await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner });
    const pinned = String(first.json.hostKeyFingerprint);
    await regenerateHostKeys(vps);
    const fresh = await hostFingerprints(vps);
    expect(fresh).not.toContain(pinned);
    const authBefore = (await vps.exec(['grep', '-c', 'Accepted publickey', '/var/log/auth.log'])).stdout.trim();

    const res = await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json.code).toBe('server.host_key_mismatch');
    const presented = String(res.json.presentedFingerprint);
    expect(res.json.expectedFingerprint).toBe(pinned);
    expect(fresh).toContain(presented);
    expect(res.json.detail).toContain(pinned);
    expect(res.json.detail).toContain(presented);
    const after = (await t.request('GET', `/api/v1/servers/${srv.id}`, { session: owner })).json;
    expect(after).toMatchObject({ status: 'unreachable', hostKeyFingerprint: pinned, pendingHostKeyFingerprint: presented });

    // Nothing ran: a command through the pinned key is refused before authentication, and sshd saw no login.
    const ssh = new Ssh2Executor({ connectTimeoutMs: 3000 });
    try {
      const privateKey = await t.app.servers.keys.openPrivateKey(key.id);
      await expect(ssh.exec(targetOf(vps, privateKey, 'root', pinned), ['touch', '/tmp/marker'])).rejects.toBeInstanceOf(HostKeyMismatchError);
    } finally {
      await ssh.destroy();
    }
    expect((await vps.exec(['test', '-e', '/tmp/marker'])).code).toBe(1);
    expect((await vps.exec(['grep', '-c', 'Accepted publickey', '/var/log/auth.log'])).stdout.trim()).toBe(authBefore);

    // Accepting: only admins, only the fingerprint the server presented, audited.
    expect((await t.request('POST', `/api/v1/servers/${srv.id}/accept-host-key`, { session: viewer, body: { fingerprint: presented } })).status).toBe(403);
    expect((await t.request('POST', `/api/v1/servers/${srv.id}/accept-host-key`, { session: developer, body: { fingerprint: presented } })).status).toBe(403);
    const wrong = await t.request('POST', `/api/v1/servers/${srv.id}/accept-host-key`, { session: owner, body: { fingerprint: pinned } });
    expect(wrong.status).toBe(409);
    expect(wrong.json.code).toBe('server.host_key_not_pending');
    const ok = await t.request('POST', `/api/v1/servers/${srv.id}/accept-host-key`, { session: owner, body: { fingerprint: presented } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ hostKeyFingerprint: presented, pendingHostKeyFingerprint: null });
    const again = await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ status: 'online', hostKeyFingerprint: presented });
    const audit = await t.request('GET', '/api/v1/audit-events?action=server.accept_host_key', { session: owner });
    expect(audit.json.data?.[0]?.diff).toEqual({ before: pinned, after: presented });
  });

  it('answers a wrong key, a closed port, a silent port and an unknown host with clear problems, quickly, and marks the server unreachable', async () => {
    const otherKey = await createKey(t, owner, 'not-authorized');
    const silent = await silentPort();
    try {
      const cases = [
        { name: 'wrong-key', host: vps.host, port: vps.port, sshKeyId: otherKey.id, code: 'server.auth_failed' },
        { name: 'closed-port', host: '127.0.0.1', port: await closedPort(), sshKeyId: key.id, code: 'server.unreachable' },
        { name: 'silent-port', host: '127.0.0.1', port: silent.port, sshKeyId: key.id, code: 'server.connect_timeout' },
        { name: 'unknown-host', host: 'no-such-host.invalid', port: 22, sshKeyId: key.id, code: 'server.unknown_host' },
      ];
      for (const c of cases) {
        const srv = await createServer(t, owner, { name: c.name, host: c.host, port: c.port, sshKeyId: c.sshKeyId });
        const started = Date.now();
        const res = await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner });
        expect(Date.now() - started, c.name).toBeLessThan(8000);
        expect(res.status, c.name).toBe(422);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.json, c.name).toMatchObject({ code: c.code, type: `urn:devflow:problem:${c.code}`, status: 422 });
        expect(String(res.json.detail).length).toBeGreaterThan(10);
        const row = (await t.request('GET', `/api/v1/servers/${srv.id}`, { session: owner })).json;
        expect(row, c.name).toMatchObject({ status: 'unreachable', hostKeyFingerprint: null, lastError: res.json.detail });
      }
    } finally {
      await silent.close();
    }
  });

  it('enforces roles and tenancy: viewers and developers cannot create or validate, other organizations get 404', async () => {
    const srv = await createServer(t, owner, { name: 'tenancy', host: vps.host, port: vps.port, sshKeyId: key.id });
    const body = { organizationId: owner.organizationId, name: 'x', host: vps.host, port: vps.port, sshKeyId: key.id };
    expect((await t.request('POST', '/api/v1/servers', { session: viewer, body })).status).toBe(403);
    expect((await t.request('POST', '/api/v1/servers', { session: developer, body })).status).toBe(403);
    expect((await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: viewer })).status).toBe(403);
    expect((await t.request('POST', `/api/v1/servers/${srv.id}/provision`, { session: developer, body: {} })).status).toBe(403);
    expect((await t.request('PATCH', `/api/v1/servers/${srv.id}`, { session: viewer, body: { name: 'y' } })).status).toBe(403);
    expect((await t.request('DELETE', `/api/v1/servers/${srv.id}`, { session: viewer })).status).toBe(403);
    expect((await t.request('GET', `/api/v1/servers/${srv.id}`, { session: viewer })).status).toBe(200);

    // A second organization, where the viewer is nobody.
    const org = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Elsewhere' } });
    const other = { ...owner, organizationId: String(org.json.id) };
    const otherKey = await createKey(t, other, 'elsewhere');
    const foreign = await createServer(t, other, { name: 'foreign', host: vps.host, port: vps.port, sshKeyId: otherKey.id });
    for (const [method, url] of [
      ['GET', `/api/v1/servers/${foreign.id}`],
      ['GET', `/api/v1/servers/${foreign.id}/metrics`],
      ['POST', `/api/v1/servers/${foreign.id}/validate`],
      ['DELETE', `/api/v1/servers/${foreign.id}`],
    ] as const) {
      const res = await t.request(method, url, { session: viewer });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.json.code).toBe('server.not_found');
    }
    expect((await t.request('POST', '/api/v1/servers', { session: viewer, body: { ...body, organizationId: other.organizationId } })).status).toBe(403);
    const admin = await addMember(t, owner, 'admin@example.test', 'admin');
    expect((await t.request('POST', '/api/v1/servers', { session: admin, body: { ...body, organizationId: other.organizationId } })).status).toBe(404);
    const list = await t.request('GET', '/api/v1/servers', { session: viewer });
    expect(list.json.data?.some((s) => s.id === foreign.id)).toBe(false);
    // A key of another organization cannot be attached.
    const crossKey = await t.request('POST', '/api/v1/servers', { session: owner, body: { ...body, name: 'cross', sshKeyId: otherKey.id } });
    expect(crossKey.status).toBe(400);
    expect(crossKey.json.code).toBe('server.unknown_ssh_key');
  });

  it('refuses hostile values in every field before anything reaches a server', async () => {
    const hostile = ['$(touch /tmp/pwned)', '`touch /tmp/pwned`', 'a;touch /tmp/pwned', "a'b", 'a\nb'];
    for (const h of hostile) {
      for (const field of ['host', 'user'] as const) {
        const res = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: `h-${field}`, host: vps.host, port: vps.port, sshKeyId: key.id, [field]: h } });
        expect(res.status, `${field}=${JSON.stringify(h)}`).toBe(400);
      }
    }
    // A hostile name is only a label: validation still runs nothing but the fixed facts script.
    const srv = await createServer(t, owner, { name: '$(touch /tmp/pwned); `touch /tmp/pwned`', host: vps.host, port: vps.port, sshKeyId: key.id });
    expect((await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner })).status).toBe(200);
    const prov = await t.request('POST', `/api/v1/servers/${srv.id}/provision`, { session: owner, body: { phpVersion: '8.2; touch /tmp/pwned' } });
    expect(prov.status).toBe(400);
    expect((await vps.exec(['test', '-e', '/tmp/pwned'])).code).toBe(1);
  });

  it('a new address drops the pinned key; deleting closes the connection', async () => {
    const srv = await createServer(t, owner, { name: 'moving', host: vps.host, port: vps.port, sshKeyId: key.id });
    await t.request('POST', `/api/v1/servers/${srv.id}/validate`, { session: owner });
    const moved = await t.request('PATCH', `/api/v1/servers/${srv.id}`, { session: owner, body: { host: 'localhost' } });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ host: 'localhost', status: 'new', hostKeyFingerprint: null });
    const renamed = await t.request('PATCH', `/api/v1/servers/${srv.id}`, { session: owner, body: { name: 'web-1' } });
    expect(renamed.status).toBe(409);
    expect((await t.request('DELETE', `/api/v1/servers/${srv.id}`, { session: owner })).status).toBe(204);
    expect((await t.request('GET', `/api/v1/servers/${srv.id}`, { session: owner })).status).toBe(404);
  });
});
