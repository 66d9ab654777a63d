import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminGrant } from '../../src/cli/admin-grant.command.js';
import { addMember, createToken, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

describe('installation administrators own installation-wide things', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let orgAdmin: Session;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { loginPerMinute: 1000 });
    owner = await setupOwner(t);
    orgAdmin = await addMember(t, owner, 'admin@example.test', 'admin');
  });
  afterAll(async () => t?.close());

  it('says in /me who administers the installation: the setup user, not an organization admin', async () => {
    expect((await t.request('GET', '/api/v1/me', { session: owner })).json.installationAdmin).toBe(true);
    expect((await t.request('GET', '/api/v1/me', { session: orgAdmin })).json.installationAdmin).toBe(false);
  });

  it('refuses /metrics to an organization admin and their tokens, and serves the installation admin', async () => {
    // The attack that worked: an admin of some organization read installation-wide metrics.
    const refused = await t.request('GET', '/metrics', { session: orgAdmin });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('auth.installation_admin_required');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const adminsToken = await createToken(t, orgAdmin, ['metrics:read']);
    expect((await t.request('GET', '/metrics', { token: adminsToken })).status).toBe(403);

    const ok = await t.request('GET', '/metrics', { session: owner });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('devflow_http_request_duration_seconds');
    expect((await t.request('GET', '/metrics', { token: await createToken(t, owner, ['metrics:read']) })).status).toBe(200);
    const narrow = await t.request('GET', '/metrics', { token: await createToken(t, owner, ['read']) });
    expect(narrow.status).toBe(403);
    expect(narrow.json.code).toBe('auth.ability_missing');
  });

  it('lets only installation admins create organizations by default, and everyone once the instance allows it', async () => {
    // The attack that worked: anyone signed in created an organization and became its admin (and so read /metrics).
    const refused = await t.request('POST', '/api/v1/organizations', { session: orgAdmin, body: { name: 'Mine' } });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('organization.creation_restricted');
    expect((await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'By the admin' } })).status).toBe(201);

    expect((await t.request('GET', '/api/v1/instance', { session: owner })).json).toEqual({ allowOrganizationCreation: false });
    const opened = await t.request('PATCH', '/api/v1/instance', { session: owner, body: { allowOrganizationCreation: true } });
    expect(opened.status).toBe(200);
    expect(opened.json).toEqual({ allowOrganizationCreation: true });
    const created = await t.request('POST', '/api/v1/organizations', { session: orgAdmin, body: { name: 'Mine' } });
    expect(created.status).toBe(201);
    // Owning an organization still gives no installation-wide rights.
    expect((await t.request('GET', '/metrics', { session: orgAdmin })).status).toBe(403);
    await t.request('PATCH', '/api/v1/instance', { session: owner, body: { allowOrganizationCreation: false } });
  });

  it('keeps the instance settings to installation admins; tokens need the admin ability to change them; changes are audited', async () => {
    expect((await t.request('GET', '/api/v1/instance', { session: orgAdmin })).status).toBe(403);
    expect((await t.request('PATCH', '/api/v1/instance', { session: orgAdmin, body: { allowOrganizationCreation: true } })).status).toBe(403);
    expect((await t.request('GET', '/api/v1/instance')).status).toBe(401);
    const readToken = await createToken(t, owner, ['read']);
    expect((await t.request('GET', '/api/v1/instance', { token: readToken })).status).toBe(200);
    expect((await t.request('PATCH', '/api/v1/instance', { token: readToken, body: { allowOrganizationCreation: true } })).status).toBe(403);
    const unknown = await t.request('PATCH', '/api/v1/instance', { session: owner, body: { somethingElse: true } });
    expect(unknown.status).toBe(400);
    const rows = await t.app.db.kysely.selectFrom('audit_events').select(['action', 'diff']).where('action', '=', 'instance.update').execute();
    expect(rows.length).toBe(2);
    expect(JSON.parse(String(rows[0]?.diff))).toEqual({ before: { allowOrganizationCreation: false }, after: { allowOrganizationCreation: true } });
  });

  it('names more installation admins with `devflow admin grant`', async () => {
    const log = console.log;
    console.log = () => undefined;
    try {
      expect(await runAdminGrant(t.app.config, ['--email', 'ADMIN@example.test'])).toBe(0);
    } finally {
      console.log = log;
    }
    expect((await t.request('GET', '/api/v1/me', { session: orgAdmin })).json.installationAdmin).toBe(true);
    expect((await t.request('GET', '/metrics', { session: orgAdmin })).status).toBe(200);
    const err = console.error;
    console.error = () => undefined;
    try {
      expect(await runAdminGrant(t.app.config, ['--email', 'nobody@example.test'])).toBe(1);
    } finally {
      console.error = err;
    }
  });
});
