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
