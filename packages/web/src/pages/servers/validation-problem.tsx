import type { ReactNode } from 'react';
import type { ApiError } from '../../api/client';
import type { Server } from '@devflow/contracts';

/** What a user can do about a failed connection check, by the problem's code. */
function nextSteps(error: ApiError, server: Pick<Server, 'host' | 'port' | 'user'>): ReactNode[] {
  const where = (
    <code>
      {server.host}:{server.port}
    </code>
  );
  switch (error.code) {
    case 'server.auth_failed':
      return [
        <>
          Check that the public key is installed in <code>~/.ssh/authorized_keys</code> of <code>{server.user}</code> on the server
          (run the command shown with the key).
        </>,
        <>
          Check the file permissions: <code>~/.ssh</code> must be 700 and <code>authorized_keys</code> 600, owned by {server.user}.
        </>,
        <>Check the user name: many images sign in as <code>ubuntu</code>, <code>debian</code> or <code>admin</code> rather than root.</>,
      ];
    case 'server.unreachable':
    case 'server.connect_timeout':
      return [
        <>Check the host and port: {where}.</>,
        <>Check that the SSH server runs on the machine (<code>systemctl status ssh</code>).</>,
        <>Check firewalls and security groups: they must allow TCP port {server.port} from this DevFlow server.</>,
      ];
    case 'server.unknown_host':
      return [<>Check the spelling of the host name, or use the server's IP address.</>];
    case 'server.host_key_mismatch':
      return [
        <>If the server was reinstalled, an admin can accept the new key on the server's page after comparing its fingerprint.</>,
        <>Otherwise do not connect: someone may be intercepting the connection.</>,
      ];
    case 'server.sudo_failed':
      return [<>The user must be root or have passwordless sudo (<code>{server.user} ALL=(ALL) NOPASSWD:ALL</code>).</>];
    case 'server.command_timeout':
      return [<>The server answered but was too slow to report its facts. Check its load and try again.</>];
    case 'network.unreachable':
      return [<>DevFlow itself did not answer: check your connection and try again.</>];
    default:
      return [];
  }
}

/** A failed connection check: the problem's message and what to do next. */
export function ValidationProblem({ error, server }: { error: ApiError; server: Pick<Server, 'host' | 'port' | 'user'> }) {
  const steps = nextSteps(error, server);
  const presented = error.extensions.presentedFingerprint;
  return (
    <div className="alert alert--error" role="alert">
      <p>{error.detail}</p>
      {typeof presented === 'string' && (
        <p>
          The server presented <code>{presented}</code>.
        </p>
      )}
      {steps.length > 0 && (
        <>
          <p className="alert__subtitle">What to do next</p>
          <ul>
            {steps.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        </>
      )}
      {error.requestId && error.status >= 500 && <p className="alert__meta">Request id: {error.requestId}</p>}
    </div>
  );
}
