import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../src/adapters/proxy/keyed-mutex.js';

const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time, in order, and other keys in parallel', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`${name}+`);
        await tick(ms);
        log.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([job('a', 'a1', 30), job('a', 'a2', 5), job('b', 'b1', 10), job('a', 'a3', 1)]);
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3']);
    const a = log.filter((l) => l.startsWith('a'));
    expect(a).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
    expect(m.size).toBe(0);
  });

  it('releases the key when a holder throws, and skips a waiter that is aborted', async () => {
    const m = new KeyedMutex();
    await expect(m.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const ac = new AbortController();
    let release!: () => void;
    const first = m.run('k', () => new Promise<void>((r) => (release = r)));
    const aborted = m.run('k', async () => 'ran', ac.signal);
    const third = m.run('k', async () => 'third');
    ac.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    let thirdDone = false;
    void third.then(() => (thirdDone = true));
    await tick(5);
    expect(thirdDone).toBe(false);
    release();
    await first;
    expect(await third).toBe('third');
    expect(m.size).toBe(0);
  });
});
