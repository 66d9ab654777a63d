/**
 * The deployment log over Server-Sent Events, on SQLite and PostgreSQL,
 * without a lab server: lines come from the real log writer, the stream
 * from a real HTTP listener. A client that disconnects and resumes with
 * Last-Event-ID gets every line exactly once, live lines included, and the
 * stream ends when the deployment does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentLog } from '../../src/modules/deployments/deployment-log.js';
import { DeploymentLogService } from '../../src/modules/deployments/deployment-log.service.js';
import { setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { createServerRecord } from './support/server-record.js';

interface SseEvent {
  id: number | undefined;
  event: string;
  data: unknown;
}

/** An open SSE response read event by event. */
async function openStream(url: string, headers: Record<string, string>) {
  const aborter = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: aborter.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: SseEvent[] = [];
  let done = false;
  /** Reads until `predicate` holds for the events so far, or the stream ends. */
  async function until(predicate: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
    while (!predicate(events) && !done) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        break;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data === undefined) continue; // retry hint, keep-alive comment
        const id = field('id');
        events.push({ id: id === undefined ? undefined : Number(id), event: field('event') ?? 'message', data: JSON.parse(data) as unknown });
      }
    }
    return events;
  }
  return { until, close: () => aborter.abort(), ended: () => done };
}

describe.each(dialects)('deployment log stream on %s', (dialect) => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let base: string;
  let environmentId: string;

  beforeAll(async () => {
    t = await startTestApp(dialect, { deployments: { allowLocalRepositories: true } });
    owner = await setupOwner(t);
    const serverId = await createServerRecord(t, owner);
    const p = await t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name: 'Logs', repositoryUrl: '/nonexistent/repo.git', framework: 'laravel' } });
    const env = await t.request('POST', `/api/v1/projects/${String(p.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [serverId] } });
    expect(env.status, env.text).toBe(201);
    environmentId = String(env.json.id);
    base = (await t.app.http?.listen({ host: '127.0.0.1', port: 0 })) as string;
  });
  afterAll(async () => t?.close());

  /** A queued deployment (no worker runs here) and the real log writer for it. */
  async function queuedDeployment() {
    const res = await t.request('POST', `/api/v1/environments/${environmentId}/deployments`, { session: owner, body: {} });
    expect(res.status, res.text).toBe(202);
    const id = String(res.json.id);
    const log = new DeploymentLog(t.app.db, t.app.bus, { id, organizationId: owner.organizationId, environmentId }, 10);
    const write = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) log.line('build', 'stdout', `line ${i}`);
      await log.flush();
    };
    return { id, write };
  }

  it('resumes after Last-Event-ID without gaps or repeats, live lines included, and ends with the deployment', async () => {
    const dep = await queuedDeployment();
    const url = `${base}/api/v1/deployments/${dep.id}/logs`;
    const cookie = `devflow_session=${owner.cookie}`;
    await dep.write(1, 5);

    // First connection: reads the stored lines, then one written while it is open, and goes away.
    const first = await openStream(url, { cookie });
    await first.until((e) => e.length >= 5);
    await dep.write(6, 7);
    const seen1 = await first.until((e) => e.length >= 7);
    first.close();
    expect(seen1.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // Written while no client listens.
    await dep.write(8, 12);

    // Second connection resumes after the last id it saw: stored lines, then live ones, then the end.
    const second = await openStream(url, { cookie, 'last-event-id': String(seen1.at(-1)?.id) });
    await second.until((e) => e.length >= 5);
    await dep.write(13, 15);
    await second.until((e) => e.length >= 8);
    expect((await t.request('POST', `/api/v1/deployments/${dep.id}/cancel`, { session: owner })).status).toBe(200);
    const seen2 = await second.until(() => false);
    expect(second.ended()).toBe(true);

    const logEvents = [...seen1, ...seen2].filter((e) => e.event === 'log');
    expect(logEvents.map((e) => e.id)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(logEvents.map((e) => (e.data as { line: string }).line)).toEqual(Array.from({ length: 15 }, (_, i) => `line ${i + 1}`));
    expect(seen2.at(-1)).toEqual({ id: undefined, event: 'end', data: { status: 'cancelled' } });
  });

  it('sends the stored lines and the end at once for a finished deployment, and 404 as a problem for an unknown one', async () => {
    const dep = await queuedDeployment();
    await dep.write(1, 3);
    await t.request('POST', `/api/v1/deployments/${dep.id}/cancel`, { session: owner });
    const stream = await openStream(`${base}/api/v1/deployments/${dep.id}/logs`, { cookie: `devflow_session=${owner.cookie}`, 'last-event-id': '1' });
    const events = await stream.until(() => false);
    expect(events.map((e) => [e.event, e.id])).toEqual([['log', 2], ['log', 3], ['end', undefined]]);

    const missing = await t.request('GET', '/api/v1/deployments/dep_unknown/logs', { session: owner, headers: { accept: 'text/event-stream' } });
    expect(missing.status).toBe(404);
    expect(String(missing.headers['content-type'])).toMatch(/^application\/problem\+json/);
  });

  it('stops following when the reader aborts, while the deployment still runs', async () => {
    const dep = await queuedDeployment();
    await dep.write(1, 2);
    const logs = new DeploymentLogService(t.app.deployments.store, t.app.bus, 60_000);
    const aborter = new AbortController();
    const got: number[] = [];
    const following = (async () => {
      for await (const e of await logs.follow(dep.id, 0, aborter.signal)) if (e.kind === 'line') got.push(e.line.seq);
      return 'stopped';
    })();
    await expect.poll(() => got.length).toBe(2);
    aborter.abort();
    // The poll is a minute away and nothing is written: only the abort can end the loop.
    await expect(following).resolves.toBe('stopped');
    expect(got).toEqual([1, 2]);
  });
});
