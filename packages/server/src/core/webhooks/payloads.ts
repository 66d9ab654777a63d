/**
 * Push payloads of GitHub, GitLab, Bitbucket Cloud and the generic hook,
 * reduced to what a deployment needs: the branch, the commit, and whether
 * the push deleted the branch.
 */

/** What a webhook asks for. */
export type HookEvent =
  | { kind: 'ping' }
  | { kind: 'push'; branch: string | null; commit: string | null; deleted: boolean; pusher: string | null }
  | { kind: 'other'; name: string };

const ZERO = /^0{40}$/;
const SHA = /^[0-9a-f]{40}$/;

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** `refs/heads/main` → `main`; tags and other refs → null. */
export function branchOfRef(ref: unknown): string | null {
  const r = str(ref);
  return r && r.startsWith('refs/heads/') ? r.slice('refs/heads/'.length) : null;
}

function sha(v: unknown): string | null {
  const s = str(v);
  return s && SHA.test(s) ? s : null;
}

/** GitHub: `X-GitHub-Event` (push, ping) and the JSON payload. */
export function parseGithub(event: string | undefined, body: unknown): HookEvent {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'push') return { kind: 'other', name: event ?? 'unknown' };
  const b = obj(body);
  const after = str(b.after);
  return {
    kind: 'push',
    branch: branchOfRef(b.ref),
    commit: sha(after),
    deleted: b.deleted === true || (!!after && ZERO.test(after)),
    pusher: str(obj(b.pusher).name),
  };
}

/** GitLab: `X-Gitlab-Event: Push Hook` and its payload (`after` all zeros when a branch is deleted). */
export function parseGitlab(event: string | undefined, body: unknown): HookEvent {
  if (event !== 'Push Hook') return { kind: 'other', name: event ?? 'unknown' };
  const b = obj(body);
  const after = str(b.after) ?? str(b.checkout_sha);
  return { kind: 'push', branch: branchOfRef(b.ref), commit: sha(after), deleted: !!after && ZERO.test(after), pusher: str(b.user_username) ?? str(b.user_name) };
}

/**
 * Bitbucket Cloud: `X-Event-Key: repo:push`; `push.changes[]` lists each
 * ref with `new` (null when deleted) and `old`. The first branch change is taken.
 */
export function parseBitbucket(eventKey: string | undefined, body: unknown): HookEvent {
  if (eventKey === 'diagnostics:ping') return { kind: 'ping' };
  if (eventKey !== 'repo:push') return { kind: 'other', name: eventKey ?? 'unknown' };
  const b = obj(body);
  const changes = Array.isArray(obj(b.push).changes) ? (obj(b.push).changes as unknown[]) : [];
  const pusher = str(obj(b.actor).nickname) ?? str(obj(b.actor).display_name);
  for (const raw of changes) {
    const c = obj(raw);
    const next = c.new === null ? null : obj(c.new);
    const old = c.old === null ? null : obj(c.old);
    const ref = next ?? old;
    if (!ref || ref.type !== 'branch') continue;
    if (!next) return { kind: 'push', branch: str(old?.name), commit: null, deleted: true, pusher };
    return { kind: 'push', branch: str(next.name), commit: sha(obj(next.target).hash), deleted: false, pusher };
  }
  return { kind: 'push', branch: null, commit: null, deleted: false, pusher };
}

/** Generic: an optional JSON body `{branch?, ref?, commit?}`; empty means "deploy the environment's branch". */
export function parseGeneric(body: unknown): HookEvent {
  const b = obj(body);
  const branch = str(b.branch) ?? branchOfRef(b.ref) ?? str(b.ref);
  return { kind: 'push', branch, commit: sha(b.commit), deleted: false, pusher: null };
}
