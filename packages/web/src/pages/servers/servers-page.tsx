import { serversApi } from '../../api/servers';
import { ErrorAlert } from '../../components/alert';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { LastSeen, ServerStatusBadge } from '../../components/server-status';
import { useCursorList } from '../../lib/use-cursor-list';
import { Link } from '../../router/router';
import { canManageServers, useSession } from '../../session/session';
import { ServerSparklines } from './server-sparklines';

/** The organization's servers: status, last contact and the last hour of CPU, memory and disk. */
export function ServersPage() {
  const { organization } = useSession();
  const orgId = organization?.organizationId ?? '';
  const canManage = canManageServers(organization);
  const list = useCursorList(orgId || null, (cursor, signal) => serversApi.list(orgId, cursor, signal));
  const add = canManage ? (
    <Link to="/servers/new" className="button button--primary">
      Add a server
    </Link>
  ) : undefined;

  return (
    <>
      <PageHeader title="Servers" description="Machines DevFlow deploys to over SSH." actions={list.items.length > 0 ? add : undefined} />
      <ErrorAlert error={list.error} />
      {!list.loading && !list.error && list.items.length === 0 && (
        <EmptyState title="No servers yet" action={add}>
          {canManage
            ? 'Any VPS with SSH access works. DevFlow gives you a key to install, checks the connection, then installs nginx, PHP-FPM or Docker for you.'
            : 'Owners and admins add servers. Once they do, you can follow their status and load here.'}
        </EmptyState>
      )}
      {list.items.length > 0 && (
        <div className="card">
          <table className="table table--stack table--servers">
            <caption className="visually-hidden">Servers of {organization?.organizationName}</caption>
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Status</th>
                <th scope="col">Last hour</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((s) => (
                <tr key={s.id}>
                  <td data-label="Server">
                    <span className="server-name">
                      <Link to={`/servers/${encodeURIComponent(s.id)}`} className="server-name__link">
                        {s.name}
                      </Link>
                      <span className="server-name__address">
                        {s.user}@{s.host}:{s.port}
                      </span>
                    </span>
                  </td>
                  <td data-label="Status">
                    <span className="server-status">
                      <ServerStatusBadge status={s.status} />
                      <LastSeen at={s.lastSeenAt} />
                    </span>
                  </td>
                  <td data-label="Last hour">
                    <ServerSparklines server={s} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.loading && (
        <p className="muted" role="status">
          Loading servers…
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
