/**
 * Pure parsing of what a server says about itself: /etc/os-release, tool
 * versions, /proc/stat, /proc/meminfo, /proc/loadavg, /proc/net/dev and
 * `df -B1 -P /`. The SSH side runs one command; everything here is tested
 * on captured text.
 */

/** Marks the start of a section in the output of the facts and metrics scripts. */
export const SECTION_MARK = '@@devflow:';

export interface OsInfo {
  id: string;
  version: string;
  codename: string | null;
  name: string;
}

export interface ServerTools {
  docker: string | null;
  nginx: string | null;
  php: string[];
  phpFpm: string[];
  composer: string | null;
  git: string | null;
  restic: string | null;
  curl: string | null;
  rsync: string | null;
}

export interface ServerFacts {
  os: OsInfo | null;
  kernel: string | null;
  arch: string | null;
  cpus: number | null;
  memoryBytes: number | null;
  diskBytes: number | null;
  serviceManager: 'systemd' | 'service' | null;
  tools: ServerTools | null;
  detectedAt: string | null;
}

/** Facts of a server never validated. */
export const emptyFacts: ServerFacts = {
  os: null,
  kernel: null,
  arch: null,
  cpus: null,
  memoryBytes: null,
  diskBytes: null,
  serviceManager: null,
  tools: null,
  detectedAt: null,
};

/**
 * Splits script output into sections started by `@@devflow:<name>` lines.
 * A name may repeat (one section per PHP version): each gets its own entry.
 */
export function splitSections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name === undefined) return;
    const list = out.get(name) ?? [];
    list.push(lines.join('\n').trim());
    out.set(name, list);
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(SECTION_MARK)) {
      flush();
      name = line.slice(SECTION_MARK.length).trim();
      lines = [];
    } else if (name !== undefined) {
      lines.push(line);
    }
  }
  flush();
  return out;
}

function first(sections: Map<string, string[]>, name: string): string | undefined {
  return sections.get(name)?.[0];
}

/** Parses /etc/os-release (shell-style KEY=value, values optionally quoted). */
export function parseOsRelease(text: string): OsInfo | null {
  const vars = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
      value = value.replace(/\\(["'$`\\])/g, '$1');
    }
    vars.set(line.slice(0, eq), value);
  }
  const id = vars.get('ID');
  if (!id) return null;
  return {
    id,
    version: vars.get('VERSION_ID') ?? '',
    codename: vars.get('VERSION_CODENAME') || null,
    name: vars.get('PRETTY_NAME') ?? vars.get('NAME') ?? id,
  };
}

const VERSION = /(\d+\.\d+(?:\.\d+)?)/;

/** The first dotted version number in a tool's `--version` line (`nginx version: nginx/1.22.1` → `1.22.1`). */
export function parseToolVersion(text: string | undefined): string | null {
  if (!text) return null;
  const line = text.split('\n').find((l) => VERSION.test(l));
  return line?.match(VERSION)?.[1] ?? null;
}

function parseIntOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : null;
}

/** Memory in /proc/meminfo: total, available and used (total − available), in bytes. */
export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
}

/** Parses /proc/meminfo; MemAvailable when present (kernel ≥ 3.14), else free + buffers + cached. */
export function parseMeminfo(text: string): MemInfo | null {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) kb.set(m[1] as string, Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined) return null;
  const available =
    kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  return { totalBytes: total * 1024, availableBytes: available * 1024, usedBytes: Math.max(0, total - available) * 1024 };
}

/** The root filesystem in bytes, from `df -B1 -P /`. */
export interface DiskInfo {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
}

/** Parses `df -B1 -P /` (POSIX format: one line per filesystem, long device names never wrap). */
export function parseDf(text: string): DiskInfo | null {
  const rows = text.split('\n').filter((l) => l.trim() && !/^Filesystem\s/i.test(l));
  const cols = rows[0]?.trim().split(/\s+/);
  if (!cols || cols.length < 6) return null;
  const [total, used, available] = [cols[1], cols[2], cols[3]].map((c) => Number(c));
  if (![total, used, available].every((n) => Number.isFinite(n))) return null;
  return { totalBytes: total as number, usedBytes: used as number, availableBytes: available as number };
}

/** Aggregate CPU time counters from the `cpu` line of /proc/stat, in clock ticks. */
export interface CpuTimes {
  total: number;
  idle: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat. Idle counts idle + iowait;
 * total sums user…steal (guest time is already inside user and nice).
 */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

/** CPU busy % between two /proc/stat samples, or null when there is no usable interval (first sample, reboot). */
export function cpuPercent(prev: CpuTimes | null | undefined, cur: CpuTimes): number | null {
  if (!prev) return null;
  const dTotal = cur.total - prev.total;
  const dIdle = cur.idle - prev.idle;
  if (dTotal <= 0 || dIdle < 0 || dIdle > dTotal) return null;
  return round2(((dTotal - dIdle) / dTotal) * 100);
}

/** Load averages from /proc/loadavg. */
export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadavg(text: string): LoadAvg | null {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((n) => n !== undefined && Number.isFinite(n))) return null;
  return { load1: a as number, load5: b as number, load15: c as number };
}

/** Bytes received and sent by every interface but loopback, from /proc/net/dev. */
export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

export function parseNetDev(text: string): NetCounters | null {
  let rx = 0;
  let tx = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (!iface || iface.includes('|') || iface === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9 || !Number.isFinite(f[0]) || !Number.isFinite(f[8])) continue;
    rx += f[0] as number;
    tx += f[8] as number;
    seen = true;
  }
  return seen ? { rxBytes: rx, txBytes: tx } : null;
}

/** Bytes per second between two counter readings, or null when counters went backwards (reboot, wrap). */
export function ratePerSecond(prev: number | null | undefined, cur: number | null | undefined, seconds: number): number | null {
  if (prev === null || prev === undefined || cur === null || cur === undefined || seconds <= 0) return null;
  const d = cur - prev;
  if (d < 0) return null;
  return round2(d / seconds);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Parses the output of the facts script (see `factsScript` in the servers module). */
export function parseFacts(text: string, detectedAt: string): ServerFacts {
  const s = splitSections(text);
  const mem = parseMeminfo(first(s, 'meminfo') ?? '');
  const disk = parseDf(first(s, 'df') ?? '');
  const sm = first(s, 'service-manager');
  const versions = (name: string) =>
    [...new Set((s.get(`tool:${name}`) ?? []).map(parseToolVersion).filter((v): v is string => v !== null))].sort(
      compareVersions,
    );
  const one = (name: string) => versions(name)[0] ?? null;
  return {
    os: parseOsRelease(first(s, 'os') ?? ''),
    kernel: first(s, 'kernel')?.split('\n')[0]?.trim() || null,
    arch: first(s, 'arch')?.split('\n')[0]?.trim() || null,
    cpus: parseIntOrNull(first(s, 'cpus')),
    memoryBytes: mem?.totalBytes ?? null,
    diskBytes: disk?.totalBytes ?? null,
    serviceManager: sm === 'systemd' ? 'systemd' : sm === 'service' ? 'service' : null,
    tools: {
      docker: one('docker'),
      nginx: one('nginx'),
      php: versions('php'),
      phpFpm: versions('php-fpm'),
      composer: one('composer'),
      git: one('git'),
      restic: one('restic'),
      curl: one('curl'),
      rsync: one('rsync'),
    },
    detectedAt,
  };
}

/** Orders dotted versions numerically (8.1.2 < 8.2.0 < 8.10.0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** One reading of the metrics script: raw counters and gauges at one instant. */
export interface MetricsReading {
  cpu: CpuTimes | null;
  mem: MemInfo | null;
  load: LoadAvg | null;
  net: NetCounters | null;
  disk: DiskInfo | null;
}

/** Parses the output of the metrics script (sections stat, meminfo, loadavg, netdev, df). */
export function parseMetricsReading(text: string): MetricsReading {
  const s = splitSections(text);
  return {
    cpu: parseProcStat(first(s, 'stat') ?? ''),
    mem: parseMeminfo(first(s, 'meminfo') ?? ''),
    load: parseLoadavg(first(s, 'loadavg') ?? ''),
    net: parseNetDev(first(s, 'netdev') ?? ''),
    disk: parseDf(first(s, 'df') ?? ''),
  };
}

/** A stored sample: gauges, rates from the previous reading, and the raw counters for the next one. */
export interface MetricSample {
  at: string;
  cpuPercent: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  memTotalBytes: number | null;
  memUsedBytes: number | null;
  diskTotalBytes: number | null;
  diskUsedBytes: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
  cpuTotalTicks: number | null;
  cpuIdleTicks: number | null;
  netRxBytes: number | null;
  netTxBytes: number | null;
}

/** Turns a reading into a sample, computing CPU % and network rates against the previous sample (if any). */
export function toSample(reading: MetricsReading, at: string, prev?: MetricSample | null): MetricSample {
  const seconds = prev ? (Date.parse(at) - Date.parse(prev.at)) / 1000 : 0;
  const prevCpu =
    prev && prev.cpuTotalTicks !== null && prev.cpuIdleTicks !== null
      ? { total: prev.cpuTotalTicks, idle: prev.cpuIdleTicks }
      : null;
  return {
    at,
    cpuPercent: reading.cpu ? cpuPercent(prevCpu, reading.cpu) : null,
    load1: reading.load?.load1 ?? null,
    load5: reading.load?.load5 ?? null,
    load15: reading.load?.load15 ?? null,
    memTotalBytes: reading.mem?.totalBytes ?? null,
    memUsedBytes: reading.mem?.usedBytes ?? null,
    diskTotalBytes: reading.disk?.totalBytes ?? null,
    diskUsedBytes: reading.disk?.usedBytes ?? null,
    netRxBps: ratePerSecond(prev?.netRxBytes, reading.net?.rxBytes, seconds),
    netTxBps: ratePerSecond(prev?.netTxBytes, reading.net?.txBytes, seconds),
    cpuTotalTicks: reading.cpu?.total ?? null,
    cpuIdleTicks: reading.cpu?.idle ?? null,
    netRxBytes: reading.net?.rxBytes ?? null,
    netTxBytes: reading.net?.txBytes ?? null,
  };
}
