/**
 * Issue 11, finding 5: a developer could attach any server of the
 * organization to an environment, then run a build hook there. Attaching
 * servers (create, PATCH, clone) is now an admin's decision; validating a
 * server (SSH to a host the caller gives) stays an admin action too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

describe('attaching servers to environments', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let developer: Session;
  let admin: Session;
  let serverId: string;
  let otherServerId: string;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { deployments: { allowLocalRepositories: true }, loginPerMinute: 1000 });
    owner = await setupOwner(t);
    developer = await addMember(t, owner, 'dev@example.test', 'developer');
    admin = await addMember(t, owner, 'admin@example.test', 'admin');
    const key = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'k' } });
    const server = async (name: string) =>
      String((await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name, host: '127.0.0.1', port: 22, sshKeyId: key.json.id } })).json.id);
    serverId = await server('web');
    otherServerId = await server('db');
    const p = await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name: 'Shop', repositoryUrl: '/nonexistent/shop.git', framework: 'php' } });
    expect(p.status, p.text).toBe(201);
    projectId = String(p.json.id);
  });
  afterAll(async () => t?.close());

  it("refuses a developer's environment on a server, and keeps no row; an admin's works", async () => {
    const attack = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'production', serverIds: [serverId], settings: { hooks: { build: ['id > /root/owned'] } } } });
    expect(attack.status, attack.text).toBe(403);
    expect(attack.headers['content-type']).toMatch(/problem\+json/);
    expect(attack.json.code).toBe('environment.attach_server_forbidden');
    expect((await t.request('GET', `/api/v1/projects/${projectId}/environments`, { session: developer })).json.data).toEqual([]);

    const ok = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: admin, body: { name: 'production', serverIds: [serverId] } });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.serverIds).toEqual([serverId]);
    // A developer may still create an environment without servers.
    const bare = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'staging' } });
    expect(bare.status, bare.text).toBe(201);
  });

  it("refuses a developer's PATCH that adds a server, but not one that keeps the same servers", async () => {
    const envs = (await t.request('GET', `/api/v1/projects/${projectId}/environments`, { session: developer })).json.data as { id: string; name: string }[];
    const prod = envs.find((e) => e.name === 'production')?.id ?? '';
    const attack = await t.request('PATCH', `/api/v1/environments/${prod}`, { session: developer, body: { serverIds: [serverId, otherServerId] } });
    expect(attack.status, attack.text).toBe(403);
    expect(attack.json.code).toBe('environment.attach_server_forbidden');
    expect((await t.request('GET', `/api/v1/environments/${prod}`, { session: developer })).json.serverIds).toEqual([serverId]);
    const same = await t.request('PATCH', `/api/v1/environments/${prod}`, { session: developer, body: { serverIds: [serverId], branch: 'main' } });
    expect(same.status, same.text).toBe(200);
    // Removing a server is not attaching one.
    const fewer = await t.request('PATCH', `/api/v1/environments/${prod}`, { session: developer, body: { serverIds: [] } });
    expect(fewer.status, fewer.text).toBe(200);
    const byAdmin = await t.request('PATCH', `/api/v1/environments/${prod}`, { session: admin, body: { serverIds: [serverId, otherServerId] } });
    expect(byAdmin.status, byAdmin.text).toBe(200);
    expect([...(byAdmin.json.serverIds as string[])].sort()).toEqual([serverId, otherServerId].sort());
  });

  it("a developer's clone of a project keeps its environments but not their servers; an admin's keeps both", async () => {
    const byDev = await t.request('POST', `/api/v1/projects/${projectId}/clone`, { session: developer, body: { name: 'Shop copy' } });
    expect(byDev.status, byDev.text).toBe(201);
    const devEnvs = (await t.request('GET', `/api/v1/projects/${String(byDev.json.id)}/environments`, { session: developer })).json.data as { serverIds: string[] }[];
    expect(devEnvs).toHaveLength(2);
    expect(devEnvs.every((e) => e.serverIds.length === 0)).toBe(true);
    const byAdmin = await t.request('POST', `/api/v1/projects/${projectId}/clone`, { session: admin, body: { name: 'Shop copy 2' } });
    const adminEnvs = (await t.request('GET', `/api/v1/projects/${String(byAdmin.json.id)}/environments`, { session: admin })).json.data as { serverIds: string[] }[];
    expect(adminEnvs.some((e) => e.serverIds.length === 2)).toBe(true);
  });

  it('validating a server (SSH to the host it names) is for admins only', async () => {
    const res = await t.request('POST', `/api/v1/servers/${serverId}/validate`, { session: developer });
    expect(res.status, res.text).toBe(403);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    const created = await t.request('POST', '/api/v1/servers', { session: developer, body: { organizationId: owner.organizationId, name: 'evil', host: '169.254.169.254', port: 22, sshKeyId: 'x' } });
    expect(created.status).toBe(403);
  });
});
