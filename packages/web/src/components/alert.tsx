import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';

/**
 * The error of a failed request. Field errors show next to their fields;
 * those of fields the form does not show are listed here so none is lost.
 */
export function ErrorAlert({ error, fields = [] }: { error: ApiError | null; fields?: readonly string[] }) {
  if (!error) return null;
  const fieldErrors = error.fieldErrors();
  const shown = Object.keys(fieldErrors).filter((f) => fields.includes(f));
  const others = Object.entries(fieldErrors).filter(([f]) => !fields.includes(f));
  const message = shown.length > 0 && others.length === 0 ? 'Please correct the highlighted fields.' : error.detail;
  return (
    <div className="alert alert--error" role="alert">
      <p>{message}</p>
      {others.length > 0 && (
        <ul>
          {others.map(([f, m]) => (
            <li key={f}>
              <code>{f}</code>: {m}
            </li>
          ))}
        </ul>
      )}
      {error.requestId && error.status >= 500 && <p className="alert__meta">Request id: {error.requestId}</p>}
    </div>
  );
}

/** A polite status message (saved, sent…). */
export function Notice({ children, tone = 'success' }: { children: ReactNode; tone?: 'success' | 'info' | 'warning' }) {
  return (
    <div className={`alert alert--${tone}`} role="status">
      {children}
    </div>
  );
}
