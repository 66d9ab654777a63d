import { ChalltestsrvProvider } from './challtestsrv/challtestsrv-provider.js';
import { CloudflareProvider } from './cloudflare/cloudflare-provider.js';
import type { DnsProvider, DnsProviderSettings } from './dns-provider.js';
import { PowerDnsProvider } from './powerdns/powerdns-provider.js';
import { Rfc2136Provider } from './rfc2136/rfc2136-provider.js';
import { Route53Provider } from './route53/route53-provider.js';

/** Every kind of DNS provider DevFlow can drive. */
export const DNS_PROVIDER_KINDS = ['challtestsrv', 'powerdns', 'rfc2136', 'cloudflare', 'route53'] as const;
export type DnsProviderKindName = (typeof DNS_PROVIDER_KINDS)[number];

/** Builds the provider of a kind from its settings; throws `dns.provider_config` naming a missing setting. */
export function createDnsProvider(kind: DnsProviderKindName, settings: DnsProviderSettings, clock: () => number = Date.now): DnsProvider {
  switch (kind) {
    case 'challtestsrv':
      return new ChalltestsrvProvider(settings);
    case 'powerdns':
      return new PowerDnsProvider(settings);
    case 'rfc2136':
      return new Rfc2136Provider(settings, clock);
    case 'cloudflare':
      return new CloudflareProvider(settings);
    case 'route53':
      return new Route53Provider(settings, clock);
  }
}
