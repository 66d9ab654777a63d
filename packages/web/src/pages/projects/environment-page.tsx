import { useState } from 'react';
import { environmentsApi, deploymentsApi, projectsApi } from '../../api/deployments';
import type { Release } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { CopyButton } from '../../components/copy-button';
import { ConfirmDialog, DeploymentStatusBadge, shortCommit } from '../../components/deployment-status';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { useEvents } from '../../hooks/use-events';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { Link, navigate } from '../../router/router';
import { canApprove, canDeploy, canManageDomains, membershipIn, useMe } from '../../session/session';
import { DomainsSection } from './domains-section';
import { EnvironmentForm } from './environment-form';
import { VariablesEditor } from './variables-editor';

const LIVE_EVENTS = ['deployment.created', 'deployment.updated', 'deployment.finished', 'environment.maintenance'];

/** One environment: live release, deployments, releases with rollback, variables, maintenance and webhooks. */
export function EnvironmentPage({ id }: { id: string }) {
  const me = useMe();
  const env = useResource(`env:${id}`, (signal) => environmentsApi.get(id, signal));
  const projectId = env.data?.projectId ?? null;
  const project = useResource(projectId && `project:${projectId}`, (signal) => projectsApi.get(projectId ?? '', signal));
  const deployments = useResource(`env-deployments:${id}`, (signal) => environmentsApi.deployments(id, 15, signal));
  const releases = useResource(`env-releases:${id}`, (signal) => environmentsApi.releases(id, signal));
  const variables = useResource(`env-vars:${id}`, (signal) => environmentsApi.variables(id, signal));
  const membership = membershipIn(me, env.data?.organizationId);
  const mayDeploy = canDeploy(membership);
  const mayApprove = canApprove(membership);
  const webhook = useResource(env.data && mayDeploy ? `env-webhook:${id}` : null, (signal) => environmentsApi.webhook(id, signal));
  const deploy = useAction(environmentsApi.deploy);
  const rollback = useAction(environmentsApi.rollback);
  const approve = useAction(deploymentsApi.approve);
  const reject = useAction(deploymentsApi.reject);
  const maintenance = useAction(environmentsApi.maintenance);
  const rotate = useAction(environmentsApi.rotateWebhook);
  const removal = useAction(environmentsApi.remove);
  const [confirm, setConfirm] = useState<Release | null>(null);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [editing, setEditing] = useState(false);
  const [showSecret, setShowSecret] = useState(false);

  const live = useEvents<{ environmentId?: string }>(LIVE_EVENTS, (e) => {
    if (e.payload.environmentId !== id) return;
    deployments.reload();
    if (e.type !== 'deployment.updated') {
      releases.reload();
      env.reload();
    }
  });

  const e = env.data;
  if (!e) {
    return (
      <>
        <PageHeader title="Environment" />
        {env.error?.status === 404 ? (
          <EmptyState title="No such environment">It was removed, or it belongs to an organization you are not a member of.</EmptyState>
        ) : (
          <ErrorAlert error={env.error} />
        )}
        {env.loading && (
          <p className="muted" role="status">
            Loading environment…
          </p>
        )}
      </>
    );
  }

  const releaseList = releases.data?.data ?? [];
  const current = releaseList.find((r) => r.id === e.currentReleaseId) ?? null;
  const deploymentList = deployments.data?.data ?? [];
  const waiting = deploymentList.filter((d) => d.status === 'awaiting_approval');
  const startDeploy = async () => {
    const res = await deploy.run(e.id, {});
    if (res.ok) navigate(`/deployments/${encodeURIComponent(res.value.id)}`);
  };
  const doRollback = async (r: Release) => {
    setConfirm(null);
    const res = await rollback.run(e.id, r.id);
    if (res.ok) navigate(`/deployments/${encodeURIComponent(res.value.id)}`);
  };

  return (
    <>
      <p className="breadcrumb">
        {project.data ? <Link to={`/projects/${encodeURIComponent(project.data.id)}`}>{project.data.name}</Link> : <Link to="/projects">Projects</Link>}
      </p>
      <PageHeader
        title={project.data ? `${project.data.name} · ${e.name}` : e.name}
        description={
          <>
            Branch <code>{e.branch}</code> · {e.serverIds.length} server{e.serverIds.length === 1 ? '' : 's'} · {e.hostname}
          </>
        }
        actions={
          mayDeploy ? (
            <button type="button" className="button button--primary" onClick={() => void startDeploy()} disabled={deploy.pending}>
              {deploy.pending ? 'Starting…' : 'Deploy'}
            </button>
          ) : undefined
        }
      />
      <ErrorAlert error={deploy.error ?? rollback.error ?? approve.error ?? reject.error ?? maintenance.error ?? removal.error} />

      <section className="card section" aria-labelledby="env-current">
        <div className="section__head">
          <h2 id="env-current">Current release</h2>
          <span className={`live live--${live}`}>
            <span className="live__dot" aria-hidden="true" />
            {live === 'open' ? 'Live' : 'Reconnecting…'}
          </span>
        </div>
        {current ? (
          <p data-testid="current-release">
            <code>{shortCommit(current.commit)}</code> {current.message && <span>{current.message}</span>}{' '}
            <span className="muted">
              {current.author && `by ${current.author} · `}live since {formatRelative(current.activatedAt)}
            </span>
          </p>
        ) : (
          <p className="muted" data-testid="current-release">
            Nothing is live yet.
          </p>
        )}
        <p>
          Maintenance mode: <strong>{e.maintenance ? 'on (nginx answers 503)' : 'off'}</strong>{' '}
          {mayDeploy && (
            <button
              type="button"
              className="button button--secondary button--small"
              aria-pressed={e.maintenance}
              disabled={maintenance.pending}
              onClick={() => void maintenance.run(e.id, !e.maintenance).then((r) => r.ok && env.set(r.value))}
            >
              {e.maintenance ? 'Turn off' : 'Turn on'}
            </button>
          )}
        </p>
      </section>

      {waiting.length > 0 && (
        <Notice tone="warning">
          {waiting.map((d) => (
            <p key={d.id}>
              <Link to={`/deployments/${encodeURIComponent(d.id)}`}>Deployment of {d.ref ?? e.branch}</Link> is awaiting approval.{' '}
              {mayApprove && (
                <>
                  <button type="button" className="button button--primary button--small" disabled={approve.pending} onClick={() => void approve.run(d.id).then(() => deployments.reload())}>
                    Approve
                  </button>{' '}
                  <button type="button" className="button button--secondary button--small" disabled={reject.pending} onClick={() => void reject.run(d.id).then(() => deployments.reload())}>
                    Reject
                  </button>
                </>
              )}
            </p>
          ))}
        </Notice>
      )}

      <section className="card section" aria-labelledby="env-deployments">
        <h2 id="env-deployments">Deployments</h2>
        <ErrorAlert error={deployments.error} />
        {deployments.data && deploymentList.length === 0 && <p className="muted">No deployments yet.</p>}
        {deploymentList.length > 0 && (
          <table className="table table--stack table--compact">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Commit</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {deploymentList.map((d) => (
                <tr key={d.id}>
                  <td data-label="Status">
                    <Link to={`/deployments/${encodeURIComponent(d.id)}`}>
                      <DeploymentStatusBadge status={d.status} />
                    </Link>
                  </td>
                  <td data-label="Commit">
                    <code>{shortCommit(d.commit)}</code> {d.kind === 'rollback' && <span className="muted">(rollback)</span>} {d.commitMessage}
                  </td>
                  <td data-label="Trigger">{d.trigger}</td>
                  <td data-label="Started">
                    <time dateTime={d.createdAt} title={formatDateTime(d.createdAt)}>
                      {formatRelative(d.createdAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card section" aria-labelledby="env-releases">
        <h2 id="env-releases">Releases</h2>
        <ErrorAlert error={releases.error} />
        {releases.data && releaseList.length === 0 && <p className="muted">No releases yet: the first successful deployment creates one.</p>}
        {releaseList.length > 0 && (
          <table className="table table--stack table--compact" data-testid="releases">
            <thead>
              <tr>
                <th scope="col">Commit</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                {mayDeploy && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {releaseList.map((r) => (
                <tr key={r.id}>
                  <td data-label="Commit">
                    <code>{shortCommit(r.commit)}</code> {r.message}
                  </td>
                  <td data-label="Status">{r.id === e.currentReleaseId ? <strong>live</strong> : r.status}</td>
                  <td data-label="Created">{formatRelative(r.createdAt)}</td>
                  {mayDeploy && (
                    <td className="table__actions">
                      {r.id !== e.currentReleaseId && r.status === 'inactive' && (
                        <button type="button" className="button button--secondary button--small" disabled={rollback.pending} onClick={() => setConfirm(r)}>
                          Roll back to {shortCommit(r.commit)}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ConfirmDialog
          open={confirm !== null}
          title="Roll back?"
          confirmLabel="Roll back"
          danger
          onConfirm={() => confirm && void doRollback(confirm)}
          onCancel={() => setConfirm(null)}
        >
          <p>
            Release <code>{shortCommit(confirm?.commit)}</code> goes live again with one atomic switch. The current release stays on the servers.
          </p>
        </ConfirmDialog>
      </section>

      <section className="card section" aria-labelledby="env-settings">
        <div className="section__head">
          <h2 id="env-settings">Settings</h2>
          {mayDeploy && !editing && (
            <button type="button" className="button button--secondary button--small" onClick={() => setEditing(true)}>
              Edit settings
            </button>
          )}
        </div>
        {editing ? (
          <EnvironmentForm
            projectId={e.projectId}
            organizationId={e.organizationId}
            environment={e}
            onSaved={(saved) => {
              env.set(saved);
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        ) : (
          <dl className="facts" data-testid="environment-settings">
            <div>
              <dt>Branch</dt>
              <dd>
                <code>{e.branch}</code>
              </dd>
            </div>
            <div>
              <dt>Approval</dt>
              <dd>{e.requiresApproval ? 'Required: an admin approves each deployment' : 'Not required'}</dd>
            </div>
            <div>
              <dt>Health check</dt>
              <dd>
                <code>{e.healthCheckPath}</code>
              </dd>
            </div>
            <div>
              <dt>Releases kept</dt>
              <dd>{e.keepReleases}</dd>
            </div>
          </dl>
        )}
        {mayDeploy && !editing && (
          <p>
            <button type="button" className="button button--danger button--small" disabled={removal.pending} onClick={() => setConfirmDelete(true)}>
              Delete environment
            </button>
          </p>
        )}
        <ConfirmDialog
          open={confirmDelete}
          title="Delete this environment?"
          confirmLabel="Delete environment"
          danger
          onConfirm={() => {
            setConfirmDelete(false);
            void removal.run(e.id).then((r) => r.ok && navigate(`/projects/${encodeURIComponent(e.projectId)}`));
          }}
          onCancel={() => setConfirmDelete(false)}
        >
          <p>
            Its settings, variables, deployments and releases are removed from DevFlow, and its site, domains and PHP-FPM pool are taken off the servers. Its directory on the servers (releases, shared uploads, .env) stays, for you to keep or remove.
          </p>
        </ConfirmDialog>
      </section>

      <DomainsSection environmentId={e.id} organizationId={e.organizationId} canEdit={canManageDomains(membership)} />

      <section className="card section" aria-labelledby="env-vars">
        <h2 id="env-vars">Environment variables</h2>
        <ErrorAlert error={variables.error} />
        {variables.data && <VariablesEditor key={variables.data.version} environmentId={e.id} initial={variables.data} canEdit={mayDeploy} onSaved={variables.set} />}
      </section>

      {webhook.data && (
        <section className="card section" aria-labelledby="env-hooks">
          <h2 id="env-hooks">Deploy on push</h2>
          <p className="muted">Point a push webhook of the repository at one of these URLs, signed with the secret.</p>
          <dl className="facts facts--wide">
            {Object.entries(webhook.data.urls).map(([provider, url]) => (
              <div key={provider}>
                <dt>{provider}</dt>
                <dd className="secret-line">
                  <code className="plain-code">{url}</code>
                  <CopyButton text={url} label={`Copy ${provider} URL`} />
                </dd>
              </div>
            ))}
            <div>
              <dt>Secret</dt>
              <dd className="secret-line">
                <code className="plain-code">{showSecret ? webhook.data.secret : '••••••••••••'}</code>
                <button type="button" className="button button--ghost button--small" aria-pressed={showSecret} onClick={() => setShowSecret((s) => !s)}>
                  {showSecret ? 'Hide' : 'Reveal'}
                </button>
                <CopyButton text={webhook.data.secret} label="Copy secret" />
                <button type="button" className="button button--secondary button--small" disabled={rotate.pending} onClick={() => setConfirmRotate(true)}>
                  Rotate secret
                </button>
              </dd>
            </div>
          </dl>
          <ErrorAlert error={rotate.error} />
          <ConfirmDialog
            open={confirmRotate}
            title="Rotate the webhook secret?"
            confirmLabel="Rotate"
            danger
            onConfirm={() => {
              setConfirmRotate(false);
              void rotate.run(e.id).then((r) => r.ok && webhook.set(r.value));
            }}
            onCancel={() => setConfirmRotate(false)}
          >
            <p>Pushes signed with the current secret are refused from now on: paste the new secret into the repository's webhook settings.</p>
          </ConfirmDialog>
        </section>
      )}
    </>
  );
}
