/** Failures of one key, forgotten once `windowMs` passed since the last one. */
interface Failures {
  count: number;
  lastAt: number;
}

/** How one kind of key slows down: free failures, then a delay that doubles per failure up to a cap. */
export interface BackoffPolicy {
  /** Failures allowed before any delay. */
  free: number;
  /** The first delay; each further failure doubles it. */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

export interface LoginThrottleOptions {
  /** Per (account, address): the guesser's own address is slowed hard. */
  pair: BackoffPolicy;
  /** Per account, from every address: a short slowdown that a second factor passes. */
  account: BackoffPolicy;
  /** Failures older than this (since the key's last failure) are forgotten. */
  windowMs: number;
  /** Keys kept per map; past that the least recently failed go first. */
  maxKeys: number;
  clock: () => number;
}

/** What the throttle says about an attempt before the credentials are checked (0: no wait). */
export interface ThrottleVerdict {
  /** This address has failed too often for this account: refuse whatever it sends. */
  pairRetryMs: number;
  /** The account is being guessed at from many places: only password plus second factor may pass. */
  accountRetryMs: number;
}

export const defaultLoginThrottle: Omit<LoginThrottleOptions, 'clock'> = {
  pair: { free: 5, baseMs: 2_000, maxMs: 15 * 60_000 },
  account: { free: 10, baseMs: 1_000, maxMs: 30_000 },
  windowMs: 15 * 60_000,
  maxKeys: 20_000,
};

/** A map bounded by count that drops its least recently touched entries first (Map keeps insertion order). */
class RecentFailures {
  private readonly entries = new Map<string, Failures>();
  constructor(
    private readonly maxKeys: number,
    private readonly windowMs: number,
  ) {}

  get(key: string, now: number): Failures | undefined {
    const f = this.entries.get(key);
    if (f && now - f.lastAt >= this.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return f;
  }

  add(key: string, now: number): void {
    const count = (this.get(key, now)?.count ?? 0) + 1;
    this.entries.delete(key); // re-insert at the end: most recent
    this.entries.set(key, { count, lastAt: now });
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

function retryMs(f: Failures | undefined, policy: BackoffPolicy, now: number): number {
  if (!f || f.count < policy.free) return 0;
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** (f.count - policy.free));
  return Math.max(0, f.lastAt + delay - now);
}

/**
 * Sign-in throttle, pure and clock-injected. Failures are counted per
 * (account, address) with growing delays, so a guesser slows only itself,
 * and per account with a short capped slowdown, so guessing from many
 * addresses gets few tries while the owner with a second factor still gets in.
 * Memory is bounded by evicting the least recently failed keys, never by
 * forgetting everything at once.
 */
export class LoginThrottle {
  private readonly pairs: RecentFailures;
  private readonly accounts: RecentFailures;

  constructor(private readonly o: LoginThrottleOptions) {
    this.pairs = new RecentFailures(o.maxKeys, o.windowMs);
    this.accounts = new RecentFailures(o.maxKeys, o.windowMs);
  }

  private static pairKey(account: string, address: string): string {
    return `${account}\n${address}`;
  }

  /** Says how long this attempt must wait, per address and per account. */
  check(account: string, address: string): ThrottleVerdict {
    const now = this.o.clock();
    return {
      pairRetryMs: retryMs(this.pairs.get(LoginThrottle.pairKey(account, address), now), this.o.pair, now),
      accountRetryMs: retryMs(this.accounts.get(account, now), this.o.account, now),
    };
  }

  /** Records a failed password or second factor. */
  fail(account: string, address: string): void {
    const now = this.o.clock();
    this.pairs.add(LoginThrottle.pairKey(account, address), now);
    this.accounts.add(account, now);
  }

  /** A full sign-in succeeded: this address and the account start afresh. */
  succeed(account: string, address: string): void {
    this.pairs.delete(LoginThrottle.pairKey(account, address));
    this.accounts.delete(account);
  }

  /** Keys held (tests of the memory bound). */
  get size(): { pairs: number; accounts: number } {
    return { pairs: this.pairs.size, accounts: this.accounts.size };
  }
}
