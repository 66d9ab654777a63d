/**
 * Issue 11, finding 10: webhooks had no rate limit, wrote one audit row per
 * bad signature (a flood filled the audit log), and a signed push replayed
 * under a new delivery id deployed again. Each attack is replayed here.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';

describe('webhook abuse', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let envId: string;
  let secret: string;
  let now = Date.parse('2026-12-01T10:00:00Z');

  beforeAll(async () => {
    t = await startTestApp('sqlite', { clock: () => now, deployments: { allowLocalRepositories: true, webhookRateLimit: { limit: 20, windowMs: 60_000 } } });
    owner = await setupOwner(t);
    const key = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'k' } });
    const srv = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 'web', host: '127.0.0.1', port: 22, sshKeyId: key.json.id } });
    const p = await t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name: 'Shop', repositoryUrl: '/nonexistent/shop.git', framework: 'php' } });
    const env = await t.request('POST', `/api/v1/projects/${String(p.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [srv.json.id] } });
    envId = String(env.json.id);
    secret = String((await t.request('GET', `/api/v1/environments/${envId}/webhook`, { session: owner })).json.secret);
  });
  afterAll(async () => t?.close());

  const sign = (body: string, s = secret) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;
  const push = (sha: string) => JSON.stringify({ ref: 'refs/heads/main', after: sha, deleted: false, pusher: { name: 'ada' } });
  const hook = (body: string, delivery: string, signature = sign(body), ip = '203.0.113.7') =>
    t.app.http!.inject({ method: 'POST', url: `/api/v1/hooks/github/${envId}`, remoteAddress: ip, payload: body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature, 'x-github-delivery': delivery } });
  const deployments = async () => (await t.app.db.kysely.selectFrom('deployments').select('id').where('environment_id', '=', envId).execute()).length;

  it('a signed push replayed with a new delivery id is ignored as a duplicate, without a deployment', async () => {
    const body = push('b'.repeat(40));
    const first = await hook(body, 'delivery-1');
    expect(first.statusCode, first.body).toBe(202);
    const count = await deployments();
    const replay = await hook(body, 'delivery-2-forged');
    expect(replay.statusCode).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ outcome: 'duplicate', deploymentId: null });
    expect(await deployments()).toBe(count);
    // A new push (another commit) still deploys.
    expect((await hook(push('c'.repeat(40)), 'delivery-3')).statusCode).toBe(202);
    // After a day the remembered body is pruned: the same push may deploy again.
    now += 86_400_000 + 1000;
    expect((await hook(body, 'delivery-4')).statusCode).toBe(202);
    const rows = await t.app.db.kysely.selectFrom('webhook_replays').select('created_at').execute();
    expect(rows.every((r) => Date.parse(r.created_at) > now - 86_400_000)).toBe(true);
  });

  it('a flood of bad signatures writes one audit row per minute and counts the rest in metrics', async () => {
    now += 120_000;
    const audit = async () => (await t.app.db.kysely.selectFrom('audit_events').select('diff').where('action', '=', 'webhook.rejected').execute()).length;
    const before = await audit();
    const counted = t.app.deployments.webhooks.rejections.get('github') ?? 0;
    for (let i = 0; i < 10; i++) expect((await hook(push('d'.repeat(40)), `bad-${i}`, sign('x', 'wrong'), `198.51.100.${i}`)).statusCode).toBe(401);
    expect(await audit()).toBe(before + 1);
    expect(t.app.deployments.webhooks.rejections.get('github')).toBe(counted + 10);
    // The test's clock moved past the session's lifetime: sign in again.
    const metrics = await t.request('GET', '/metrics', { session: await login(t, 'owner@example.test') });
    expect(metrics.text).toMatch(/devflow_webhook_bad_signatures\{provider="github"\} \d+/);
    // A minute later, the next one is audited again with the number left out.
    now += 61_000;
    await hook(push('d'.repeat(40)), 'bad-late', sign('x', 'wrong'), '198.51.100.99');
    expect(await audit()).toBe(before + 2);
    const last = await t.app.db.kysely.selectFrom('audit_events').select('diff').where('action', '=', 'webhook.rejected').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(String(last.diff))).toMatchObject({ alsoRejectedSinceLastEntry: 9 });
  });

  it('rate-limits deliveries per environment and address with 429 problem+json and Retry-After', async () => {
    const ip = '192.0.2.50';
    let refused: Awaited<ReturnType<typeof hook>> | undefined;
    for (let i = 0; i < 25 && !refused; i++) {
      const res = await hook(push('e'.repeat(40)), `flood-${i}`, sign('x', 'wrong'), ip);
      if (res.statusCode === 429) refused = res;
    }
    expect(refused?.statusCode).toBe(429);
    expect(refused?.headers['content-type']).toMatch(/problem\+json/);
    expect(JSON.parse(refused?.body ?? '{}').code).toBe('webhook.rate_limited');
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await hook(push('f'.repeat(40)), 'other-ip', sign(push('f'.repeat(40))), '192.0.2.51')).statusCode).toBe(202);
  });
});
