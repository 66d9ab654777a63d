/**
 * The event stream attacks of issue 11, replayed over a real port: a
 * developer limited to one project replaying other projects' events (log
 * lines included), a `metrics:read` token reading everything, and streams
 * that kept delivering after the token was revoked, the session ended or the
 * member was removed. Each must be refused now; legitimate readers keep
 * their events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createToken, login, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';
import { openEvents, until, type SseStream } from '../support/sse.js';

// On PostgreSQL, events and identity changes reach the stream through LISTEN/NOTIFY.
describe.each(['sqlite', 'postgres'] as const)('event stream access on %s', (dialect) => {
  let t: TestApp;
  let base = '';
  let owner: Session & { organizationId: string };
  const p = { one: { project: '', env: '', dep: '' }, two: { project: '', env: '', dep: '' } };
  const streams: SseStream[] = [];
  const open = async (...args: Parameters<typeof openEvents>) => {
    const s = await openEvents(...args);
    streams.push(s);
    return s;
  };
  const log = (which: 'one' | 'two', line: string) =>
    t.app.bus.publish({ type: 'deployment.log', organizationId: owner.organizationId, payload: { deploymentId: p[which].dep, environmentId: p[which].env, lines: [{ seq: 1, line }] } });
  // The lines this test published (a queued deployment may also log its own failure when a worker picks it up).
  const lines = (s: SseStream) =>
    s.frames.flatMap((f) => ((f.data.payload.lines ?? []) as { line: string }[]).map((l) => l.line)).filter((l) => /^(one|two): /.test(l));
  const scopedMember = async (email: string, role: 'developer' | 'viewer', projectIds: string[] | null) => {
    const inv = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email, role, projectIds } });
    const acc = await t.request('POST', '/api/v1/invitations/accept', { body: { token: String(inv.json.url).split('#')[1], name: 'M', password: TEST_PASSWORD } });
    expect(acc.status).toBe(200);
    return login(t, email);
  };

  beforeAll(async () => {
    t = await startTestApp(dialect, { loginPerMinute: 10_000 });
    await t.app.bus.start();
    owner = await setupOwner(t);
    const key = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'k' } });
    const server = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 's', host: '127.0.0.1', port: 9, sshKeyId: key.json.id } });
    for (const which of ['one', 'two'] as const) {
      const project = await t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name: `app-${which}`, repositoryUrl: 'https://git.invalid/acme/app.git', framework: 'laravel' } });
      const env = await t.request('POST', `/api/v1/projects/${String(project.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [server.json.id] } });
      // No worker runs in this app: the deployment stays queued, its `deployment.created` event is stored.
      const dep = await t.request('POST', `/api/v1/environments/${String(env.json.id)}/deployments`, { session: owner, body: {} });
      expect(dep.status).toBe(202);
      p[which] = { project: String(project.json.id), env: String(env.json.id), dep: String(dep.json.id) };
    }
    await log('one', 'one: replayed line');
    await log('two', 'two: DB_PASSWORD leaked in a log line');
    base = (await t.app.http?.listen({ host: '127.0.0.1', port: 0 })) ?? '';
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t?.close();
  });

  it("replays and streams only the granted project's events to a project-limited developer", async () => {
    const dev = await scopedMember('limited@example.test', 'developer', [p.one.project]);
    const stream = await open(base, { session: dev }, 0);
    await until('the replayed line', () => lines(stream).includes('one: replayed line'));
    await log('two', 'two: live');
    await log('one', 'one: live');
    await until('the live line', () => lines(stream).includes('one: live'));
    expect(lines(stream)).toEqual(['one: replayed line', 'one: live']);
    expect(stream.frames.filter((f) => f.event === 'deployment.created').map((f) => f.data.payload.deploymentId)).toEqual([p.one.dep]);
    expect(JSON.stringify(stream.frames)).not.toContain(p.two.dep);
    expect(JSON.stringify(stream.frames)).not.toContain(p.two.env);
    // The organization-wide developer still sees both projects.
    const full = await scopedMember('full@example.test', 'developer', null);
    const all = await open(base, { session: full }, 0);
    await until('both projects', () => lines(all).includes('one: live'));
    expect(lines(all)).toEqual(['one: replayed line', 'two: DB_PASSWORD leaked in a log line', 'two: live', 'one: live']);
  });

  it('shows a metrics:read token nothing, and a read token everything', async () => {
    const reader = await open(base, { token: await createToken(t, owner, ['read']) }, 0);
    const metrics = await open(base, { token: await createToken(t, owner, ['metrics:read']) }, 0);
    expect(metrics.status).toBe(200);
    await log('one', 'one: after metrics');
    await until('the read token line', () => lines(reader).includes('one: after metrics'));
    // A second event after the first reached the reader: the metrics stream had time to show the first.
    await log('two', 'two: after metrics');
    await until('the second line', () => lines(reader).includes('two: after metrics'));
    expect(lines(reader)).toContain('two: DB_PASSWORD leaked in a log line');
    expect(metrics.frames).toEqual([]);
  });

  it('ends a stream when its token is revoked, through the API or behind its back', async () => {
    const created = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'stream', abilities: ['read'] } });
    const stream = await open(base, { token: String(created.json.token) });
    await log('one', 'one: before revoke');
    await until('a line before revocation', () => lines(stream).includes('one: before revoke'));
    expect((await t.request('DELETE', `/api/v1/tokens/${String(created.json.id)}`, { session: owner })).status).toBe(204);
    await until('the stream to end', () => stream.ended(), 5_000);
    // Revoked in the database directly (as the CLI would): no signal, the periodic re-check ends it.
    const quiet = await t.request('POST', '/api/v1/tokens', { session: owner, body: { name: 'quiet', abilities: ['read'] } });
    const other = await open(base, { token: String(quiet.json.token) });
    await t.app.db.kysely.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).where('id', '=', String(quiet.json.id)).execute();
    await until('the stream to end by itself', () => other.ended(), 12_000);
  });

  it('ends a stream when its session logs out', async () => {
    const viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    const second = await login(t, 'viewer@example.test');
    const stream = await open(base, { session: viewer });
    const kept = await open(base, { session: second });
    expect((await t.request('POST', '/api/v1/auth/logout', { session: viewer })).status).toBe(204);
    await until('the stream to end', () => stream.ended(), 5_000);
    await log('one', 'one: after logout');
    await until('the other session to keep streaming', () => lines(kept).includes('one: after logout'));
  });

  it("ends a stream when the member is removed or their grants shrink, and the reconnect sees only what holds now", async () => {
    const removed = await scopedMember('removed@example.test', 'developer', null);
    const gone = await open(base, { session: removed });
    expect((await t.request('DELETE', `/api/v1/organizations/${owner.organizationId}/members/${removed.userId}`, { session: owner })).status).toBe(204);
    await until('the removed member\'s stream to end', () => gone.ended(), 5_000);

    const narrowed = await scopedMember('narrowed@example.test', 'developer', null);
    const before = await open(base, { session: narrowed });
    await log('two', 'two: before narrowing');
    await until('the line before narrowing', () => lines(before).includes('two: before narrowing'));
    const patch = await t.request('PATCH', `/api/v1/organizations/${owner.organizationId}/members/${narrowed.userId}`, { session: owner, body: { projectIds: [p.one.project] } });
    expect(patch.status).toBe(200);
    await until('the stream to end', () => before.ended(), 5_000);
    await log('two', 'two: after narrowing');
    await log('one', 'one: after narrowing');
    const resumed = await open(base, { session: narrowed }, before.frames.at(-1)?.id);
    await until('the granted line', () => lines(resumed).includes('one: after narrowing'));
    expect(lines(resumed)).toEqual(['one: after narrowing']);
  });
});
