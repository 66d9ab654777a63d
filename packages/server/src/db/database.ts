import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider, type Transaction } from 'kysely';
import type pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import { allMigrations } from './migrations/index.js';
import type { Database } from './schema.js';
import { CachedSqliteDatabase } from './sqlite-statements.js';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: the query builder, which engine it is, and how to close it. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** Only for PostgreSQL: the pool (made on first use, shared with Kysely), for LISTEN/NOTIFY clients. */
  readonly pool: (() => Promise<pg.Pool>) | undefined;
  destroy(): Promise<void>;
}

/**
 * The same database seen through one open transaction: services built on the
 * result read and write inside it, so a command can reuse them and still
 * commit or roll back everything at once. On SQLite this is required, not
 * just tidy: the one connection is held by the transaction, and a query
 * through the outer Kysely would wait for it forever.
 */
export function withinTransaction(db: Db, trx: Transaction<Database>): Db {
  return {
    kysely: trx,
    dialect: db.dialect,
    pool: db.pool,
    destroy: () => Promise.reject(new Error('A transaction-scoped database cannot be closed.')),
  };
}

/**
 * Runs `fn` in a transaction, or directly inside the one `kysely` already is
 * (Kysely does not nest transactions): a service's own transaction then
 * becomes part of its caller's.
 */
export function transact<T>(kysely: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return kysely.isTransaction ? fn(kysely) : kysely.transaction().execute(fn);
}

/** Opens SQLite (WAL, foreign keys on) or a PostgreSQL pool (pg is loaded, and the pool made, at the first query). */
export function openDatabase(config: DatabaseConfig, opts: { poolSize?: number } = {}): Db {
  if (config.kind === 'postgres') {
    let made: Promise<pg.Pool> | undefined;
    let endedByKysely = false;
    const pool = () => (made ??= import('./postgres.js').then((m) => m.createPool(config.url, opts.poolSize ?? 10)));
    const dialect = new PostgresDialect({
      pool: () => {
        endedByKysely = true; // Kysely ends the pool it was given in destroy()
        return pool();
      },
    });
    const kysely = new Kysely<Database>({ dialect });
    const destroy = async () => {
      await kysely.destroy();
      if (made && !endedByKysely) await (await made).end();
    };
    return { kysely, dialect: 'postgres', pool, destroy };
  }
  fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: new CachedSqliteDatabase(sqlite) }) });
  return { kysely, dialect: 'sqlite', pool: undefined, destroy: () => kysely.destroy() };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.migrations);
  }
}

/** Applies every pending migration; returns the names applied. Safe to call from several processes on PostgreSQL. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: new StaticProvider(
      allMigrations({ dialect: db.dialect, serialId: db.dialect === 'sqlite' ? 'integer' : 'bigserial' }),
    ),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? '?'} failed: ${String((error as Error).message ?? error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
