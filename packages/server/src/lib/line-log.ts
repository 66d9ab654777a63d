import { redactText } from '../adapters/ssh/ssh-errors.js';

export type LogStream = 'stdout' | 'stderr' | 'system';

/** One stored log line. */
export interface LogLine {
  seq: number;
  at: string;
  step: string;
  stream: LogStream;
  line: string;
}

/**
 * A streamed command log kept as append-only rows, one per line (never a
 * growing blob): chunks are cut into whole lines (so masking sees whole
 * values), every line is masked, and lines are stored and published in small
 * batches, in order. Subclasses say where a batch goes.
 */
export abstract class LineLog {
  protected seq = 0;
  protected secrets: readonly string[] = [];
  private pending: LogLine[] = [];
  private partial = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly flushMs: number) {}

  /** Stores and publishes one batch (called in order, one at a time). */
  protected abstract store(batch: LogLine[]): Promise<void>;

  /** Adds whole lines. */
  line(step: string, stream: LogStream, text: string): void {
    for (const l of text.split('\n')) this.push(step, stream, l);
  }

  /** Adds a chunk of streamed output; a trailing partial line waits for the rest. */
  chunk(step: string, stream: LogStream, text: string, prefix = ''): void {
    const key = `${step}\0${stream}\0${prefix}`;
    const lines = ((this.partial.get(key) ?? '') + text).split('\n');
    this.partial.set(key, lines.pop() ?? '');
    for (const l of lines) this.push(step, stream, prefix + l);
  }

  /** Writes out the partial lines of a step's command that ended (all its prefixes when none is given). */
  protected endPartials(step: string, prefix?: string): void {
    for (const [key, rest] of this.partial) {
      const [s, stream, p] = key.split('\0') as [string, LogStream, string];
      if (s !== step || (prefix !== undefined && p !== prefix)) continue;
      if (rest) this.push(s, stream, p + rest);
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
        if (batch.length) await this.store(batch);
      })
      .catch(() => undefined);
    return this.flushing;
  }
}
