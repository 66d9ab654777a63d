import { expectOk, fqdnDot, providerFetch, setting, type DnsCallOptions, type DnsProvider, type DnsProviderSettings } from '../dns-provider.js';
import type { OutboundGuard } from '../../outbound/outbound-guard.js';

/**
 * pebble-challtestsrv's management API (`/set-txt`, `/clear-txt`): the mock
 * DNS server Pebble resolves through in tests. `set-txt` adds a value;
 * `clear-txt` clears every value of the name. Config: `managementUrl`.
 */
export class ChalltestsrvProvider implements DnsProvider {
  private readonly outbound: OutboundGuard;
  readonly kind = 'challtestsrv';
  private readonly base: string;

  constructor(s: DnsProviderSettings) {
    this.outbound = s.outbound;
    this.base = setting(this.kind, s.config, 'managementUrl').replace(/\/+$/, '');
  }

  async addTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void> {
    const res = await providerFetch(this.kind, this.outbound, `${this.base}/set-txt`, { method: 'POST', body: JSON.stringify({ host: fqdnDot(fqdn), value }) }, opts);
    await expectOk(this.kind, `set-txt ${fqdn}`, res);
  }

  async removeTxt(fqdn: string, _value: string, opts?: DnsCallOptions): Promise<void> {
    const res = await providerFetch(this.kind, this.outbound, `${this.base}/clear-txt`, { method: 'POST', body: JSON.stringify({ host: fqdnDot(fqdn) }) }, opts);
    await expectOk(this.kind, `clear-txt ${fqdn}`, res);
  }
}
