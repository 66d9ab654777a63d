import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CachedSqliteDatabase } from './sqlite-statements.js';

describe('CachedSqliteDatabase', () => {
  it('returns the rows better-sqlite3 returns, follows a changed table, and reuses statements', () => {
    const sqlite = new SQLite(':memory:');
    sqlite.exec(`create table t (id text primary key, n integer, note text); insert into t values ('a', 1, null), ('b', 2, 'x')`);
    const db = new CachedSqliteDatabase(sqlite);
    const sql = 'select t.*, t.n as "id" from t order by t.id';
    expect(db.prepare(sql).all([])).toEqual(sqlite.prepare(sql).all());
    expect(db.prepare(sql)).toBe(db.prepare(sql));
    const all = 'select * from t where n >= ?';
    expect(db.prepare(all).all([2])).toEqual([{ id: 'b', n: 2, note: 'x' }]);
    sqlite.exec(`alter table t add column extra text default 'e'`);
    expect(db.prepare(all).all([2])).toEqual([{ id: 'b', n: 2, note: 'x', extra: 'e' }]);
    expect([...db.prepare(all).iterate([1])]).toHaveLength(2);
    expect(db.prepare(`insert into t (id, n) values (?, ?)`).run(['c', 3]).changes).toBe(1);
    db.close();
  });
});
