import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, api } from '../api/client';
import { identityApi } from '../api/identity';
import type { Me, Membership, SessionStart } from '@devflow/contracts';
import { storage } from '../lib/storage';

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'authenticated'; me: Me }
  | { status: 'unavailable'; error: ApiError };

export interface Session {
  state: SessionState;
  /** The organization the pages act on (the user's choice, else the first membership). */
  organization: Membership | undefined;
  selectOrganization(id: string): void;
  /** Re-reads GET /me (after login, 2FA changes, membership changes). */
  refresh(): Promise<void>;
  /** Keeps the CSRF token of a fresh session, then loads the user. */
  started(start: SessionStart): Promise<void>;
  signOut(): Promise<void>;
}

const ORG_KEY = 'devflow.organization';
const SessionContext = createContext<Session | null>(null);

/** Holds who is signed in; every page reads it through useSession(). */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [orgId, setOrgId] = useState<string | null>(() => storage.get(ORG_KEY));

  // Applies the answer of GET /me: signed in, signed out (401), or the server is unreachable.
  const refresh = useCallback(
    () =>
      identityApi.me().then(
        (me) => {
          api.setCsrfToken(me.csrfToken);
          setState({ status: 'authenticated', me });
        },
        (err: unknown) => {
          if (!(err instanceof ApiError)) throw err;
          if (err.status === 401) {
            api.setCsrfToken(null);
            setState({ status: 'anonymous' });
          } else {
            setState({ status: 'unavailable', error: err });
          }
        },
      ),
    [],
  );
  useEffect(() => {
    void refresh();
    return api.onUnauthorized(() => {
      api.setCsrfToken(null);
      setState({ status: 'anonymous' });
    });
  }, [refresh]);

  const started = useCallback(
    async (start: SessionStart) => {
      api.setCsrfToken(start.csrfToken);
      await refresh();
    },
    [refresh],
  );

  const signOut = useCallback(async () => {
    try {
      await identityApi.logout();
    } catch {
      // The session may already be gone; either way the user is signed out here.
    }
    api.setCsrfToken(null);
    setState({ status: 'anonymous' });
  }, []);

  const selectOrganization = useCallback((id: string) => {
    storage.set(ORG_KEY, id);
    setOrgId(id);
  }, []);

  const value = useMemo<Session>(() => {
    const memberships = state.status === 'authenticated' ? state.me.memberships : [];
    const organization = memberships.find((m) => m.organizationId === orgId) ?? memberships[0];
    return { state, organization, selectOrganization, refresh, started, signOut };
  }, [state, orgId, selectOrganization, refresh, started, signOut]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() outside <SessionProvider>');
  return session;
}

/** The signed-in user's data; only for pages rendered inside the app shell. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'authenticated') throw new Error('useMe() outside the signed-in app shell');
  return state.me;
}

/** Whether the role may manage members and see the audit log (admin or owner). */
export function canAdminister(membership: Membership | undefined): boolean {
  return membership?.role === 'owner' || membership?.role === 'admin';
}

/**
 * Whether the role may add, validate, provision, change and delete servers
 * and SSH keys (`server.write`: admin or owner). Only hides controls: the API
 * refuses the others anyway.
 */
export function canManageServers(membership: Membership | undefined): boolean {
  return canAdminister(membership);
}

/** The user's membership in one organization, if any. */
export function membershipIn(me: Me, organizationId: string | undefined): Membership | undefined {
  return me.memberships.find((m) => m.organizationId === organizationId);
}

/**
 * Whether the role may create and change projects, environments and
 * variables, deploy, cancel and roll back (developer and above). Viewers
 * read only; the API refuses them anyway.
 */
export function canDeploy(membership: Membership | undefined): boolean {
  return membership !== undefined && membership.role !== 'viewer';
}

/** Whether the role may approve deployments that wait for approval (admin or owner). */
export function canApprove(membership: Membership | undefined): boolean {
  return canAdminister(membership);
}

/**
 * Whether the role may add, verify and delete domains, order certificates and
 * upload custom ones (`domain.write`, `certificate.write`: developer and
 * above). Only hides controls: the API refuses viewers anyway.
 */
export function canManageDomains(membership: Membership | undefined): boolean {
  return canDeploy(membership);
}
