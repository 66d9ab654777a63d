/**
 * Issue 11, finding 9: an unverified domain of one organization blocked
 * every other, and the conflict named it. Unverified claims no longer block
 * other organizations, the first verified claim wins, and the refusal says
 * nothing about the organization that holds the name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { createEnvironment, dnsEnv, domainOptions, ensurePebble, mockDns, uniqueHost, type Owner } from './support.js';

describe('domain claims across organizations', () => {
  let t: TestApp;
  let alice: Owner;
  let bob: Session;
  let aliceEnv: string;
  let bobEnv: string;
  let bobOrg: string;

  beforeAll(async () => {
    const ca = await ensurePebble();
    t = await startTestApp('sqlite', { domains: domainOptions(ca), loginPerMinute: 1000, env: dnsEnv() });
    alice = await setupOwner(t);
    // The installation lets users create organizations (off by default since #11.7), so the rival can own one.
    expect((await t.request('PATCH', '/api/v1/instance', { session: alice, body: { allowOrganizationCreation: true } })).status).toBe(200);
    // Bob signs up through an invitation, then founds his own organization.
    bob = await addMember(t, alice, 'bob@example.test', 'viewer');
    const org = await t.request('POST', '/api/v1/organizations', { session: bob, body: { name: 'Rival Corp' } });
    expect(org.status, org.text).toBe(201);
    bobOrg = String(org.json.id);
    aliceEnv = (await createEnvironment(t, alice.organizationId)).environmentId;
    bobEnv = (await createEnvironment(t, bobOrg)).environmentId;
  });
  afterAll(async () => t?.close());

  const add = (session: Session, env: string, hostname: string) => t.request('POST', `/api/v1/environments/${env}/domains`, { session, body: { hostname, tls: 'none' } });

  it("an unverified claim does not block another organization; the first verified claim wins and the refusal names no one", async () => {
    const host = uniqueHost('squat');
    // Bob squats the name first, without proving anything.
    const squat = await add(bob, bobEnv, host);
    expect(squat.status, squat.text).toBe(201);
    // Alice, who controls the name, is not blocked by it.
    const claim = await add(alice, aliceEnv, host);
    expect(claim.status, claim.text).toBe(201);
    expect(claim.text).not.toContain('Rival');
    expect(claim.text).not.toContain(bobEnv);
    // Bob's unverified claim was released, and his organization's audit log says so.
    expect((await t.request('GET', `/api/v1/domains/${String(squat.json.id)}`, { session: bob })).status).toBe(404);
    const released = await t.app.db.kysely.selectFrom('audit_events').select(['organization_id', 'diff']).where('action', '=', 'domain.released').where('target_id', '=', String(squat.json.id)).executeTakeFirst();
    expect(released?.organization_id).toBe(bobOrg);

    // Bob claims it again (releasing Alice's pending claim): Alice re-adds with the same token, so her TXT record stays valid.
    const token = String((claim.json.verification as Record<string, unknown>).token);
    expect((await add(bob, bobEnv, host)).status).toBe(201);
    const again = await add(alice, aliceEnv, host);
    expect(again.status, again.text).toBe(201);
    expect((again.json.verification as Record<string, unknown>).token).toBe(token);
    await mockDns.setTxt(`_devflow-challenge.${host}`, token);
    const verified = await t.request('POST', `/api/v1/domains/${String(again.json.id)}/verify`, { session: alice, body: {} });
    expect(verified.status, verified.text).toBe(200);
    await mockDns.clearTxt(`_devflow-challenge.${host}`);

    // Now the name is Alice's: Bob is refused with a message that names nobody.
    const refused = await add(bob, bobEnv, host);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.json.code).toBe('domain.hostname_taken');
    for (const secret of ['Acme', alice.organizationId, aliceEnv, String(again.json.id), 'owner@example.test']) expect(refused.text).not.toContain(secret);
    // Alice's verified domain is untouched.
    expect((await t.request('GET', `/api/v1/domains/${String(again.json.id)}`, { session: alice })).json.verification).toMatchObject({ status: 'verified' });
  });

  it('within one organization, the clash is still named', async () => {
    const host = uniqueHost('own');
    expect((await add(alice, aliceEnv, host)).status).toBe(201);
    const other = (await createEnvironment(t, alice.organizationId)).environmentId;
    const res = await add(alice, other, host);
    expect(res.status).toBe(409);
    expect(res.json.detail).toContain(host);
  });
});
