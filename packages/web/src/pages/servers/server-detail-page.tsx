import { useCallback, useState } from 'react';
import { serversApi } from '../../api/servers';
import type { Server, ServerDetail } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { LastSeen, ServerStatusBadge } from '../../components/server-status';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { Link } from '../../router/router';
import { canManageServers, membershipIn, useMe } from '../../session/session';
import { FactsList } from './facts-list';
import { HostKeySection } from './host-key-section';
import { MetricsSection } from './metrics-section';
import { ProvisioningSection } from './provisioning-section';
import { ServerSettingsSection } from './server-settings-section';
import { Fingerprint } from './validate-step';
import { ValidationProblem } from './validation-problem';

/** One server: status and connection check, host key, facts, metrics, provisioning and settings. */
export function ServerDetailPage({ id }: { id: string }) {
  const me = useMe();
  const detail = useResource(`server:${id}`, (signal) => serversApi.get(id, signal), { refreshMs: 30_000 });
  const validate = useAction(serversApi.validate);
  /** The host key pinned by a check from this page (trust on first use): shown once to compare. */
  const [pinned, setPinned] = useState<string | null>(null);
  const server = detail.data;
  const { set, reload } = detail;
  // Answers of mutations carry the server without its latest run: keep the run we have.
  const changed = useCallback(
    (s: Server) => {
      if (server) set({ ...server, ...s } satisfies ServerDetail);
    },
    [server, set],
  );

  if (!server) {
    return (
      <>
        <PageHeader title="Server" />
        {detail.error?.status === 404 ? (
          <EmptyState
            title="No such server"
            action={
              <Link to="/servers" className="button button--primary">
                All servers
              </Link>
            }
          >
            It was removed, or it belongs to an organization you are not a member of.
          </EmptyState>
        ) : (
          <ErrorAlert error={detail.error} />
        )}
        {detail.loading && (
          <p className="muted" role="status">
            Loading server…
          </p>
        )}
      </>
    );
  }

  const canManage = canManageServers(membershipIn(me, server.organizationId));
  const check = async () => {
    const firstContact = server.hostKeyFingerprint === null;
    const res = await validate.run(server.id);
    if (res.ok) {
      changed(res.value);
      if (firstContact) setPinned(res.value.hostKeyFingerprint);
    }
    // A failed check changed the status (and maybe recorded a different host key): read it again.
    else reload();
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to="/servers">Servers</Link>
      </p>
      <PageHeader
        title={server.name}
        description={
          <code className="plain-code">
            {server.user}@{server.host}:{server.port}
          </code>
        }
      />
      <ErrorAlert error={detail.error} />

      <section className="card section" aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        <p className="server-status" data-testid="server-status">
          <ServerStatusBadge status={server.status} />
          <LastSeen at={server.lastSeenAt} />
        </p>
        {server.status === 'new' && <p>DevFlow has not connected to this server yet.</p>}
        {server.status === 'unreachable' && server.lastError && !validate.error && (
          <div className="alert alert--error">
            <p>Last error</p>
            <p className="alert__body">{server.lastError}</p>
          </div>
        )}
        {validate.error && <ValidationProblem error={validate.error} server={server} />}
        {pinned && (
          <Notice tone="info">
            <p>
              <strong>Connected for the first time.</strong> DevFlow pinned the host key the server presented:
            </p>
            <Fingerprint value={pinned} />
            <p>If it differs from the server's own, remove the server below: someone may be intercepting the connection.</p>
          </Notice>
        )}
        {canManage && (
          <div className="form__actions">
            <button type="button" className="button button--secondary" onClick={() => void check()} disabled={validate.pending}>
              {validate.pending ? 'Connecting…' : 'Check connection'}
            </button>
            {validate.pending && (
              <span className="muted" role="status">
                Connecting to {server.host}…
              </span>
            )}
          </div>
        )}
      </section>

      <HostKeySection server={server} canManage={canManage} onChanged={changed} />

      <section className="card section" aria-labelledby="facts-title">
        <h2 id="facts-title">Facts</h2>
        <FactsList facts={server.facts} />
      </section>

      <MetricsSection server={server} />
      <ProvisioningSection server={server} canManage={canManage} onFinished={reload} />
      {canManage && <ServerSettingsSection server={server} onChanged={changed} />}
    </>
  );
}
