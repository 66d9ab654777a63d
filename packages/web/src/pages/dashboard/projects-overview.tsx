import { useEffect, useRef } from 'react';
import { environmentsApi, projectsApi } from '../../api/deployments';
import type { Deployment, Environment, Project, Release } from '../../api/types';
import { ErrorAlert } from '../../components/alert';
import { DeploymentStatusBadge, shortCommit } from '../../components/deployment-status';
import { useEvents } from '../../hooks/use-events';
import { formatRelative } from '../../lib/format';
import { useResource } from '../../lib/use-resource';
import { Link } from '../../router/router';

interface EnvSummary {
  environment: Environment;
  current: Release | null;
  last: Deployment | null;
}
interface ProjectSummary {
  project: Project;
  environments: EnvSummary[];
}

const EVENTS = ['deployment.created', 'deployment.updated', 'deployment.finished', 'environment.maintenance'];

async function load(organizationId: string, signal: AbortSignal): Promise<ProjectSummary[]> {
  const projects = await projectsApi.list(organizationId, undefined, signal);
  return Promise.all(
    projects.data.slice(0, 12).map(async (project) => {
      const envs = await projectsApi.environments(project.id, signal);
      const environments = await Promise.all(
        envs.data.map(async (environment) => {
          const [deps, rels] = await Promise.all([
            environmentsApi.deployments(environment.id, 1, signal),
            environment.currentReleaseId ? environmentsApi.releases(environment.id, signal) : Promise.resolve(null),
          ]);
          return {
            environment,
            last: deps.data[0] ?? null,
            current: rels?.data.find((r) => r.id === environment.currentReleaseId) ?? null,
          };
        }),
      );
      return { project, environments };
    }),
  );
}

/** Projects with their environments: what is live and how the last deployment went, updated live. */
export function ProjectsOverview({ organizationId }: { organizationId: string }) {
  const data = useResource(`dash-projects:${organizationId}`, (signal) => load(organizationId, signal));
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const { reload } = data;
  // Events come in bursts (one per step): reload once they settle.
  useEvents(EVENTS, () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, 400);
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  const list = data.data ?? [];

  return (
    <section className="card section" aria-labelledby="dash-projects-title">
      <div className="section__head">
        <h2 id="dash-projects-title">Projects</h2>
        <Link to="/projects">All projects</Link>
      </div>
      <ErrorAlert error={data.error} />
      {data.loading && (
        <p className="muted" role="status">
          Loading projects…
        </p>
      )}
      {data.data && list.length === 0 && (
        <p className="muted">
          No projects yet. <Link to="/projects/new">Create one</Link> from a Git repository.
        </p>
      )}
      {list.length > 0 && (
        <ul className="dash-projects" data-testid="dash-projects">
          {list.map(({ project, environments }) => (
            <li key={project.id} className="dash-projects__item">
              <Link to={`/projects/${encodeURIComponent(project.id)}`} className="dash-projects__name">
                {project.name}
              </Link>
              {environments.length === 0 && <p className="muted">No environments yet.</p>}
              <ul className="dash-envs">
                {environments.map(({ environment, current, last }) => (
                  <li key={environment.id} className="dash-envs__item" data-env={environment.name}>
                    <Link to={`/environments/${encodeURIComponent(environment.id)}`}>{environment.name}</Link>
                    <span className="muted">{current ? <code>{shortCommit(current.commit)}</code> : 'nothing live'}</span>
                    {last ? (
                      <Link to={`/deployments/${encodeURIComponent(last.id)}`} className="dash-envs__last">
                        <DeploymentStatusBadge status={last.status} /> <span className="muted">{formatRelative(last.createdAt)}</span>
                      </Link>
                    ) : (
                      <span className="muted">never deployed</span>
                    )}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
