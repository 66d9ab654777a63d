import type { Generated } from 'kysely';

/** Row types: domains, certificates, ACME accounts and DNS providers. */

export interface DomainsTable {
  id: string;
  organization_id: string;
  environment_id: string;
  hostname: string;
  redirect_to: string | null;
  tls: 'acme' | 'custom' | 'none';
  verification_token: string;
  verified_at: string | null;
  certificate_id: string | null;
  created_at: string;
  /** 0005: display form of an IDN name. */
  unicode_hostname: string | null;
  wildcard: Generated<number>;
  redirect_status: Generated<number>;
  www_redirect: 'to-apex' | 'to-www' | null;
  https_redirect: Generated<number>;
  /** JSON list of {from, to, status}. */
  redirects: Generated<string>;
  verification_method: Generated<'dns' | 'http'>;
  verification_error: string | null;
  challenge: Generated<'http-01' | 'dns-01'>;
  dns_provider_id: string | null;
  certificate_status: Generated<'none' | 'pending' | 'issued' | 'failed'>;
  certificate_error: string | null;
  renewal_failures: Generated<number>;
  next_renewal_at: string | null;
  site_status: Generated<'pending' | 'applied' | 'failed'>;
  site_error: string | null;
  site_applied_at: string | null;
  /** What the expiry monitor saw served, and the alerts it raised for that certificate. */
  served_fingerprint: string | null;
  served_not_after: string | null;
  checked_at: string | null;
  check_error: string | null;
  alerted_fingerprint: string | null;
  alerted_threshold: number | null;
  mismatch_alerted_fingerprint: string | null;
  updated_at: string | null;
}

export interface CertificatesTable {
  id: string;
  organization_id: string;
  domain_id: string | null;
  source: 'acme' | 'custom';
  subject: string;
  sans: string;
  issuer: string;
  not_before: string;
  not_after: string;
  certificate_pem: string;
  chain_pem: string | null;
  /** Encrypted private key (secret box). */
  private_key: string;
  created_at: string;
  /** 0005 */
  serial_number: string | null;
  /** SHA-256 of the DER as AB:CD:… */
  fingerprint: string | null;
  key_type: string | null;
}

/** An organization's ACME account at one directory (0005). */
export interface AcmeAccountsTable {
  id: string;
  organization_id: string;
  directory_url: string;
  /** Encrypted account private key (secret box). */
  account_key: string;
  account_url: string | null;
  created_at: string;
}

/** A DNS provider an organization answers DNS-01 challenges with (0005). */
export interface DnsProvidersTable {
  id: string;
  organization_id: string;
  name: string;
  kind: 'challtestsrv' | 'powerdns' | 'rfc2136' | 'cloudflare' | 'route53';
  /** JSON of non-secret settings. */
  config: string;
  /** Encrypted JSON of credentials (secret box). */
  credentials: string;
  created_at: string;
}
