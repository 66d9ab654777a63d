import type { ServerStatus } from '@devflow/contracts';
import { formatDateTime, formatRelative } from '../lib/format';

const LABEL: Record<ServerStatus, string> = { new: 'New', online: 'Online', unreachable: 'Unreachable' };

/** The status of a server as a coloured badge with a word (never colour alone). */
export function ServerStatusBadge({ status }: { status: ServerStatus }) {
  return (
    <span className={`badge badge--status badge--${status}`}>
      <span className="badge__dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}

/** “Last seen 3 minutes ago”, with the exact time on hover and for machines. */
export function LastSeen({ at, prefix = 'Last seen' }: { at: string | null; prefix?: string }) {
  if (!at) return <span className="muted">Never contacted</span>;
  return (
    <span className="muted">
      {prefix}{' '}
      <time dateTime={at} title={formatDateTime(at)}>
        {formatRelative(at)}
      </time>
    </span>
  );
}
