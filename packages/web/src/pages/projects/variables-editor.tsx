import { useState } from 'react';
import { environmentsApi } from '../../api/deployments';
import type { Variables } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { useAction } from '../../lib/use-action';

interface Row {
  id: number;
  key: string;
  value: string;
}

let nextRow = 1;
const rowsOf = (v: Variables | undefined): Row[] =>
  Object.entries(v?.variables ?? {}).map(([key, value]) => ({ id: nextRow++, key, value: value ?? '' }));

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Key/value rows of an environment's variables. Values are masked (password
 * inputs) with a per-row reveal; callers without secrets:read get no values
 * from the API, so they see the keys only and cannot edit.
 */
export function VariablesEditor({
  environmentId,
  initial,
  canEdit,
  onSaved,
  saveLabel = 'Save variables',
}: {
  environmentId: string;
  initial: Variables | undefined;
  canEdit: boolean;
  onSaved?: (v: Variables) => void;
  saveLabel?: string;
}) {
  const [rows, setRows] = useState<Row[]>(() => rowsOf(initial));
  const [revealed, setRevealed] = useState<ReadonlySet<number>>(new Set());
  const [saved, setSaved] = useState(false);
  const save = useAction(environmentsApi.putVariables);
  const masked = initial?.masked ?? false;

  if (masked || !canEdit) {
    const keys = Object.keys(initial?.variables ?? {});
    return (
      <>
        {keys.length === 0 ? (
          <p className="muted">No variables.</p>
        ) : (
          <ul className="env-keys" data-testid="variable-keys">
            {keys.map((k) => (
              <li key={k}>
                <code>{k}</code> <span className="muted">= ••••••</span>
              </li>
            ))}
          </ul>
        )}
        {masked && <p className="muted">Values are hidden: your role cannot read secrets.</p>}
      </>
    );
  }

  const errors = rows.map((r) => {
    if (!r.key) return r.value ? 'A key is required' : '';
    if (!KEY.test(r.key)) return 'Letters, digits and _, not starting with a digit';
    if (rows.some((o) => o.id !== r.id && o.key === r.key)) return 'Duplicate key';
    return '';
  });
  const invalid = errors.some(Boolean);
  const change = (id: number, patch: Partial<Row>) => {
    setSaved(false);
    setRows((rs) => rs.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  };
  const submit = async () => {
    const variables = Object.fromEntries(rows.filter((r) => r.key).map((r) => [r.key, r.value]));
    const res = await save.run(environmentId, variables);
    if (res.ok) {
      setSaved(true);
      onSaved?.(res.value);
    }
  };

  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!invalid) void submit();
      }}
    >
      <ErrorAlert error={save.error} />
      {rows.length === 0 && <p className="muted">No variables yet.</p>}
      {rows.length > 0 && (
        <div className="env-rows" role="group" aria-label="Environment variables">
          {rows.map((r, i) => (
            <div key={r.id} className="env-row">
              <input
                className="input--code"
                aria-label={`Key ${i + 1}`}
                placeholder="KEY"
                value={r.key}
                onChange={(e) => change(r.id, { key: e.target.value.trim() })}
                aria-invalid={errors[i] ? true : undefined}
                autoComplete="off"
                spellCheck={false}
              />
              <input
                className="input--code"
                aria-label={`Value of ${r.key || `row ${i + 1}`}`}
                placeholder="value"
                type={revealed.has(r.id) ? 'text' : 'password'}
                value={r.value}
                onChange={(e) => change(r.id, { value: e.target.value })}
                autoComplete="off"
                spellCheck={false}
              />
              <button
                type="button"
                className="button button--ghost button--small"
                aria-pressed={revealed.has(r.id)}
                onClick={() =>
                  setRevealed((s) => {
                    const n = new Set(s);
                    if (n.has(r.id)) n.delete(r.id);
                    else n.add(r.id);
                    return n;
                  })
                }
              >
                {revealed.has(r.id) ? 'Hide' : 'Reveal'}
              </button>
              <button
                type="button"
                className="button button--danger-ghost button--small"
                aria-label={`Remove ${r.key || `row ${i + 1}`}`}
                onClick={() => {
                  setSaved(false);
                  setRows((rs) => rs.filter((o) => o.id !== r.id));
                }}
              >
                Remove
              </button>
              {errors[i] && <p className="field__error env-row__error">{errors[i]}</p>}
            </div>
          ))}
        </div>
      )}
      <div className="form__actions">
        <button type="button" className="button button--secondary" onClick={() => setRows((rs) => [...rs, { id: nextRow++, key: '', value: '' }])}>
          Add variable
        </button>
        <button type="submit" className="button button--primary" disabled={save.pending || invalid}>
          {save.pending ? 'Saving…' : saveLabel}
        </button>
        {saved && <Notice>Saved. The next deployment writes them to the env file.</Notice>}
      </div>
    </form>
  );
}
