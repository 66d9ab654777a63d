import { useState } from 'react';
import { certificatesApi } from '../../api/domains';
import type { Certificate, Membership } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { SelectField, TextAreaField } from '../../components/field';
import { useAction } from '../../lib/use-action';

const FIELDS = ['organizationId', 'certificatePem', 'privateKeyPem', 'chainPem'];

/**
 * Uploads a custom certificate. The server checks key match, chain order,
 * expiry and names; a refusal (422) shows its reason and code here.
 */
export function UploadForm({ organizations, defaultOrganizationId, onUploaded }: { organizations: Membership[]; defaultOrganizationId: string; onUploaded: (c: Certificate) => void }) {
  const [organizationId, setOrganizationId] = useState(defaultOrganizationId);
  const [certificatePem, setCertificatePem] = useState('');
  const [privateKeyPem, setPrivateKeyPem] = useState('');
  const [chainPem, setChainPem] = useState('');
  const upload = useAction(certificatesApi.upload);
  const fe = upload.fieldErrors;
  const err = upload.error;

  const submit = async () => {
    const r = await upload.run({ organizationId, certificatePem, privateKeyPem, ...(chainPem.trim() ? { chainPem } : {}) });
    if (r.ok) {
      setCertificatePem('');
      setPrivateKeyPem('');
      setChainPem('');
      onUploaded(r.value);
    }
  };

  return (
    <form
      className="form"
      aria-label="Upload a certificate"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {err?.status === 422 && err.errors.length === 0 ? (
        <div className="alert alert--error" role="alert" data-testid="upload-refused">
          <p>
            <strong>The certificate was refused:</strong> {err.detail}
          </p>
          <p className="alert__meta">
            Reason: <code>{err.code}</code>
          </p>
        </div>
      ) : (
        <ErrorAlert error={err} fields={FIELDS} />
      )}
      <SelectField label="Organization" value={organizationId} onChange={(e) => setOrganizationId(e.target.value)} error={fe.organizationId}>
        {organizations.map((m) => (
          <option key={m.organizationId} value={m.organizationId}>
            {m.organizationName}
          </option>
        ))}
      </SelectField>
      <TextAreaField
        label="Certificate (PEM)"
        hint="-----BEGIN CERTIFICATE-----…; intermediates may follow it"
        rows={6}
        value={certificatePem}
        onChange={(e) => setCertificatePem(e.target.value)}
        error={fe.certificatePem}
        required
        spellCheck={false}
        className="textarea--code"
      />
      <TextAreaField
        label="Private key (PEM)"
        hint="Unencrypted; stored encrypted and never shown again"
        rows={6}
        value={privateKeyPem}
        onChange={(e) => setPrivateKeyPem(e.target.value)}
        error={fe.privateKeyPem}
        required
        spellCheck={false}
        autoComplete="off"
        className="textarea--code"
      />
      <TextAreaField
        label="Chain (PEM, optional)"
        hint="Intermediates, the leaf's issuer first"
        rows={4}
        value={chainPem}
        onChange={(e) => setChainPem(e.target.value)}
        error={fe.chainPem}
        spellCheck={false}
        className="textarea--code"
      />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={upload.pending}>
          {upload.pending ? 'Checking…' : 'Upload certificate'}
        </button>
      </div>
    </form>
  );
}
