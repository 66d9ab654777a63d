import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';

/** Managed servers (placeholder until the servers API lands). */
export function ServersPage() {
  return (
    <>
      <PageHeader title="Servers" description="Machines DevFlow deploys to over SSH." />
      <EmptyState title="No servers yet">
        Any VPS with SSH access works: DevFlow installs nginx, PHP-FPM or Docker on it for you. Adding servers arrives in
        the next release of this dashboard.
      </EmptyState>
    </>
  );
}
