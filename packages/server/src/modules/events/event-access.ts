import { eventSubject, type EventSubjectType } from '../../core/event-visibility.js';
import { decide, type ResourceScope } from '../../core/policy.js';
import type { DevflowEvent } from '../../events/event-bus.js';
import type { Actor } from '../identity/index.js';

/** What the event stream needs from identity: where a resource lives, and whether an actor still holds. */
export interface StreamIdentity {
  /** The organization (and project) of a resource, as the guard resolves it for REST routes; undefined when gone. */
  resolve(type: EventSubjectType, id: string): Promise<ResourceScope | undefined>;
  /** The actor read again (grants, roles, 2FA), or undefined once its token or session no longer holds. */
  refresh(actor: Actor): Promise<Actor | undefined>;
}

const MAX_SCOPES = 10_000;

/**
 * Decides, event by event, what a stream's reader may see, with the same
 * policy (role, project grants, token abilities) as the REST read of the
 * resource the event is about. Scopes are cached: a resource never moves
 * to another organization or project.
 */
export class EventAccess {
  private readonly scopes = new Map<string, ResourceScope>();

  constructor(private readonly identity: StreamIdentity) {}

  /** True when `actor` may read what `e` is about. */
  async canSee(actor: Actor, e: DevflowEvent): Promise<boolean> {
    if (e.organizationId === null) return false;
    const subject = eventSubject(e.type, e.payload);
    if (!subject) return false;
    const membership = actor.memberships.get(e.organizationId);
    if (!membership) return false;
    if (!subject.resource) {
      // An organization-wide event is for organization-wide readers only.
      if (membership.projectIds) return false;
      return decide(subject.action, membership, actor.abilities, { organizationId: e.organizationId }) === 'allow';
    }
    const scope = await this.scopeOf(subject.resource.type, subject.resource.id);
    // The event must be about a resource of the organization it was published under.
    if (!scope || scope.organizationId !== e.organizationId) return false;
    return decide(subject.action, membership, actor.abilities, scope) === 'allow';
  }

  /** See {@link StreamIdentity.refresh}. */
  refresh(actor: Actor): Promise<Actor | undefined> {
    return this.identity.refresh(actor);
  }

  private async scopeOf(type: EventSubjectType, id: string): Promise<ResourceScope | undefined> {
    const key = `${type}:${id}`;
    const hit = this.scopes.get(key);
    if (hit) return hit;
    const scope = await this.identity.resolve(type, id);
    if (!scope) return undefined; // not cached: a row may appear (or a caller may retry) later
    if (this.scopes.size >= MAX_SCOPES) this.scopes.clear();
    this.scopes.set(key, scope);
    return scope;
  }
}
