import { createHash } from 'node:crypto';
import type { DomainCreateBody } from '@devflow/contracts';
import { nameCovers, normalizeHostname, HostnameError, verificationRecordName, wwwTwin } from '../../core/domains/hostname.js';
import { renewAfter } from '../../core/domains/expiry.js';
import { redirectProblems } from '../../core/domains/redirects.js';
import { VERIFY_PATH_PREFIX } from '../../core/domains/domain-site.js';
import type { RedirectRule } from '../../core/nginx/site-spec.js';
import type { Db } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import type { DomainRow, DomainSiteService } from './domain-sites.service.js';
import type { DomainVerifier } from './domain-verifier.js';

/** Jobs of domains and certificates, by name. */
export const DOMAIN_JOBS = {
  applySite: 'domains.apply-site',
  removeSite: 'domains.remove-site',
  issue: 'certificates.issue',
  renewDue: 'certificates.renew-due',
  checkExpiry: 'certificates.check-expiry',
} as const;

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

/** The public shape of a domain. */
export function presentDomain(r: DomainRow & { certificate_not_after?: string | null }) {
  const name = verificationRecordName(r.hostname);
  return {
    id: r.id,
    organizationId: r.organization_id,
    environmentId: r.environment_id,
    hostname: r.hostname,
    unicodeHostname: r.unicode_hostname ?? r.hostname,
    wildcard: !!r.wildcard,
    redirectTo: r.redirect_to,
    redirectStatus: r.redirect_status,
    tls: r.tls,
    wwwRedirect: r.www_redirect,
    httpsRedirect: !!r.https_redirect,
    redirects: JSON.parse(r.redirects || '[]') as RedirectRule[],
    verification: {
      method: r.verification_method,
      status: r.verified_at ? ('verified' as const) : ('pending' as const),
      token: r.verification_token,
      dnsRecord: { type: 'TXT' as const, name, value: r.verification_token },
      httpUrl: `http://${r.hostname.replace(/^\*\./, '')}${VERIFY_PATH_PREFIX}${r.verification_token}`,
      verifiedAt: r.verified_at,
      lastError: r.verification_error,
    },
    challenge: r.challenge,
    dnsProviderId: r.dns_provider_id,
    certificateId: r.certificate_id,
    certificate: {
      status: r.certificate_status,
      error: r.certificate_error,
      notAfter: r.certificate_not_after ?? null,
      renewAfter: r.next_renewal_at,
    },
    site: { status: r.site_status, error: r.site_error, appliedAt: r.site_applied_at },
    createdAt: r.created_at,
  };
}

/** The ownership token of a name for an organization: the same each time it claims the name, so a TXT record stays valid. */
export function verificationToken(organizationId: string, hostname: string): string {
  return createHash('sha256').update(`devflow-domain-verification\0${organizationId}\0${hostname}`).digest('hex').slice(0, 32);
}

/** The refusal of a name another organization holds: it names no one. */
function hostnameUnavailable(): AppError {
  return conflict('domain.hostname_taken', 'This host name is not available: it belongs to a verified domain elsewhere on this installation.');
}

/**
 * Domains of environments: validated, unique host names with redirects,
 * ownership verification, and the jobs that put them on servers and order
 * their certificates.
 */
export class DomainService {
  constructor(
    private readonly db: Db,
    private readonly queue: () => JobQueue,
    private readonly audit: AuditLog,
    private readonly sites: DomainSiteService,
    private readonly verifier: DomainVerifier,
    private readonly clock: () => number = Date.now,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Domains with the expiry of their certificate. */
  private query() {
    return this.db.kysely.selectFrom('domains as d').leftJoin('certificates as c', 'c.id', 'd.certificate_id').selectAll('d').select('c.not_after as certificate_not_after');
  }

  async get(id: string): Promise<DomainRow & { certificate_not_after: string | null }> {
    const row = await this.query().where('d.id', '=', id).executeTakeFirst();
    if (!row) throw notFound('domain', id);
    return row;
  }

  async list(environmentId: string) {
    const rows = await this.query().where('d.environment_id', '=', environmentId).orderBy('d.hostname').execute();
    return rows.map(presentDomain);
  }

  async create(ctx: RequestContext, environmentId: string, body: DomainCreateBody) {
    const env = await this.db.kysely.selectFrom('environments').select(['id', 'organization_id']).where('id', '=', environmentId).executeTakeFirst();
    if (!env) throw notFound('environment', environmentId);
    let host;
    try {
      host = normalizeHostname(body.hostname);
    } catch (err) {
      if (err instanceof HostnameError) throw new AppError('invalid', 'domain.invalid_hostname', err.message, { fields: [{ field: 'body.hostname', message: err.reason }] });
      throw err;
    }
    const fields: { field: string; message: string }[] = [];
    const challenge = body.challenge ?? (host.wildcard ? 'dns-01' : 'http-01');
    if (host.wildcard && body.tls === 'acme' && challenge !== 'dns-01') fields.push({ field: 'body.challenge', message: 'a wildcard certificate needs the dns-01 challenge.' });
    if (host.wildcard && body.verificationMethod === 'http') fields.push({ field: 'body.verificationMethod', message: 'a wildcard domain is verified by DNS.' });
    if (body.tls === 'acme' && (challenge === 'dns-01' || host.wildcard) && !body.dnsProviderId) fields.push({ field: 'body.dnsProviderId', message: 'dns-01 needs a DNS provider that can write the TXT record.' });
    if (body.tls !== 'custom' && body.certificateId) fields.push({ field: 'body.certificateId', message: 'only a domain with tls=custom takes an uploaded certificate.' });
    fields.push(...redirectProblems({ hostname: host.ascii, wildcard: host.wildcard, redirectTo: body.redirectTo ?? null, wwwRedirect: body.wwwRedirect, redirects: body.redirects }));
    if (fields.length) throw new AppError('invalid', 'domain.invalid', `The domain has invalid fields: ${fields.map((f) => `${f.field} (${f.message})`).join('; ')}`, { fields });

    if (body.dnsProviderId) {
      const p = await this.db.kysely.selectFrom('dns_providers').select('organization_id').where('id', '=', body.dnsProviderId).executeTakeFirst();
      if (!p || p.organization_id !== env.organization_id) throw new AppError('invalid', 'domain.unknown_dns_provider', `No DNS provider ${body.dnsProviderId} in this organization.`, { fields: [{ field: 'body.dnsProviderId', message: 'unknown provider' }] });
    }
    const twin = body.wwwRedirect ? wwwTwin(host.ascii) : null;
    if (body.certificateId) await this.assertCertificateFits(env.organization_id, body.certificateId, [host.ascii, ...(twin ? [twin] : [])]);
    // Taken: the name itself, the twin this domain would answer, or a name whose twin is this one.
    const near = [host.ascii, ...(twin ? [twin] : []), ...(wwwTwin(host.ascii) ? [wwwTwin(host.ascii) as string] : [])];
    const rows = await this.db.kysely.selectFrom('domains').selectAll().where('hostname', 'in', near).execute();
    const clashes = rows.filter((r) => r.hostname === host.ascii || r.hostname === twin || (r.www_redirect && wwwTwin(r.hostname) === host.ascii));
    await this.settleClaims(ctx, env.organization_id, clashes);

    const now = this.now();
    const row: DomainRow = {
      id: newId('dom'),
      organization_id: env.organization_id,
      environment_id: environmentId,
      hostname: host.ascii,
      unicode_hostname: host.unicode,
      wildcard: host.wildcard ? 1 : 0,
      redirect_to: body.redirectTo ?? null,
      redirect_status: body.redirectStatus,
      tls: body.tls,
      www_redirect: body.wwwRedirect,
      https_redirect: body.httpsRedirect ? 1 : 0,
      redirects: JSON.stringify(body.redirects),
      verification_method: body.verificationMethod,
      verification_token: verificationToken(env.organization_id, host.ascii),
      verification_error: null,
      verified_at: null,
      challenge,
      dns_provider_id: body.dnsProviderId ?? null,
      certificate_id: body.certificateId ?? null,
      certificate_status: body.certificateId ? 'issued' : 'none',
      certificate_error: null,
      renewal_failures: 0,
      next_renewal_at: null,
      site_status: 'pending',
      site_error: null,
      site_applied_at: null,
      served_fingerprint: null,
      served_not_after: null,
      checked_at: null,
      check_error: null,
      alerted_fingerprint: null,
      alerted_threshold: null,
      mismatch_alerted_fingerprint: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.kysely.insertInto('domains').values(row).execute();
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) throw hostnameUnavailable();
      throw err;
    }
    await this.audit.record(ctx, {
      action: 'domain.create',
      organizationId: row.organization_id,
      targetType: 'domain',
      targetId: row.id,
      diff: { hostname: row.hostname, environmentId, tls: row.tls, redirectTo: row.redirect_to, wwwRedirect: row.www_redirect, redirects: body.redirects.length },
    });
    await this.enqueueApply(row.id, environmentId);
    return presentDomain(await this.get(row.id));
  }

  /**
   * Decides between a new claim and the domains it clashes with. Within the
   * organization the clash is named. Another organization's verified domain
   * wins, and the refusal says nothing about it. Another organization's
   * unverified claim does not block: it is released (its owner is told in its
   * audit log and can claim it again with the same token, which depends only
   * on the organization and the name), so the first verified claim wins.
   */
  private async settleClaims(ctx: RequestContext, organizationId: string, clashes: DomainRow[]): Promise<void> {
    const own = clashes.find((r) => r.organization_id === organizationId);
    if (own) throw conflict('domain.hostname_taken', `${own.hostname} is already a domain of an environment of this organization; a host name can belong to one environment only.`);
    if (clashes.some((r) => r.verified_at)) throw hostnameUnavailable();
    for (const r of clashes) {
      await this.db.kysely.deleteFrom('domains').where('id', '=', r.id).where('verified_at', 'is', null).execute();
      await this.queue().enqueue(DOMAIN_JOBS.removeSite, { domainId: r.id, environmentId: r.environment_id, token: r.verification_token });
      await this.audit.record(ctx, {
        action: 'domain.released',
        organizationId: r.organization_id,
        targetType: 'domain',
        targetId: r.id,
        diff: { hostname: r.hostname, reason: 'another organization claimed this unverified name; verify it (same TXT token) to keep it' },
        actor: { type: 'system', id: 'domains' },
      });
    }
  }

  /** Puts the domain (again) on its servers, in the background. */
  async enqueueApply(domainId: string, environmentId: string) {
    const hasServers = await this.db.kysely.selectFrom('environment_servers').select('server_id').where('environment_id', '=', environmentId).executeTakeFirst();
    if (!hasServers) return undefined;
    await this.db.kysely.updateTable('domains').set({ site_status: 'pending' }).where('id', '=', domainId).execute();
    return this.queue().enqueue(DOMAIN_JOBS.applySite, { domainId });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    const row = await this.get(id);
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('domains').where('id', '=', id).execute();
      await trx.deleteFrom('certificates').where('domain_id', '=', id).where('source', '=', 'acme').execute();
    });
    await this.queue().enqueue(DOMAIN_JOBS.removeSite, { domainId: id, environmentId: row.environment_id, token: row.verification_token });
    await this.audit.record(ctx, { action: 'domain.delete', organizationId: row.organization_id, targetType: 'domain', targetId: id, diff: { hostname: row.hostname } });
  }

  /**
   * Checks ownership by the chosen method. Success stamps the domain verified
   * (and, with tls=acme and no certificate yet, orders one); failure keeps
   * the reason on the domain and throws `domain.verification_failed`.
   */
  async verify(ctx: RequestContext, id: string, method?: 'dns' | 'http') {
    const row = await this.get(id);
    const how = method ?? row.verification_method;
    let outcome;
    if (how === 'dns') {
      outcome = await this.verifier.byDns(row.hostname, row.verification_token);
    } else {
      // The token must be on the servers and nginx must serve its path before anyone can fetch it.
      if (row.site_status !== 'applied') await this.sites.apply(id, AbortSignal.timeout(120_000));
      else await this.sites.putVerifyToken(row.environment_id, row.verification_token, AbortSignal.timeout(60_000));
      outcome = await this.verifier.byHttp(row.hostname, row.verification_token);
    }
    const now = this.now();
    if (!outcome.ok) {
      await this.db.kysely.updateTable('domains').set({ verification_error: outcome.detail, updated_at: now }).where('id', '=', id).execute();
      await this.audit.record(ctx, { action: 'domain.verify_failed', organizationId: row.organization_id, targetType: 'domain', targetId: id, diff: { method: how, detail: outcome.detail } });
      throw new AppError('unprocessable', 'domain.verification_failed', outcome.detail, { meta: { method: how } });
    }
    await this.db.kysely
      .updateTable('domains')
      .set({ verified_at: row.verified_at ?? now, verification_method: how, verification_error: null, updated_at: now })
      .where('id', '=', id)
      .execute();
    await this.audit.record(ctx, { action: 'domain.verify', organizationId: row.organization_id, targetType: 'domain', targetId: id, diff: { method: how, detail: outcome.detail } });
    if (row.tls === 'acme' && !row.certificate_id && row.certificate_status !== 'pending') {
      await this.db.kysely.updateTable('domains').set({ certificate_status: 'pending', certificate_error: null }).where('id', '=', id).execute();
      await this.queue().enqueue(DOMAIN_JOBS.issue, { domainId: id, reason: 'auto' });
    }
    return presentDomain(await this.get(id));
  }

  /** Orders (or renews) the domain's certificate in the background; refuses an unverified domain. */
  async requestCertificate(ctx: RequestContext, id: string) {
    const row = await this.get(id);
    if (row.tls !== 'acme') throw conflict('domain.tls_not_acme', `${row.hostname} uses tls=${row.tls}; only tls=acme domains get certificates from the CA.`);
    // An unverified domain may order: the CA's HTTP-01 check through the environment's server, or a DNS-01 record
    // written with the organization's provider, proves control as well, and issuance marks the domain verified.
    if (row.challenge === 'dns-01' && !row.dns_provider_id) throw conflict('domain.no_dns_provider', 'dns-01 needs a DNS provider; set one on the domain.');
    await this.sites.serversOf(row.environment_id);
    await this.db.kysely.updateTable('domains').set({ certificate_status: 'pending', certificate_error: null, updated_at: this.now() }).where('id', '=', id).execute();
    const job = await this.queue().enqueue(DOMAIN_JOBS.issue, { domainId: id, reason: 'request' });
    await this.audit.record(ctx, { action: 'certificate.order', organizationId: row.organization_id, targetType: 'domain', targetId: id, diff: { hostname: row.hostname, challenge: row.challenge, jobId: job.id } });
    return { job: { id: job.id, status: job.status }, domain: presentDomain(await this.get(id)) };
  }

  /** Refuses a certificate of another organization, or one that does not cover the names. */
  async assertCertificateFits(organizationId: string, certificateId: string, names: string[]): Promise<void> {
    const cert = await this.db.kysely.selectFrom('certificates').select(['organization_id', 'sans', 'not_after']).where('id', '=', certificateId).executeTakeFirst();
    if (!cert || cert.organization_id !== organizationId) throw new AppError('invalid', 'domain.unknown_certificate', `No certificate ${certificateId} in this organization.`, { fields: [{ field: 'body.certificateId', message: 'unknown certificate' }] });
    const sans = JSON.parse(cert.sans) as string[];
    const missing = names.filter((n) => !sans.some((s) => nameCovers(s, n)));
    if (missing.length) throw new AppError('unprocessable', 'certificate.name_mismatch', `The certificate is for ${sans.join(', ')}, not ${missing.join(', ')}.`);
    if (Date.parse(cert.not_after) <= this.clock()) throw new AppError('unprocessable', 'certificate.expired', `The certificate expired on ${cert.not_after}.`);
  }

  /** Points a tls=custom domain at an uploaded certificate and re-applies its site. */
  async attachCertificate(domainId: string, certificateId: string, notAfter: string): Promise<void> {
    const row = await this.get(domainId);
    await this.db.kysely
      .updateTable('domains')
      .set({ certificate_id: certificateId, certificate_status: 'issued', certificate_error: null, next_renewal_at: row.tls === 'acme' ? renewAfter(notAfter) : null, updated_at: this.now() })
      .where('id', '=', domainId)
      .execute();
    await this.enqueueApply(domainId, row.environment_id);
  }
}
