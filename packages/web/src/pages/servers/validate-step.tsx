import { useState } from 'react';
import { serversApi } from '../../api/servers';
import type { Server, SshKey } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { CopyButton } from '../../components/copy-button';
import { useAction } from '../../lib/use-action';
import { KeyInstructions } from './key-instructions';
import { ValidationProblem } from './validation-problem';

/** Prints the server's host key fingerprints; run on the server's console to compare. */
export const HOST_KEY_COMMAND = 'for f in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$f"; done';

/** The fingerprint a server presented and how to compare it on the server itself. */
export function Fingerprint({ value }: { value: string }) {
  return (
    <>
      <p className="fingerprint">
        <code data-testid="host-key-fingerprint">{value}</code>
      </p>
      <p>Compare it with what the server itself prints (on its console, or a connection you already trust):</p>
      <div className="secret-line">
        <code>{HOST_KEY_COMMAND}</code>
        <CopyButton text={HOST_KEY_COMMAND} label="Copy command" />
      </div>
    </>
  );
}

/**
 * Step 3 of adding a server: connect, then ask the user to confirm the host
 * key the server presented (trust on first use). The API pins the key on
 * this first contact; a user who does not recognise it removes the server.
 */
export function ValidateStep({
  server,
  sshKey,
  onEdit,
  onTrusted,
  onRemoved,
}: {
  server: Server;
  sshKey: SshKey;
  onEdit(): void;
  onTrusted(server: Server): void;
  onRemoved(): void;
}) {
  const validate = useAction(serversApi.validate);
  const remove = useAction(serversApi.remove);
  const [checked, setChecked] = useState<Server | null>(null);

  const check = async () => {
    const res = await validate.run(server.id);
    if (res.ok) setChecked(res.value);
  };
  const reject = async () => {
    const res = await remove.run(server.id);
    if (res.ok) onRemoved();
  };

  if (checked?.hostKeyFingerprint) {
    return (
      <div className="stack" data-testid="confirm-host-key">
        <h3>Is this your server?</h3>
        <p>
          DevFlow reached <code>{checked.host}</code> and the server identified itself with this host key. DevFlow has pinned it:
          from now on it refuses to connect if the key changes.
        </p>
        <Fingerprint value={checked.hostKeyFingerprint} />
        <ErrorAlert error={remove.error} />
        <div className="form__actions">
          <button type="button" className="button button--primary" onClick={() => onTrusted(checked)}>
            The fingerprints match: trust this server
          </button>
          <ConfirmButton confirmLabel="Remove this server" onConfirm={() => void reject()} pending={remove.pending}>
            They differ: remove the server
          </ConfirmButton>
        </div>
      </div>
    );
  }

  const authFailed = validate.error?.code === 'server.auth_failed';
  return (
    <div className="stack">
      <p>
        DevFlow will connect to{' '}
        <code>
          {server.user}@{server.host}:{server.port}
        </code>{' '}
        with the key <strong>{sshKey.name}</strong>, record the server's host key and read its OS, CPUs, memory, disk and
        tools. Nothing is installed or changed.
      </p>
      {validate.error && <ValidationProblem error={validate.error} server={server} />}
      {validate.error && (
        <details className="disclosure" open={authFailed}>
          <summary>How to install the key</summary>
          <KeyInstructions sshKey={sshKey} user={server.user} />
        </details>
      )}
      <div className="form__actions">
        <button type="button" className="button button--primary" onClick={() => void check()} disabled={validate.pending}>
          {validate.pending ? 'Connecting…' : validate.error ? 'Try again' : 'Connect and check'}
        </button>
        <button type="button" className="button button--ghost" onClick={onEdit} disabled={validate.pending}>
          Edit connection details
        </button>
      </div>
      {validate.pending && (
        <p className="muted" role="status">
          Connecting to {server.host}… this takes up to half a minute.
        </p>
      )}
    </div>
  );
}
