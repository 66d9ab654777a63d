import { AppError } from '../../lib/errors.js';

/** How a repository is reached. */
export type RepositoryKind = 'https' | 'ssh' | 'git' | 'local';

const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/;

function refuse(message: string): AppError {
  return new AppError('invalid', 'project.invalid_repository_url', message, { fields: [{ field: 'body.repositoryUrl', message }] });
}

/**
 * Checks a repository URL and says how it is reached. Git's `ext::` and other
 * transports that run commands are refused; local paths (`/srv/git/app.git`,
 * `file://…`) only when the installation allows them (tests, single-box setups).
 */
export function checkRepositoryUrl(url: string, allowLocal: boolean): RepositoryKind {
  if (url.startsWith('-')) throw refuse('A repository URL cannot start with "-".');
  if (url.startsWith('/') || url.startsWith('file://')) {
    if (!allowLocal) throw refuse('Local repository paths are not allowed here: use an https:// or ssh:// URL (or git@host:owner/repo.git).');
    if (url.split('/').includes('..')) throw refuse('A local repository path cannot contain "..".');
    return 'local';
  }
  if (SCP_LIKE.test(url)) return 'ssh';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse('Not a repository URL: use https://host/owner/repo.git, ssh://git@host/owner/repo.git or git@host:owner/repo.git.');
  }
  if (!parsed.hostname) throw refuse('The repository URL has no host.');
  switch (parsed.protocol) {
    case 'https:':
    case 'http:':
      return 'https';
    case 'ssh:':
      return 'ssh';
    case 'git:':
      return 'git';
    default:
      throw refuse(`Git transport ${parsed.protocol.replace(/:$/, '')} is not supported: use https or ssh.`);
  }
}

/** GIT_ALLOW_PROTOCOL: the transports git may use (never ext:: or fd::). */
export function allowedProtocols(allowLocal: boolean): string {
  return allowLocal ? 'https:http:ssh:git:file' : 'https:http:ssh:git';
}

/** A username and password (or token) taken out of an https repository URL. */
export interface RepositoryCredentials {
  username: string;
  password: string;
}

/**
 * Takes credentials out of a repository URL: `https://user:token@host/x.git`
 * → `https://host/x.git` and {user, token}. They are stored sealed, apart
 * from the URL, so the URL can be shown, audited and logged as it is. A
 * password in an ssh:// URL is refused (git over SSH uses the deploy key).
 */
export function splitRepositoryCredentials(url: string): { url: string; credentials: RepositoryCredentials | null } {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return { url, credentials: null };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, credentials: null };
  }
  if (!parsed.username && !parsed.password) return { url, credentials: null };
  if (parsed.protocol === 'ssh:') {
    if (parsed.password) throw refuse('A password in an ssh:// URL is not supported: remove it and add the project\'s deploy key to the repository.');
    return { url, credentials: null };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { url, credentials: null };
  const credentials = { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), credentials };
}

/** The URL without any credentials, for display, audit diffs, logs and errors. */
export function withoutCredentials(url: string): string {
  try {
    return splitRepositoryCredentials(url).url;
  } catch {
    // An ssh:// URL with a password: drop the whole userinfo.
    return url.replace(/^(ssh:\/\/)[^@/]*@/i, '$1');
  }
}

/** The HTTP header git sends with the credentials (given to git through its environment, never argv). */
export function basicAuthHeader(c: RepositoryCredentials): string {
  return `Authorization: Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** Environment that makes git send `header` on its http(s) requests (GIT_CONFIG_COUNT: not visible in `ps`). */
export function gitAuthEnv(header: string | null): Record<string, string> {
  return header ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header } : {};
}
