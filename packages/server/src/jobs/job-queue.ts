import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, JobsTable, JobStatus } from '../db/schema.js';
import { AppError, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { JobRegistry } from './job-registry.js';

export type JobRow = Selectable<JobsTable>;

export interface EnqueueOptions {
  priority?: number;
  runAt?: Date;
  /** A second enqueue with the same key returns the first job and adds nothing. */
  dedupeKey?: string;
  maxAttempts?: number;
}

/** A job as the API and CLI show it. */
export interface JobView {
  id: string;
  name: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** What a heartbeat learned: keep going, stop because cancelled, or stop because the lease moved on. */
export type LeaseState = 'held' | 'cancel_requested' | 'lost';

const UNIQUE_VIOLATION = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let lastJobId = '';

/**
 * A new job id, strictly greater than the previous one from this process: the
 * claim order breaks ties by id, so jobs queued in the same millisecond still
 * run first in, first out (newId's random part alone would shuffle them).
 */
function nextJobId(): string {
  let id = newId('job');
  if (id <= lastJobId) {
    const chars = lastJobId.split('');
    for (let i = chars.length - 1; i >= 0; i--) {
      const v = ID_ALPHABET.indexOf(chars[i] as string);
      if (v < 0) break;
      if (v < ID_ALPHABET.length - 1) {
        chars[i] = ID_ALPHABET[v + 1] as string;
        break;
      }
      chars[i] = '0';
    }
    id = chars.join('');
  }
  lastJobId = id;
  return id;
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return typeof code === 'string' && UNIQUE_VIOLATION.has(code);
}

/**
 * The durable queue: every state change of a job is one conditional UPDATE, so
 * any number of worker processes can share it. On PostgreSQL claims use
 * FOR UPDATE SKIP LOCKED; a unique partial index keeps one running job per
 * concurrency key across all processes.
 */
export class JobQueue {
  private readonly listeners = new Set<() => void>();
  /** Transactions that added jobs, to wake the workers once they commit. */
  private readonly pending = new WeakSet<Transaction<Database>>();

  constructor(
    private readonly db: Db,
    private readonly registry: JobRegistry,
    private readonly clock: () => number = Date.now,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Called after every enqueue so local workers wake without waiting for their poll. */
  onEnqueued(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Adds a job after validating its payload against the registered schema. */
  async enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<JobRow> {
    const row = await this.insert(this.db.kysely, name, payload, opts);
    this.announce();
    return row;
  }

  /**
   * Adds a job inside the caller's open transaction: it exists only if that
   * transaction commits, so rows and the job that acts on them never part.
   * Workers are woken by transaction(); a caller that opened the
   * transaction itself calls announce() after the commit.
   */
  async enqueueIn(trx: Transaction<Database>, name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<JobRow> {
    const row = await this.insert(trx, name, payload, opts);
    this.pending.add(trx);
    return row;
  }

  /**
   * Runs `fn` in one database transaction (the queue lives in the same
   * database for this); jobs it adds with enqueueIn(trx, …) wake the workers
   * once it has committed, and vanish with everything else if it throws.
   */
  async transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    let opened: Transaction<Database> | undefined;
    try {
      const result = await this.db.kysely.transaction().execute((trx) => {
        opened = trx;
        return fn(trx);
      });
      if (opened && this.pending.has(opened)) this.announce();
      return result;
    } finally {
      if (opened) this.pending.delete(opened);
    }
  }

  /** Tells local workers that jobs were added (after a commit), so they need not wait for their poll. */
  announce(): void {
    for (const fn of this.listeners) fn();
  }

  private async insert(db: Kysely<Database>, name: string, payload: unknown, opts: EnqueueOptions): Promise<JobRow> {
    const def = this.registry.get(name);
    if (!def) throw new AppError('invalid', 'job.unknown', `No job named ${name} is registered.`);
    const parsed = def.payload.safeParse(payload);
    if (!parsed.success) {
      throw new AppError('invalid', 'job.invalid_payload', `Invalid payload for job ${name}: ${parsed.error.message}`);
    }
    const now = this.now();
    const row: JobRow = {
      id: nextJobId(),
      name,
      payload: JSON.stringify(parsed.data),
      status: 'queued',
      priority: opts.priority ?? 0,
      run_at: opts.runAt ? opts.runAt.toISOString() : now,
      attempts: 0,
      max_attempts: opts.maxAttempts ?? def.maxAttempts ?? 5,
      concurrency_key: def.concurrencyKey?.(parsed.data) ?? null,
      dedupe_key: opts.dedupeKey ?? null,
      lease_owner: null,
      lease_until: null,
      cancel_requested: 0,
      last_error: null,
      result: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    try {
      if (row.dedupe_key) {
        const inserted = await db
          .insertInto('jobs')
          .values(row)
          .onConflict((oc) => oc.column('dedupe_key').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!inserted) {
          return await db.selectFrom('jobs').selectAll().where('dedupe_key', '=', row.dedupe_key).executeTakeFirstOrThrow();
        }
      } else {
        await db.insertInto('jobs').values(row).execute();
      }
    } catch (err) {
      throw new AppError('unavailable', 'job.enqueue_failed', `The job queue could not take the ${name} job; nothing was changed. Try again.`, { cause: err });
    }
    return row;
  }

  /**
   * Takes the most urgent runnable job for `owner`, or undefined. Skips jobs
   * whose concurrency key is already running; a lost race on that key retries.
   */
  async claim(owner: string, leaseMs: number, names: readonly string[]): Promise<JobRow | undefined> {
    if (names.length === 0) return undefined;
    for (let tries = 0; tries < 5; tries++) {
      const now = this.now();
      const leaseUntil = new Date(this.clock() + leaseMs).toISOString();
      try {
        const claimed = await this.db.kysely
          .updateTable('jobs')
          .set((eb) => ({
            status: 'running',
            attempts: eb('attempts', '+', 1),
            lease_owner: owner,
            lease_until: leaseUntil,
            updated_at: now,
          }))
          .where('id', '=', (eb) =>
            eb
              .selectFrom('jobs as j')
              .select('j.id')
              .where('j.status', '=', 'queued')
              .where('j.run_at', '<=', now)
              .where('j.name', 'in', names)
              .where((w) =>
                w.or([
                  w('j.concurrency_key', 'is', null),
                  w.not(
                    w.exists(
                      w
                        .selectFrom('jobs as r')
                        .select('r.id')
                        .where('r.status', '=', 'running')
                        .whereRef('r.concurrency_key', '=', 'j.concurrency_key'),
                    ),
                  ),
                ]),
              )
              .orderBy('j.priority', 'desc')
              .orderBy('j.run_at')
              .orderBy('j.id')
              .limit(1)
              .$if(this.db.dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
          )
          .where('status', '=', 'queued')
          .returningAll()
          .executeTakeFirst();
        return claimed;
      } catch (err) {
        if (isUniqueViolation(err)) continue;
        throw err;
      }
    }
    return undefined;
  }

  /** Extends the lease while `owner` still holds it; says whether to go on. */
  async heartbeat(id: string, owner: string, leaseMs: number): Promise<LeaseState> {
    const row = await this.db.kysely
      .updateTable('jobs')
      .set({ lease_until: new Date(this.clock() + leaseMs).toISOString(), updated_at: this.now() })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .returning('cancel_requested')
      .executeTakeFirst();
    if (!row) return 'lost';
    return row.cancel_requested ? 'cancel_requested' : 'held';
  }

  /** Marks the job done, only if `owner` still holds it. */
  async complete(id: string, owner: string, result: unknown): Promise<boolean> {
    const now = this.now();
    const res = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'succeeded',
        result: result === undefined ? null : JSON.stringify(result),
        lease_owner: null,
        lease_until: null,
        updated_at: now,
        finished_at: now,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Records a failed attempt: back to the queue after `retryInMs`, or kept as failed when attempts are spent or `final`. */
  async fail(id: string, owner: string, error: string, retryInMs: number, final = false): Promise<JobStatus | undefined> {
    const now = this.now();
    const row = await this.db.kysely
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (!row) return undefined;
    const retry = !final && row.attempts < row.max_attempts;
    await this.db.kysely
      .updateTable('jobs')
      .set({
        status: retry ? 'queued' : 'failed',
        last_error: error.slice(0, 8000),
        run_at: retry ? new Date(this.clock() + retryInMs).toISOString() : now,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
        finished_at: retry ? null : now,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
    return retry ? 'queued' : 'failed';
  }

  /** Ends a running job as cancelled (after its handler stopped). */
  async markCancelled(id: string, owner: string, reason: string): Promise<void> {
    const now = this.now();
    await this.db.kysely
      .updateTable('jobs')
      .set({ status: 'cancelled', last_error: reason, lease_owner: null, lease_until: null, updated_at: now, finished_at: now })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Gives a running job back to the queue without counting the attempt (graceful shutdown). */
  async release(id: string, owner: string): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        attempts: eb('attempts', '-', 1),
        lease_owner: null,
        lease_until: null,
        updated_at: this.now(),
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .execute();
  }

  /**
   * Cancels a job: a queued one at once; a running one is asked to stop and
   * ends cancelled when its handler returns. Finished jobs answer a conflict.
   */
  async cancel(id: string): Promise<JobRow> {
    const now = this.now();
    await this.db.kysely
      .updateTable('jobs')
      .set({ status: 'cancelled', updated_at: now, finished_at: now, last_error: 'cancelled before it ran' })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .execute();
    await this.db.kysely
      .updateTable('jobs')
      .set({ cancel_requested: 1, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
    const row = await this.get(id);
    if (row.status === 'succeeded' || row.status === 'failed') {
      throw new AppError('conflict', 'job.finished', `Job ${id} already ended as ${row.status}.`);
    }
    return row;
  }

  /**
   * Takes back jobs whose worker stopped renewing the lease (it died): they run
   * again, or are kept as failed when their attempts are spent. Returns how many.
   */
  async reapExpiredLeases(): Promise<number> {
    const now = this.now();
    const expired = await this.db.kysely
      .selectFrom('jobs')
      .select(['id', 'lease_owner', 'attempts', 'max_attempts', 'cancel_requested'])
      .where('status', '=', 'running')
      .where('lease_until', '<', now)
      .execute();
    let n = 0;
    for (const job of expired) {
      const spent = job.attempts >= job.max_attempts;
      const status: JobStatus = job.cancel_requested ? 'cancelled' : spent ? 'failed' : 'queued';
      const res = await this.db.kysely
        .updateTable('jobs')
        .set({
          status,
          last_error: `The worker ${job.lease_owner ?? '?'} stopped renewing its lease (it crashed or was killed).`,
          lease_owner: null,
          lease_until: null,
          run_at: now,
          updated_at: now,
          finished_at: status === 'queued' ? null : now,
        })
        .where('id', '=', job.id)
        .where('status', '=', 'running')
        .where('lease_owner', '=', job.lease_owner)
        .executeTakeFirst();
      n += Number(res.numUpdatedRows);
    }
    return n;
  }

  /** One job by id. */
  async get(id: string): Promise<JobRow> {
    const row = await this.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('job', id);
    return row;
  }

  /** Job counts by status, for metrics. */
  async countByStatus(): Promise<Record<JobStatus, number>> {
    const rows = await this.db.kysely
      .selectFrom('jobs')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const out: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  /** Deletes finished jobs older than `olderThanMs`; failed ones are kept twice as long. */
  async prune(olderThanMs: number): Promise<number> {
    const cutoff = new Date(this.clock() - olderThanMs).toISOString();
    const failedCutoff = new Date(this.clock() - 2 * olderThanMs).toISOString();
    const res = await this.db.kysely
      .deleteFrom('jobs')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', 'in', ['succeeded', 'cancelled']), eb('finished_at', '<', cutoff)]),
          eb.and([eb('status', '=', 'failed'), eb('finished_at', '<', failedCutoff)]),
        ]),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

/** The public shape of a job row. */
export function presentJob(row: JobRow): JobView {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
