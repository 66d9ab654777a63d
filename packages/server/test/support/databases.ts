import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/config.js';

/** The PostgreSQL server scripts/postgres.sh starts for the tests. */
export const TEST_PG_URL = process.env.DEVFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';

export type DialectName = 'sqlite' | 'postgres';
export const dialects: DialectName[] = ['sqlite', 'postgres'];

/** A fresh, empty database of the given kind, and how to drop it. */
export interface TestDatabase {
  config: DatabaseConfig;
  /** A scratch directory for the data dir (key file). */
  dataDir: string;
  /** DATABASE_URL value a child process would use. */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database: a temp SQLite file, or a new PostgreSQL database on the test server. */
export async function createTestDatabase(kind: DialectName): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-test-'));
  if (kind === 'sqlite') {
    const file = path.join(dataDir, 'devflow.sqlite');
    return {
      config: { kind: 'sqlite', file },
      dataDir,
      url: `sqlite:${file}`,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `devflow_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgres', url: url.toString() },
    dataDir,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
