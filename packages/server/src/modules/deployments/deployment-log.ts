import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import { redactText } from '../../adapters/ssh/ssh-errors.js';
import { LineLog, type LogLine } from '../../lib/line-log.js';

export type { LogStream } from '../../lib/line-log.js';

/**
 * Secrets to mask in a log: every value given (for variables, those
 * core/deploy/log-mask.ts picks), and every line of multi-line values
 * (a private key printed line by line is still caught). Values shorter than
 * 3 characters (`1`, `on`) are not masked: they would blank out the log.
 */
export function maskList(values: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (!v) continue;
    if (v.length >= 3) out.add(v);
    for (const line of v.split(/\r?\n/)) if (line.trim().length >= 6) out.add(line.trim());
  }
  // Longest first, so a value containing another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * The log of a deployment: rows in deployment_log_lines, each batch also
 * published as a `deployment.log` event. Every line is masked with the
 * secrets it was given before it is stored or sent.
 */
export class DeploymentLog extends LineLog {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly deployment: { id: string; organizationId: string; environmentId: string },
    flushMs = 150,
  ) {
    super(flushMs);
  }

  /** Adds values to mask from now on. */
  mask(values: Iterable<string>): void {
    this.secrets = maskList([...this.secrets, ...values]);
  }

  /** Masks the secrets this log knows in any text (step notes, errors). */
  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  /** Continues numbering after lines an earlier attempt wrote. */
  async resume(): Promise<void> {
    const row = await this.db.kysely
      .selectFrom('deployment_log_lines')
      .select((eb) => eb.fn.max('seq').as('max'))
      .where('deployment_id', '=', this.deployment.id)
      .executeTakeFirst();
    this.seq = Number(row?.max ?? 0);
  }

  /** Writes out partial lines left by a command that ended. */
  endCommand(step: string, prefix = ''): void {
    this.endPartials(step, prefix);
  }

  protected async store(batch: LogLine[]): Promise<void> {
    await this.db.kysely
      .insertInto('deployment_log_lines')
      .values(batch.map((l) => ({ deployment_id: this.deployment.id, ...l })))
      .execute();
    await this.bus.publish({
      type: 'deployment.log',
      organizationId: this.deployment.organizationId,
      payload: { deploymentId: this.deployment.id, environmentId: this.deployment.environmentId, lines: batch },
    });
  }
}
