import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { DnsLookup } from '../../adapters/dns/dns-resolver.js';
import { certificateNames } from '../../core/domains/certificate-checks.js';
import { daysLeft, expiryThreshold, shouldAlertExpiry } from '../../core/domains/expiry.js';
import { nameCovers } from '../../core/domains/hostname.js';
import type { Db } from '../../db/database.js';
import type { EventBus } from '../../events/event-bus.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { DOMAIN_JOBS } from '../domains/index.js';

export interface MonitorOptions {
  /** Port of the TLS handshake (default 443). */
  httpsPort?: number;
  /** Time limit of one handshake (default 10 s). */
  handshakeTimeoutMs?: number;
}

/** What one handshake saw. */
export interface ServedCertificate {
  fingerprint: string;
  notAfter: string;
  names: string[];
  address: string;
}

/**
 * The daily certificate jobs: `renewDue` orders renewals of ACME
 * certificates 30 days before expiry; `checkExpiry` opens a TLS handshake to
 * every domain with TLS, reads the certificate actually served, and raises
 * `certificate.expiring` at 21, 7 and 1 days (once per certificate and
 * threshold) and `certificate.name_mismatch` when it does not cover the name.
 */
export class CertificateMonitor {
  constructor(
    private readonly db: Db,
    private readonly dns: DnsLookup,
    private readonly queue: () => JobQueue,
    private readonly bus: EventBus,
    private readonly opts: MonitorOptions = {},
    private readonly clock: () => number = Date.now,
  ) {}

  /** Enqueues a renewal for each ACME certificate inside its renewal window (once per certificate and day). */
  async renewDue(): Promise<{ enqueued: string[] }> {
    const now = new Date(this.clock()).toISOString();
    const due = await this.db.kysely
      .selectFrom('domains')
      .select(['id', 'certificate_id'])
      .where('tls', '=', 'acme')
      .where('certificate_id', 'is not', null)
      .where('verified_at', 'is not', null)
      .where('next_renewal_at', '<=', now)
      .execute();
    const day = now.slice(0, 10);
    const enqueued: string[] = [];
    for (const d of due) {
      await this.queue().enqueue(DOMAIN_JOBS.issue, { domainId: d.id, reason: 'renewal' }, { dedupeKey: `renew:${d.id}:${d.certificate_id ?? ''}:${day}` });
      enqueued.push(d.id);
    }
    return { enqueued };
  }

  /** Checks what every TLS domain serves; returns per-domain outcomes (for the job result). */
  async checkExpiry(signal?: AbortSignal): Promise<Record<string, string>> {
    const domains = await this.db.kysely.selectFrom('domains').selectAll().where('tls', '!=', 'none').where('certificate_id', 'is not', null).where('redirect_to', 'is', null).execute();
    const out: Record<string, string> = {};
    for (const d of domains) {
      if (signal?.aborted) break;
      // A wildcard is checked on one name it covers.
      const probe = d.hostname.startsWith('*.') ? `devflow-check.${d.hostname.slice(2)}` : d.hostname;
      const now = this.clock();
      let served: ServedCertificate;
      try {
        served = await this.handshake(probe);
      } catch (err) {
        const message = (err as Error).message;
        await this.db.kysely.updateTable('domains').set({ checked_at: new Date(now).toISOString(), check_error: message.slice(0, 1000) }).where('id', '=', d.id).execute();
        out[d.hostname] = `error: ${message}`;
        continue;
      }
      const threshold = expiryThreshold(served.notAfter, now);
      const update: Record<string, unknown> = {
        served_fingerprint: served.fingerprint,
        served_not_after: served.notAfter,
        checked_at: new Date(now).toISOString(),
        check_error: null,
      };
      const notes: string[] = [`${daysLeft(served.notAfter, now)} days left`];
      if (shouldAlertExpiry({ fingerprint: served.fingerprint, threshold }, { fingerprint: d.alerted_fingerprint, threshold: d.alerted_threshold })) {
        await this.bus.publish({
          type: 'certificate.expiring',
          organizationId: d.organization_id,
          payload: { domainId: d.id, hostname: d.hostname, threshold, daysLeft: daysLeft(served.notAfter, now), notAfter: served.notAfter, fingerprint: served.fingerprint, address: served.address },
        });
        update.alerted_fingerprint = served.fingerprint;
        update.alerted_threshold = threshold;
        notes.push(`alerted at ${threshold} days`);
      }
      const covers = served.names.some((n) => nameCovers(n, probe));
      if (!covers && d.mismatch_alerted_fingerprint !== served.fingerprint) {
        await this.bus.publish({
          type: 'certificate.name_mismatch',
          organizationId: d.organization_id,
          payload: { domainId: d.id, hostname: d.hostname, servedNames: served.names, fingerprint: served.fingerprint, address: served.address },
        });
        update.mismatch_alerted_fingerprint = served.fingerprint;
        notes.push('name mismatch');
      }
      await this.db.kysely.updateTable('domains').set(update).where('id', '=', d.id).execute();
      out[d.hostname] = notes.join(', ');
    }
    return out;
  }

  /** Resolves the name with the configured DNS and reads the certificate its HTTPS server presents (not validated: we report on it). */
  async handshake(hostname: string): Promise<ServedCertificate> {
    const [address] = await this.dns.addresses(hostname);
    if (!address) throw new Error(`${hostname} has no address record.`);
    const timeoutMs = this.opts.handshakeTimeoutMs ?? 10_000;
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const socket = tls.connect({ host: address, port: this.opts.httpsPort ?? 443, servername: hostname, rejectUnauthorized: false, timeout: timeoutMs }, () => {
        const peer = socket.getPeerCertificate();
        socket.end();
        if (!peer?.raw) reject(new Error(`${address} presented no certificate.`));
        else resolve(peer.raw);
      });
      socket.on('timeout', () => socket.destroy(new Error(`TLS handshake with ${address} timed out after ${timeoutMs} ms.`)));
      socket.on('error', (err) => reject(new Error(`TLS handshake with ${hostname} at ${address} failed: ${(err as { code?: string }).code ?? err.message}`)));
    });
    const cert = new X509Certificate(raw);
    return { fingerprint: cert.fingerprint256, notAfter: new Date(cert.validTo).toISOString(), names: certificateNames(cert), address };
  }
}
