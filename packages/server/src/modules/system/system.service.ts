import type { Health } from '@devflow/contracts';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';

/** What the control plane says about itself: liveness and version. */
export class SystemService {
  constructor(
    private readonly db: Db,
    private readonly version: string,
  ) {}

  /** The health document; throws `system.database_unavailable` when the database does not answer. */
  async health(): Promise<Health> {
    try {
      await sql`select 1`.execute(this.db.kysely);
    } catch (err) {
      throw new AppError('unavailable', 'system.database_unavailable', 'The database does not answer.', { cause: err });
    }
    return { status: 'ok', database: this.db.dialect, version: this.version };
  }
}
