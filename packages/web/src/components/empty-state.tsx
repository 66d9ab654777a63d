import type { ReactNode } from 'react';

/** What a page shows before it has anything: a title, a sentence, and the next step. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      <svg className="empty-state__icon" viewBox="0 0 48 48" aria-hidden="true">
        <rect x="6" y="10" width="36" height="12" rx="3" />
        <rect x="6" y="26" width="36" height="12" rx="3" />
        <circle cx="13" cy="16" r="1.8" />
        <circle cx="13" cy="32" r="1.8" />
      </svg>
      <h2>{title}</h2>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}
