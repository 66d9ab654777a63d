import { describe, expect, it } from 'vitest';
import { LoginThrottle, type LoginThrottleOptions } from './throttle.js';

function throttle(over: Partial<LoginThrottleOptions> = {}) {
  let now = 1_000_000;
  const t = new LoginThrottle({
    pair: { free: 3, baseMs: 1_000, maxMs: 60_000 },
    account: { free: 6, baseMs: 1_000, maxMs: 10_000 },
    windowMs: 600_000,
    maxKeys: 100,
    clock: () => now,
    ...over,
  });
  return { t, advance: (ms: number) => (now += ms) };
}

describe('LoginThrottle', () => {
  it('lets an address fail a few times, then makes it wait longer after each failure', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 3; i++) {
      expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBe(0);
      t.fail('a@x', '198.51.100.1');
    }
    expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBe(1_000);
    advance(1_000);
    expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBe(0);
    t.fail('a@x', '198.51.100.1');
    expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBe(2_000);
    advance(2_000);
    t.fail('a@x', '198.51.100.1');
    expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBe(4_000);
  });

  it('caps the delay and forgets failures after the window', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 30; i++) t.fail('a@x', '198.51.100.1');
    expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBe(60_000);
    advance(600_000);
    expect(t.check('a@x', '198.51.100.1')).toEqual({ pairRetryMs: 0, accountRetryMs: 0 });
  });

  it("does not hold one address's failures against another address of the same account", () => {
    const { t } = throttle();
    for (let i = 0; i < 5; i++) t.fail('a@x', '198.51.100.1');
    expect(t.check('a@x', '198.51.100.1').pairRetryMs).toBeGreaterThan(0);
    expect(t.check('a@x', '203.0.113.9').pairRetryMs).toBe(0);
    expect(t.check('b@x', '198.51.100.1').pairRetryMs).toBe(0);
  });

  it('slows the account, briefly and capped, when it fails from many addresses', () => {
    const { t } = throttle();
    for (let i = 0; i < 6; i++) t.fail('a@x', `198.51.100.${i}`);
    const fresh = t.check('a@x', '203.0.113.9');
    expect(fresh.pairRetryMs).toBe(0);
    expect(fresh.accountRetryMs).toBe(1_000);
    for (let i = 0; i < 50; i++) t.fail('a@x', `192.0.2.${i}`);
    expect(t.check('a@x', '203.0.113.9').accountRetryMs).toBe(10_000);
  });

  it('starts afresh after a success', () => {
    const { t } = throttle();
    for (let i = 0; i < 10; i++) t.fail('a@x', '198.51.100.1');
    t.succeed('a@x', '198.51.100.1');
    expect(t.check('a@x', '198.51.100.1')).toEqual({ pairRetryMs: 0, accountRetryMs: 0 });
  });

  it('bounds memory by evicting the least recently failed keys, keeping the recent ones', () => {
    const { t, advance } = throttle({ maxKeys: 10 });
    for (let i = 0; i < 5; i++) t.fail('victim@x', '198.51.100.1');
    advance(1);
    // A spray of other keys: before, 50,000 of them emptied the whole map, the victim's counts too.
    for (let i = 0; i < 8; i++) {
      t.fail(`spray${i}@x`, `192.0.2.${i}`);
      t.fail('victim@x', '198.51.100.1'); // still guessing: stays among the most recent
    }
    expect(t.size).toEqual({ pairs: 9, accounts: 9 });
    expect(t.check('victim@x', '198.51.100.1').pairRetryMs).toBeGreaterThan(0);
    for (let i = 8; i < 30; i++) t.fail(`spray${i}@x`, `192.0.2.${i}`);
    expect(t.size).toEqual({ pairs: 10, accounts: 10 });
    expect(t.check('spray29@x', '192.0.2.29')).toEqual({ pairRetryMs: 0, accountRetryMs: 0 });
    expect(t.check('spray0@x', '192.0.2.0')).toEqual({ pairRetryMs: 0, accountRetryMs: 0 });
  });
});
