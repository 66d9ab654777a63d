import { useState, type FormEvent } from 'react';
import { organizationsApi } from '../../api/organizations';
import type { AuditEvent, AuditFilter } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { SelectField, TextField } from '../../components/field';
import { formatDateTime } from '../../lib/format';
import { useCursorList } from '../../lib/use-cursor-list';
import { canAdminister, useMe, useSession } from '../../session/session';

interface FilterForm {
  /** `org`: this organization; `all`: every organization the user administers plus their own sign-ins and tokens. */
  scope: 'org' | 'all';
  actor: string;
  action: string;
  from: string;
  to: string;
}

const EMPTY: FilterForm = { scope: 'org', actor: '', action: '', from: '', to: '' };

/** `YYYY-MM-DD` of a date input, read in the user's time zone, as the start or end of that day in UTC. */
function dayBound(day: string, end: boolean): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function actorOf(e: AuditEvent): string {
  return e.actorEmail ?? (e.actorId ? `${e.actorType} ${e.actorId}` : e.actorType);
}

/** Who did what, when and from where, filterable, newest first, with "load more". */
export function AuditPage() {
  const { organization } = useSession();
  const { memberships } = useMe();
  const orgName = (id: string | null) =>
    id === null ? 'None (account event)' : (memberships.find((m) => m.organizationId === id)?.organizationName ?? id);
  const orgId = organization?.organizationId ?? '';
  const allowed = canAdminister(organization);
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [applied, setApplied] = useState<FilterForm>(EMPTY);

  const filter: AuditFilter = {
    organizationId: applied.scope === 'org' ? orgId : undefined,
    actor: applied.actor.trim() || undefined,
    action: applied.action.trim() || undefined,
    from: dayBound(applied.from, false),
    to: dayBound(applied.to, true),
  };
  const key = allowed && orgId ? JSON.stringify(filter) : null;
  const list = useCursorList(key, (cursor, signal) => organizationsApi.auditEvents(filter, cursor, signal));

  if (!allowed) return <Notice tone="info">Only owners and admins of {organization?.organizationName} can read the audit log.</Notice>;

  const set = (k: keyof FilterForm) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(form);
  };
  const filtered = applied.scope !== 'org' || [applied.actor, applied.action, applied.from, applied.to].some(Boolean);
  const fieldErrors = list.error?.fieldErrors() ?? {};

  return (
    <section className="card section" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <form className="form filters" onSubmit={submit} role="search" aria-label="Filter audit events">
        <div className="form__row form__row--4">
          <SelectField label="Scope" name="scope" value={form.scope} onChange={(e) => setForm((f) => ({ ...f, scope: e.target.value === 'all' ? 'all' : 'org' }))}>
            <option value="org">{organization?.organizationName}</option>
            <option value="all">All I administer, with my sign-ins</option>
          </SelectField>
          <TextField label="Actor" name="actor" placeholder="email or id" value={form.actor} onChange={set('actor')} error={fieldErrors.actor} />
          <TextField label="Action" name="action" placeholder="e.g. member.invite" value={form.action} onChange={set('action')} error={fieldErrors.action} />
          <TextField label="From" name="from" type="date" value={form.from} max={form.to || undefined} onChange={set('from')} error={fieldErrors.from} />
          <TextField label="To" name="to" type="date" value={form.to} min={form.from || undefined} onChange={set('to')} error={fieldErrors.to} />
        </div>
        <div className="form__actions">
          <button type="submit" className="button button--primary">
            Apply filters
          </button>
          {filtered && (
            <button
              type="button"
              className="button button--ghost"
              onClick={() => {
                setForm(EMPTY);
                setApplied(EMPTY);
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>

      <ErrorAlert error={list.error} fields={['actor', 'action', 'from', 'to']} />
      {list.items.length === 0 && !list.loading && !list.error && (
        <p className="muted">{filtered ? 'No events match these filters.' : 'No events recorded yet.'}</p>
      )}
      <ul className="audit-list">
        {list.items.map((e) => (
          <li key={e.id}>
            <details className="audit">
              <summary>
                <time dateTime={e.createdAt} className="audit__time">
                  {formatDateTime(e.createdAt)}
                </time>
                <span className="audit__actor">{actorOf(e)}</span>
                <code className="audit__action">{e.action}</code>
                {e.targetType && (
                  <span className="audit__target">
                    {e.targetType}
                    {e.targetId ? ` ${e.targetId}` : ''}
                  </span>
                )}
              </summary>
              <dl className="audit__details">
                <dt>Organization</dt>
                <dd>{orgName(e.organizationId)}</dd>
                <dt>IP address</dt>
                <dd>{e.ip ?? '—'}</dd>
                <dt>User agent</dt>
                <dd>{e.userAgent ?? '—'}</dd>
                <dt>Actor</dt>
                <dd>
                  {e.actorType}
                  {e.actorId ? ` ${e.actorId}` : ''}
                </dd>
                <dt>Changes</dt>
                <dd>
                  {e.diff === null || e.diff === undefined ? '—' : <pre className="code-block">{JSON.stringify(e.diff, null, 2)}</pre>}
                </dd>
              </dl>
            </details>
          </li>
        ))}
      </ul>
      {list.loading && (
        <p className="muted" role="status">
          Loading events…
        </p>
      )}
      {list.hasMore && (
        <button type="button" className="button button--secondary" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      )}
    </section>
  );
}
