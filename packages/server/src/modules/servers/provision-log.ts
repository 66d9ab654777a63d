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
 * The streamed log of a provisioning run: append-only rows (one per line,
 * never a growing blob) written in small batches, each batch also published
 * as a `server.provision.log` event. Secrets it was given are masked.
 */
export class ProvisionLog {
  private seq = 0;
  private pending: PendingLine[] = [];
  private partial = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly run: { id: string; serverId: string; organizationId: string },
    private readonly secrets: readonly string[] = [],
    private readonly flushMs = 200,
  ) {}

  /** Continues numbering after lines an earlier attempt wrote. */
  async resume(): Promise<void> {
    const row = await this.db.kysely
      .selectFrom('server_provision_log_lines')
      .select((eb) => eb.fn.max('seq').as('max'))
      .where('run_id', '=', this.run.id)
      .executeTakeFirst();
    this.seq = Number(row?.max ?? 0);
  }

  /** Adds whole lines. */
  line(step: string, stream: LogStream, text: string): void {
    for (const l of text.split('\n')) this.push(step, stream, l);
  }

  /** Adds a chunk of streamed output; a trailing partial line waits for the rest. */
  chunk(step: string, stream: LogStream, text: string): void {
    const key = `${step}\0${stream}`;
    const lines = ((this.partial.get(key) ?? '') + text).split('\n');
    this.partial.set(key, lines.pop() ?? '');
    for (const l of lines) this.push(step, stream, l);
  }

  /** Writes out partial lines of a step's streams (its command ended). */
  endStep(step: string): void {
    for (const [key, rest] of this.partial) {
      const [s, stream] = key.split('\0') as [string, LogStream];
      if (s !== step) continue;
      if (rest) this.push(s, stream, rest);
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
    this.flushing = this.flushing.then(async () => {
      if (!batch.length) return;
      await this.db.kysely
        .insertInto('server_provision_log_lines')
        .values(batch.map((l) => ({ run_id: this.run.id, ...l })))
        .execute();
      await this.bus.publish({
        type: 'server.provision.log',
        organizationId: this.run.organizationId,
        payload: { serverId: this.run.serverId, runId: this.run.id, lines: batch },
      });
    }).catch(() => undefined);
    return this.flushing;
  }
}
