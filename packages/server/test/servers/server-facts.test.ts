import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  cpuPercent,
  parseDf,
  parseFacts,
  parseLoadavg,
  parseMeminfo,
  parseMetricsReading,
  parseNetDev,
  parseOsRelease,
  parseProcStat,
  parseToolVersion,
  ratePerSecond,
  splitSections,
  toSample,
} from '../../src/core/server-facts.js';

// Captured from a lab container (Debian 12).
const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"`;
const UBUNTU = `NAME="Ubuntu"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n`;
const STAT = 'cpu  166077 1338 53071 179561 2426 0 1132 2778 0 0\ncpu0 83000 600 26000 90000 1200 0 500 1300 0 0\nintr 123';
const MEMINFO = 'MemTotal:       24684096 kB\nMemFree:        22076980 kB\nMemAvailable:   23719012 kB\nBuffers:           20592 kB\nCached:          1805856 kB\nHugePages_Total:       0\n';
const NETDEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   99999       9    0    0    0     0          0         0    99999       9    0    0    0     0       0          0
  eth0:     200       2    0    0    0     0          0         0      300       3    0    0    0     0       0          0
  eth1:1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0`;
const DF = `Filesystem         1-blocks        Used   Available Capacity Mounted on
overlay        270553174016 25020280832 83924013056      23% /`;

describe('os-release', () => {
  it('reads Debian and Ubuntu, with quotes and codenames', () => {
    expect(parseOsRelease(OS_RELEASE)).toEqual({ id: 'debian', version: '12', codename: 'bookworm', name: 'Debian GNU/Linux 12 (bookworm)' });
    expect(parseOsRelease(UBUNTU)).toEqual({ id: 'ubuntu', version: '22.04', codename: 'jammy', name: 'Ubuntu 22.04.4 LTS' });
    expect(parseOsRelease('# nothing\n')).toBeNull();
    expect(parseOsRelease("ID='alpine'\nVERSION_ID=3.19.1")).toEqual({ id: 'alpine', version: '3.19.1', codename: null, name: 'alpine' });
  });
});

describe('/proc parsers', () => {
  it('reads the aggregate cpu line (idle includes iowait, guest not counted twice)', () => {
    expect(parseProcStat(STAT)).toEqual({ total: 166077 + 1338 + 53071 + 179561 + 2426 + 0 + 1132 + 2778, idle: 179561 + 2426 });
    expect(parseProcStat('intr 1 2 3')).toBeNull();
  });

  it('computes CPU % from consecutive samples, null without a usable interval', () => {
    const a = { total: 1000, idle: 800 };
    expect(cpuPercent(a, { total: 1100, idle: 850 })).toBe(50);
    expect(cpuPercent(a, { total: 1100, idle: 900 })).toBe(0);
    expect(cpuPercent(a, { total: 1100, idle: 800 })).toBe(100);
    expect(cpuPercent(undefined, a)).toBeNull();
    expect(cpuPercent(a, a)).toBeNull();
    expect(cpuPercent(a, { total: 10, idle: 5 })).toBeNull(); // rebooted: counters went back
  });

  it('reads meminfo with MemAvailable, and falls back without it', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({ totalBytes: 24684096 * 1024, availableBytes: 23719012 * 1024, usedBytes: (24684096 - 23719012) * 1024 });
    const old = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n');
    expect(old?.availableBytes).toBe(400 * 1024);
    expect(old?.usedBytes).toBe(600 * 1024);
    expect(parseMeminfo('')).toBeNull();
  });

  it('reads loadavg', () => {
    expect(parseLoadavg('3.99 3.67 2.67 9/233 10\n')).toEqual({ load1: 3.99, load5: 3.67, load15: 2.67 });
    expect(parseLoadavg('garbage')).toBeNull();
  });

  it('sums every interface but loopback in /proc/net/dev', () => {
    expect(parseNetDev(NETDEV)).toEqual({ rxBytes: 1200, txBytes: 2300 });
    expect(parseNetDev('Inter-|\n face |\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0')).toBeNull();
  });

  it('reads df -B1 -P', () => {
    expect(parseDf(DF)).toEqual({ totalBytes: 270553174016, usedBytes: 25020280832, availableBytes: 83924013056 });
    expect(parseDf('Filesystem 1-blocks Used Available Capacity Mounted on\n')).toBeNull();
  });

  it('computes rates and refuses counters that went backwards', () => {
    expect(ratePerSecond(100, 400, 30)).toBe(10);
    expect(ratePerSecond(400, 100, 30)).toBeNull();
    expect(ratePerSecond(null, 100, 30)).toBeNull();
    expect(ratePerSecond(1, 2, 0)).toBeNull();
  });
});

describe('tool versions', () => {
  it('takes the version out of each tool line', () => {
    expect(parseToolVersion('nginx version: nginx/1.22.1')).toBe('1.22.1');
    expect(parseToolVersion('PHP 8.2.32 (cli) (built: Jul  3 2026 12:22:11) (NTS)')).toBe('8.2.32');
    expect(parseToolVersion('git version 2.39.5')).toBe('2.39.5');
    expect(parseToolVersion('Docker version 20.10.24+dfsg1, build 297e128')).toBe('20.10.24');
    expect(parseToolVersion('Composer version 2.5.5 2023-03-21 11:50:05')).toBe('2.5.5');
    expect(parseToolVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64')).toBe('0.14.0');
    expect(parseToolVersion('rsync  version 3.2.7  protocol version 32')).toBe('3.2.7');
    expect(parseToolVersion('')).toBeNull();
    expect(parseToolVersion('command not found')).toBeNull();
  });

  it('orders versions numerically', () => {
    expect(['8.10.0', '8.2.1', '7.4.33', '8.2.0'].sort(compareVersions)).toEqual(['7.4.33', '8.2.0', '8.2.1', '8.10.0']);
  });
});

describe('facts script output', () => {
  const out = [
    'noise before the first section',
    '@@devflow:os', OS_RELEASE,
    '@@devflow:kernel', '6.1.0-18-amd64',
    '@@devflow:arch', 'x86_64',
    '@@devflow:cpus', '2',
    '@@devflow:meminfo', MEMINFO,
    '@@devflow:df', DF,
    '@@devflow:service-manager', 'service',
    '@@devflow:tool:nginx', 'nginx version: nginx/1.22.1',
    '@@devflow:tool:git', 'git version 2.39.5',
    '@@devflow:tool:php', 'PHP 8.2.32 (cli) (built: Jul  3 2026 12:22:11) (NTS)',
    '@@devflow:tool:php', 'PHP 8.1.27 (cli) (built: Jan  1 2024 00:00:00) (NTS)',
    '@@devflow:tool:php-fpm', 'PHP 8.2.32 (fpm-fcgi) (built: Jul  3 2026 12:22:11)',
  ].join('\n');

  it('splits repeated sections', () => {
    expect(splitSections(out).get('tool:php')).toHaveLength(2);
    expect(splitSections(out).has('noise before the first section')).toBe(false);
  });

  it('gives OS, CPUs, memory, disk and tools with versions', () => {
    const f = parseFacts(out, '2026-01-01T00:00:00.000Z');
    expect(f.os?.id).toBe('debian');
    expect(f.kernel).toBe('6.1.0-18-amd64');
    expect(f.arch).toBe('x86_64');
    expect(f.cpus).toBe(2);
    expect(f.memoryBytes).toBe(24684096 * 1024);
    expect(f.diskBytes).toBe(270553174016);
    expect(f.serviceManager).toBe('service');
    expect(f.tools).toEqual({ docker: null, nginx: '1.22.1', php: ['8.1.27', '8.2.32'], phpFpm: ['8.2.32'], composer: null, git: '2.39.5', restic: null, curl: null, rsync: null });
    expect(f.detectedAt).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('metrics reading → sample', () => {
  const reading = (cpu: string, rx: number, tx: number) =>
    parseMetricsReading(
      ['@@devflow:stat', cpu, '@@devflow:meminfo', MEMINFO, '@@devflow:loadavg', '0.50 0.40 0.30 1/100 7', '@@devflow:netdev', `Inter-|\n face |\n  eth0: ${rx} 1 0 0 0 0 0 0 ${tx} 1 0 0 0 0 0 0`, '@@devflow:df', DF].join('\n'),
    );

  it('first sample has gauges and counters but no CPU % or rates; the next one has them', () => {
    const a = toSample(reading('cpu  100 0 100 800 0 0 0 0 0 0', 1000, 2000), '2026-01-01T00:00:00.000Z', undefined);
    expect(a).toMatchObject({ cpuPercent: null, netRxBps: null, load1: 0.5, memTotalBytes: 24684096 * 1024, diskUsedBytes: 25020280832, cpuTotalTicks: 1000, cpuIdleTicks: 800 });
    const b = toSample(reading('cpu  150 0 150 900 0 0 0 0 0 0', 4000, 2600), '2026-01-01T00:00:30.000Z', a);
    expect(b.cpuPercent).toBe(50);
    expect(b.netRxBps).toBe(100);
    expect(b.netTxBps).toBe(20);
  });
});
