import { useId, useState, type FormEvent } from 'react';
import { serversApi } from '../../api/servers';
import { provisionStepNames, type ProvisionInput, type ProvisionRun, type ProvisionStepName, type ServerDetail } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { SelectField } from '../../components/field';
import { formatDateTime } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { ProvisionLogView } from './provision-log-view';
import { isActive, useProvisionRun } from './use-provision-run';

const PHP_VERSIONS = ['8.4', '8.3', '8.2', '8.1'];

const STEP_HELP: Record<ProvisionStepName, string> = {
  layout: '/srv/devflow for apps, backups and tools',
  'base-packages': 'git, curl, ca-certificates, rsync',
  nginx: 'web server',
  'php-fpm': 'PHP-FPM of the chosen version',
  composer: 'PHP dependency manager',
  docker: 'container engine',
  restic: 'backups',
  ufw: 'firewall: SSH, HTTP and HTTPS only',
  fail2ban: 'bans brute-force SSH clients',
  'unattended-upgrades': 'automatic security updates',
};

const RUN_LABEL: Record<ProvisionRun['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The step that last changed state, for the polite status line. */
function announcement(run: ProvisionRun | null): string {
  if (!run) return '';
  if (!isActive(run)) return `Provisioning ${RUN_LABEL[run.status].toLowerCase()}.`;
  const done = run.steps.filter((s) => s.finishedAt).at(-1);
  const running = run.steps.find((s) => s.status === 'running');
  return [done && `${done.name}: ${done.status}.`, running && `Running ${running.name}.`].filter(Boolean).join(' ');
}

/** Provisioning: start a run (admins), follow its steps and its live log. */
export function ProvisioningSection({ server, canManage, onFinished }: { server: ServerDetail; canManage: boolean; onFinished(): void }) {
  const live = useProvisionRun(server.id, server.latestProvisionRun, onFinished);
  const { run } = live;
  const [phpVersion, setPhpVersion] = useState('8.2');
  const [steps, setSteps] = useState<ProvisionStepName[]>([...provisionStepNames]);
  const start = useAction(serversApi.provision);
  const stepsId = useId();
  const [focusRun, setFocusRun] = useState<string | null>(null);
  const active = isActive(run);
  const validated = server.hostKeyFingerprint !== null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: ProvisionInput = { phpVersion };
    if (steps.length < provisionStepNames.length) input.steps = provisionStepNames.filter((s) => steps.includes(s));
    const res = await start.run(server.id, input);
    if (res.ok) {
      live.follow(res.value.run);
      // The form goes away while the run is going: keyboard focus moves to its log.
      setFocusRun(res.value.run.id);
    }
  };

  return (
    <section className="card section" aria-labelledby="provision-title">
      <h2 id="provision-title">Provisioning</h2>
      <p>
        Installs what DevFlow deploys with. Every step checks before it changes anything, so running it again is safe and
        reports each step as changed, unchanged or skipped.
      </p>

      {canManage && !active && (
        <form className="form" onSubmit={(e) => void submit(e)} aria-label="Start provisioning">
          <ErrorAlert error={start.error} fields={['phpVersion', 'steps']} />
          <div className="form__row form__row--single">
            <SelectField label="PHP version" name="phpVersion" value={phpVersion} onChange={(e) => setPhpVersion(e.target.value)} error={start.fieldErrors.phpVersion}>
              {PHP_VERSIONS.map((v) => (
                <option key={v} value={v}>
                  PHP {v}
                </option>
              ))}
            </SelectField>
          </div>
          <details className="disclosure">
            <summary>
              Steps ({steps.length} of {provisionStepNames.length})
            </summary>
            <fieldset className="fieldset" aria-describedby={start.fieldErrors.steps ? `${stepsId}-error` : undefined}>
              <legend>Run these steps</legend>
              <div className="checks">
                {provisionStepNames.map((s) => (
                  <label key={s} className="check">
                    <input
                      type="checkbox"
                      name="steps"
                      value={s}
                      checked={steps.includes(s)}
                      onChange={(e) => setSteps((cur) => (e.target.checked ? [...cur, s] : cur.filter((x) => x !== s)))}
                    />
                    <span>
                      <code>{s}</code>
                      <span className="check__help">{STEP_HELP[s]}</span>
                    </span>
                  </label>
                ))}
              </div>
              {start.fieldErrors.steps && (
                <p className="field__error" id={`${stepsId}-error`}>
                  {start.fieldErrors.steps}
                </p>
              )}
            </fieldset>
          </details>
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={start.pending || !validated || steps.length === 0}>
              {start.pending ? 'Starting…' : run ? 'Provision again' : 'Start provisioning'}
            </button>
            {!validated && <span className="muted">Check the connection first: that pins the host key.</span>}
          </div>
        </form>
      )}

      {!run && <p className="muted">This server has not been provisioned by DevFlow yet.</p>}
      {run && (
        <div className="run" data-testid="provision-run">
          <p className="run__summary">
            <span className={`badge badge--run badge--run-${run.status}`}>{RUN_LABEL[run.status]}</span>{' '}
            <span className="muted">
              PHP {run.phpVersion} · started {formatDateTime(run.startedAt ?? run.createdAt)}
              {run.finishedAt && ` · finished ${formatDateTime(run.finishedAt)}`}
              {!active && (run.changed ? ' · changed the server' : ' · no changes')}
            </span>
          </p>
          {run.error && (
            <div className="alert alert--error" role="alert">
              <p>{run.error}</p>
            </div>
          )}
          <ol className="run-steps" aria-label="Steps">
            {run.steps.map((s) => (
              <li key={s.name} className="run-steps__item">
                <code className="run-steps__name">{s.name}</code>
                <span className={`badge badge--step badge--step-${s.status}`}>{s.status}</span>
                {s.reason && <span className="run-steps__reason">{s.reason}</span>}
              </li>
            ))}
          </ol>
          <p className="visually-hidden" role="status">
            {announcement(run)}
          </p>
          <ErrorAlert error={live.error} />
          <ProvisionLogView focusFor={focusRun} lines={live.lines} mode={live.mode} />
        </div>
      )}
    </section>
  );
}
