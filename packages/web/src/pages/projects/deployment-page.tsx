import { useEffect, useState } from 'react';
import { deploymentsApi, environmentsApi } from '../../api/deployments';
import type { DeploymentStep } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { DeploymentStatusBadge, isFinished, shortCommit } from '../../components/deployment-status';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { useEvents } from '../../hooks/use-events';
import { formatDateTime, formatDuration, formatRelative } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { Link } from '../../router/router';
import { canApprove, canDeploy, membershipIn, useMe } from '../../session/session';
import { DeploymentLog } from './deployment-log';
import { useLogStream } from './use-log-stream';

const EVENTS = ['deployment.updated', 'deployment.finished'];

/** A clock that ticks every second while `on`, for durations of running steps. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

function duration(s: { startedAt: string | null; finishedAt: string | null }, now: number): string {
  if (!s.startedAt) return '';
  const end = s.finishedAt ? Date.parse(s.finishedAt) : now;
  return formatDuration(end - Date.parse(s.startedAt));
}

function StepTimeline({ steps, now }: { steps: readonly DeploymentStep[]; now: number }) {
  return (
    <ol className="timeline" data-testid="deployment-steps">
      {steps.map((s) => (
        <li key={s.name} className={`timeline__item timeline__item--${s.status}`} data-step={s.name} data-status={s.status}>
          <span className="timeline__dot" aria-hidden="true" />
          <code className="timeline__name">{s.name}</code>
          <span className={`badge badge--status badge--step-${s.status}`}>{s.status}</span>
          <span className="timeline__time muted">
            {duration(s, now)}
            {s.exitCode !== null && s.exitCode !== 0 && ` · exit ${s.exitCode}`}
          </span>
          {s.detail && <span className="timeline__detail">{s.detail}</span>}
        </li>
      ))}
    </ol>
  );
}

/** One deployment: status, step timeline, live log, cancel and approve. */
export function DeploymentPage({ id }: { id: string }) {
  const me = useMe();
  const dep = useResource(`deployment:${id}`, (signal) => deploymentsApi.get(id, signal));
  const d = dep.data;
  const envId = d?.environmentId ?? null;
  const env = useResource(envId && `env:${envId}`, (signal) => environmentsApi.get(envId ?? '', signal));
  const log = useLogStream(deploymentsApi.logStreamUrl(id));
  const cancel = useAction(deploymentsApi.cancel);
  const approve = useAction(deploymentsApi.approve);
  const finished = d ? isFinished(d.status) : false;
  const now = useNow(!!d && !finished);

  useEvents<{ deploymentId?: string }>(EVENTS, (e) => {
    if (e.payload.deploymentId === id) dep.reload();
  });
  // The log's end means the deployment finished: read the final state.
  const { reload } = dep;
  useEffect(() => {
    if (log.state === 'ended') reload();
  }, [log.state, reload]);

  if (!d) {
    return (
      <>
        <PageHeader title="Deployment" />
        {dep.error?.status === 404 ? (
          <EmptyState title="No such deployment">It was removed, or it belongs to an organization you are not a member of.</EmptyState>
        ) : (
          <ErrorAlert error={dep.error} />
        )}
        {dep.loading && (
          <p className="muted" role="status">
            Loading deployment…
          </p>
        )}
      </>
    );
  }

  const membership = membershipIn(me, d.organizationId);
  const title = `${d.kind === 'rollback' ? 'Rollback' : 'Deployment'} ${shortCommit(d.commit ?? d.ref)}`;
  return (
    <>
      <p className="breadcrumb">
        <Link to={`/environments/${encodeURIComponent(d.environmentId)}`}>{env.data?.name ?? 'Environment'}</Link>
      </p>
      <PageHeader
        title={title}
        description={
          <>
            {d.commitMessage && <span>{d.commitMessage} · </span>}
            {d.commitAuthor && <span>{d.commitAuthor} · </span>}
            {d.trigger} ·{' '}
            <time dateTime={d.createdAt} title={formatDateTime(d.createdAt)}>
              {formatRelative(d.createdAt)}
            </time>
          </>
        }
        actions={
          <>
            {d.status === 'awaiting_approval' && canApprove(membership) && (
              <button type="button" className="button button--primary" disabled={approve.pending} onClick={() => void approve.run(d.id).then((r) => r.ok && dep.set(r.value))}>
                Approve
              </button>
            )}
            {!finished && canDeploy(membership) && (
              <ConfirmButton confirmLabel="Cancel deployment" pending={cancel.pending} onConfirm={() => void cancel.run(d.id).then((r) => r.ok && dep.set(r.value))}>
                Cancel
              </ConfirmButton>
            )}
          </>
        }
      />
      <ErrorAlert error={cancel.error ?? approve.error} />
      <section className="card section" aria-labelledby="dep-status">
        <div className="section__head">
          <h2 id="dep-status">Status</h2>
          <span data-testid="deployment-status">
            <DeploymentStatusBadge status={d.status} />
          </span>
        </div>
        <p className="muted">
          {d.startedAt ? `Took ${duration({ startedAt: d.startedAt, finishedAt: d.finishedAt }, now)}` : 'Not started yet'}
          {d.ref && (
            <>
              {' '}
              · ref <code>{d.ref}</code>
            </>
          )}
        </p>
        {d.error && (
          <div className="alert alert--error">
            <p className="alert__body">{d.error}</p>
          </div>
        )}
        <StepTimeline steps={d.steps} now={now} />
      </section>
      <section className="card section" aria-label="Log">
        <DeploymentLog lines={log.lines} state={log.state} />
      </section>
    </>
  );
}
