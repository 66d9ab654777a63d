import { serversApi } from '../../api/servers';
import type { Server } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { useAction } from '../../lib/use-action';
import { Fingerprint } from './validate-step';

/**
 * The pinned host key, and a changed one the server presented: admins may
 * accept it after comparing fingerprints; everyone else is told to ask.
 */
export function HostKeySection({ server, canManage, onChanged }: { server: Server; canManage: boolean; onChanged(server: Server): void }) {
  const accept = useAction(serversApi.acceptHostKey);
  const pending = server.pendingHostKeyFingerprint;

  const onAccept = async (fingerprint: string) => {
    const res = await accept.run(server.id, fingerprint);
    if (res.ok) onChanged(res.value);
  };

  return (
    <section className="card section" aria-labelledby="host-key-title">
      <h2 id="host-key-title">Host key</h2>
      {server.hostKeyFingerprint ? (
        <p>
          Pinned on first contact: <code data-testid="pinned-fingerprint">{server.hostKeyFingerprint}</code>. DevFlow refuses to
          connect when the server presents another key.
        </p>
      ) : (
        <p className="muted">Not pinned yet: the first connection check records the key the server presents.</p>
      )}
      {pending && (
        <div className="alert alert--warning stack">
          <p>
            <strong>The server presented a different host key.</strong> DevFlow stopped connecting to it. If the server was
            reinstalled or its SSH keys were regenerated, this is expected; otherwise someone may be intercepting the connection.
          </p>
          <p>New key:</p>
          <Fingerprint value={pending} />
          <ErrorAlert error={accept.error} />
          {canManage ? (
            <div className="form__actions">
              <ConfirmButton confirmLabel="Trust the new key" onConfirm={() => void onAccept(pending)} pending={accept.pending}>
                Accept the new key
              </ConfirmButton>
            </div>
          ) : (
            <p>Ask an owner or admin of the organization to compare and accept the new key.</p>
          )}
        </div>
      )}
    </section>
  );
}
