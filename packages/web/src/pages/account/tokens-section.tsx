import { useRef, useState, type FormEvent } from 'react';
import { identityApi } from '../../api/identity';
import { abilityNames, type Ability, type CreatedToken, type NewTokenInput } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { CopyButton } from '../../components/copy-button';
import { SelectField, TextField } from '../../components/field';
import { formatDate, formatDateTime } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useCursorList } from '../../lib/use-cursor-list';
import { useFocusInvalid } from '../../lib/use-focus-invalid';

const ABILITY_HELP: Record<Ability, string> = {
  read: 'See everything your role can see',
  write: 'Change servers, projects and settings',
  deploy: 'Start, cancel and roll back deployments',
  'secrets:read': 'Read environment variable values',
  admin: 'Everything your role allows',
  'metrics:read': 'Scrape /metrics (Prometheus)',
};

const EXPIRY: { value: string; label: string; days: number | null }[] = [
  { value: '30', label: '30 days', days: 30 },
  { value: '90', label: '90 days', days: 90 },
  { value: '365', label: '1 year', days: 365 },
  { value: '7', label: '7 days', days: 7 },
  { value: 'never', label: 'Never', days: null },
];

const DAY_MS = 86_400_000;

/** Personal API tokens for the CLI and integrations: create (secret shown once), list, revoke. */
export function TokensSection() {
  const list = useCursorList('tokens', (cursor, signal) => identityApi.listTokens(cursor, signal));
  const [name, setName] = useState('');
  const [abilities, setAbilities] = useState<Ability[]>(['read']);
  const [expiry, setExpiry] = useState('30');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const create = useAction(identityApi.createToken);
  const revoke = useAction(identityApi.revokeToken);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, create.error);

  const toggle = (a: Ability, on: boolean) => setAbilities((cur) => (on ? [...cur, a] : cur.filter((x) => x !== a)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const days = EXPIRY.find((x) => x.value === expiry)?.days ?? null;
    const input: NewTokenInput = { name: name.trim(), abilities: abilityNames.filter((a) => abilities.includes(a)) };
    if (days !== null) input.expiresAt = new Date(Date.now() + days * DAY_MS).toISOString();
    const res = await create.run(input);
    if (res.ok) {
      setCreated(res.value);
      setName('');
      list.reload();
    }
  };

  const remove = async (id: string) => {
    const res = await revoke.run(id);
    if (res.ok) list.update((items) => items.filter((t) => t.id !== id));
  };

  return (
    <section className="card section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p>Tokens let the CLI and integrations act as you. A token can do at most what your role allows.</p>

      {created && (
        <div className="alert alert--success token-once" role="status">
          <p>
            <strong>Token “{created.name}” created.</strong> Copy it now: it will not be shown again.
          </p>
          <div className="secret-line">
            <code>{created.token}</code>
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <button type="button" className="button button--ghost button--small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}

      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)} aria-labelledby="token-new-title">
        <h3 id="token-new-title">New token</h3>
        <ErrorAlert error={create.error} fields={['name', 'abilities', 'expiresAt']} />
        <div className="form__row">
          <TextField
            label="Name"
            name="name"
            required
            maxLength={100}
            placeholder="e.g. CI deploys"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={create.fieldErrors.name}
          />
          <SelectField label="Expires after" name="expiresAt" value={expiry} onChange={(e) => setExpiry(e.target.value)} error={create.fieldErrors.expiresAt}>
            {EXPIRY.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </SelectField>
        </div>
        <fieldset className={create.fieldErrors.abilities ? 'fieldset field--invalid' : 'fieldset'} aria-describedby={create.fieldErrors.abilities ? 'abilities-error' : undefined}>
          <legend>Abilities</legend>
          <div className="checks">
            {abilityNames.map((a) => (
              <label key={a} className="check">
                <input type="checkbox" checked={abilities.includes(a)} onChange={(e) => toggle(a, e.target.checked)} />
                <span>
                  <code>{a}</code>
                  <span className="check__help">{ABILITY_HELP[a]}</span>
                </span>
              </label>
            ))}
          </div>
          {create.fieldErrors.abilities && (
            <p className="field__error" id="abilities-error">
              {create.fieldErrors.abilities}
            </p>
          )}
        </fieldset>
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={create.pending || abilities.length === 0}>
            {create.pending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      <h3>Your tokens</h3>
      <ErrorAlert error={list.error ?? revoke.error} />
      {list.items.length === 0 && !list.loading && !list.error ? (
        <p className="muted">No tokens yet.</p>
      ) : (
        <table className="table table--stack">
          <caption className="visually-hidden">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Abilities</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((t) => (
              <tr key={t.id}>
                <td data-label="Name">
                  <span>
                    {t.name}
                    <span className="token-prefix">
                      <code>{t.prefix}…</code>
                    </span>
                  </span>
                </td>
                <td data-label="Abilities">
                  <span className="chips">
                    {t.abilities.map((a) => (
                      <span key={a} className="chip">
                        {a}
                      </span>
                    ))}
                  </span>
                </td>
                <td data-label="Created">{formatDate(t.createdAt)}</td>
                <td data-label="Last used">{formatDateTime(t.lastUsedAt, 'Never')}</td>
                <td data-label="Expires">{formatDate(t.expiresAt, 'Never')}</td>
                <td className="table__actions">
                  <ConfirmButton confirmLabel={`Revoke ${t.name}`} onConfirm={() => void remove(t.id)} pending={revoke.pending}>
                    Revoke
                  </ConfirmButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.loading && <p className="muted" role="status">Loading tokens…</p>}
      {list.hasMore && (
        <button type="button" className="button button--secondary" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      )}
    </section>
  );
}
