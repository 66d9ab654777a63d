/**
 * The attacks of issue 11 on tenants, members and tokens, replayed as they
 * were made: each must now be refused, and the legitimate use next to it
 * must keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createToken, login, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';

type Owner = Session & { organizationId: string };

describe('tenant isolation, member consent, owner protection and token abilities', () => {
  let t: TestApp;
  let ownerA: Owner;
  let ownerB: Owner;
  let projectA = '';
  let projectB = '';

  const project = async (o: Owner, name: string) => {
    const res = await t.request('POST', '/api/v1/projects', { session: o, body: { organizationId: o.organizationId, name, repositoryUrl: 'https://git.invalid/acme/app.git', framework: 'laravel' } });
    expect(res.status).toBe(201);
    return String(res.json.id);
  };
  const invite = async (o: Owner, body: Record<string, unknown>, path = 'invitations') =>
    t.request('POST', `/api/v1/organizations/${o.organizationId}/${path}`, { session: o, body });
  const accept = async (url: unknown, session?: Session) =>
    t.request('POST', '/api/v1/invitations/accept', { session, body: { token: String(url).split('#')[1], name: 'Joiner', password: TEST_PASSWORD } });

  beforeAll(async () => {
    t = await startTestApp('sqlite', { loginPerMinute: 10_000 });
    ownerA = await setupOwner(t, 'alice@a.example.test');
    projectA = await project(ownerA, 'secret-a');
    // The installation lets users create organizations (off by default), so the attacker can own one.
    expect((await t.request('PATCH', '/api/v1/instance', { session: ownerA, body: { allowOrganizationCreation: true } })).status).toBe(200);
    // The attacker: the owner of a second organization, invited to nothing of A's.
    const mallory = await addMember(t, ownerA, 'mallory@b.example.test', 'viewer');
    const orgB = await t.request('POST', '/api/v1/organizations', { session: mallory, body: { name: 'B' } });
    expect((await t.request('DELETE', `/api/v1/organizations/${ownerA.organizationId}/members/${mallory.userId}`, { session: ownerA })).status).toBe(204);
    ownerB = { ...mallory, organizationId: String(orgB.json.id) };
    projectB = await project(ownerB, 'own-b');
  });
  afterAll(async () => t?.close());

  describe("another organization's projects (finding 1)", () => {
    it("refuses project grants of another organization on every write path, and grants B's own", async () => {
      for (const path of ['members', 'invitations']) {
        const res = await invite(ownerB, { email: `sock-${path}@b.example.test`, role: 'viewer', projectIds: [projectA] }, path);
        expect(res.status, path).toBe(400);
        expect(res.json.code).toBe('member.unknown_projects');
      }
      const ok = await invite(ownerB, { email: 'scoped@b.example.test', role: 'viewer', projectIds: [projectB] });
      expect(ok.status).toBe(201);
      expect((await accept(ok.json.url)).status).toBe(200);
      const scoped = await login(t, 'scoped@b.example.test');
      const list = await t.request('GET', '/api/v1/projects', { session: scoped });
      expect(list.json.data?.map((p) => p.id)).toEqual([projectB]);
      const user = await t.app.db.kysely.selectFrom('users').select('id').where('email', '=', 'scoped@b.example.test').executeTakeFirstOrThrow();
      const patch = await t.request('PATCH', `/api/v1/organizations/${ownerB.organizationId}/members/${user.id}`, { session: ownerB, body: { projectIds: [projectA] } });
      expect(patch.status).toBe(400);
    });

    it('never lists another organization\'s project for a grant row that names it (written before the checks)', async () => {
      const inv = await invite(ownerB, { email: 'stale@b.example.test', role: 'viewer' });
      await accept(inv.json.url);
      const stale = await login(t, 'stale@b.example.test');
      // The rows the unchecked add path wrote: a member of B limited to B's project and A's.
      const membership = await t.app.db.kysely.selectFrom('memberships').select('id').where('user_id', '=', stale.userId).executeTakeFirstOrThrow();
      await t.app.db.kysely.updateTable('memberships').set({ project_scoped: 1 }).where('id', '=', membership.id).execute();
      await t.app.db.kysely.insertInto('membership_projects').values([projectB, projectA].map((p) => ({ membership_id: membership.id, project_id: p }))).execute();
      const list = await t.request('GET', '/api/v1/projects', { session: stale });
      expect(list.status).toBe(200);
      expect(list.text).not.toContain(projectA);
      expect(list.text).not.toContain('secret-a');
      expect(list.json.data?.map((p) => p.id)).toEqual([projectB]);
      expect((await t.request('GET', `/api/v1/projects/${projectA}`, { session: stale })).status).toBe(404);
    });
  });

  describe("adding a member needs the member's consent (finding 3)", () => {
    it('answers the same for an email with and without an account, and adds nobody until they accept', async () => {
      const existing = await addMember(t, ownerA, 'bob@a.example.test', 'viewer');
      const known = await invite(ownerB, { email: 'bob@a.example.test', role: 'admin' }, 'members');
      const unknown = await invite(ownerB, { email: 'nobody@b.example.test', role: 'admin' }, 'members');
      expect(known.status).toBe(201);
      expect(unknown.status).toBe(201);
      expect(Object.keys(known.json).sort()).toEqual(Object.keys(unknown.json).sort());
      expect(known.text).not.toContain(existing.userId);
      expect(known.text).not.toContain('"name"');
      const members = await t.request('GET', `/api/v1/organizations/${ownerB.organizationId}/members`, { session: ownerB });
      expect(members.text).not.toContain('bob@a.example.test');
      // Bob's own organizations are untouched until he accepts, signed in as himself.
      const orgs = await t.request('GET', '/api/v1/organizations', { session: existing });
      expect(orgs.json.data?.map((o) => o.id)).toEqual([ownerA.organizationId]);
      expect((await accept(known.json.url, existing)).status).toBe(200);
      const after = await t.request('GET', `/api/v1/organizations/${ownerB.organizationId}/members`, { session: ownerB });
      expect(after.json.data?.find((m) => m.email === 'bob@a.example.test')?.role).toBe('admin');
    });

    it("closes only the organization that requires 2FA: the member keeps the others and can enrol", async () => {
      const carol = await addMember(t, ownerA, 'carol@a.example.test', 'developer');
      const inv = await invite(ownerB, { email: 'carol@a.example.test', role: 'viewer' });
      expect((await accept(inv.json.url, carol)).status).toBe(200);
      expect((await t.request('PATCH', `/api/v1/organizations/${ownerB.organizationId}`, { session: ownerB, body: { requireTwoFactor: true } })).status).toBe(200);
      const locked = await t.request('GET', `/api/v1/organizations/${ownerB.organizationId}`, { session: carol });
      expect(locked.status).toBe(403);
      expect(locked.json.code).toBe('auth.two_factor_required');
      expect((await t.request('GET', `/api/v1/projects/${projectB}`, { session: carol })).status).toBe(403);
      // Organization A, which asks nothing, works as before: reads, lists and writes.
      expect((await t.request('GET', `/api/v1/organizations/${ownerA.organizationId}`, { session: carol })).status).toBe(200);
      const list = await t.request('GET', '/api/v1/projects', { session: carol });
      expect(list.status).toBe(200);
      expect(list.json.data?.map((p) => p.id)).toEqual([projectA]);
      expect((await t.request('PATCH', `/api/v1/projects/${projectA}`, { session: carol, body: { name: 'secret-a' } })).status).toBe(200);
      const me = await t.request('GET', '/api/v1/me', { session: carol });
      expect(me.json.twoFactorRequired).toBe(true);
      expect((await t.request('POST', '/api/v1/me/totp', { session: carol })).status).toBe(200);
      expect((await t.request('PATCH', `/api/v1/organizations/${ownerB.organizationId}`, { session: ownerB, body: { requireTwoFactor: false } })).status).toBe(403);
    });
  });

  describe('owner protection (finding 8)', () => {
    let owner: Owner;
    let admin: Session;
    let coOwner: Session;
    let projectC = '';
    beforeAll(async () => {
      const founder = await login(t, 'alice@a.example.test');
      const org = await t.request('POST', '/api/v1/organizations', { session: founder, body: { name: 'C' } });
      owner = { ...founder, organizationId: String(org.json.id) };
      projectC = await project(owner, 'c-app');
      admin = await addMember(t, owner, 'admin@c.example.test', 'admin');
      coOwner = await addMember(t, owner, 'second@c.example.test', 'owner');
    });
    const members = (o: Owner) => `/api/v1/organizations/${o.organizationId}/members`;

    it('refuses an admin who narrows, demotes or removes an owner', async () => {
      for (const body of [{ projectIds: [projectC] }, { role: 'admin' }, { projectIds: [] }]) {
        const res = await t.request('PATCH', `${members(owner)}/${owner.userId}`, { session: admin, body });
        expect(res.status, JSON.stringify(body)).toBe(403);
        expect(res.json.code).toBe('member.owner_protected');
      }
      expect((await t.request('DELETE', `${members(owner)}/${coOwner.userId}`, { session: admin })).status).toBe(403);
      const list = await t.request('GET', members(owner), { session: owner });
      const ownerRow = list.json.data?.find((m) => m.userId === owner.userId);
      expect(ownerRow).toMatchObject({ role: 'owner', projectIds: null });
      expect(list.json.data?.find((m) => m.userId === coOwner.userId)?.role).toBe('owner');
      // What admins do keep: changing members who are not owners.
      const dev = await addMember(t, owner, 'dev@c.example.test', 'developer');
      expect((await t.request('PATCH', `${members(owner)}/${dev.userId}`, { session: admin, body: { projectIds: [projectC] } })).status).toBe(200);
    });

    it('lets owners change owners, but always keeps one', async () => {
      expect((await t.request('PATCH', `${members(owner)}/${coOwner.userId}`, { session: owner, body: { role: 'admin' } })).status).toBe(200);
      const last = await t.request('PATCH', `${members(owner)}/${owner.userId}`, { session: owner, body: { role: 'admin' } });
      expect(last.status).toBe(409);
      expect(last.json.code).toBe('member.last_owner');
      expect((await t.request('DELETE', `${members(owner)}/${owner.userId}`, { session: owner })).status).toBe(409);
      const owners = await t.app.db.kysely.selectFrom('memberships').select('user_id').where('organization_id', '=', owner.organizationId).where('role', '=', 'owner').execute();
      expect(owners.map((o) => o.user_id)).toEqual([owner.userId]);
    });
  });

  describe('token abilities (finding 12)', () => {
    let environmentId = '';
    beforeAll(async () => {
      const key = await t.request('POST', '/api/v1/ssh-keys', { session: ownerA, body: { organizationId: ownerA.organizationId, name: 'k' } });
      const server = await t.request('POST', '/api/v1/servers', { session: ownerA, body: { organizationId: ownerA.organizationId, name: 's', host: '127.0.0.1', port: 9, sshKeyId: key.json.id } });
      const env = await t.request('POST', `/api/v1/projects/${projectA}/environments`, { session: ownerA, body: { name: 'production', serverIds: [server.json.id] } });
      environmentId = String(env.json.id);
    });

    it('refuses token management to a read token, and keeps it for sessions and admin tokens', async () => {
      const read = await createToken(t, ownerA, ['read']);
      const mint = await t.request('POST', '/api/v1/tokens', { token: read, body: { name: 'more', abilities: ['read'] } });
      expect(mint.status).toBe(403);
      expect(mint.json.code).toBe('auth.ability_missing');
      const other = await t.request('POST', '/api/v1/tokens', { session: ownerA, body: { name: 'ci', abilities: ['deploy'] } });
      expect(other.status).toBe(201);
      expect((await t.request('DELETE', `/api/v1/tokens/${String(other.json.id)}`, { token: read })).status).toBe(403);
      expect((await t.request('GET', '/api/v1/me', { token: String(other.json.token) })).status).toBe(200);
      expect((await t.request('GET', '/api/v1/tokens', { token: read })).status).toBe(200);
      const admin = await createToken(t, ownerA, ['admin']);
      expect((await t.request('POST', '/api/v1/tokens', { token: admin, body: { name: 'by-admin', abilities: ['read'] } })).status).toBe(201);
      expect((await t.request('DELETE', `/api/v1/tokens/${String(other.json.id)}`, { token: admin })).status).toBe(204);
    });

    it('refuses a secrets:read token that rotates a webhook secret; secrets:read with write may', async () => {
      const before = await t.request('GET', `/api/v1/environments/${environmentId}/webhook`, { session: ownerA });
      const secrets = await createToken(t, ownerA, ['secrets:read']);
      const rotate = await t.request('POST', `/api/v1/environments/${environmentId}/webhook/rotate`, { token: secrets });
      expect(rotate.status).toBe(403);
      expect(rotate.json.code).toBe('auth.ability_missing');
      expect((await t.request('GET', `/api/v1/environments/${environmentId}/webhook`, { session: ownerA })).text).toBe(before.text);
      const both = await createToken(t, ownerA, ['secrets:read', 'write']);
      const ok = await t.request('POST', `/api/v1/environments/${environmentId}/webhook/rotate`, { token: both });
      expect(ok.status).toBe(200);
      expect(ok.text).not.toBe(before.text);
    });
  });
});
