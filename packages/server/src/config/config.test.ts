import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to SQLite under ./data on 127.0.0.1:3000', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(3000);
    expect(c.database.kind).toBe('sqlite');
    expect(c.database.kind === 'sqlite' && c.database.file.endsWith('/data/devflow.sqlite')).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('switches to PostgreSQL with DATABASE_URL', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/devflow' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@127.0.0.1:5432/devflow' });
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({ DEVFLOW_PORT: '70000', DEVFLOW_LOG_LEVEL: 'loud', DEVFLOW_SECRET_KEY: 'short', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['DATABASE_URL', 'DEVFLOW_LOG_LEVEL', 'DEVFLOW_PORT', 'DEVFLOW_SECRET_KEY']);
    expect((err as Error).message).toContain('DEVFLOW_PORT');
  });

  it('reads DNS servers for domain checks from DEVFLOW_DNS_SERVERS, and names the bad entries', () => {
    expect(loadConfig({}).dnsServers).toEqual([]);
    expect(loadConfig({ DEVFLOW_DNS_SERVERS: '10.0.0.2, 127.0.0.1:8053,::1,[fd00::53]:5353' }).dnsServers).toEqual(['10.0.0.2', '127.0.0.1:8053', '::1', '[fd00::53]:5353']);
    let err: unknown;
    try {
      loadConfig({ DEVFLOW_DNS_SERVERS: '10.0.0.2,dns.example.test,127.0.0.1:70000' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { variable: 'DEVFLOW_DNS_SERVERS', message: expect.stringMatching(/ip\[:port\].*not valid: dns\.example\.test, 127\.0\.0\.1:70000$/) },
    ]);
  });
});

describe('DEVFLOW_TRUST_PROXY', () => {
  it('refuses true with a message saying to list the proxy addresses', () => {
    let err: unknown;
    try {
      loadConfig({ DEVFLOW_TRUST_PROXY: 'true' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { variable: 'DEVFLOW_TRUST_PROXY', message: expect.stringContaining('list the proxy addresses') },
    ]);
  });

  it('refuses entries that are not addresses or CIDRs, naming them', () => {
    expect(() => loadConfig({ DEVFLOW_TRUST_PROXY: '10.0.0.1,proxy.example,10.0.0.0/33' })).toThrow(/"proxy\.example", "10\.0\.0\.0\/33"/);
  });

  it('accepts a list of addresses and CIDRs, and trusts none by default', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ DEVFLOW_TRUST_PROXY: 'false' }).trustProxy).toEqual([]);
    expect(loadConfig({ DEVFLOW_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,fd00::/8,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('reads DEVFLOW_OUTBOUND_ALLOW as CIDRs and names a bad entry', () => {
    expect(loadConfig({}).outboundAllow).toEqual([]);
    expect(loadConfig({ DEVFLOW_OUTBOUND_ALLOW: '127.0.0.0/8, ::1/128,10.1.2.3' }).outboundAllow).toEqual(['127.0.0.0/8', '::1/128', '10.1.2.3']);
    expect(() => loadConfig({ DEVFLOW_OUTBOUND_ALLOW: '10.0.0.0/8,intranet' })).toThrow(/DEVFLOW_OUTBOUND_ALLOW: "intranet"/);
  });
});
