import { DnsProviderError, expectOk, fqdnDot, providerFetch, setting, type DnsCallOptions, type DnsProvider, type DnsProviderSettings } from '../dns-provider.js';
import type { OutboundGuard } from '../../outbound/outbound-guard.js';
import { signV4 } from './sigv4.js';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The ChangeResourceRecordSets request body for one TXT value. */
export function changeBatchXml(action: 'UPSERT' | 'DELETE', name: string, value: string, ttl: number): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">',
    '<ChangeBatch>',
    '<Comment>DevFlow ACME DNS-01 challenge</Comment>',
    '<Changes>',
    '<Change>',
    `<Action>${action}</Action>`,
    '<ResourceRecordSet>',
    `<Name>${xml(fqdnDot(name))}</Name>`,
    '<Type>TXT</Type>',
    `<TTL>${ttl}</TTL>`,
    `<ResourceRecords><ResourceRecord><Value>${xml(JSON.stringify(value))}</Value></ResourceRecord></ResourceRecords>`,
    '</ResourceRecordSet>',
    '</Change>',
    '</Changes>',
    '</ChangeBatch>',
    '</ChangeResourceRecordSetsRequest>',
  ].join('');
}

/**
 * Amazon Route 53: `POST /2013-04-01/hostedzone/{Id}/rrset/` with a
 * ChangeResourceRecordSets XML body, signed with AWS Signature Version 4
 * (service `route53`, region `us-east-1`). Adding UPSERTs the record set
 * with this one value (ACME challenges are answered one name at a time);
 * removing DELETEs exactly that set. Config: `hostedZoneId`, optional
 * `endpoint` (default https://route53.amazonaws.com) and `ttl` (60);
 * credentials: `accessKeyId`, `secretAccessKey`, optional `sessionToken`.
 */
export class Route53Provider implements DnsProvider {
  private readonly outbound: OutboundGuard;
  readonly kind = 'route53';
  private readonly url: string;
  private readonly ttl: number;
  private readonly creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };

  constructor(
    s: DnsProviderSettings,
    private readonly clock: () => number = Date.now,
  ) {
    this.outbound = s.outbound;
    const endpoint = String(s.config.endpoint ?? 'https://route53.amazonaws.com').replace(/\/+$/, '');
    const zone = setting(this.kind, s.config, 'hostedZoneId').replace(/^\/?hostedzone\//, '');
    this.url = `${endpoint}/2013-04-01/hostedzone/${encodeURIComponent(zone)}/rrset/`;
    this.ttl = Number(s.config.ttl ?? 60);
    this.creds = {
      accessKeyId: setting(this.kind, s.credentials, 'accessKeyId'),
      secretAccessKey: setting(this.kind, s.credentials, 'secretAccessKey'),
      sessionToken: s.credentials.sessionToken,
    };
  }

  private async change(action: 'UPSERT' | 'DELETE', fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    const body = changeBatchXml(action, fqdn, value, this.ttl);
    const headers = signV4({ method: 'POST', url: this.url, headers: { 'content-type': 'text/xml' }, body }, this.creds, 'us-east-1', 'route53', new Date(this.clock()));
    delete headers.host; // fetch sets it from the URL (the same value that was signed)
    const res = await providerFetch(this.kind, this.outbound, this.url, { method: 'POST', headers, body }, opts);
    if (action === 'DELETE' && res.status === 400) {
      const text = await res.text();
      if (text.includes('InvalidChangeBatch') && /not found/i.test(text)) return; // already gone
      throw new DnsProviderError(this.kind, `${action} ${fqdn} failed with HTTP 400: ${text.slice(0, 300)}`, { meta: { status: 400 } });
    }
    await expectOk(this.kind, `${action} ${fqdn}`, res);
  }

  async addTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    await this.change('UPSERT', fqdn, value, opts);
  }

  async removeTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    await this.change('DELETE', fqdn, value, opts);
  }
}
