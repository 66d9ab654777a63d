import { useState } from 'react';
import { projectsApi } from '../../api/deployments';
import { ErrorAlert } from '../../components/alert';
import { CopyButton } from '../../components/copy-button';
import { ConfirmDialog } from '../../components/deployment-status';
import { TextField } from '../../components/field';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { Link, navigate } from '../../router/router';
import { canDeploy, membershipIn, useMe } from '../../session/session';
import { EnvironmentForm } from './environment-form';
import { FRAMEWORK_LABEL } from './framework';

/** One project: repository, framework, deploy key and its environments. */
export function ProjectPage({ id }: { id: string }) {
  const me = useMe();
  const project = useResource(`project:${id}`, (signal) => projectsApi.get(id, signal));
  const envs = useResource(`project-envs:${id}`, (signal) => projectsApi.environments(id, signal));
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [typedName, setTypedName] = useState('');
  const removal = useAction(projectsApi.remove);
  const cloning = useAction(projectsApi.clone);
  const [cloneName, setCloneName] = useState<string | null>(null);
  const p = project.data;
  if (!p) {
    return (
      <>
        <PageHeader title="Project" />
        {project.error?.status === 404 ? (
          <EmptyState title="No such project">It was removed, or it belongs to an organization you are not a member of.</EmptyState>
        ) : (
          <ErrorAlert error={project.error} />
        )}
        {project.loading && (
          <p className="muted" role="status">
            Loading project…
          </p>
        )}
      </>
    );
  }
  const canEdit = canDeploy(membershipIn(me, p.organizationId));
  const list = envs.data?.data ?? [];
  return (
    <>
      <p className="breadcrumb">
        <Link to="/projects">Projects</Link>
      </p>
      <PageHeader title={p.name} description={<code className="plain-code">{p.repositoryUrl}</code>} />
      <section className="card section" aria-labelledby="project-about">
        <h2 id="project-about">Repository</h2>
        <dl className="facts">
          <div>
            <dt>Framework</dt>
            <dd>{p.framework ? FRAMEWORK_LABEL[p.framework] : 'Not detected yet'}</dd>
          </div>
          {p.detection?.phpVersion && (
            <div>
              <dt>PHP</dt>
              <dd>{p.detection.phpVersion}</dd>
            </div>
          )}
        </dl>
        <p className="muted">Deploy key (add it to the repository as a read-only deploy key):</p>
        <p className="secret-line">
          <code className="plain-code">{p.deployKey.publicKey}</code>
          <CopyButton text={p.deployKey.publicKey} label="Copy deploy key" />
        </p>
      </section>
      <section className="card section" aria-labelledby="project-envs">
        <div className="section__head">
          <h2 id="project-envs">Environments</h2>
          {canEdit && !adding && (
            <button type="button" className="button button--secondary button--small" onClick={() => setAdding(true)}>
              Add environment
            </button>
          )}
        </div>
        <ErrorAlert error={envs.error} />
        {envs.data && list.length === 0 && <p className="muted">No environments yet.</p>}
        {list.length > 0 && (
          <ul className="env-list">
            {list.map((e) => (
              <li key={e.id}>
                <Link to={`/environments/${encodeURIComponent(e.id)}`}>{e.name}</Link>{' '}
                <span className="muted">
                  branch <code>{e.branch}</code> · {e.serverIds.length} server{e.serverIds.length === 1 ? '' : 's'}
                  {e.maintenance && ' · maintenance'}
                </span>
              </li>
            ))}
          </ul>
        )}
        {adding && (
          <EnvironmentForm
            projectId={p.id}
            organizationId={p.organizationId}
            defaultName={list.length ? 'staging' : 'production'}
            onSaved={(env) => navigate(`/environments/${encodeURIComponent(env.id)}`)}
          />
        )}
      </section>
      {canEdit && (
        <section className="card section" aria-labelledby="project-clone">
          <h2 id="project-clone">Clone project</h2>
          <p className="muted">A new project from the same repository with copies of these environments and their variables, for a second site or a client copy.</p>
          {cloneName === null ? (
            <button type="button" className="button button--secondary" onClick={() => setCloneName(`${p.name} copy`)}>
              Clone project…
            </button>
          ) : (
            <form
              className="form"
              aria-label="Clone project"
              onSubmit={(ev) => {
                ev.preventDefault();
                void cloning.run(p.id, cloneName).then((r) => r.ok && navigate(`/projects/${encodeURIComponent(r.value.id)}`));
              }}
            >
              <ErrorAlert error={cloning.error} fields={['name']} />
              <TextField label="Name of the copy" value={cloneName} onChange={(ev) => setCloneName(ev.target.value)} error={cloning.fieldErrors.name} required />
              <div className="form__actions">
                <button type="submit" className="button button--primary" disabled={cloning.pending}>
                  {cloning.pending ? 'Cloning…' : 'Clone'}
                </button>
                <button type="button" className="button button--ghost" onClick={() => setCloneName(null)}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </section>
      )}
      {canEdit && (
        <section className="card section" aria-labelledby="project-danger">
          <h2 id="project-danger">Delete project</h2>
          <p className="muted">Removes the project, its environments, variables, deployments and releases from DevFlow and takes their sites off the servers. Their directories on the servers (releases, shared uploads, .env) stay.</p>
          <ErrorAlert error={removal.error} />
          <button type="button" className="button button--danger" disabled={removal.pending} onClick={() => setDeleting(true)}>
            Delete project…
          </button>
          <ConfirmDialog
            open={deleting}
            title={`Delete ${p.name}?`}
            confirmLabel="Delete project"
            danger
            confirmDisabled={typedName !== p.name}
            onConfirm={() => {
              setDeleting(false);
              void removal.run(p.id).then((r) => r.ok && navigate('/projects'));
            }}
            onCancel={() => {
              setDeleting(false);
              setTypedName('');
            }}
          >
            <TextField label={`Type ${p.name} to confirm`} value={typedName} onChange={(ev) => setTypedName(ev.target.value)} autoComplete="off" spellCheck={false} />
          </ConfirmDialog>
        </section>
      )}
    </>
  );
}
