/**
 * A small encoder of DNS UPDATE messages (RFC 2136) signed with TSIG
 * (RFC 8945), enough to add and delete TXT records. Pure: bytes in, bytes out.
 */
import { createHmac, randomInt } from 'node:crypto';

const TYPE_SOA = 6;
const TYPE_TXT = 16;
const TYPE_TSIG = 250;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;

/** The TSIG algorithms DevFlow signs with, by their BIND names. */
export const TSIG_ALGORITHMS = { 'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha1': 'sha1' } as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

export interface TsigKey {
  /** Key name as configured on the server, e.g. `devflow-key`. */
  name: string;
  algorithm: TsigAlgorithm;
  /** The shared secret, base64. */
  secret: string;
}

/** One change of the update section. */
export type TxtChange = { op: 'add'; name: string; value: string; ttl: number } | { op: 'delete'; name: string; value: string };

/** A domain name in wire format (lower-case: the canonical form TSIG signs). */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.+$/, '').toLowerCase().split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new TypeError(`DNS label too long: ${l}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** TXT rdata: the value split into character-strings of at most 255 bytes. */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u48 = (n: number) => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

function rr(name: string, type: number, cls: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(cls), u32(ttl), u16(rdata.length), rdata]);
}

/** The TSIG-signed UPDATE message for `zone`, and its id. `now` is the signing time (seconds). */
export function buildUpdate(zone: string, changes: readonly TxtChange[], key: TsigKey, now: number, id = randomInt(0, 65536)): { id: number; message: Buffer } {
  const header = Buffer.concat([u16(id), u16(OPCODE_UPDATE << 11), u16(1), u16(0), u16(changes.length), u16(0)]);
  const zoneSection = Buffer.concat([encodeName(zone), u16(TYPE_SOA), u16(CLASS_IN)]);
  const updates = changes.map((c) =>
    c.op === 'add' ? rr(c.name, TYPE_TXT, CLASS_IN, c.ttl, txtRdata(c.value)) : rr(c.name, TYPE_TXT, CLASS_NONE, 0, txtRdata(c.value)),
  );
  const unsigned = Buffer.concat([header, zoneSection, ...updates]);

  const algName = encodeName(key.algorithm);
  const timeSigned = u48(Math.floor(now));
  const fudge = u16(300);
  // RFC 8945 4.3.3: the MAC covers the message, then the TSIG variables.
  const variables = Buffer.concat([encodeName(key.name), u16(CLASS_ANY), u32(0), algName, timeSigned, fudge, u16(0), u16(0)]);
  const mac = createHmac(TSIG_ALGORITHMS[key.algorithm], Buffer.from(key.secret, 'base64')).update(Buffer.concat([unsigned, variables])).digest();
  const tsigRdata = Buffer.concat([algName, timeSigned, fudge, u16(mac.length), mac, u16(id), u16(0), u16(0)]);
  const signed = Buffer.concat([unsigned, rr(key.name, TYPE_TSIG, CLASS_ANY, 0, tsigRdata)]);
  signed.writeUInt16BE(1, 10); // ARCOUNT: the TSIG record
  return { id, message: signed };
}

/** The names of the response codes an UPDATE can get. */
export const RCODES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
};

/** The id and response code of a reply (the TSIG error, when the server added one, takes precedence). */
export function parseReply(reply: Buffer): { id: number; rcode: number; rcodeName: string } {
  if (reply.length < 12) throw new TypeError('The DNS reply is shorter than a header.');
  const id = reply.readUInt16BE(0);
  let rcode = reply.readUInt16BE(2) & 0x000f;
  // A TSIG error (BADSIG, BADKEY, BADTIME) sits in the TSIG record at the end: find its "error" field.
  if (rcode === 9 || rcode === 5) {
    const tail = tsigError(reply);
    if (tail) rcode = tail;
  }
  return { id, rcode, rcodeName: RCODES[rcode] ?? `RCODE${rcode}` };
}

function skipName(buf: Buffer, off: number): number {
  for (;;) {
    const len = buf[off] ?? 0;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += len + 1;
  }
}

function tsigError(buf: Buffer): number | undefined {
  try {
    const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
    let off = 12;
    for (let i = 0; i < (counts[0] ?? 0); i++) off = skipName(buf, off) + 4;
    const records = (counts[1] ?? 0) + (counts[2] ?? 0) + (counts[3] ?? 0);
    for (let i = 0; i < records; i++) {
      off = skipName(buf, off);
      const type = buf.readUInt16BE(off);
      const rdlen = buf.readUInt16BE(off + 8);
      const rdata = off + 10;
      if (type === TYPE_TSIG) {
        let p = skipName(buf, rdata) + 6 + 2; // algorithm, time signed, fudge
        const macLen = buf.readUInt16BE(p);
        p += 2 + macLen + 2; // MAC, original id
        return buf.readUInt16BE(p);
      }
      off = rdata + rdlen;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
