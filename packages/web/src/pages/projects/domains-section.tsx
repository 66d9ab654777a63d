import { useState } from 'react';
import { domainsApi } from '../../api/domains';
import type { Domain } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { ExpiryBadge } from '../../components/certificate-expiry';
import { ConfirmButton } from '../../components/confirm-button';
import { CopyButton } from '../../components/copy-button';
import { useEvents } from '../../hooks/use-events';
import { formatDateTime } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { DomainForm } from './domain-form';

/** Events the certificate jobs publish (payload.domainId); the list reloads on them. */
const CERT_EVENTS = ['certificate.issued', 'certificate.renewed', 'certificate.issue_failed', 'certificate.renewal_failed'];
const TLS_LABEL = { acme: 'ACME', custom: 'Custom', none: 'None' } as const;
const CERT_LABEL = { none: 'No certificate', pending: 'Issuing…', issued: 'Issued', failed: 'Failed' } as const;

function Badge({ tone, children }: { tone: string; children: string }) {
  return (
    <span className={`badge badge--status badge--domain-${tone}`} data-status={tone}>
      <span className="badge__dot" aria-hidden="true" />
      {children}
    </span>
  );
}

/** What to publish so the verification finds it. */
function Instructions({ d }: { d: Domain }) {
  const v = d.verification;
  if (v.method === 'dns') {
    return (
      <dl className="facts domain-instructions" data-testid="domain-instructions">
        <div>
          <dt>TXT record</dt>
          <dd className="secret-line">
            <code className="plain-code">{v.dnsRecord.name}</code>
            <CopyButton text={v.dnsRecord.name} label="Copy record name" />
          </dd>
        </div>
        <div>
          <dt>Value</dt>
          <dd className="secret-line">
            <code className="plain-code">{v.dnsRecord.value}</code>
            <CopyButton text={v.dnsRecord.value} label="Copy record value" />
          </dd>
        </div>
      </dl>
    );
  }
  return (
    <dl className="facts domain-instructions" data-testid="domain-instructions">
      <div>
        <dt>Serve the token at</dt>
        <dd className="secret-line">
          <code className="plain-code">{v.httpUrl}</code>
          <CopyButton text={v.httpUrl} label="Copy URL" />
        </dd>
      </div>
      <div>
        <dt>Token</dt>
        <dd className="secret-line">
          <code className="plain-code">{v.token}</code>
          <CopyButton text={v.token} label="Copy token" />
        </dd>
      </div>
    </dl>
  );
}

/**
 * The domains of an environment: ownership verification, TLS mode and the
 * certificate's state and expiry; developers and above add, verify, order
 * certificates and delete. Certificate jobs are followed live (events) and
 * by polling while one is pending.
 */
export function DomainsSection({ environmentId, organizationId, canEdit }: { environmentId: string; organizationId: string; canEdit: boolean }) {
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [pollUntil, setPollUntil] = useState(0);
  const list = useResource(`env-domains:${environmentId}`, (signal) => domainsApi.list(environmentId, signal), {
    refreshMs: pollUntil > 0 ? 3000 : null,
  });
  const verify = useAction(domainsApi.verify);
  const order = useAction(domainsApi.requestCertificate);
  const remove = useAction(domainsApi.remove);
  const domains = list.data?.data ?? [];
  const { reload } = list;

  useEvents<{ domainId?: string }>(CERT_EVENTS, (e) => {
    if (domains.some((d) => d.id === e.payload.domainId)) reload();
  });
  // Keep polling while a certificate is being issued (the job may retry without events until its last attempt).
  const busy = domains.some((d) => d.certificate.status === 'pending');
  if (busy !== pollUntil > 0) setPollUntil(busy ? 1 : 0);

  const replace = (d: Domain) => list.set({ data: domains.map((x) => (x.id === d.id ? d : x)), nextCursor: null });
  const doVerify = async (d: Domain) => {
    setNotice(null);
    const r = await verify.run(d.id);
    if (r.ok) {
      replace(r.value);
      setNotice(`${r.value.unicodeHostname} is verified.`);
    }
  };
  const doOrder = async (d: Domain) => {
    setNotice(null);
    const r = await order.run(d.id);
    if (r.ok) {
      replace(r.value.domain);
      setNotice(`Certificate for ${d.unicodeHostname} requested (job ${r.value.job.status}); this list updates when it is issued.`);
    }
  };
  const doRemove = async (d: Domain) => {
    setNotice(null);
    const r = await remove.run(d.id);
    if (r.ok) list.set({ data: domains.filter((x) => x.id !== d.id), nextCursor: null });
  };

  return (
    <section className="card section" aria-labelledby="env-domains">
      <div className="section__head">
        <h2 id="env-domains">Domains</h2>
        {canEdit && !adding && (
          <button type="button" className="button button--secondary button--small" onClick={() => setAdding(true)}>
            Add domain
          </button>
        )}
      </div>
      <ErrorAlert error={list.error ?? verify.error ?? order.error ?? remove.error} />
      {notice && <Notice>{notice}</Notice>}
      {canEdit && adding && (
        <DomainForm
          environmentId={environmentId}
          organizationId={organizationId}
          onCancel={() => setAdding(false)}
          onCreated={(d) => {
            setAdding(false);
            list.set({ data: [...domains, d], nextCursor: null });
          }}
        />
      )}
      {list.loading && (
        <p className="muted" role="status">
          Loading domains…
        </p>
      )}
      {list.data && domains.length === 0 && <p className="muted">No domains yet: the environment answers only its own host name.</p>}
      {domains.length > 0 && (
        <table className="table table--stack table--compact" data-testid="domains">
          <thead>
            <tr>
              <th scope="col">Domain</th>
              <th scope="col">Verification</th>
              <th scope="col">TLS</th>
              <th scope="col">Certificate</th>
              {canEdit && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {domains.map((d) => {
              const verified = d.verification.status === 'verified';
              return (
                <tr key={d.id} data-domain={d.hostname}>
                  <td data-label="Domain">
                    <span className="server-name">
                      <strong>{d.unicodeHostname}</strong>
                      {d.unicodeHostname !== d.hostname && <span className="server-name__address">{d.hostname}</span>}
                      {d.redirectTo && (
                        <span className="server-name__address">
                          → {d.redirectTo} ({d.redirectStatus})
                        </span>
                      )}
                      {d.wwwRedirect && <span className="server-name__address">{d.wwwRedirect === 'to-apex' ? 'www redirects here' : 'apex redirects here'}</span>}
                    </span>
                  </td>
                  <td data-label="Verification">
                    {verified ? (
                      <span title={formatDateTime(d.verification.verifiedAt)}>
                        <Badge tone="verified">Verified</Badge>
                      </span>
                    ) : (
                      <>
                        <Badge tone="pending">Pending</Badge>
                        {d.verification.lastError && <p className="field__error">{d.verification.lastError}</p>}
                        <Instructions d={d} />
                      </>
                    )}
                  </td>
                  <td data-label="TLS">
                    {TLS_LABEL[d.tls]}
                    {d.tls !== 'none' && d.httpsRedirect && <span className="muted"> · HTTP → HTTPS</span>}
                  </td>
                  <td data-label="Certificate">
                    {d.tls === 'none' ? (
                      <span className="muted">—</span>
                    ) : (
                      <>
                        <Badge tone={d.certificate.status}>{CERT_LABEL[d.certificate.status]}</Badge>{' '}
                        {d.certificate.notAfter && (
                          <span title={`Valid until ${formatDateTime(d.certificate.notAfter)}`}>
                            <ExpiryBadge notAfter={d.certificate.notAfter} />
                          </span>
                        )}
                        {d.certificate.error && <p className="field__error">{d.certificate.error}</p>}
                      </>
                    )}
                    {d.site.status === 'failed' && d.site.error && <p className="field__error">Serving failed: {d.site.error}</p>}
                  </td>
                  {canEdit && (
                    <td className="table__actions">
                      {!verified && (
                        <button type="button" className="button button--secondary button--small" disabled={verify.pending} onClick={() => void doVerify(d)}>
                          Verify
                        </button>
                      )}{' '}
                      {verified && d.tls === 'acme' && (
                        <button
                          type="button"
                          className="button button--secondary button--small"
                          disabled={order.pending || d.certificate.status === 'pending'}
                          onClick={() => void doOrder(d)}
                        >
                          {d.certificate.status === 'pending' ? 'Issuing…' : d.certificate.status === 'issued' ? 'Renew certificate' : 'Request certificate'}
                        </button>
                      )}{' '}
                      <ConfirmButton confirmLabel={`Delete ${d.unicodeHostname}`} pending={remove.pending} onConfirm={() => void doRemove(d)}>
                        Delete
                      </ConfirmButton>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
