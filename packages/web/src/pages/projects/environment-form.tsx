import { useState } from 'react';
import { environmentsApi, projectsApi } from '../../api/deployments';
import { serversApi } from '../../api/servers';
import type { Environment } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';

const FIELDS = ['name', 'branch', 'serverIds', 'strategy', 'requiresApproval', 'healthCheckPath', 'keepReleases'];

interface EnvironmentFields {
  name: string;
  branch: string;
  serverIds: string[];
  requiresApproval: boolean;
  healthCheckPath: string;
  keepReleases: string;
}

/** Creates an environment, or (given `environment`) changes its branch, servers, approval, health path and kept releases. */
function save(projectId: string, environment: Environment | undefined, f: EnvironmentFields): Promise<Environment> {
  const common = {
    branch: f.branch,
    serverIds: f.serverIds,
    requiresApproval: f.requiresApproval,
    keepReleases: Number(f.keepReleases),
    ...(f.healthCheckPath.trim() ? { healthCheckPath: f.healthCheckPath.trim() } : {}),
  };
  if (environment) return environmentsApi.update(environment.id, common);
  return projectsApi.createEnvironment(projectId, { ...common, name: f.name, strategy: 'release' });
}

/**
 * The environment form: a new environment of a project, or, given
 * `environment`, its settings (the name cannot change: it names the
 * directories on the servers).
 */
export function EnvironmentForm({
  projectId,
  organizationId,
  environment,
  defaultBranch = 'main',
  defaultName = 'production',
  onSaved,
  onCancel,
}: {
  projectId: string;
  organizationId: string;
  environment?: Environment | undefined;
  defaultBranch?: string;
  defaultName?: string;
  onSaved: (env: Environment) => void;
  onCancel?: (() => void) | undefined;
}) {
  const [name, setName] = useState(environment?.name ?? defaultName);
  const [branch, setBranch] = useState(environment?.branch ?? defaultBranch);
  const [serverIds, setServerIds] = useState<string[]>(environment?.serverIds ?? []);
  const [requiresApproval, setRequiresApproval] = useState(environment?.requiresApproval ?? false);
  const [healthCheckPath, setHealthCheckPath] = useState(environment?.healthCheckPath ?? '');
  const [keepReleases, setKeepReleases] = useState(String(environment?.keepReleases ?? 5));
  const servers = useResource(`env-form-servers:${organizationId}`, (signal) => serversApi.list(organizationId, undefined, signal));
  const submit = useAction((f: EnvironmentFields) => save(projectId, environment, f));
  const fe = submit.fieldErrors;
  const list = servers.data?.data ?? [];
  const editing = environment !== undefined;

  return (
    <form
      className="form"
      aria-label={editing ? 'Environment settings' : 'New environment'}
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run({ name, branch, serverIds, requiresApproval, healthCheckPath, keepReleases }).then((r) => r.ok && onSaved(r.value));
      }}
    >
      <ErrorAlert error={submit.error} fields={FIELDS} />
      <div className="form__row">
        <TextField
          label="Name"
          hint={editing ? 'Fixed: it names the release directories on the servers.' : 'Lower-case letters, digits and dashes: production, staging…'}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fe.name}
          required
          readOnly={editing}
        />
        <TextField label="Branch" value={branch} onChange={(e) => setBranch(e.target.value)} error={fe.branch} required spellCheck={false} />
      </div>
      <div className="form__row">
        <TextField
          label="Health check path"
          hint="Requested on the new release before it goes live; empty: /up for Laravel 11+, else /."
          value={healthCheckPath}
          onChange={(e) => setHealthCheckPath(e.target.value)}
          error={fe.healthCheckPath}
          spellCheck={false}
          placeholder="/"
        />
        <TextField
          label="Releases kept"
          hint="Older releases are deleted after a deployment; kept ones can be rolled back to instantly."
          type="number"
          min={1}
          max={50}
          value={keepReleases}
          onChange={(e) => setKeepReleases(e.target.value)}
          error={fe.keepReleases}
          required
        />
      </div>
      <fieldset className="fieldset">
        <legend>Servers</legend>
        <ErrorAlert error={servers.error} />
        {servers.loading && <p className="muted">Loading servers…</p>}
        {servers.data && list.length === 0 && <p className="muted">No servers yet: an admin adds them under Servers. You can add them to the environment later.</p>}
        <div className="checks">
          {list.map((s) => (
            <label key={s.id} className="check">
              <input
                type="checkbox"
                checked={serverIds.includes(s.id)}
                onChange={(e) => setServerIds((ids) => (e.target.checked ? [...ids, s.id] : ids.filter((i) => i !== s.id)))}
              />
              <span>
                {s.name}
                <span className="check__help">
                  {s.host} · {s.status}
                </span>
              </span>
            </label>
          ))}
        </div>
        {fe.serverIds && <p className="field__error">{fe.serverIds}</p>}
      </fieldset>
      <fieldset className="fieldset">
        <legend>Strategy</legend>
        <div className="radios">
          <label className="check">
            <input type="radio" name="strategy" value="release" checked readOnly />
            <span>
              Release directories
              <span className="check__help">Each deployment builds a new release next to the live one and switches a symlink atomically.</span>
            </span>
          </label>
        </div>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={requiresApproval} onChange={(e) => setRequiresApproval(e.target.checked)} />
        <span>
          Requires approval
          <span className="check__help">Deployments wait until an admin approves them.</span>
        </span>
      </label>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={submit.pending}>
          {editing ? (submit.pending ? 'Saving…' : 'Save settings') : submit.pending ? 'Creating…' : 'Create environment'}
        </button>
        {onCancel && (
          <button type="button" className="button button--ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
