import type { SshKey } from '@devflow/contracts';
import { CopyButton } from '../../components/copy-button';
import { authorizeCommand } from './authorize-command';

/** The public key with a copy button, and the one-line command that installs it on the server. */
export function KeyInstructions({ sshKey, user }: { sshKey: SshKey; user?: string | undefined }) {
  const command = authorizeCommand(sshKey.publicKey);
  return (
    <div className="key-install">
      <p className="key-install__label">
        Public key <span className="muted">({sshKey.fingerprint})</span>
      </p>
      <div className="secret-line">
        <code className="key-install__code" data-testid="public-key">
          {sshKey.publicKey}
        </code>
        <CopyButton text={sshKey.publicKey} label="Copy public key" />
      </div>
      <p className="key-install__label">
        Install it: sign in to the server as {user ? <code>{user}</code> : 'the user DevFlow will use'} and run
      </p>
      <div className="secret-line">
        <code className="key-install__code">{command}</code>
        <CopyButton text={command} label="Copy command" />
      </div>
    </div>
  );
}
