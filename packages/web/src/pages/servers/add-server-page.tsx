import { useEffect, useRef, useState } from 'react';
import type { Server, SshKey } from '@devflow/contracts';
import { Notice } from '../../components/alert';
import { PageHeader } from '../../components/page-header';
import { ServerStatusBadge } from '../../components/server-status';
import { Link } from '../../router/router';
import { canManageServers, useSession } from '../../session/session';
import { DetailsStep } from './details-step';
import { FactsList } from './facts-list';
import { KeyStep } from './key-step';
import { ValidateStep } from './validate-step';

const STEPS = [
  { id: 'key', label: 'SSH key', title: 'Choose an SSH key' },
  { id: 'details', label: 'Server', title: 'Server details' },
  { id: 'validate', label: 'Connect', title: 'Connect and check' },
  { id: 'done', label: 'Done', title: 'Server added' },
] as const;
type StepId = (typeof STEPS)[number]['id'];

/** The add-server wizard: key → details → connect and confirm the host key → facts. */
export function AddServerPage() {
  const { organization } = useSession();
  const [step, setStep] = useState<StepId>('key');
  const [sshKey, setSshKey] = useState<SshKey | null>(null);
  const [server, setServer] = useState<Server | null>(null);
  const [removed, setRemoved] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  // Each step's title takes focus, so keyboard and screen reader users start at the new step.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const header = <PageHeader title="Add a server" description="Any VPS with SSH access: DevFlow connects as root or a sudo user." />;
  if (!organization) return header;
  if (!canManageServers(organization)) {
    return (
      <>
        {header}
        <Notice tone="info">
          Only owners and admins of {organization.organizationName} can add servers. <Link to="/servers">Back to servers</Link>
        </Notice>
      </>
    );
  }

  const index = STEPS.findIndex((s) => s.id === step);
  const current = STEPS[index] ?? STEPS[0];
  return (
    <>
      {header}
      <ol className="wizard" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s.id} className={i < index ? 'wizard__step wizard__step--done' : 'wizard__step'} aria-current={i === index ? 'step' : undefined}>
            <span className="wizard__number" aria-hidden="true">
              {i + 1}
            </span>
            {s.label}
            {i < index && <span className="visually-hidden"> (done)</span>}
          </li>
        ))}
      </ol>
      <section className="card section" aria-labelledby="wizard-step-title">
        <h2 id="wizard-step-title" ref={heading} tabIndex={-1}>
          {current.title}
        </h2>
        {step === 'key' && (
          <KeyStep organizationId={organization.organizationId} chosen={sshKey} onChosen={setSshKey} onNext={() => setStep('details')} />
        )}
        {step === 'details' && sshKey && (
          <>
            {removed && <Notice tone="info">The server was removed. Check the host, then add it again.</Notice>}
            <DetailsStep
              organizationId={organization.organizationId}
              sshKey={sshKey}
              server={server}
              onSaved={(s) => {
                setServer(s);
                setRemoved(false);
                setStep('validate');
              }}
              onBack={() => setStep('key')}
            />
          </>
        )}
        {step === 'validate' && sshKey && server && (
          <ValidateStep
            server={server}
            sshKey={sshKey}
            onEdit={() => setStep('details')}
            onTrusted={(s) => {
              setServer(s);
              setStep('done');
            }}
            onRemoved={() => {
              setServer(null);
              setRemoved(true);
              setStep('details');
            }}
          />
        )}
        {step === 'done' && server && (
          <div className="stack">
            <p>
              <strong>{server.name}</strong> is connected. <ServerStatusBadge status={server.status} />
            </p>
            <h3>What DevFlow found</h3>
            <FactsList facts={server.facts} />
            <p>Next, provision it: DevFlow installs nginx, PHP-FPM, Composer and the rest on its page.</p>
            <div className="form__actions">
              <Link to={`/servers/${encodeURIComponent(server.id)}`} className="button button--primary">
                Open {server.name}
              </Link>
              <button
                type="button"
                className="button button--ghost"
                onClick={() => {
                  setServer(null);
                  setStep('details');
                }}
              >
                Add another server with this key
              </button>
            </div>
          </div>
        )}
      </section>
    </>
  );
}
