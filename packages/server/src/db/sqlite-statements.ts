import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Row = Record<string, unknown>;

/**
 * What Kysely's SQLite dialect sees of better-sqlite3, made cheaper for
 * repeated queries: prepared statements are kept by their SQL text (Kysely
 * prepares every query anew, and preparing is a large part of a small query),
 * and rows are read as arrays and turned into objects by a function compiled
 * per statement: better-sqlite3 builds each row object key by key from C++,
 * which cost about twice as much on a 100-row page of audit events.
 */
export class CachedSqliteDatabase implements SqliteDatabase {
  private readonly cache = new Map<string, SqliteStatement>();

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly max = 500,
  ) {}

  close(): void {
    this.sqlite.close();
  }

  prepare(sql: string): SqliteStatement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = rowsAsObjects(this.sqlite.prepare(sql));
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

function rowsAsObjects(stmt: SQLite.Statement): SqliteStatement {
  if (!stmt.reader) return stmt;
  stmt.raw(true);
  let width = -1;
  let build: (r: unknown[]) => Row = () => ({});
  // SQLite re-prepares a statement whose table changed (a migration by another process): a row of
  // another width rebuilds the function from the statement's current columns.
  const toObject = (r: unknown[]): Row => {
    if (r.length !== width) {
      const names = stmt.columns().map((c) => c.name);
      width = names.length;
      // Same keys in the same order as better-sqlite3's objects (a repeated name keeps its last value).
      // The keys are JSON-quoted column names: no request data reaches this code.
      build = new Function('r', `return {${names.map((n, i) => `${JSON.stringify(n)}: r[${i}]`).join(', ')}};`) as (r: unknown[]) => Row;
    }
    return build(r);
  };
  return {
    reader: true,
    all(parameters) {
      const rows = stmt.all(parameters) as unknown[][];
      const out = new Array<Row>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = toObject(rows[i] as unknown[]);
      return out;
    },
    run: (parameters) => stmt.run(parameters),
    *iterate(parameters) {
      for (const r of stmt.iterate(parameters) as IterableIterator<unknown[]>) yield toObject(r);
    },
  };
}
