import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/support/databases.js';
import { migrateToLatest, openDatabase, type Db } from './database.js';
import { allMigrations } from './migrations/index.js';

/** Tables of the core model (ARCHITECTURE.md "Where things go in the database"). */
const coreTables = [
  'organizations',
  'users',
  'memberships',
  'sessions',
  'api_tokens',
  'ssh_keys',
  'servers',
  'projects',
  'environments',
  'environment_servers',
  'env_vars',
  'deployments',
  'deployment_steps',
  'deployment_log_lines',
  'releases',
  'domains',
  'certificates',
  'audit_events',
  'jobs',
  'settings',
  'events',
];

const migrationNames = Object.keys(allMigrations({ dialect: 'sqlite', serialId: 'integer' }));

/** A fresh empty database per test; `connect()` opens it (again) like a new process would. */
function withDatabase(kind: 'sqlite' | 'postgres', body: (ctx: { connect: () => Db }) => Promise<void>) {
  return async () => {
    const testDb = await createTestDatabase(kind);
    const open: Db[] = [];
    const connect = () => {
      const db = openDatabase(testDb.config);
      open.push(db);
      return db;
    };
    try {
      await body({ connect });
    } finally {
      await Promise.allSettled(open.map((db) => db.destroy()));
      await testDb.drop();
    }
  };
}

describe.concurrent.each(dialects)('migrations on %s', (kind) => {
  it('builds every table from an empty database, and a second run applies nothing', withDatabase(kind, async ({ connect }) => {
    const db = connect();
    expect(db.dialect).toBe(kind);

    const applied = await migrateToLatest(db);
    expect(applied).toEqual(migrationNames);

    const tables = (await db.kysely.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(coreTables));

    expect(await migrateToLatest(db)).toEqual([]);
    // A fresh connection (a restarted process) also finds nothing to do.
    expect(await migrateToLatest(connect())).toEqual([]);
  }));

  it('gives the tables working keys and constraints: serial ids, unique dedupe keys, one running job per key', withDatabase(kind, async ({ connect }) => {
    const db = connect();
    await migrateToLatest(db);
    const now = new Date().toISOString();

    const first = await db.kysely
      .insertInto('events')
      .values({ type: 't', organization_id: null, payload: '{}', created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const second = await db.kysely
      .insertInto('events')
      .values({ type: 't', organization_id: null, payload: '{}', created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(typeof first.id).toBe('number');
    expect(second.id).toBeGreaterThan(first.id);

    const job = (id: string, extra: { status?: 'queued' | 'running'; concurrency_key?: string; dedupe_key?: string }) => ({
      id,
      name: 'x',
      payload: '{}',
      status: extra.status ?? 'queued',
      priority: 0,
      run_at: now,
      attempts: 0,
      max_attempts: 1,
      concurrency_key: extra.concurrency_key ?? null,
      dedupe_key: extra.dedupe_key ?? null,
      lease_owner: null,
      lease_until: null,
      cancel_requested: 0,
      last_error: null,
      result: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    });
    await db.kysely.insertInto('jobs').values(job('j1', { dedupe_key: 'd' })).execute();
    await expect(db.kysely.insertInto('jobs').values(job('j2', { dedupe_key: 'd' })).execute()).rejects.toThrow();

    await db.kysely.insertInto('jobs').values(job('r1', { status: 'running', concurrency_key: 'env-1' })).execute();
    // Queued jobs may share a key; only one may be running.
    await db.kysely.insertInto('jobs').values(job('q1', { concurrency_key: 'env-1' })).execute();
    await expect(
      db.kysely.insertInto('jobs').values(job('r2', { status: 'running', concurrency_key: 'env-1' })).execute(),
    ).rejects.toThrow();
    await db.kysely.insertInto('jobs').values(job('r3', { status: 'running', concurrency_key: 'env-2' })).execute();

    const count = await sql<{ n: number }>`select count(*) as n from jobs`.execute(db.kysely);
    expect(Number(count.rows[0]?.n)).toBe(4);
  }));
});

describe.concurrent('migrations on postgres from several processes at once', () => {
  it('apply exactly once when four processes start together on an empty database', withDatabase('postgres', async ({ connect }) => {
    const dbs = [1, 2, 3, 4].map(() => connect());
    const results = await Promise.all(dbs.map((db) => migrateToLatest(db)));
    expect(results.flat().sort()).toEqual([...migrationNames].sort());
    const tables = (await dbs[0]!.kysely.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(coreTables));
  }));
});
