import { serversApi } from '../../api/servers';
import type { Server, ServerStatus } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { LastSeen, ServerStatusBadge } from '../../components/server-status';
import { useResource } from '../../lib/use-resource';
import { Link } from '../../router/router';
import { canManageServers, useSession } from '../../session/session';
import { ServerSparklines } from '../servers/server-sparklines';

/** Servers shown on the dashboard; the rest are on the servers page. */
const SHOWN = 5;
const ORDER: Record<ServerStatus, number> = { unreachable: 0, new: 1, online: 2 };

/** Problems first, then by name. */
function byAttention(a: Server, b: Server): number {
  return ORDER[a.status] - ORDER[b.status] || a.name.localeCompare(b.name);
}

/** How many servers are online, unreachable or new, and the first few with their sparklines. */
export function ServersSummary() {
  const { organization } = useSession();
  const orgId = organization?.organizationId ?? '';
  const servers = useResource(orgId ? `servers:${orgId}` : null, (signal) => serversApi.list(orgId, undefined, signal), { refreshMs: 60_000 });
  const list = servers.data?.data ?? [];
  const count = (s: ServerStatus) => list.filter((x) => x.status === s).length;
  const more = servers.data?.nextCursor ? '+' : '';

  return (
    <section className="card section" aria-labelledby="dash-servers-title">
      <div className="section__head">
        <h2 id="dash-servers-title">Servers</h2>
        <Link to="/servers">All servers</Link>
      </div>
      <ErrorAlert error={servers.error} />
      {servers.loading && (
        <p className="muted" role="status">
          Loading servers…
        </p>
      )}
      {servers.data && list.length === 0 && (
        <div className="dash-empty">
          <p className="muted">No servers yet. Connect one over SSH to deploy to it.</p>
          {canManageServers(organization) && (
            <Link to="/servers/new" className="button button--primary">
              Add a server
            </Link>
          )}
        </div>
      )}
      {list.length > 0 && (
        <>
          <ul className="counts" aria-label="Servers by status">
            <li>
              <span className="counts__value">
                {list.length}
                {more}
              </span>{' '}
              total
            </li>
            <li>
              <span className="counts__value">{count('online')}</span> online
            </li>
            <li className={count('unreachable') ? 'counts--alert' : undefined}>
              <span className="counts__value">{count('unreachable')}</span> unreachable
            </li>
            <li>
              <span className="counts__value">{count('new')}</span> new
            </li>
          </ul>
          <ul className="dash-servers">
            {[...list].sort(byAttention).slice(0, SHOWN).map((s) => (
              <li key={s.id} className="dash-servers__item">
                <span className="dash-servers__name">
                  <Link to={`/servers/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                  <span className="server-status">
                    <ServerStatusBadge status={s.status} />
                    <LastSeen at={s.lastSeenAt} />
                  </span>
                </span>
                <ServerSparklines server={s} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
