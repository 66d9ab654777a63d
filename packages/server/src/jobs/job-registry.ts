import type { z } from 'zod';

/** What a running job handler is given besides its payload. */
export interface JobContext {
  jobId: string;
  attempt: number;
  /** Aborted when the job is cancelled, times out, loses its lease, or the worker shuts down. */
  signal: AbortSignal;
  /** Appends a line to the worker log with the job's id. */
  log(message: string): void;
}

/** One kind of job: its name, payload schema, handler and retry policy. */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  payload: S;
  handler(payload: z.output<S>, ctx: JobContext): Promise<unknown>;
  /** Attempts before the job is kept as failed (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt (default 1 s, capped at 10 min). */
  backoffMs?: number;
  /** Time limit of one attempt (default 15 min). */
  timeoutMs?: number;
  /** Jobs with the same key never run at the same time, e.g. one deployment per environment. */
  concurrencyKey?(payload: z.output<S>): string | undefined;
}

/** Declares a job with its payload type inferred from the schema. */
export function defineJob<S extends z.ZodType>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

/** The typed registry: job name → definition. Enqueueing an unknown name is refused. */
export class JobRegistry {
  private readonly defs = new Map<string, JobDefinition>();

  register<S extends z.ZodType>(def: JobDefinition<S>): this {
    if (this.defs.has(def.name)) throw new Error(`Job ${def.name} is registered twice.`);
    this.defs.set(def.name, def as unknown as JobDefinition);
    return this;
  }

  get(name: string): JobDefinition | undefined {
    return this.defs.get(name);
  }

  names(): string[] {
    return [...this.defs.keys()];
  }
}
