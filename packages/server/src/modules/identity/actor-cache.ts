import type { Actor } from './actor.js';

interface Entry {
  actor: Actor;
  /** When the token itself expires (ms since epoch, by the identity clock), or null. */
  tokenExpiresAt: number | null;
  storedAt: number;
}

/**
 * Actors of API tokens by token hash, kept for a few seconds so a busy token
 * skips the token, user and membership reads on every request.
 * Anything that changes who may do what calls `clear()` (every unsafe API
 * request does, and PostgreSQL notifications from other processes); the
 * short lifetime bounds what a change made outside the API (the CLI) can miss.
 */
export class ActorCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly ttlMs = 3000,
    private readonly max = 10_000,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** The cached actor of a token hash, unless older than the lifetime. */
  get(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.monotonic() - e.storedAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Marks the start of a load; `set` stores nothing if a `clear()` happened since (the load may be stale). */
  begin(): number {
    return this.generation;
  }

  set(key: string, generation: number, actor: Actor, tokenExpiresAt: number | null): void {
    if (generation !== this.generation || this.ttlMs <= 0) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { actor, tokenExpiresAt, storedAt: this.monotonic() });
  }

  /** Forgets every actor: the next request of each token reads the database again. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
