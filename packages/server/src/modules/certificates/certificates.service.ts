import type { Selectable } from 'kysely';
import { CertificateCheckError, checkCustomCertificate, inspectCertificate } from '../../core/domains/certificate-checks.js';
import { wwwTwin } from '../../core/domains/hostname.js';
import type { Db } from '../../db/database.js';
import type { CertificatesTable } from '../../db/schema.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import type { DomainService } from '../domains/index.js';
import { authorizeIn, visibleOrganizations } from '../ssh-keys/index.js';

export type CertificateRow = Selectable<CertificatesTable>;

/** The public shape of a certificate: never its key. */
export function presentCertificate(r: CertificateRow) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    domainId: r.domain_id,
    source: r.source,
    subject: r.subject,
    sans: JSON.parse(r.sans) as string[],
    issuer: r.issuer,
    serialNumber: r.serial_number ?? '',
    fingerprintSha256: r.fingerprint ?? '',
    keyType: r.key_type ?? '',
    notBefore: r.not_before,
    notAfter: r.not_after,
    createdAt: r.created_at,
  };
}

/** Certificates of organizations: uploaded (checked first) or issued by ACME; keys sealed in the SecretBox. */
export class CertificateService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly domains: DomainService,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(id: string): Promise<CertificateRow> {
    const row = await this.db.kysely.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('certificate', id);
    return row;
  }

  async list(ctx: RequestContext, q: { organizationId?: string | undefined; domainId?: string | undefined; limit: number; cursor?: string | undefined }) {
    const orgs = visibleOrganizations(ctx);
    if (q.organizationId && !orgs.includes(q.organizationId)) throw notFound('organization', q.organizationId);
    const ids = q.organizationId ? [q.organizationId] : orgs;
    if (!ids.length) return { data: [], nextCursor: null };
    let query = this.db.kysely.selectFrom('certificates').selectAll().where('organization_id', 'in', ids);
    if (q.domainId) query = query.where('domain_id', '=', q.domainId);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    const rows = await query.orderBy('id').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    return { data: page.map(presentCertificate), nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
  }

  /**
   * Stores an uploaded certificate after checking it (key match, validity,
   * chain order, names of the domain when one is given); a failed check is
   * a 422 whose code and message name the reason.
   */
  async upload(ctx: RequestContext, input: { organizationId: string; certificatePem: string; privateKeyPem: string; chainPem?: string | undefined; domainId?: string | undefined }) {
    authorizeIn(ctx, input.organizationId, 'certificate.write');
    let hostnames: string[] = [];
    if (input.domainId) {
      const d = await this.domains.get(input.domainId).catch(() => undefined);
      if (!d || d.organization_id !== input.organizationId) throw notFound('domain', input.domainId);
      authorizeIn(ctx, d.organization_id, 'domain.write');
      if (d.tls !== 'custom') throw new AppError('conflict', 'domain.tls_not_custom', `${d.hostname} uses tls=${d.tls}; set tls=custom to serve an uploaded certificate.`);
      const twin = d.www_redirect ? wwwTwin(d.hostname) : null;
      hostnames = [d.hostname, ...(twin ? [twin] : [])];
    }
    let checked;
    try {
      checked = checkCustomCertificate({ certificatePem: input.certificatePem, privateKeyPem: input.privateKeyPem, chainPem: input.chainPem, hostnames, now: this.clock() });
    } catch (err) {
      if (err instanceof CertificateCheckError) throw new AppError('unprocessable', err.code, err.message);
      throw err;
    }
    const row = await this.store({
      organizationId: input.organizationId,
      domainId: null,
      source: 'custom',
      certificatePem: checked.certificatePem,
      chainPem: checked.chainPem,
      privateKeyPem: checked.privateKeyPem,
    });
    await this.audit.record(ctx, {
      action: 'certificate.upload',
      organizationId: input.organizationId,
      targetType: 'certificate',
      targetId: row.id,
      diff: { subject: row.subject, sans: checked.info.sans, notAfter: row.not_after, fingerprint: row.fingerprint, domainId: input.domainId ?? null },
    });
    if (input.domainId) await this.domains.attachCertificate(input.domainId, row.id, row.not_after);
    return presentCertificate(row);
  }

  /** Stores a certificate with its key sealed (uploads, and what ACME issued). */
  async store(input: { organizationId: string; domainId: string | null; source: 'acme' | 'custom'; certificatePem: string; chainPem: string | null; privateKeyPem: string }): Promise<CertificateRow> {
    const info = inspectCertificate(input.certificatePem);
    const row: CertificateRow = {
      id: newId('crt'),
      organization_id: input.organizationId,
      domain_id: input.domainId,
      source: input.source,
      subject: info.subject,
      sans: JSON.stringify(info.sans),
      issuer: info.issuer,
      not_before: info.notBefore,
      not_after: info.notAfter,
      certificate_pem: input.certificatePem,
      chain_pem: input.chainPem,
      private_key: this.box.encrypt(input.privateKeyPem),
      created_at: new Date(this.clock()).toISOString(),
      serial_number: info.serialNumber,
      fingerprint: info.fingerprintSha256,
      key_type: info.keyType,
    };
    await this.db.kysely.insertInto('certificates').values(row).execute();
    return row;
  }
}
