import { expectOk, fqdnDot, providerFetch, setting, type DnsCallOptions, type DnsProvider, type DnsProviderSettings } from '../dns-provider.js';
import type { OutboundGuard } from '../../outbound/outbound-guard.js';

interface RrSet {
  name: string;
  type: string;
  ttl: number;
  records: { content: string; disabled: boolean }[];
}

/**
 * PowerDNS Authoritative's HTTP API: reads the zone's TXT rrset at the name,
 * then PATCHes it with `changetype: REPLACE` holding the union of values (or
 * `DELETE` when none is left), so other values survive. Config: `apiUrl`
 * (e.g. http://127.0.0.1:8081), `zone`, optional `serverId` (localhost) and
 * `ttl`; credentials: `apiKey` (sent as X-API-Key).
 */
export class PowerDnsProvider implements DnsProvider {
  private readonly outbound: OutboundGuard;
  readonly kind = 'powerdns';
  private readonly zoneUrl: string;
  private readonly apiKey: string;
  private readonly ttl: number;

  constructor(s: DnsProviderSettings) {
    this.outbound = s.outbound;
    const api = setting(this.kind, s.config, 'apiUrl').replace(/\/+$/, '');
    const server = String(s.config.serverId ?? 'localhost');
    this.zoneUrl = `${api}/api/v1/servers/${encodeURIComponent(server)}/zones/${encodeURIComponent(fqdnDot(setting(this.kind, s.config, 'zone')))}`;
    this.apiKey = setting(this.kind, s.credentials, 'apiKey');
    this.ttl = Number(s.config.ttl ?? 60);
  }

  private headers(): Record<string, string> {
    return { 'x-api-key': this.apiKey, 'content-type': 'application/json', accept: 'application/json' };
  }

  private async current(name: string, opts?: DnsCallOptions): Promise<string[]> {
    const res = await providerFetch(this.kind, this.outbound, `${this.zoneUrl}?rrsets=true`, { headers: this.headers() }, opts);
    const zone = JSON.parse(await expectOk(this.kind, 'reading the zone', res)) as { rrsets?: RrSet[] };
    return zone.rrsets?.find((r) => r.name === name && r.type === 'TXT')?.records.map((r) => r.content) ?? [];
  }

  private async write(name: string, contents: string[], opts?: DnsCallOptions): Promise<void> {
    const rrset = contents.length
      ? { name, type: 'TXT', ttl: this.ttl, changetype: 'REPLACE', records: contents.map((content) => ({ content, disabled: false })) }
      : { name, type: 'TXT', changetype: 'DELETE' };
    const res = await providerFetch(this.kind, this.outbound, this.zoneUrl, { method: 'PATCH', headers: this.headers(), body: JSON.stringify({ rrsets: [rrset] }) }, opts);
    await expectOk(this.kind, `updating ${name}`, res);
  }

  async addTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    const name = fqdnDot(fqdn);
    const content = JSON.stringify(value);
    const now = await this.current(name, opts);
    if (!now.includes(content)) await this.write(name, [...now, content], opts);
  }

  async removeTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    const name = fqdnDot(fqdn);
    const content = JSON.stringify(value);
    const now = await this.current(name, opts);
    if (now.includes(content)) await this.write(name, now.filter((c) => c !== content), opts);
  }
}
