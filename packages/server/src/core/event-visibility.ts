import type { Action } from './policy.js';

/** Resources an event can be about, most specific first: the first id present in the payload names it. */
const subjects = [
  { key: 'deploymentId', type: 'deployment' },
  { key: 'environmentId', type: 'environment' },
  { key: 'domainId', type: 'domain' },
  { key: 'projectId', type: 'project' },
  { key: 'serverId', type: 'server' },
] as const;

export type EventSubjectType = (typeof subjects)[number]['type'];

/** The read action that shows an event of each family (the part of its type before the first dot). */
const readActions: Record<string, Action> = {
  deployment: 'deployment.read',
  environment: 'environment.read',
  project: 'project.read',
  domain: 'domain.read',
  certificate: 'certificate.read',
  server: 'server.read',
};

/** What a reader must be allowed to see an event: the REST read action on the resource it is about. */
export interface EventSubject {
  action: Action;
  resource: { type: EventSubjectType; id: string } | undefined;
}

/**
 * The read that an event stands for, so the stream asks the policy what the
 * REST read of the same thing would. Undefined for an event no rule covers:
 * a stream shows nobody an event nobody said who may see (deny by default).
 */
export function eventSubject(type: string, payload: unknown): EventSubject | undefined {
  const action = readActions[type.split('.')[0] ?? ''];
  if (!action) return undefined;
  const fields = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
  for (const s of subjects) {
    const id = fields[s.key];
    if (typeof id === 'string' && id) return { action, resource: { type: s.type, id } };
  }
  // No resource named: only an organization-wide reader (no project grants) may see it; the caller checks that.
  return { action, resource: undefined };
}
