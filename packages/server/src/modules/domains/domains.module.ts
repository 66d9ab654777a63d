import { z } from 'zod';
import { AcmeClientIssuer } from '../../adapters/acme/acme-client-issuer.js';
import type { AcmeIssuer } from '../../adapters/acme/acme-issuer.js';
import { DnsResolver } from '../../adapters/dns/dns-resolver.js';
import type { ProxyConfigurator } from '../../adapters/proxy/proxy-configurator.js';
import type { OutboundGuard } from '../../adapters/outbound/outbound-guard.js';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { HttpApp } from '../../http/app.js';
import { defineJob, type JobDefinition } from '../../jobs/job-registry.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Schedule } from '../../jobs/scheduler.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { AcmeAccounts, CertificateIssuance, CertificateMonitor, CertificateService, registerCertificateRoutes } from '../certificates/index.js';
import type { AuditLog, IdentityGuard } from '../identity/index.js';
import type { ServersModule } from '../servers/servers.module.js';
import { DnsProviderService } from './dns-providers.service.js';
import { DomainSiteService } from './domain-sites.service.js';
import { DomainVerifier } from './domain-verifier.js';
import { registerDomainRoutes } from './domains.routes.js';
import { DOMAIN_JOBS, DomainService } from './domains.service.js';
import { releaseStrategyApp, type EnvironmentAppResolver } from './environment-app.js';

export interface DomainsModuleOptions {
  /** Replaces DEVFLOW_ACME_DIRECTORY_URL (tests: Pebble). */
  acmeDirectoryUrl?: string;
  /** Extra CA (PEM) trusted for the ACME directory's origin only (tests: Pebble's self-made certificate). */
  acmeCa?: string;
  /** Polling of pending ACME challenges and orders, in ms (defaults suit Let's Encrypt). */
  acmePoll?: { minMs?: number; maxMs?: number; attempts?: number };
  /** Replaces the acme-client issuer (another CA client). */
  issuer?: AcmeIssuer;
  /** Contact address of new ACME accounts. */
  contactEmail?: string;
  /** How long a DNS-01 record may take to show (default 120 s). */
  dnsPropagationTimeoutMs?: number;
  /** Where HTTP-01 and ownership tokens live on servers (default /var/lib/devflow/acme). */
  acmeWebroot?: string;
  /** Public ports nginx serves domains on, and that checks connect to (default 80 / 443). */
  httpPort?: number;
  httpsPort?: number;
  /** Root of the release strategy's environments (default /srv/devflow/apps), to serve their `current` release. */
  appRoot?: string;
  /** Replaces how a domain finds what its environment serves. */
  appOf?: EnvironmentAppResolver;
  /** Attempts of a certificate order before it is given up and alerted (default 3), and the first retry delay (default 5 min, doubling). */
  issueAttempts?: number;
  issueBackoffMs?: number;
  /** Cron of the renewal sweep (default daily 02:41 UTC) and of the expiry check (daily 06:11 UTC). */
  renewCron?: string;
  expiryCron?: string;
  /** The clock of renewal and expiry decisions (tests move it); default the app's. */
  clock?: () => number;
}

export interface DomainsModuleDeps {
  db: Db;
  box: SecretBox;
  bus: EventBus;
  queue: () => JobQueue;
  audit: AuditLog;
  servers: ServersModule;
  /** The process's one web-server configurator, shared with deployments so their applies take the same locks. */
  proxy: ProxyConfigurator;
  acmeDirectoryUrl: string;
  /** DEVFLOW_DNS_SERVERS: resolvers for ownership checks, DNS-01 propagation and the expiry monitor; empty: the system's. */
  dnsServers: readonly string[];
  /** The guard of every outgoing request (HTTP ownership checks, DNS provider APIs). */
  outbound: OutboundGuard;
  clock?: (() => number) | undefined;
}

/** Domains, DNS providers, certificates and their jobs, wired by hand. */
export interface DomainsModule {
  readonly domains: DomainService;
  readonly sites: DomainSiteService;
  readonly dnsProviders: DnsProviderService;
  readonly certificates: CertificateService;
  readonly issuance: CertificateIssuance;
  readonly monitor: CertificateMonitor;
  readonly issuer: AcmeIssuer;
  readonly jobs: JobDefinition[];
  readonly schedules: Schedule[];
  /** Registers the routes and the resolvers of domains and certificates. */
  registerHttp(http: HttpApp, guard: IdentityGuard | undefined): void;
  close(): void;
}

export function createDomainsModule(d: DomainsModuleDeps, o: DomainsModuleOptions = {}): DomainsModule {
  const clock = o.clock ?? d.clock ?? Date.now;
  const dns = new DnsResolver(d.dnsServers);
  const issuer =
    o.issuer ??
    new AcmeClientIssuer({
      directoryUrl: o.acmeDirectoryUrl ?? d.acmeDirectoryUrl,
      ca: o.acmeCa,
      ...(o.acmePoll?.minMs ? { pollMinMs: o.acmePoll.minMs } : {}),
      ...(o.acmePoll?.maxMs ? { pollMaxMs: o.acmePoll.maxMs } : {}),
      ...(o.acmePoll?.attempts ? { pollAttempts: o.acmePoll.attempts } : {}),
    });
  const sites = new DomainSiteService(
    d.db,
    d.box,
    d.servers.servers,
    d.servers.ssh,
    d.proxy,
    o.appOf ?? releaseStrategyApp(d.db, o.appRoot ?? '/srv/devflow/apps'),
    { ...(o.acmeWebroot ? { acmeWebroot: o.acmeWebroot } : {}), ...(o.httpPort ? { httpPort: o.httpPort } : {}), ...(o.httpsPort ? { httpsPort: o.httpsPort } : {}) },
    clock,
  );
  const verifier = new DomainVerifier(dns, d.outbound, { ...(o.httpPort ? { httpPort: o.httpPort } : {}) });
  const domains = new DomainService(d.db, d.queue, d.audit, sites, verifier, clock);
  const dnsProviders = new DnsProviderService(d.db, d.box, d.audit, d.outbound, clock);
  const certificates = new CertificateService(d.db, d.box, d.audit, domains, clock);
  const accounts = new AcmeAccounts(d.db, d.box, clock);
  const issuance = new CertificateIssuance(d.db, issuer, accounts, certificates, sites, dnsProviders, dns, d.queue, d.bus, {
    contactEmail: o.contactEmail,
    ...(o.dnsPropagationTimeoutMs ? { dnsPropagationTimeoutMs: o.dnsPropagationTimeoutMs } : {}),
  }, clock);
  const monitor = new CertificateMonitor(d.db, dns, d.queue, d.bus, { ...(o.httpsPort ? { httpsPort: o.httpsPort } : {}) }, clock);
  const issueAttempts = o.issueAttempts ?? 3;

  const jobs: JobDefinition[] = [
    defineJob({
      name: DOMAIN_JOBS.applySite,
      payload: z.object({ domainId: z.string() }),
      maxAttempts: 3,
      backoffMs: 30_000,
      timeoutMs: 10 * 60_000,
      concurrencyKey: (p) => `domain:${p.domainId}`,
      handler: async (p, ctx) => {
        await sites.apply(p.domainId, ctx.signal);
        return { applied: true };
      },
    }),
    defineJob({
      name: DOMAIN_JOBS.removeSite,
      payload: z.object({ domainId: z.string(), environmentId: z.string(), token: z.string() }),
      maxAttempts: 3,
      backoffMs: 30_000,
      timeoutMs: 10 * 60_000,
      concurrencyKey: (p) => `domain:${p.domainId}`,
      handler: async (p, ctx) => {
        await sites.remove({ id: p.domainId, environmentId: p.environmentId, token: p.token }, ctx.signal);
        return { removed: true };
      },
    }),
    defineJob({
      name: DOMAIN_JOBS.issue,
      payload: z.object({ domainId: z.string(), reason: z.enum(['auto', 'request', 'renewal']) }),
      maxAttempts: issueAttempts,
      backoffMs: o.issueBackoffMs ?? 5 * 60_000,
      timeoutMs: 15 * 60_000,
      // One order per domain at a time, and never while its site is being written.
      concurrencyKey: (p) => `domain:${p.domainId}`,
      handler: (p, ctx) => issuance.issue(p.domainId, p.reason, { attempt: ctx.attempt, maxAttempts: issueAttempts, signal: ctx.signal, log: ctx.log }),
    }),
    defineJob({
      name: DOMAIN_JOBS.renewDue,
      payload: z.object({}),
      maxAttempts: 2,
      timeoutMs: 5 * 60_000,
      concurrencyKey: () => DOMAIN_JOBS.renewDue,
      handler: () => monitor.renewDue(),
    }),
    defineJob({
      name: DOMAIN_JOBS.checkExpiry,
      payload: z.object({}),
      maxAttempts: 2,
      timeoutMs: 30 * 60_000,
      concurrencyKey: () => DOMAIN_JOBS.checkExpiry,
      handler: (_p, ctx) => monitor.checkExpiry(ctx.signal),
    }),
  ];

  return {
    domains,
    sites,
    dnsProviders,
    certificates,
    issuance,
    monitor,
    issuer,
    jobs,
    schedules: [
      { name: DOMAIN_JOBS.renewDue, cron: o.renewCron ?? '41 2 * * *', job: DOMAIN_JOBS.renewDue },
      { name: DOMAIN_JOBS.checkExpiry, cron: o.expiryCron ?? '11 6 * * *', job: DOMAIN_JOBS.checkExpiry },
    ],
    registerHttp(http, guard) {
      guard?.registerResolver('domain', async (id) => {
        const row = await d.db.kysely
          .selectFrom('domains as dm')
          .innerJoin('environments as e', 'e.id', 'dm.environment_id')
          .select(['dm.organization_id', 'e.project_id'])
          .where('dm.id', '=', id)
          .executeTakeFirst();
        return row ? { organizationId: row.organization_id, projectId: row.project_id } : undefined;
      });
      guard?.registerResolver('certificate', async (id) => {
        const row = await d.db.kysely.selectFrom('certificates').select('organization_id').where('id', '=', id).executeTakeFirst();
        return row ? { organizationId: row.organization_id } : undefined;
      });
      registerDomainRoutes(http, { domains, dnsProviders });
      registerCertificateRoutes(http, certificates);
    },
    close() {
      issuer.close();
    },
  };
}
