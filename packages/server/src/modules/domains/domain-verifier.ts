import http from 'node:http';
import { isIP } from 'node:net';
import type { DnsLookup } from '../../adapters/dns/dns-resolver.js';
import type { OutboundGuard } from '../../adapters/outbound/outbound-guard.js';
import { verificationRecordName } from '../../core/domains/hostname.js';
import { VERIFY_PATH_PREFIX } from '../../core/domains/domain-site.js';

/** The outcome of one ownership check: verified, or what was found instead. */
export type VerificationOutcome = { ok: true; detail: string } | { ok: false; detail: string };

export interface DomainVerifierOptions {
  /** Port the HTTP check connects to (default 80). */
  httpPort?: number;
  /** Time limit of each lookup and request (default 5 s). */
  timeoutMs?: number;
}

/**
 * Checks that whoever added a domain controls it: a TXT record
 * `_devflow-challenge.<name>` holding the token, or the token served at
 * `http://<name>/.well-known/devflow-verify/<token>` by the server the name
 * resolves to (the environment's nginx serves that path from its webroot).
 * Names are resolved with the configured DnsLookup, never the process cache.
 */
export class DomainVerifier {
  constructor(
    private readonly dns: DnsLookup,
    private readonly outbound: OutboundGuard,
    private readonly opts: DomainVerifierOptions = {},
  ) {}

  async byDns(hostname: string, token: string): Promise<VerificationOutcome> {
    const name = verificationRecordName(hostname);
    let values: string[];
    try {
      values = await this.dns.txt(name);
    } catch (err) {
      return { ok: false, detail: `Looking up TXT ${name} failed (${(err as { code?: string }).code ?? (err as Error).message}); try again in a minute.` };
    }
    if (values.some((v) => v.trim() === token)) return { ok: true, detail: `TXT ${name} holds the token.` };
    if (!values.length) return { ok: false, detail: `No TXT record at ${name}. Add one with the value ${token} (DNS changes may take a few minutes to show).` };
    return { ok: false, detail: `TXT ${name} holds ${values.map((v) => JSON.stringify(v.slice(0, 80))).join(', ')}, not the token ${token}.` };
  }

  async byHttp(hostname: string, token: string): Promise<VerificationOutcome> {
    if (hostname.startsWith('*.')) return { ok: false, detail: 'A wildcard domain can only be verified by DNS (TXT record).' };
    let addresses: string[];
    try {
      addresses = await this.dns.addresses(hostname);
    } catch (err) {
      return { ok: false, detail: `Resolving ${hostname} failed (${(err as { code?: string }).code ?? (err as Error).message}).` };
    }
    if (!addresses.length) return { ok: false, detail: `${hostname} has no A or AAAA record: point it at the environment's server first.` };
    const path = `${VERIFY_PATH_PREFIX}${token}`;
    const seen: string[] = [];
    for (const address of addresses) {
      // The name's owner chooses where it points: connect only to addresses the outbound guard allows.
      const allowed = await this.outbound.resolve(address).then(() => true, () => false);
      if (!allowed) {
        seen.push(`${address}: a private or loopback address, not checked`);
        continue;
      }
      const res = await this.get(address, hostname, path);
      if (res.ok && res.body.trim() === token) return { ok: true, detail: `http://${hostname}${path} (via ${address}) serves the token.` };
      seen.push(`${address}: ${res.ok ? `HTTP ${res.status}${res.status === 200 ? ' with other content' : ''}` : res.error}`);
    }
    return { ok: false, detail: `http://${hostname}${path} did not serve the token (${seen.join('; ')}). Does ${hostname} point at the environment's server?` };
  }

  /** One GET with the domain as Host, a time limit and a 4 KiB body cap; never follows redirects. */
  private get(address: string, hostname: string, path: string): Promise<{ ok: true; status: number; body: string } | { ok: false; error: string }> {
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    return new Promise((resolve) => {
      const req = http.request(
        { host: address, family: isIP(address) || undefined, port: this.opts.httpPort ?? 80, path, method: 'GET', headers: { host: hostname, 'user-agent': 'DevFlow-domain-verification' }, timeout: timeoutMs },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
            if (body.length > 4096) res.destroy();
          });
          res.on('close', () => resolve({ ok: true, status: res.statusCode ?? 0, body: res.statusCode === 200 ? body : '' }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ ok: false, error: (err as { code?: string }).code ?? err.message }));
      req.end();
    });
  }
}
