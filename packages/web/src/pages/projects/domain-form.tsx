import { useState } from 'react';
import { certificatesApi, domainsApi } from '../../api/domains';
import type { Domain, DomainInput, TlsMode } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { SelectField, TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';

const FIELDS = ['hostname', 'tls', 'redirectTo', 'redirectStatus', 'wwwRedirect', 'httpsRedirect', 'verificationMethod', 'certificateId'];
type WwwRedirect = NonNullable<DomainInput['wwwRedirect']> | '';
type RedirectStatus = 301 | 302 | 307 | 308;

/** A new domain of an environment: host name, TLS mode, redirects and how ownership is proven. */
export function DomainForm({
  environmentId,
  organizationId,
  onCreated,
  onCancel,
}: {
  environmentId: string;
  organizationId: string;
  onCreated: (d: Domain) => void;
  onCancel: () => void;
}) {
  const [hostname, setHostname] = useState('');
  const [tls, setTls] = useState<TlsMode>('acme');
  const [certificateId, setCertificateId] = useState('');
  const [verificationMethod, setVerificationMethod] = useState<'dns' | 'http'>('dns');
  const [redirectTo, setRedirectTo] = useState('');
  const [redirectStatus, setRedirectStatus] = useState<RedirectStatus>(301);
  const [wwwRedirect, setWwwRedirect] = useState<WwwRedirect>('');
  const [httpsRedirect, setHttpsRedirect] = useState(true);
  const certificates = useResource(tls === 'custom' ? `domain-form-certs:${organizationId}` : null, (signal) => certificatesApi.list(organizationId, undefined, signal));
  const create = useAction((input: DomainInput) => domainsApi.create(environmentId, input));
  const fe = create.fieldErrors;
  const certList = certificates.data?.data ?? [];

  const submit = async () => {
    const input: DomainInput = {
      hostname,
      tls,
      verificationMethod,
      wwwRedirect: wwwRedirect || null,
      httpsRedirect: tls !== 'none' && httpsRedirect,
      ...(redirectTo.trim() ? { redirectTo: redirectTo.trim(), redirectStatus } : {}),
      ...(tls === 'custom' && certificateId ? { certificateId } : {}),
    };
    const r = await create.run(input);
    if (r.ok) {
      setHostname('');
      setRedirectTo('');
      onCreated(r.value);
    }
  };

  return (
    <form
      className="form"
      aria-label="Add a domain"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <ErrorAlert error={create.error} fields={FIELDS} />
      <div className="form__row">
        <TextField
          label="Host name"
          hint="shop.example.com, an IDN, or *.example.com for a wildcard"
          value={hostname}
          onChange={(e) => setHostname(e.target.value)}
          error={fe.hostname}
          required
          spellCheck={false}
          autoCapitalize="off"
        />
        <SelectField label="TLS" value={tls} onChange={(e) => setTls(e.target.value as TlsMode)} error={fe.tls}>
          <option value="acme">Automatic (ACME, renewed automatically)</option>
          <option value="custom">Custom uploaded certificate</option>
          <option value="none">None (plain HTTP)</option>
        </SelectField>
      </div>
      {tls === 'custom' && (
        <>
          <ErrorAlert error={certificates.error} />
          <SelectField
            label="Certificate"
            hint={certificates.data && certList.length === 0 ? 'No certificates uploaded yet: upload one on the Certificates page.' : undefined}
            value={certificateId}
            onChange={(e) => setCertificateId(e.target.value)}
            error={fe.certificateId}
          >
            <option value="">Choose later</option>
            {certList.map((c) => (
              <option key={c.id} value={c.id}>
                {c.subject} ({c.sans.join(', ')})
              </option>
            ))}
          </SelectField>
        </>
      )}
      <div className="form__row">
        <SelectField
          label="Prove ownership by"
          value={verificationMethod}
          onChange={(e) => setVerificationMethod(e.target.value as 'dns' | 'http')}
          error={fe.verificationMethod}
        >
          <option value="dns">DNS TXT record</option>
          <option value="http">HTTP token file</option>
        </SelectField>
        <SelectField label="www twin" value={wwwRedirect} onChange={(e) => setWwwRedirect(e.target.value as WwwRedirect)} error={fe.wwwRedirect}>
          <option value="">Do not answer it</option>
          <option value="to-apex">Redirect www to this domain</option>
          <option value="to-www">Redirect the apex to this www domain</option>
        </SelectField>
      </div>
      <div className="form__row">
        <TextField
          label="Redirect every request to (optional)"
          type="url"
          placeholder="https://example.com"
          value={redirectTo}
          onChange={(e) => setRedirectTo(e.target.value)}
          error={fe.redirectTo}
          spellCheck={false}
        />
        <SelectField
          label="Redirect status"
          value={redirectStatus}
          onChange={(e) => setRedirectStatus(Number(e.target.value) as RedirectStatus)}
          error={fe.redirectStatus}
          disabled={!redirectTo.trim()}
        >
          <option value={301}>301 permanent</option>
          <option value={302}>302 found</option>
          <option value={307}>307 temporary</option>
          <option value={308}>308 permanent</option>
        </SelectField>
      </div>
      {tls !== 'none' && (
        <label className="check">
          <input type="checkbox" checked={httpsRedirect} onChange={(e) => setHttpsRedirect(e.target.checked)} />
          <span>
            Redirect HTTP to HTTPS
            <span className="check__help">Plain-HTTP requests get a 301 to the HTTPS address.</span>
          </span>
        </label>
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={create.pending}>
          {create.pending ? 'Adding…' : 'Add domain'}
        </button>
        <button type="button" className="button button--ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
