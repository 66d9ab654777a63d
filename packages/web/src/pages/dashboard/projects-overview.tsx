import { memo, useEffect, useRef, useState, type RefObject } from 'react';
import { environmentsApi, projectsApi } from '../../api/deployments';
import type { Deployment, Environment, Project, Release } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { DeploymentStatusBadge, shortCommit } from '../../components/deployment-status';
import { useEvents } from '../../hooks/use-events';
import { formatNumber, formatRelative } from '../../lib/format';
import { useResource } from '../../lib/use-resource';
import { Link } from '../../router/router';

interface EnvSummary {
  environment: Environment;
  current: Release | null;
  last: Deployment | null;
}

/** Reloads of the rows on screen, by project id and by environment id (for live events). */
type Reloaders = Map<string, () => void>;

const EVENTS = ['deployment.created', 'deployment.updated', 'deployment.finished', 'environment.maintenance'];
/** The API's largest page: 1,000 projects arrive in two requests. */
const PAGE = 500;

/** Every project of the organization, page by page. */
async function loadProjects(organizationId: string, signal: AbortSignal): Promise<Project[]> {
  const all: Project[] = [];
  let cursor: string | undefined;
  do {
    const page = await projectsApi.list(organizationId, cursor, signal, PAGE);
    all.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** One project's environments with what is live and the last deployment (3 requests per environment at most). */
async function loadEnvironments(projectId: string, signal: AbortSignal): Promise<EnvSummary[]> {
  const envs = await projectsApi.environments(projectId, signal);
  return Promise.all(
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
}

/** True once the element came near the viewport (and stays true). */
function useSeen(ref: RefObject<HTMLElement | null>): boolean {
  // Without IntersectionObserver (old browsers, jsdom) every row loads.
  const [seen, setSeen] = useState(() => typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setSeen(true);
        io.disconnect();
      }
    }, { rootMargin: '200px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [ref, seen]);
  return seen;
}

/** A project and, once it scrolls into view, its environments. */
const ProjectRow = memo(function ProjectRow({ project, reloaders }: { project: Project; reloaders: Reloaders }) {
  const ref = useRef<HTMLLIElement>(null);
  const seen = useSeen(ref);
  const envs = useResource(seen ? `dash-envs:${project.id}` : null, (signal) => loadEnvironments(project.id, signal));
  const { reload } = envs;
  const list = envs.data;
  useEffect(() => {
    if (!seen) return;
    const ids = [project.id, ...(list ?? []).map((e) => e.environment.id)];
    for (const id of ids) reloaders.set(id, reload);
    return () => {
      for (const id of ids) if (reloaders.get(id) === reload) reloaders.delete(id);
    };
  }, [seen, list, project.id, reload, reloaders]);

  return (
    <li ref={ref} className="dash-projects__item" data-project={project.slug}>
      <Link to={`/projects/${encodeURIComponent(project.id)}`} className="dash-projects__name">
        {project.name}
      </Link>
      <ErrorAlert error={envs.error} />
      {!list && !envs.error && <p className="muted dash-projects__pending">{seen ? 'Loading environments…' : '\u00a0'}</p>}
      {list && list.length === 0 && <p className="muted">No environments yet.</p>}
      {list && list.length > 0 && (
        <ul className="dash-envs">
          {list.map(({ environment, current, last }) => (
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
      )}
    </li>
  );
});

/**
 * Every project of the organization with its environments: what is live and
 * how the last deployment went, updated live. The project list comes in pages
 * of 500; environment details load only for the rows near the viewport (the
 * API has no bulk call for them), so 1,000 projects cost two list requests
 * plus a few per visible row instead of thousands up front.
 */
export function ProjectsOverview({ organizationId }: { organizationId: string }) {
  const data = useResource(`dash-projects:${organizationId}`, (signal) => loadProjects(organizationId, signal));
  const [reloaders] = useState<Reloaders>(() => new Map());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  // Events come in bursts (one per step): reload the affected row once they settle.
  useEvents<{ environmentId?: string; projectId?: string }>(EVENTS, (e) => {
    const key = [e.payload.environmentId, e.payload.projectId].find((k) => k && reloaders.has(k));
    const reload = key ? reloaders.get(key) : undefined;
    if (!key || !reload) return;
    clearTimeout(timers.current.get(key));
    timers.current.set(key, setTimeout(reload, 400));
  });
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((t) => clearTimeout(t));
  }, []);
  const list = data.data ?? [];

  return (
    <section className="card section" aria-labelledby="dash-projects-title">
      <div className="section__head">
        <h2 id="dash-projects-title">
          Projects{data.data && list.length > 0 && <span className="muted"> ({formatNumber(list.length)})</span>}
        </h2>
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
        <ul className="dash-projects" data-testid="dash-projects" data-count={list.length}>
          {list.map((project) => (
            <ProjectRow key={project.id} project={project} reloaders={reloaders} />
          ))}
        </ul>
      )}
    </section>
  );
}
