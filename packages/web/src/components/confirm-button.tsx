import { useState, type ReactNode } from 'react';

/**
 * A destructive button that asks once inline ("Remove?" → Confirm / Cancel)
 * instead of a modal, so focus and keyboard flow stay in place.
 */
export function ConfirmButton({
  children,
  confirmLabel,
  onConfirm,
  disabled,
  pending,
}: {
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  pending?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="button button--danger-ghost button--small" disabled={disabled || pending} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={confirmLabel}>
      <button
        type="button"
        className="button button--danger button--small"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="button button--ghost button--small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
