import { useEffect, useId, useRef, type ReactNode } from 'react';
import type { DeploymentStatus } from '@devflow/contracts';

const LABEL: Record<DeploymentStatus, string> = {
  queued: 'Queued',
  awaiting_approval: 'Awaiting approval',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The status of a deployment as a badge with a word (never colour alone). */
export function DeploymentStatusBadge({ status }: { status: DeploymentStatus }) {
  return (
    <span className={`badge badge--status badge--run-${status}`} data-status={status}>
      <span className="badge__dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}

/** Whether a deployment has ended (no more steps or log lines come). */
export function isFinished(status: DeploymentStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** The first 8 characters of a commit SHA. */
export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : '—';
}

/**
 * A modal confirmation (native <dialog>: focus trapped, Escape cancels) for
 * actions that change what serves traffic, such as a rollback.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  confirmDisabled,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Keeps the confirm button disabled, e.g. until the user typed the name of what goes away. */
  confirmDisabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onCancel={onCancel} onClose={() => open && onCancel()}>
      <h2 id={titleId}>{title}</h2>
      <div className="dialog__body">{children}</div>
      <div className="form__actions">
        <button type="button" className={danger ? 'button button--danger' : 'button button--primary'} onClick={onConfirm} disabled={confirmDisabled}>
          {confirmLabel}
        </button>
        <button type="button" className="button button--ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
