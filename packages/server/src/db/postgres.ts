import pg from 'pg';

// int8 (bigserial ids, counts) as JS numbers: every id we keep is far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * A PostgreSQL pool. In its own module so that `database.ts` imports pg only
 * when the configuration asks for PostgreSQL: on SQLite, pg and the node
 * modules it pulls in (net, tls, dns) are never loaded (see bench/idle-rss.ts).
 */
export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}
