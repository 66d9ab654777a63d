import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';
import { Link } from '../router/router';

/** Shown for a path the dashboard does not know. */
export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState
        title="There is nothing at this address"
        action={
          <Link to="/" className="button button--primary">
            Go to the dashboard
          </Link>
        }
      >
        The link may be old or mistyped.
      </EmptyState>
    </>
  );
}
