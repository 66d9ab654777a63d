/**
 * Which network addresses an outgoing request the API triggers may reach.
 * Pure: addresses are parsed as text (after DNS resolution by the caller),
 * never looked up here. Loopback, private, link-local (cloud metadata lives
 * at 169.254.169.254 and fd00:ec2::254), CGNAT, multicast and reserved ranges
 * are refused unless the installation's allow list (DEVFLOW_OUTBOUND_ALLOW)
 * names them; IPv4-mapped, NAT64 and 6to4 IPv6 addresses are judged by the
 * IPv4 address they carry.
 */

/** Why an address is refused, or `public` when it may be reached. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'reserved'
  | 'invalid';

/** An address family and value as a number (IPv4 in 32 bits, IPv6 in 128). */
interface Address {
  v: 4 | 6;
  n: bigint;
}

/** A parsed CIDR block (`10.0.0.0/8`, `fd00::/8`). */
export interface Cidr {
  v: 4 | 6;
  base: bigint;
  bits: number;
  /** The text it was parsed from, for messages. */
  text: string;
}

/** Parses dotted-quad IPv4 only (resolved addresses are always canonical). */
function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(input: string): bigint | null {
  let s = input.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // A trailing dotted IPv4 (::ffff:127.0.0.1) stands for the last two 16-bit groups.
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const all = [...head, ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const count = all.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const words = [...head.map((g) => BigInt(parseInt(g, 16))), ...Array<bigint>(8 - count).fill(0n), ...rest.map((g) => BigInt(parseInt(g, 16)))];
  return words.reduce((acc, w) => (acc << 16n) | w, 0n);
}

function parseAddress(s: string): Address | null {
  const v4 = parseV4(s);
  if (v4 !== null) return { v: 4, n: v4 };
  if (!s.includes(':')) return null;
  const v6 = parseV6(s);
  return v6 === null ? null : { v: 6, n: v6 };
}

function inBlock(a: Address, c: Cidr): boolean {
  if (a.v !== c.v) return false;
  const width = a.v === 4 ? 32 : 128;
  const shift = BigInt(width - c.bits);
  return a.n >> shift === c.base >> shift;
}

/** Parses `a.b.c.d/n`, `x::/n` or a single address (a /32 or /128); null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = parseAddress(slash >= 0 ? t.slice(0, slash) : t);
  if (!addr) return null;
  const width = addr.v === 4 ? 32 : 128;
  const bitsText = slash >= 0 ? t.slice(slash + 1) : String(width);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) return null;
  return { v: addr.v, base: addr.n, bits: Number(bitsText), text: t };
}

/** Parses a comma-separated allow list; throws naming the first bad entry. */
export function parseAllowList(text: string): Cidr[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const c = parseCidr(s);
      if (!c) throw new Error(`"${s}" is not an IPv4 or IPv6 address or CIDR block`);
      return c;
    });
}

const block = (text: string): Cidr => {
  const c = parseCidr(text);
  if (!c) throw new Error(`bad built-in block ${text}`);
  return c;
};

// Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries); anything not listed is public.
const V4_RANGES: [string, AddressClass][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];
const V6_RANGES: [string, AddressClass][] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved'],
  ['64:ff9b:1::/48', 'reserved'],
  ['100::/64', 'reserved'],
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'],
  ['ff00::/8', 'multicast'],
];
const V4_BLOCKS = V4_RANGES.map(([t, k]) => [block(t), k] as const);
const V6_BLOCKS = V6_RANGES.map(([t, k]) => [block(t), k] as const);
const MAPPED = block('::ffff:0:0/96');
const NAT64 = block('64:ff9b::/96');
const SIX_TO_FOUR = block('2002::/16');

/** The IPv4 address an IPv6 address carries (mapped, NAT64 or 6to4), if any. */
function embeddedV4(a: Address): Address | null {
  if (a.v !== 6) return null;
  if (inBlock(a, MAPPED) || inBlock(a, NAT64)) return { v: 4, n: a.n & 0xffffffffn };
  if (inBlock(a, SIX_TO_FOUR)) return { v: 4, n: (a.n >> 80n) & 0xffffffffn };
  return null;
}

function classOf(a: Address): AddressClass {
  const inner = embeddedV4(a);
  if (inner) return classOf(inner);
  for (const [b, k] of a.v === 4 ? V4_BLOCKS : V6_BLOCKS) if (inBlock(a, b)) return k;
  return 'public';
}

/** Classifies a literal IPv4 or IPv6 address (as DNS resolution returns it). */
export function classifyAddress(address: string): AddressClass {
  const a = parseAddress(address);
  return a ? classOf(a) : 'invalid';
}

/** The verdict on one address: allowed, or refused with its class. */
export type AddressVerdict = { allowed: true; class: AddressClass } | { allowed: false; class: AddressClass };

/**
 * Whether an outgoing connection may go to `address`: public addresses
 * always, special ones only when a block of `allow` contains the address
 * (or the IPv4 address it carries).
 */
export function judgeAddress(address: string, allow: readonly Cidr[]): AddressVerdict {
  const a = parseAddress(address);
  if (!a) return { allowed: false, class: 'invalid' };
  const k = classOf(a);
  if (k === 'public') return { allowed: true, class: k };
  const inner = embeddedV4(a);
  const listed = allow.some((c) => inBlock(a, c) || (inner !== null && inBlock(inner, c)));
  return { allowed: listed, class: k };
}
