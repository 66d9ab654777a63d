/**
 * The Unix user a project's PHP runs as on its servers. One per project, so
 * two projects on one server cannot read each other's env files or write
 * each other's storage. Derived, never stored: the deployment, rollback,
 * maintenance and domain code paths all compute the same name from the
 * project row.
 */
import { createHash } from 'node:crypto';
import { projectSlug } from './layout.js';

/** Longest user name useradd accepts on Debian (and the utmp limit). */
export const MAX_UNIX_NAME = 32;

const VALID = /^[a-z_][a-z0-9_-]*$/;

/**
 * `df-<slug, up to 19 chars>-<8 hex of sha256(project id)>`: readable in `ps`
 * and `ls -l`, at most 31 characters, and distinct for two projects with the
 * same slug in different organizations (slugs are unique per organization only).
 */
export function projectUser(project: { id: string; slug: string | null }): string {
  const slug = projectSlug(project)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 19)
    .replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(project.id).digest('hex').slice(0, 8);
  const name = slug ? `df-${slug}-${hash}` : `df-${hash}`;
  if (name.length > MAX_UNIX_NAME || !VALID.test(name)) throw new TypeError(`Derived an invalid Unix user name ${JSON.stringify(name)}.`);
  return name;
}
