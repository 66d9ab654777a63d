import type { ReactNode } from 'react';
import { EmptyState } from '../../components/empty-state';
import { PageHeader } from '../../components/page-header';
import { NavLink } from '../../router/router';
import { useSession } from '../../session/session';

/** Settings of the current organization, with its sections as tabs-like links. */
export function SettingsLayout({ children }: { children: ReactNode }) {
  const { organization } = useSession();
  return (
    <>
      <PageHeader title="Settings" description={organization ? `Organization: ${organization.organizationName}` : undefined} />
      {organization ? (
        <>
          <nav className="subnav" aria-label="Settings sections">
            <NavLink to="/settings/members" className="subnav__link">
              Members
            </NavLink>
            <NavLink to="/settings/audit" className="subnav__link">
              Audit log
            </NavLink>
          </nav>
          {children}
        </>
      ) : (
        <EmptyState title="No organization">You are not a member of any organization yet. Ask an admin for an invitation.</EmptyState>
      )}
    </>
  );
}
