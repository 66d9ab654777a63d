import { z } from 'zod';
import { isoTime, pageOf, plainText, isPlainText, PLAIN_TEXT_MESSAGE } from './common.js';

// ---------------------------------------------------------------- domains

export const tlsModeSchema = z.enum(['acme', 'custom', 'none']).describe('acme: issued and renewed automatically; custom: an uploaded certificate; none: plain HTTP');
export type TlsMode = z.infer<typeof tlsModeSchema>;

export const redirectStatusSchema = z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)]);

export const redirectRuleSchema = z.object({
  from: z.string().min(1).max(1024).refine(isPlainText, PLAIN_TEXT_MESSAGE).describe('Exact request path, e.g. /old-page'),
  to: z.string().min(1).max(2048).refine(isPlainText, PLAIN_TEXT_MESSAGE).describe('Absolute http(s) URL or a path on this site'),
  status: redirectStatusSchema.default(301),
});
export type RedirectRule = z.infer<typeof redirectRuleSchema>;

export const verificationMethodSchema = z.enum(['dns', 'http']);
export const challengeTypeSchema = z.enum(['http-01', 'dns-01']);

export const domainCreateBody = z.object({
  hostname: plainText(300).describe('Host name; IDN is accepted and stored as punycode; *.example.com for a wildcard'),
  redirectTo: z.url().max(2048).optional().describe('Send every request of this domain to this URL (the path is kept when the URL has none)'),
  redirectStatus: redirectStatusSchema.default(301).describe('Status of the redirectTo redirect'),
  tls: tlsModeSchema.default('acme'),
  wwwRedirect: z.enum(['to-apex', 'to-www']).nullable().default(null).describe('Also answer the www/apex twin and redirect it here (301)'),
  httpsRedirect: z.boolean().default(true).describe('With TLS, send plain-HTTP requests to HTTPS (301)'),
  redirects: z.array(redirectRuleSchema).max(200).default([]),
  verificationMethod: verificationMethodSchema.default('dns').describe('dns: TXT record _devflow-challenge.<host>; http: a token file served by the server'),
  challenge: challengeTypeSchema.optional().describe('ACME challenge; default http-01, dns-01 for wildcards'),
  dnsProviderId: z.string().min(1).max(64).optional().describe('DNS provider that answers DNS-01 (required with dns-01)'),
  certificateId: z.string().min(1).max(64).optional().describe('tls=custom: an uploaded certificate of the organization'),
});
export type DomainCreateBody = z.infer<typeof domainCreateBody>;

export const domainSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    environmentId: z.string(),
    hostname: z.string().describe('ASCII (punycode) form'),
    unicodeHostname: z.string(),
    wildcard: z.boolean(),
    redirectTo: z.string().nullable(),
    redirectStatus: z.number().int(),
    tls: tlsModeSchema,
    wwwRedirect: z.enum(['to-apex', 'to-www']).nullable(),
    httpsRedirect: z.boolean(),
    redirects: z.array(redirectRuleSchema),
    verification: z.object({
      method: verificationMethodSchema,
      status: z.enum(['pending', 'verified']),
      token: z.string(),
      dnsRecord: z.object({ type: z.literal('TXT'), name: z.string(), value: z.string() }),
      httpUrl: z.string(),
      verifiedAt: isoTime.nullable(),
      lastError: z.string().nullable(),
    }),
    challenge: challengeTypeSchema,
    dnsProviderId: z.string().nullable(),
    certificateId: z.string().nullable(),
    certificate: z.object({
      status: z.enum(['none', 'pending', 'issued', 'failed']),
      error: z.string().nullable(),
      notAfter: isoTime.nullable(),
      renewAfter: isoTime.nullable().describe('When the renewal job takes it (30 days before expiry)'),
    }),
    site: z.object({
      status: z.enum(['pending', 'applied', 'failed']),
      error: z.string().nullable(),
      appliedAt: isoTime.nullable(),
    }),
    createdAt: isoTime,
  })
  .meta({ id: 'Domain' });
export type Domain = z.infer<typeof domainSchema>;

export const domainVerifyBody = z
  .object({ method: verificationMethodSchema.optional().describe('Default: the domain\'s method') })
  .default({});

export const jobRefSchema = z.object({ id: z.string(), status: z.string() });

export const certificateOrderResponse = z
  .object({ job: jobRefSchema, domain: domainSchema })
  .meta({ id: 'CertificateOrder' });

// ---------------------------------------------------------------- certificates

export const certificateSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    domainId: z.string().nullable(),
    source: z.enum(['acme', 'custom']),
    subject: z.string(),
    sans: z.array(z.string()),
    issuer: z.string(),
    serialNumber: z.string(),
    fingerprintSha256: z.string(),
    keyType: z.string(),
    notBefore: isoTime,
    notAfter: isoTime,
    createdAt: isoTime,
  })
  .meta({ id: 'Certificate' });
export type Certificate = z.infer<typeof certificateSchema>;

const pem = (what: string) => z.string().min(1).max(100_000).describe(what);

export const certificateUploadBody = z.object({
  organizationId: z.string().min(1).max(64),
  certificatePem: pem('The certificate (PEM); intermediates may follow it'),
  privateKeyPem: pem('Its unencrypted private key (PEM); stored encrypted, never shown again'),
  chainPem: pem('Intermediates, leaf issuer first').optional(),
  domainId: z.string().min(1).max(64).optional().describe('Serve it on this domain (tls=custom) at once'),
});

export const certificateListQuery = z.object({
  organizationId: z.string().max(64).optional(),
  domainId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

// ---------------------------------------------------------------- DNS providers

export const dnsProviderKindSchema = z.enum(['challtestsrv', 'powerdns', 'rfc2136', 'cloudflare', 'route53']);
export type DnsProviderKind = z.infer<typeof dnsProviderKindSchema>;

export const dnsProviderCreateBody = z.object({
  name: plainText(100),
  kind: dnsProviderKindSchema,
  config: z
    .record(z.string(), z.union([z.string().max(500), z.number()]))
    .default({})
    .describe('Non-secret settings: zone, zoneId, hostedZoneId, server, apiUrl, keyName, algorithm…'),
  credentials: z
    .record(z.string(), z.string().max(5000))
    .default({})
    .describe('Secrets (apiToken, apiKey, accessKeyId, secretAccessKey, tsigSecret…): stored encrypted, never shown'),
});

export const dnsProviderSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string(),
    kind: dnsProviderKindSchema,
    config: z.record(z.string(), z.union([z.string(), z.number()])),
    credentialKeys: z.array(z.string()).describe('Names of the stored secrets (values are never shown)'),
    createdAt: isoTime,
  })
  .meta({ id: 'DnsProvider' });

export const orgDnsProviderParams = z.object({ id: z.string().min(1).max(64), providerId: z.string().min(1).max(64) });

// ---------------------------------------------------------------- named responses and client types
export const domainPageSchema = pageOf(domainSchema, 'DomainPage');
export const certificatePageSchema = pageOf(certificateSchema, 'CertificatePage');
export const dnsProviderPageSchema = pageOf(dnsProviderSchema, 'DnsProviderPage');

export type DomainInput = z.input<typeof domainCreateBody>;
/** POST /domains/{id}/certificate (202): the queued job and the domain. */
export type CertificateOrder = z.infer<typeof certificateOrderResponse>;
export type CertificateUploadInput = z.input<typeof certificateUploadBody>;
export type DnsProvider = z.infer<typeof dnsProviderSchema>;
