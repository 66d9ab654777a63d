import { useState } from 'react';
import { certificatesApi } from '../../api/domains';
import { ErrorAlert, Notice } from '../../components/alert';
import { ExpiryBadge } from '../../components/certificate-expiry';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { formatDate, formatDateTime } from '../../lib/format';
import { useCursorList } from '../../lib/use-cursor-list';
import { canManageDomains, useMe, useSession } from '../../session/session';
import { UploadForm } from './upload-form';

/** The organization's certificates (ACME and uploaded): names, issuer and days left; developers and above upload custom ones. */
export function CertificatesPage() {
  const me = useMe();
  const { organization } = useSession();
  const orgId = organization?.organizationId ?? '';
  const canUpload = canManageDomains(organization);
  const uploadable = me.memberships.filter((m) => canManageDomains(m));
  const list = useCursorList(orgId ? `certs:${orgId}` : null, (cursor, signal) => certificatesApi.list(orgId, cursor, signal));
  const [uploading, setUploading] = useState(false);
  const [uploaded, setUploaded] = useState<string | null>(null);

  const add =
    canUpload && !uploading ? (
      <button type="button" className="button button--primary" onClick={() => setUploading(true)}>
        Upload a certificate
      </button>
    ) : undefined;

  return (
    <>
      <PageHeader title="Certificates" description="TLS certificates issued by ACME for your domains, and custom ones you uploaded." actions={list.items.length > 0 ? add : undefined} />
      <ErrorAlert error={list.error} />
      {uploaded && <Notice>Certificate for {uploaded} uploaded.</Notice>}
      {canUpload && uploading && (
        <section className="card section" aria-labelledby="cert-upload">
          <div className="section__head">
            <h2 id="cert-upload">Upload a certificate</h2>
            <button type="button" className="button button--ghost button--small" onClick={() => setUploading(false)}>
              Cancel
            </button>
          </div>
          <UploadForm
            organizations={uploadable}
            defaultOrganizationId={orgId}
            onUploaded={(c) => {
              setUploading(false);
              setUploaded(c.subject);
              if (c.organizationId === orgId) list.update((items) => [c, ...items]);
            }}
          />
        </section>
      )}
      {!list.loading && !list.error && list.items.length === 0 && !uploading && (
        <EmptyState title="No certificates yet" action={add}>
          Add a domain with automatic TLS to an environment and DevFlow orders its certificate{canUpload ? ', or upload one you bought.' : '.'}
        </EmptyState>
      )}
      {list.items.length > 0 && (
        <div className="card">
          <table className="table table--stack" data-testid="certificates">
            <caption className="visually-hidden">Certificates of {organization?.organizationName}</caption>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Names</th>
                <th scope="col">Issuer</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((c) => (
                <tr key={c.id}>
                  <td data-label="Subject">
                    <span className="server-name">
                      <strong>{c.subject}</strong>
                      <span className="server-name__address">{c.source === 'acme' ? 'ACME' : 'Uploaded'} · {c.keyType}</span>
                    </span>
                  </td>
                  <td data-label="Names" className="sans">
                    {c.sans.join(', ')}
                  </td>
                  <td data-label="Issuer">{c.issuer}</td>
                  <td data-label="Expires">
                    <time dateTime={c.notAfter} title={formatDateTime(c.notAfter)}>
                      {formatDate(c.notAfter)}
                    </time>{' '}
                    <ExpiryBadge notAfter={c.notAfter} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.loading && (
        <p className="muted" role="status">
          Loading certificates…
        </p>
      )}
      {list.hasMore && (
        <button type="button" className="button button--secondary" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      )}
    </>
  );
}
