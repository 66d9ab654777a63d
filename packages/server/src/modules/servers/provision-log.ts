import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import { LineLog, type LogLine } from '../../lib/line-log.js';

export type { LogStream } from '../../lib/line-log.js';

/**
 * The streamed log of a provisioning run: rows in server_provision_log_lines,
 * each batch also published as a `server.provision.log` event. Secrets it was
 * given are masked.
 */
export class ProvisionLog extends LineLog {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly run: { id: string; serverId: string; organizationId: string },
    secrets: readonly string[] = [],
    flushMs = 200,
  ) {
    super(flushMs);
    this.secrets = secrets;
  }

  /** Continues numbering after lines an earlier attempt wrote. */
  async resume(): Promise<void> {
    const row = await this.db.kysely
      .selectFrom('server_provision_log_lines')
      .select((eb) => eb.fn.max('seq').as('max'))
      .where('run_id', '=', this.run.id)
      .executeTakeFirst();
    this.seq = Number(row?.max ?? 0);
  }

  /** Writes out partial lines of a step's streams (its command ended). */
  endStep(step: string): void {
    this.endPartials(step);
  }

  protected async store(batch: LogLine[]): Promise<void> {
    await this.db.kysely
      .insertInto('server_provision_log_lines')
      .values(batch.map((l) => ({ run_id: this.run.id, ...l })))
      .execute();
    await this.bus.publish({
      type: 'server.provision.log',
      organizationId: this.run.organizationId,
      payload: { serverId: this.run.serverId, runId: this.run.id, lines: batch },
    });
  }
}
