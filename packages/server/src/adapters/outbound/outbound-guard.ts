import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { judgeAddress, parseAllowList, type Cidr } from '../../core/outbound/address-policy.js';
import { AppError } from '../../lib/errors.js';

/** An outgoing request went (or resolved) to an address the installation does not allow. */
export class OutboundRefusedError extends AppError {
  constructor(host: string, reason: string) {
    super(
      'unprocessable',
      'outbound.address_refused',
      `${host} is not reachable from DevFlow: ${reason}. Private, loopback and link-local addresses are refused unless DEVFLOW_OUTBOUND_ALLOW names them.`,
    );
    this.name = 'OutboundRefusedError';
  }
}

/** Resolves a host name to every address it has (getaddrinfo: also reads `0x7f000001` or `2130706433` as 127.0.0.1). */
export type HostResolver = (host: string) => Promise<string[]>;

const systemResolver: HostResolver = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The request a guarded fetch sends: a string body at most, no redirects. */
export interface GuardedRequest {
  method?: string;
  headers?: RequestInit['headers'];
  body?: string;
  signal?: AbortSignal;
}

const MAX_BODY = 4 * 1024 * 1024;
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * The one guard every outgoing request the API triggers goes through
 * (repository detection, DNS provider APIs, HTTP domain checks). It resolves
 * the name, refuses it when any address is private, loopback, link-local,
 * CGNAT, multicast or reserved (unless DEVFLOW_OUTBOUND_ALLOW names it), and
 * hands the checked address to the connection, so a DNS answer that changes
 * between check and connect (rebinding) cannot swap it.
 */
export class OutboundGuard {
  constructor(
    private readonly allow: readonly Cidr[],
    private readonly resolver: HostResolver = systemResolver,
  ) {}

  /** A guard from DEVFLOW_OUTBOUND_ALLOW's entries (CIDRs or addresses). */
  static fromAllowList(entries: readonly string[], resolver?: HostResolver): OutboundGuard {
    return new OutboundGuard(parseAllowList(entries.join(',')), resolver);
  }

  /** Resolves `host` and returns its addresses; throws OutboundRefusedError when it has none or any is refused. */
  async resolve(host: string): Promise<string[]> {
    const name = host.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = net.isIP(name) ? [name] : await this.resolver(name);
    } catch (err) {
      throw Object.assign(new OutboundRefusedError(host, `the name does not resolve (${(err as { code?: string }).code ?? 'error'})`), { cause: err });
    }
    if (!addresses.length) throw new OutboundRefusedError(host, 'the name has no address');
    for (const a of addresses) {
      const verdict = judgeAddress(a, this.allow);
      if (!verdict.allowed) throw new OutboundRefusedError(host, `it resolves to a ${verdict.class} address`);
    }
    return addresses;
  }

  /**
   * `fetch` through the guard: the connection goes to a checked address,
   * redirects are returned as they are (never followed), the body is capped
   * at 4 MiB. Answers a standard Response.
   */
  async fetch(url: string, init: GuardedRequest = {}): Promise<Response> {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new OutboundRefusedError(target.origin, `${target.protocol} is not http or https`);
    const client = target.protocol === 'https:' ? https : http;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    // Resolved and checked once; the socket then connects to these addresses only (the name stays for Host and TLS).
    const lookup = pinnedLookup(await this.resolve(target.hostname));
    return new Promise<Response>((resolve, reject) => {
      const req = client.request(
        target,
        { method: init.method ?? 'GET', headers, lookup, ...(init.signal ? { signal: init.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) res.destroy(new Error(`the answer is larger than ${MAX_BODY} bytes`));
            else chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
            try {
              resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: h }));
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }
}

/** A `lookup` for net/http/tls that answers only the given, already checked addresses. */
function pinnedLookup(addresses: readonly string[]): net.LookupFunction {
  return (hostname, options, callback) => {
    const cb = callback as unknown as (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void;
    const wanted = typeof options === 'object' && options.family ? Number(options.family) : 0;
    const all = addresses.map((address) => ({ address, family: net.isIP(address) })).filter((a) => !wanted || a.family === wanted);
    const first = all[0];
    if (!first) return cb(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }), '', 0);
    if (typeof options === 'object' && options.all) return cb(null, all);
    return cb(null, first.address, first.family);
  };
}
