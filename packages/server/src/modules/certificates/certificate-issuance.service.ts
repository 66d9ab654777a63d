import type { AcmeIssuer, ChallengeResponder, PendingChallenge } from '../../adapters/acme/acme-issuer.js';
import type { DnsLookup } from '../../adapters/dns/dns-resolver.js';
import { acmeChallengeRecordName, wwwTwin } from '../../core/domains/hostname.js';
import { renewAfter, renewalDue } from '../../core/domains/expiry.js';
import type { EventBus } from '../../events/event-bus.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { AppError } from '../../lib/errors.js';
import type { Db } from '../../db/database.js';
import { type DnsProviderService, DOMAIN_JOBS, type DomainRow, type DomainSiteService } from '../domains/index.js';
import type { AcmeAccounts } from './acme-accounts.js';
import type { CertificateService } from './certificates.service.js';

export type IssueReason = 'auto' | 'request' | 'renewal';

export interface IssuanceOptions {
  /** Contact address given to the CA for new accounts. */
  contactEmail?: string | undefined;
  /** How long a DNS-01 TXT record may take to show on the resolvers (default 120 s). */
  dnsPropagationTimeoutMs?: number;
}

/** The job's view of its own attempt, so the last failure can raise the alert. */
export interface AttemptInfo {
  attempt: number;
  maxAttempts: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });

/**
 * Orders a domain's certificate from the ACME CA and serves it: HTTP-01
 * answers go to the environment's servers' webroot over SSH, DNS-01 answers
 * through the domain's DnsProvider; the certificate is stored with its key
 * sealed and deployed with the domain's nginx files. A failure keeps the old
 * certificate serving, records the reason, and after the last attempt
 * publishes `certificate.renewal_failed` (or `certificate.issue_failed`).
 */
export class CertificateIssuance {
  constructor(
    private readonly db: Db,
    private readonly acme: AcmeIssuer,
    private readonly accounts: AcmeAccounts,
    private readonly certificates: CertificateService,
    private readonly sites: DomainSiteService,
    private readonly dnsProviders: DnsProviderService,
    private readonly dns: DnsLookup,
    private readonly queue: () => JobQueue,
    private readonly bus: EventBus,
    private readonly opts: IssuanceOptions = {},
    private readonly clock: () => number = Date.now,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Runs one attempt of an order; safe to run twice (it re-reads the domain first). */
  async issue(domainId: string, reason: IssueReason, job: AttemptInfo): Promise<{ certificateId?: string; skipped?: string }> {
    const d = await this.db.kysely.selectFrom('domains').selectAll().where('id', '=', domainId).executeTakeFirst();
    if (!d) return { skipped: 'the domain was deleted' };
    if (d.tls !== 'acme') return { skipped: `the domain uses tls=${d.tls}` };
    if (reason === 'auto' && d.certificate_id) return { skipped: 'the domain already has a certificate' };
    if (reason === 'renewal' && d.certificate_id) {
      const cert = await this.db.kysely.selectFrom('certificates').select('not_after').where('id', '=', d.certificate_id).executeTakeFirst();
      if (cert && !renewalDue(cert.not_after, this.clock())) return { skipped: 'the certificate was renewed meanwhile' };
    }
    try {
      const id = await this.order(d, reason, job);
      return { certificateId: id };
    } catch (err) {
      await this.failed(d, reason, err, job);
      throw err;
    }
  }

  private async order(d: DomainRow, reason: IssueReason, job: AttemptInfo): Promise<string> {
    const twin = d.www_redirect ? wwwTwin(d.hostname) : null;
    const names = [d.hostname, ...(twin ? [twin] : [])];
    job.log(`${reason === 'renewal' ? 'renewing' : 'ordering'} a certificate for ${names.join(', ')} with ${d.challenge} from ${this.acme.directoryUrl}`);
    // HTTP-01 needs nginx to answer for the names: the domain's site must be on the servers.
    if (d.challenge === 'http-01' && d.site_status !== 'applied') await this.sites.apply(d.id, job.signal);
    const responder = d.challenge === 'dns-01' ? await this.dnsResponder(d) : this.httpResponder(d);
    const account = await this.accounts.forOrganization(d.organization_id, this.acme.directoryUrl, () => this.acme.createAccountKey());
    const issued = await this.acme.issue({
      accountKeyPem: account.keyPem,
      accountUrl: account.accountUrl,
      contactEmail: this.opts.contactEmail ?? null,
      names,
      challenge: d.challenge,
      responder,
      signal: job.signal,
      log: job.log,
    });
    if (issued.accountUrl !== account.accountUrl) await this.accounts.saveUrl(account.id, issued.accountUrl);
    const cert = await this.certificates.store({
      organizationId: d.organization_id,
      domainId: d.id,
      source: 'acme',
      certificatePem: issued.certificatePem,
      chainPem: issued.chainPem,
      privateKeyPem: issued.privateKeyPem,
    });
    await this.db.kysely
      .updateTable('domains')
      // A certificate the CA issued after validating the name through our server (HTTP-01) or our DNS provider (DNS-01) proves control.
      .set({ certificate_id: cert.id, certificate_status: 'issued', certificate_error: null, renewal_failures: 0, next_renewal_at: renewAfter(cert.not_after), site_status: 'pending', verified_at: d.verified_at ?? this.now(), verification_error: null, updated_at: this.now() })
      .where('id', '=', d.id)
      .execute();
    await this.bus.publish({
      type: reason === 'renewal' ? 'certificate.renewed' : 'certificate.issued',
      organizationId: d.organization_id,
      payload: { domainId: d.id, hostname: d.hostname, certificateId: cert.id, notAfter: cert.not_after, issuer: cert.issuer },
    });
    job.log(`certificate ${cert.id} stored (valid until ${cert.not_after}); deploying`);
    try {
      await this.sites.apply(d.id, job.signal);
    } catch (err) {
      // The certificate is kept; serving it is retried by its own job (nginx keeps the previous files meanwhile).
      job.log(`deploying failed: ${(err as Error).message}`);
      await this.queue().enqueue(DOMAIN_JOBS.applySite, { domainId: d.id });
    }
    return cert.id;
  }

  private httpResponder(d: DomainRow): ChallengeResponder {
    return {
      present: (c: PendingChallenge, signal) => this.sites.putChallenge(d.environment_id, c.token, c.value, signal),
      cleanup: (c: PendingChallenge) => this.sites.dropChallenge(d.environment_id, c.token),
    };
  }

  private async dnsResponder(d: DomainRow): Promise<ChallengeResponder> {
    if (!d.dns_provider_id) throw new AppError('conflict', 'domain.no_dns_provider', `${d.hostname} answers dns-01 but has no DNS provider.`);
    const provider = await this.dnsProviders.open(d.dns_provider_id);
    const timeoutMs = this.opts.dnsPropagationTimeoutMs ?? 120_000;
    return {
      present: async (c, signal) => {
        const name = acmeChallengeRecordName(c.identifier);
        await provider.addTxt(name, c.value, signal ? { signal } : {});
        // The CA asks the authoritative servers; wait until our resolvers see the value too.
        const until = Date.now() + timeoutMs;
        const wait = signal ?? AbortSignal.timeout(timeoutMs + 1000);
        for (;;) {
          const seen = await this.dns.txt(name).catch(() => [] as string[]);
          if (seen.includes(c.value)) return;
          if (Date.now() > until) throw new AppError('unprocessable', 'dns.propagation_timeout', `TXT ${name} was written through ${provider.kind} but did not show within ${Math.round(timeoutMs / 1000)} s.`);
          await sleep(500, wait);
        }
      },
      cleanup: (c) => provider.removeTxt(acmeChallengeRecordName(c.identifier), c.value),
    };
  }

  private async failed(d: DomainRow, reason: IssueReason, err: unknown, job: AttemptInfo): Promise<void> {
    const message = (err as Error)?.message ?? String(err);
    const last = job.attempt >= job.maxAttempts;
    const fresh = await this.db.kysely.selectFrom('domains').select(['certificate_id', 'renewal_failures']).where('id', '=', d.id).executeTakeFirst();
    if (!fresh) return;
    await this.db.kysely
      .updateTable('domains')
      .set({
        certificate_error: message.slice(0, 2000),
        certificate_status: last ? (fresh.certificate_id ? 'issued' : 'failed') : 'pending',
        ...(reason === 'renewal' ? { renewal_failures: fresh.renewal_failures + 1 } : {}),
        updated_at: this.now(),
      })
      .where('id', '=', d.id)
      .execute();
    job.log(`attempt ${job.attempt}/${job.maxAttempts} failed: ${message}`);
    if (!last) return;
    await this.bus.publish({
      type: reason === 'renewal' ? 'certificate.renewal_failed' : 'certificate.issue_failed',
      organizationId: d.organization_id,
      payload: {
        domainId: d.id,
        hostname: d.hostname,
        environmentId: d.environment_id,
        attempts: job.attempt,
        error: message.slice(0, 1000),
        code: err instanceof AppError ? err.code : null,
        certificateId: fresh.certificate_id,
      },
    });
  }
}
