import { DnsProviderError, expectOk, providerFetch, setting, type DnsCallOptions, type DnsProvider, type DnsProviderSettings } from '../dns-provider.js';
import type { OutboundGuard } from '../../outbound/outbound-guard.js';

interface CfRecord {
  id: string;
  name: string;
  content: string;
}

interface CfEnvelope<T> {
  success: boolean;
  errors?: { code: number; message: string }[];
  result: T;
}

/**
 * Cloudflare's v4 API with an API token (Bearer): `POST
 * /zones/{zone_id}/dns_records` with `{type: 'TXT', name, content, ttl}`
 * adds a record (other values stay); removal looks the record up by name and
 * content and `DELETE`s it by id. Config: `zoneId`, optional `apiUrl`
 * (default https://api.cloudflare.com/client/v4) and `ttl` (default 60; 1
 * means automatic); credentials: `apiToken` (needs Zone.DNS edit).
 */
export class CloudflareProvider implements DnsProvider {
  private readonly outbound: OutboundGuard;
  readonly kind = 'cloudflare';
  private readonly base: string;
  private readonly token: string;
  private readonly ttl: number;

  constructor(s: DnsProviderSettings) {
    this.outbound = s.outbound;
    const api = String(s.config.apiUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/+$/, '');
    this.base = `${api}/zones/${encodeURIComponent(setting(this.kind, s.config, 'zoneId'))}/dns_records`;
    this.token = setting(this.kind, s.credentials, 'apiToken');
    this.ttl = Number(s.config.ttl ?? 60);
  }

  private async call<T>(what: string, url: string, init: { method?: string; body?: string }, opts?: DnsCallOptions): Promise<T> {
    const res = await providerFetch(this.kind, this.outbound, url, { ...init, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', accept: 'application/json' } }, opts);
    const body = JSON.parse(await expectOk(this.kind, what, res)) as CfEnvelope<T>;
    if (!body.success) throw new DnsProviderError(this.kind, `${what} failed: ${(body.errors ?? []).map((e) => `${e.code} ${e.message}`).join('; ')}`);
    return body.result;
  }

  async addTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    await this.call('creating the TXT record', this.base, { method: 'POST', body: JSON.stringify({ type: 'TXT', name: fqdn, content: value, ttl: this.ttl }) }, opts);
  }

  async removeTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    const query = new URLSearchParams({ type: 'TXT', name: fqdn, content: value });
    const found = await this.call<CfRecord[]>('listing TXT records', `${this.base}?${query}`, { method: 'GET' }, opts);
    for (const r of found) await this.call('deleting the TXT record', `${this.base}/${encodeURIComponent(r.id)}`, { method: 'DELETE' }, opts);
  }
}
