import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import { redactText } from '../../adapters/ssh/ssh-errors.js';

export type LogStream = 'stdout' | 'stderr' | 'system';

interface PendingLine {
  seq: number;
  at: string;
  step: string;
  stream: LogStream;
  line: string;
}

/**
 * Secrets to mask in a log: every value, and every line of multi-line values
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
 * The log of a deployment: append-only rows, one per line, written in small
 * batches; each batch is also published as a `deployment.log` event. Every
 * line is masked with the secrets it was given before it is stored or sent.
 */
export class DeploymentLog {
  private seq = 0;
  private pending: PendingLine[] = [];
  private partial = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private secrets: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly deployment: { id: string; organizationId: string; environmentId: string },
    private readonly flushMs = 150,
  ) {}

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

  /** Adds whole lines. */
  line(step: string, stream: LogStream, text: string): void {
    for (const l of text.split('\n')) this.push(step, stream, l);
  }

  /** Adds a chunk of streamed output; a trailing partial line waits for the rest (masking sees whole lines). */
  chunk(step: string, stream: LogStream, text: string, prefix = ''): void {
    const key = `${step}\0${stream}\0${prefix}`;
    const lines = ((this.partial.get(key) ?? '') + text).split('\n');
    this.partial.set(key, lines.pop() ?? '');
    for (const l of lines) this.push(step, stream, prefix + l);
  }

  /** Writes out partial lines left by a command that ended. */
  endCommand(step: string, prefix = ''): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${step}\0${stream}\0${prefix}`;
      const rest = this.partial.get(key);
      if (rest) this.push(step, stream, prefix + rest);
      this.partial.delete(key);
    }
  }

  private push(step: string, stream: LogStream, raw: string): void {
    const line = redactText(raw.replace(/\r$/, ''), this.secrets).slice(0, 4000);
    this.pending.push({ seq: ++this.seq, at: new Date().toISOString(), step, stream, line });
    if (this.pending.length >= 200) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Stores and publishes what is pending; resolves when every earlier line is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing
      .then(async () => {
        if (!batch.length) return;
        await this.db.kysely
          .insertInto('deployment_log_lines')
          .values(batch.map((l) => ({ deployment_id: this.deployment.id, ...l })))
          .execute();
        await this.bus.publish({
          type: 'deployment.log',
          organizationId: this.deployment.organizationId,
          payload: { deploymentId: this.deployment.id, environmentId: this.deployment.environmentId, lines: batch },
        });
      })
      .catch(() => undefined);
    return this.flushing;
  }
}
