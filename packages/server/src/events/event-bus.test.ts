import { sql } from 'kysely';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/support/databases.js';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { EventBus, type DevflowEvent } from './event-bus.js';

const log = pino({ level: 'silent' });

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Cuts connections to the test database (only LISTEN ones, or all), as a PostgreSQL restart or a proxy timeout would. */
async function terminateConnections(via: Db, which: 'listeners' | 'all'): Promise<void> {
  const filter = which === 'listeners' ? sql`and query like 'LISTEN%'` : sql``;
  await sql`select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() ${filter}`.execute(via.kysely);
}

/**
 * A fresh database per test; `bus()` opens another bus with its own pool (as
 * another process would) and `db()` is the first one's database.
 */
function withBuses(kind: 'sqlite' | 'postgres', body: (ctx: { bus: () => Promise<EventBus>; db: () => Db }) => Promise<void>) {
  return async () => {
    const testDb = await createTestDatabase(kind);
    const dbs: Db[] = [];
    const buses: EventBus[] = [];
    const bus = async () => {
      const db = openDatabase(testDb.config);
      dbs.push(db);
      await migrateToLatest(db);
      const b = new EventBus(db, log);
      buses.push(b);
      await b.start();
      return b;
    };
    try {
      await body({ bus, db: () => dbs[0]! });
    } finally {
      for (const b of buses) await b.close();
      await Promise.allSettled(dbs.map((d) => d.destroy()));
      await testDb.drop();
    }
  };
}

describe.concurrent.each(dialects)('EventBus on %s', (kind) => {
  it('delivers every published event to subscribers, in order, with its stored id', withBuses(kind, async ({ bus }) => {
    const b = await bus();
    const seen: DevflowEvent[] = [];
    const unsubscribe = b.subscribe((e) => seen.push(e));
    const published = [];
    for (let i = 0; i < 5; i++) {
      published.push(await b.publish({ type: 'deployment.updated', organizationId: 'org_1', payload: { i, status: 'running' } }));
    }
    await until('five events', () => seen.length === 5);
    expect(seen.map((e) => e.id)).toEqual(published.map((e) => e.id));
    expect(seen[4]).toMatchObject({ type: 'deployment.updated', organizationId: 'org_1', payload: { i: 4, status: 'running' } });
    expect(published.map((e) => e.id)).toEqual([...published.map((e) => e.id)].sort((a, z) => a - z));

    unsubscribe();
    await b.publish({ type: 'after', organizationId: null, payload: null });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toHaveLength(5);
  }));

  it('replays stored events after a given id (how an SSE stream resumes)', withBuses(kind, async ({ bus }) => {
    const b = await bus();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await b.publish({ type: 't', organizationId: null, payload: { i } })).id);
    const replay = await b.since(ids[1]!);
    expect(replay.map((e) => e.id)).toEqual(ids.slice(2));
    expect(replay.map((e) => e.payload)).toEqual([{ i: 2 }, { i: 3 }]);
    expect((await b.since(0, 2)).map((e) => e.id)).toEqual(ids.slice(0, 2));
  }));

  it('prunes only events older than the window', withBuses(kind, async ({ bus }) => {
    const b = await bus();
    await b.publish({ type: 'old', organizationId: null, payload: {} });
    await new Promise((r) => setTimeout(r, 30));
    expect(await b.prune(10)).toBe(1);
    await b.publish({ type: 'new', organizationId: null, payload: {} });
    expect(await b.prune(60_000)).toBe(0);
    expect((await b.since(0)).map((e) => e.type)).toEqual(['new']);
  }));
});

describe.concurrent('EventBus across processes on postgres (LISTEN/NOTIFY)', () => {
  it('delivers events published by one process to subscribers in another, once each and in order', withBuses('postgres', async ({ bus }) => {
    const publisher = await bus();
    const other = await bus();
    const seenHere: number[] = [];
    const seenThere: DevflowEvent[] = [];
    publisher.subscribe((e) => seenHere.push(e.id));
    other.subscribe((e) => seenThere.push(e));

    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await publisher.publish({ type: 'server.status', organizationId: 'org_1', payload: { i } })).id);
    await until('ten events in the other process', () => seenThere.length >= 10);
    await until('ten events in the publishing process', () => seenHere.length >= 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(seenThere.map((e) => e.id)).toEqual(ids);
    expect(seenHere).toEqual(ids);
    expect(seenThere[9]).toMatchObject({ type: 'server.status', organizationId: 'org_1', payload: { i: 9 } });
  }));

  it('loses no event when several processes publish at the same time', withBuses('postgres', async ({ bus }) => {
    const publishers = [await bus(), await bus(), await bus()];
    const listener = await bus();
    const seen: number[] = [];
    listener.subscribe((e) => seen.push(e.id));
    // Ids come from a sequence but commits land in any order: a reader must not skip an id that commits late.
    const published = await Promise.all(
      Array.from({ length: 150 }, (_, i) => publishers[i % 3]!.publish({ type: 'burst', organizationId: null, payload: { i } })),
    );
    const ids = published.map((e) => e.id).sort((x, y) => x - y);
    await until('every event', () => seen.length >= ids.length, 10_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(ids.filter((id) => !seen.includes(id)), 'events never delivered').toEqual([]);
    expect(seen).toEqual(ids);
  }));

  it('delivers an event that commits late as well as the events published after it', withBuses('postgres', async ({ bus, db }) => {
    const slow = await bus();
    const fast = await bus();
    const listener = await bus();
    // A publisher stalled between taking its id and committing (a busy database, a paused process).
    await sql`create function stall() returns trigger language plpgsql as $$
              begin if new.type = 'slow' then perform pg_sleep(0.5); end if; return new; end $$`.execute(db().kysely);
    await sql`create trigger stall before insert on events for each row execute function stall()`.execute(db().kysely);
    const seen: DevflowEvent[] = [];
    listener.subscribe((e) => seen.push(e));

    const late = slow.publish({ type: 'slow', organizationId: null, payload: {} });
    await new Promise((r) => setTimeout(r, 100));
    const overtaking = await Promise.all([1, 2].map(() => fast.publish({ type: 'fast', organizationId: null, payload: {} })));
    const lateEvent = await late;
    const after = await fast.publish({ type: 'after', organizationId: null, payload: {} });

    const all = [lateEvent, ...overtaking, after].map((e) => e.id).sort((x, y) => x - y);
    await until('all four events', () => seen.length >= 4, 5_000).catch(() => undefined);
    expect(seen.map((e) => e.id)).toEqual(all);
  }));

  it('reconnects when its listening connection is cut, and delivers what was published meanwhile', withBuses('postgres', async ({ bus, db }) => {
    const publisher = await bus();
    const listener = await bus();
    const seen: number[] = [];
    listener.subscribe((e) => seen.push(e.id));
    const first = await publisher.publish({ type: 'before', organizationId: null, payload: {} });
    await until('the first event', () => seen.length === 1);

    await terminateConnections(db(), 'listeners');
    const during = await publisher.publish({ type: 'during', organizationId: null, payload: {} });
    await new Promise((r) => setTimeout(r, 200));
    const after = await publisher.publish({ type: 'after', organizationId: null, payload: {} });
    await until('the events published around the cut', () => seen.length === 3, 8_000);
    expect(seen).toEqual([first.id, during.id, after.id]);
  }));

  it('does not crash the process when the database drops a connection after close()', withBuses('postgres', async ({ bus, db }) => {
    const a = await bus();
    const b = await bus();
    await b.close();
    await terminateConnections(db(), 'all');
    // An uncaught error here (a double release in the listener) fails the run.
    await new Promise((r) => setTimeout(r, 300));
    await a.publish({ type: 'still-fine', organizationId: null, payload: {} });
  }));

  it('wakes the workers of other processes when a job is enqueued', withBuses('postgres', async ({ bus }) => {
    const a = await bus();
    const b = await bus();
    let woken = 0;
    b.onJobsSignal(() => woken++);
    await a.signalJobs();
    await until('the jobs signal', () => woken === 1);
  }));
});
