/**
 * Live events as the dashboard receives them: GET /api/v1/events over a real
 * port, read with fetch, resuming from Last-Event-ID; on PostgreSQL, events
 * published by another process reach the stream through LISTEN/NOTIFY.
 */
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { dialects, type TestDatabase } from '../support/databases.js';
import { harnessed, waitFor, type Harness } from './support/harness.js';

interface Frame {
  id: number;
  event: string;
  data: { id: number; type: string; organizationId: string | null; payload: unknown };
}

interface Stream {
  status: number;
  contentType: string | null;
  frames: Frame[];
  /** Everything received, comments and retry hints included. */
  raw: () => string;
  /** True once the server ended the response. */
  ended: () => boolean;
  close(): void;
}

/** Opens the event stream with fetch and parses frames as they arrive. */
async function openStream(h: Harness, address: string, opts: { lastEventId?: number; query?: string } = {}): Promise<Stream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId);
  const res = await fetch(`${address}/api/v1/events${opts.query ?? ''}`, { headers, signal: controller.signal });
  const frames: Frame[] = [];
  let raw = '';
  let buffer = '';
  let ended = false;
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          ended = true;
          return;
        }
        const text = decoder.decode(value, { stream: true });
        raw += text;
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          if (fields.has('data')) {
            frames.push({
              id: Number(fields.get('id')),
              event: fields.get('event') ?? 'message',
              data: JSON.parse(fields.get('data')!) as Frame['data'],
            });
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  const stream: Stream = {
    status: res.status,
    contentType: res.headers.get('content-type'),
    frames,
    raw: () => raw,
    ended: () => ended,
    close: () => controller.abort(),
  };
  h.defer(() => stream.close());
  // The server subscribes before it sends the retry hint: after it, nothing published is missed.
  await waitFor('the stream preamble', () => raw.includes('retry:'), 5_000, 10);
  return stream;
}

describe.concurrent.each(dialects)('event stream on %s', (kind) => {
  async function serve(h: Harness, db: TestDatabase): Promise<{ app: App; address: string }> {
    const app = await h.app(
      db,
      { role: 'serve', guard: { check: async () => {} } },
      { DEVFLOW_HOST: '127.0.0.1', DEVFLOW_PORT: '0' },
    );
    const address = await app.start();
    return { app, address: address! };
  }

  const publish = (app: App, type: string, payload: unknown) => app.bus.publish({ type, organizationId: 'org_1', payload });

  it('streams published events and resumes after Last-Event-ID without loss or repeats', harnessed(async (h) => {
    const db = await h.database(kind);
    const { app, address } = await serve(h, db);

    const first = await openStream(h, address);
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream/);
    const e1 = await publish(app, 'deployment.started', { deploymentId: 'dep_1' });
    const e2 = await publish(app, 'deployment.step', { deploymentId: 'dep_1', step: 'build' });
    const e3 = await publish(app, 'deployment.step', { deploymentId: 'dep_1', step: 'switch' });
    await waitFor('three frames', () => first.frames.length === 3, 5_000);
    expect(first.frames.map((f) => f.id)).toEqual([e1.id, e2.id, e3.id]);
    expect(first.frames[1]).toMatchObject({ event: 'deployment.step', data: { id: e2.id, type: 'deployment.step', payload: { step: 'build' } } });

    // The browser drops the connection after e2 reached it; meanwhile more happens.
    first.close();
    const e4 = await publish(app, 'deployment.finished', { deploymentId: 'dep_1', status: 'succeeded' });

    const resumed = await openStream(h, address, { lastEventId: e2.id });
    await waitFor('the missed frames', () => resumed.frames.length === 2, 5_000);
    const e5 = await publish(app, 'server.status', { serverId: 'srv_1', status: 'online' });
    await waitFor('the live frame', () => resumed.frames.length === 3, 5_000);
    expect(resumed.frames.map((f) => f.id)).toEqual([e3.id, e4.id, e5.id]);

    // The query parameter works like the header (for clients that cannot set headers).
    const byQuery = await openStream(h, address, { query: `?lastEventId=${e4.id}` });
    await waitFor('the frame after e4', () => byQuery.frames.length === 1, 5_000);
    expect(byQuery.frames.map((f) => f.id)).toEqual([e5.id]);

    // A fresh stream without Last-Event-ID only gets what happens from now on.
    const fresh = await openStream(h, address);
    const e6 = await publish(app, 'server.status', { serverId: 'srv_1', status: 'unreachable' });
    await waitFor('the new frame', () => fresh.frames.length === 1, 5_000);
    expect(fresh.frames.map((f) => f.id)).toEqual([e6.id]);
  }));

  it('stops promptly while a client is still connected to the stream', harnessed(async (h) => {
    const db = await h.database(kind);
    const { app, address } = await serve(h, db);
    const stream = await openStream(h, address);
    await publish(app, 'ping', {});
    await waitFor('a frame', () => stream.frames.length === 1, 5_000);
    const started = Date.now();
    await app.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    // The browser sees the stream end (and reconnects with its retry hint once the server is back).
    await waitFor('the client to see the end of the stream', () => stream.ended(), 2_000);
  }));
});

describe.concurrent('event stream on postgres with a second process', () => {
  it('delivers events published by another process (LISTEN/NOTIFY) to the stream', harnessed(async (h) => {
    const db = await h.database('postgres');
    const web = await h.app(db, { role: 'serve', guard: { check: async () => {} } }, { DEVFLOW_HOST: '127.0.0.1', DEVFLOW_PORT: '0' });
    const address = (await web.start())!;
    // A worker process has its own pool and its own bus on the same database.
    const worker = await h.app(db, { role: 'worker' });
    await worker.start();

    const stream = await openStream(h, address);
    const published = [];
    for (let i = 0; i < 5; i++) {
      published.push(await worker.bus.publish({ type: 'deployment.log', organizationId: 'org_1', payload: { line: `step ${i}` } }));
    }
    await waitFor('five frames from the worker', () => stream.frames.length === 5, 5_000);
    expect(stream.frames.map((f) => f.id)).toEqual(published.map((e) => e.id));
    expect(stream.frames[4]?.data.payload).toEqual({ line: 'step 4' });
  }));
});
