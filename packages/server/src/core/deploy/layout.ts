/**
 * Where an environment lives on a server (release strategy):
 * `<root>/<project>/<environment>/{repo, releases/<id>, shared/, current, release, .lock, .devflow}`.
 */

/** Paths of one environment on a server. Every part is a slug or an id, so none needs quoting care. */
export interface SiteLayout {
  base: string;
  /** Bare mirror of the repository, fetched before every deployment. */
  repo: string;
  releases: string;
  shared: string;
  /** Symlink nginx serves publicly. */
  current: string;
  /** Symlink the private health-check vhost serves: the release about to go live. */
  candidate: string;
  /** Created with mkdir (atomic): held by one deployment at a time. */
  lock: string;
  /** Deploy key, known_hosts, scratch files (mode 0700). */
  devflow: string;
  deployKey: string;
  /** nginx answers 503 while this file exists. */
  maintenanceFlag: string;
  release(id: string): string;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const SAFE_ROOT = /^\/[A-Za-z0-9._/-]*$/;

/** The layout of an environment; refuses segments that are not plain names (they become paths). */
/**
 * The name a project goes by on servers and in host names: its slug (always
 * set since projects got one), else its id with dashes.
 */
export function projectSlug(project: { id: string; slug: string | null }): string {
  return project.slug ?? project.id.toLowerCase().replace(/_/g, '-');
}

export function siteLayout(root: string, project: string, environment: string): SiteLayout {
  if (!SAFE_ROOT.test(root) || root.split('/').includes('..')) throw new TypeError(`Unsafe deploy root ${JSON.stringify(root)}.`);
  for (const s of [project, environment]) if (!SAFE_SEGMENT.test(s)) throw new TypeError(`Unsafe path segment ${JSON.stringify(s)}.`);
  const base = `${root.replace(/\/+$/, '')}/${project}/${environment}`;
  return {
    base,
    repo: `${base}/repo`,
    releases: `${base}/releases`,
    shared: `${base}/shared`,
    current: `${base}/current`,
    candidate: `${base}/release`,
    lock: `${base}/.lock`,
    devflow: `${base}/.devflow`,
    deployKey: `${base}/.devflow/deploy_key`,
    maintenanceFlag: `${base}/maintenance.on`,
    release: (id: string) => {
      if (!SAFE_SEGMENT.test(id)) throw new TypeError(`Unsafe release id ${JSON.stringify(id)}.`);
      return `${base}/releases/${id}`;
    },
  };
}
