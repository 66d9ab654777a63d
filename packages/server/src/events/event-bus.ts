import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { nowIso } from '../lib/ids.js';

/** An event as stored and streamed: its id orders all events and resumes SSE streams. */
export interface DevflowEvent {
  id: number;
  type: string;
  organizationId: string | null;
  payload: unknown;
  createdAt: string;
}

export interface NewEvent {
  type: string;
  organizationId: string | null;
  payload: unknown;
}

const EVENTS_CHANNEL = 'devflow_events';
const JOBS_CHANNEL = 'devflow_jobs';
const IDENTITY_CHANNEL = 'devflow_identity';
/** Advisory lock key ("devf") that serialises publishers on PostgreSQL. */
const PUBLISH_LOCK = 0x64657666;

/**
 * Events are rows (so a stream resumes from Last-Event-ID) and notifications:
 * in process through an emitter; on PostgreSQL through LISTEN/NOTIFY so every
 * process sees every event and every enqueued job.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private listener: pg.PoolClient | undefined;
  private closed = false;
  private lastSeen = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  /** Connects the LISTEN client on PostgreSQL; a no-op on SQLite. */
  async start(): Promise<void> {
    if (this.db.dialect !== 'postgres') return;
    const last = await this.db.kysely
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    this.lastSeen = Number(last?.max ?? 0);
    await this.listen();
  }

  private async listen(): Promise<void> {
    if (!this.db.pool || this.closed) return;
    try {
      const client = await (await this.db.pool()).connect();
      this.listener = client;
      client.on('notification', (msg) => {
        if (msg.channel === JOBS_CHANNEL) this.emitter.emit('jobs');
        if (msg.channel === IDENTITY_CHANNEL) this.emitter.emit('identity');
        if (msg.channel === EVENTS_CHANNEL) void this.catchUp();
      });
      client.on('error', (err) => {
        // Released already (by close() or an earlier error): releasing twice throws and would crash the process.
        if (this.listener !== client) return;
        this.log.warn({ err }, 'event listener connection lost; reconnecting');
        this.listener = undefined;
        client.release(err);
        setTimeout(() => void this.listen(), 1000).unref();
      });
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
      await client.query(`LISTEN ${IDENTITY_CHANNEL}`);
      // Notifications sent while we were not listening are lost: drop what may be stale.
      this.emitter.emit('identity');
      // Events published while we were not listening are read from the table.
      await this.catchUp();
    } catch (err) {
      if (this.closed) return;
      this.log.warn({ err }, 'cannot LISTEN; retrying');
      setTimeout(() => void this.listen(), 1000).unref();
    }
  }

  private catching: Promise<void> | undefined;
  private catchUp(): Promise<void> {
    // One reader at a time, so events are emitted once each and in order.
    const run = async () => {
      const rows = await this.since(this.lastSeen, 1000);
      for (const e of rows) {
        this.lastSeen = e.id;
        this.emitter.emit('event', e);
      }
    };
    this.catching = (this.catching ?? Promise.resolve()).then(run, run).catch((err: unknown) => {
      this.log.warn({ err }, 'reading events failed');
    });
    return this.catching;
  }

  /** Stores an event and tells every subscriber, in this process and (PostgreSQL) in all others. */
  async publish(event: NewEvent): Promise<DevflowEvent> {
    const createdAt = nowIso();
    const values = {
      type: event.type,
      organization_id: event.organizationId,
      payload: JSON.stringify(event.payload ?? null),
      created_at: createdAt,
    };
    if (this.db.dialect === 'postgres') {
      // Publishers take turns, so ids become visible in order: a reader that saw id N (and moved
      // past it) can never later miss a smaller id whose insert committed late.
      const id = await this.db.kysely.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${PUBLISH_LOCK}::bigint)`.execute(trx);
        const row = await trx.insertInto('events').values(values).returning('id').executeTakeFirstOrThrow();
        await sql`select pg_notify(${EVENTS_CHANNEL}, ${String(row.id)})`.execute(trx);
        return Number(row.id);
      });
      return { id, createdAt, ...event };
    }
    const row = await this.db.kysely.insertInto('events').values(values).returning('id').executeTakeFirstOrThrow();
    const stored: DevflowEvent = { id: Number(row.id), createdAt, ...event };
    this.emitter.emit('event', stored);
    return stored;
  }

  /** Tells workers in other processes that a job was enqueued. */
  async signalJobs(): Promise<void> {
    if (this.db.dialect === 'postgres') await (await this.db.pool?.())?.query(`SELECT pg_notify($1, '')`, [JOBS_CHANNEL]);
  }

  /** Tells other processes that tokens, users, memberships or organizations changed (they drop cached actors). */
  async signalIdentity(): Promise<void> {
    if (this.db.dialect === 'postgres') await (await this.db.pool?.())?.query(`SELECT pg_notify($1, '')`, [IDENTITY_CHANNEL]);
    // One process (SQLite): no notification comes back, so tell this process's listeners (open event streams) directly.
    else this.emitter.emit('identity');
  }

  /** Calls `fn` when some process (this one included) changed who may do what through the API. */
  onIdentitySignal(fn: () => void): () => void {
    this.emitter.on('identity', fn);
    return () => this.emitter.off('identity', fn);
  }

  /** Calls `fn` for every new event; returns the unsubscribe function. */
  subscribe(fn: (e: DevflowEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }

  /** Calls `fn` when another process enqueued a job. */
  onJobsSignal(fn: () => void): () => void {
    this.emitter.on('jobs', fn);
    return () => this.emitter.off('jobs', fn);
  }

  /** Stored events after `afterId`, oldest first. */
  async since(afterId: number, limit = 500): Promise<DevflowEvent[]> {
    const rows = await this.db.kysely
      .selectFrom('events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      type: r.type,
      organizationId: r.organization_id,
      payload: JSON.parse(r.payload) as unknown,
      createdAt: r.created_at,
    }));
  }

  /** Deletes events older than `olderThanMs` (streams resume only within that window). */
  async prune(olderThanMs: number): Promise<number> {
    const res = await this.db.kysely
      .deleteFrom('events')
      .where('created_at', '<', new Date(Date.now() - olderThanMs).toISOString())
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
    const l = this.listener;
    this.listener = undefined;
    if (l) {
      try {
        await l.query(`UNLISTEN *`);
      } catch {
        // the connection is going away anyway
      }
      l.release();
    }
  }
}
