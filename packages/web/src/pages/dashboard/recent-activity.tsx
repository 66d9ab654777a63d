import { organizationsApi } from '../../api/organizations';
import type { AuditEvent } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useResource } from '../../lib/use-resource';
import { Link } from '../../router/router';

const SHOWN = 8;

function actorOf(e: AuditEvent): string {
  return e.actorEmail ?? (e.actorId ? `${e.actorType} ${e.actorId}` : e.actorType);
}

/** The organization's latest audit events (owners and admins may read the audit log). */
export function RecentActivity({ organizationId }: { organizationId: string }) {
  const events = useResource(
    `activity:${organizationId}`,
    (signal) => organizationsApi.auditEvents({ organizationId }, undefined, signal, SHOWN),
    { refreshMs: 60_000 },
  );
  const list = events.data?.data ?? [];
  return (
    <section className="card section" aria-labelledby="activity-title">
      <div className="section__head">
        <h2 id="activity-title">Recent activity</h2>
        <Link to="/settings/audit">Audit log</Link>
      </div>
      <ErrorAlert error={events.error} />
      {events.loading && (
        <p className="muted" role="status">
          Loading activity…
        </p>
      )}
      {events.data && list.length === 0 && <p className="muted">Nothing has happened yet.</p>}
      {list.length > 0 && (
        <ul className="activity">
          {list.map((e) => (
            <li key={e.id} className="activity__item">
              <code className="activity__action">{e.action}</code>
              <span className="activity__actor">{actorOf(e)}</span>
              <time className="activity__time" dateTime={e.createdAt} title={formatDateTime(e.createdAt)}>
                {formatRelative(e.createdAt)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
