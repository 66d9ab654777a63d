import { organizationsApi } from '../../api/organizations';
import type { Invitation } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { formatDateTime } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useCursorList } from '../../lib/use-cursor-list';

/**
 * Invitations not yet accepted, each revocable: a link sent to the wrong
 * address stops working at once. `refreshKey` reloads after a new invitation.
 */
export function PendingInvitations({ organizationId, refreshKey }: { organizationId: string; refreshKey: string }) {
  const list = useCursorList<Invitation>(organizationId ? `${organizationId}:${refreshKey}` : null, (_cursor, signal) =>
    organizationsApi.listInvitations(organizationId, signal),
  );
  const revoke = useAction(organizationsApi.revokeInvitation);

  const onRevoke = async (inv: Invitation) => {
    const res = await revoke.run(organizationId, inv.id);
    if (res.ok) list.update((items) => items.filter((x) => x.id !== inv.id));
  };

  if (list.items.length === 0 && !list.error) return null;
  return (
    <section className="card section" aria-labelledby="pending-title">
      <h2 id="pending-title">Pending invitations</h2>
      <ErrorAlert error={list.error ?? revoke.error} />
      <table className="table table--stack">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((inv) => (
            <tr key={inv.id}>
              <td data-label="Email">{inv.email}</td>
              <td data-label="Role">
                <span className="chip">{inv.role}</span>
              </td>
              <td data-label="Expires">{formatDateTime(inv.expiresAt)}</td>
              <td className="table__actions">
                <ConfirmButton confirmLabel={`Revoke the invitation of ${inv.email}`} onConfirm={() => void onRevoke(inv)} pending={revoke.pending}>
                  Revoke
                </ConfirmButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
