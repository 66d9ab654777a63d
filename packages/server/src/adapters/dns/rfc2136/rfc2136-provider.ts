import net from 'node:net';
import { DnsProviderError, setting, type DnsCallOptions, type DnsProvider, type DnsProviderSettings } from '../dns-provider.js';
import type { OutboundGuard } from '../../outbound/outbound-guard.js';
import { buildUpdate, parseReply, TSIG_ALGORITHMS, type TsigAlgorithm, type TxtChange } from './dns-update-message.js';

/**
 * Dynamic DNS updates (RFC 2136) signed with a TSIG key, sent over TCP to the
 * zone's primary (BIND, Knot, PowerDNS…). Adding appends a value; deleting
 * removes exactly that value. Config: `server` (host:port), `zone`,
 * `keyName`, optional `algorithm` (hmac-sha256) and `ttl` (60); credentials:
 * `tsigSecret` (base64). The reply's rcode is checked; its MAC is not.
 */
export class Rfc2136Provider implements DnsProvider {
  private readonly outbound: OutboundGuard;
  readonly kind = 'rfc2136';
  private readonly host: string;
  private readonly port: number;
  private readonly zone: string;
  private readonly key: { name: string; algorithm: TsigAlgorithm; secret: string };
  private readonly ttl: number;

  constructor(
    s: DnsProviderSettings,
    private readonly clock: () => number = Date.now,
  ) {
    this.outbound = s.outbound;
    const server = setting(this.kind, s.config, 'server');
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(server);
    this.host = m?.[1] ?? server;
    this.port = Number(m?.[2] ?? 53);
    this.zone = setting(this.kind, s.config, 'zone');
    const algorithm = String(s.config.algorithm ?? 'hmac-sha256');
    if (!(algorithm in TSIG_ALGORITHMS)) throw new DnsProviderError(this.kind, `unsupported TSIG algorithm ${algorithm} (use ${Object.keys(TSIG_ALGORITHMS).join(', ')})`);
    this.key = { name: setting(this.kind, s.config, 'keyName'), algorithm: algorithm as TsigAlgorithm, secret: setting(this.kind, s.credentials, 'tsigSecret') };
    this.ttl = Number(s.config.ttl ?? 60);
  }

  async addTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    await this.send([{ op: 'add', name: fqdn, value, ttl: this.ttl }], opts);
  }

  async removeTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    await this.send([{ op: 'delete', name: fqdn, value }], opts);
  }

  private async send(changes: TxtChange[], opts: DnsCallOptions = {}): Promise<void> {
    const { id, message } = buildUpdate(this.zone, changes, this.key, this.clock() / 1000);
    // The server is given by users: connect only to the address the outbound guard checked.
    const [address] = await this.outbound.resolve(this.host);
    const reply = await exchangeTcp(address ?? this.host, this.port, message, 15_000, opts.signal).catch((err: unknown) => {
      throw new DnsProviderError(this.kind, `cannot reach ${this.host}:${this.port}: ${(err as Error).message}`, { cause: err });
    });
    const r = parseReply(reply);
    if (r.id !== id) throw new DnsProviderError(this.kind, `the reply answers another query (id ${r.id}, sent ${id})`);
    if (r.rcode !== 0) throw new DnsProviderError(this.kind, `${this.host} refused the update of ${this.zone}: ${r.rcodeName}`, { meta: { rcode: r.rcodeName } });
  }
}

/** One DNS message over TCP (two-byte length prefix each way). */
function exchangeTcp(host: string, port: number, message: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (err?: Error, out?: Buffer) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(out as Buffer);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(() => done(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length);
      socket.write(Buffer.concat([len, message]));
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      total += c.length;
      const all = Buffer.concat(chunks, total);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) done(undefined, all.subarray(2, 2 + all.readUInt16BE(0)));
    });
    socket.on('error', (err) => done(err));
    socket.on('end', () => done(new Error('the server closed the connection without a reply')));
  });
}
