import { describe, expect, it } from 'vitest';
import { classifyAddress, judgeAddress, parseAllowList, parseCidr } from './address-policy.js';

describe('outbound address policy', () => {
  it('refuses loopback, private, link-local, CGNAT, metadata, multicast and reserved IPv4', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'cgnat'],
      ['100.100.100.200', 'cgnat'],
      ['224.0.0.1', 'multicast'],
      ['240.0.0.1', 'reserved'],
      ['255.255.255.255', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['192.0.2.10', 'reserved'],
    ];
    for (const [ip, k] of cases) {
      expect(classifyAddress(ip), ip).toBe(k);
      expect(judgeAddress(ip, []).allowed, ip).toBe(false);
    }
  });

  it('refuses the same in IPv6, and judges mapped, NAT64 and 6to4 addresses by the IPv4 they carry', () => {
    const cases: [string, string][] = [
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['fd00:ec2::254', 'private'],
      ['fc00::1', 'private'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'reserved'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['::ffff:a00:1', 'private'],
      ['64:ff9b::a9fe:a9fe', 'link-local'],
      ['2002:7f00:1::1', 'loopback'],
      ['[::1]', 'loopback'],
    ];
    for (const [ip, k] of cases) {
      expect(classifyAddress(ip), ip).toBe(k);
      expect(judgeAddress(ip, []).allowed, ip).toBe(false);
    }
  });

  it('lets public addresses through', () => {
    for (const ip of ['1.1.1.1', '140.82.121.3', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e']) {
      expect(classifyAddress(ip), ip).toBe('public');
      expect(judgeAddress(ip, []).allowed, ip).toBe(true);
    }
  });

  it('treats anything that is not a literal address as refused (hex and integer spellings must be resolved first)', () => {
    for (const s of ['0x7f000001', '2130706433', '127.1', 'localhost', '1.2.3.256', ':::1', '1:2:3:4:5:6:7:8:9']) {
      expect(classifyAddress(s), s).toBe('invalid');
      expect(judgeAddress(s, parseAllowList('0.0.0.0/0,::/0')).allowed, s).toBe(false);
    }
  });

  it('allows special addresses only inside a block of the allow list, mapped IPv6 included', () => {
    const allow = parseAllowList('127.0.0.0/8, 10.20.0.0/16,fd12::/16');
    expect(judgeAddress('127.0.0.1', allow).allowed).toBe(true);
    expect(judgeAddress('::ffff:127.0.0.1', allow).allowed).toBe(true);
    expect(judgeAddress('10.20.3.4', allow).allowed).toBe(true);
    expect(judgeAddress('10.21.3.4', allow).allowed).toBe(false);
    expect(judgeAddress('fd12::5', allow).allowed).toBe(true);
    expect(judgeAddress('fd13::5', allow).allowed).toBe(false);
    expect(judgeAddress('::1', allow).allowed).toBe(false);
    expect(judgeAddress('169.254.169.254', allow).allowed).toBe(false);
  });

  it('parses CIDRs and single addresses, and names a bad entry', () => {
    expect(parseCidr('192.168.0.0/16')).toMatchObject({ v: 4, bits: 16 });
    expect(parseCidr('::1')).toMatchObject({ v: 6, bits: 128 });
    expect(parseCidr('10.0.0.1')).toMatchObject({ v: 4, bits: 32 });
    for (const bad of ['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0/8', '10.0.0.0/']) expect(parseCidr(bad), bad).toBeNull();
    expect(() => parseAllowList('127.0.0.0/8,nope')).toThrow(/"nope"/);
    expect(parseAllowList(' , ')).toEqual([]);
  });
});
