import { useState } from 'react';
import { projectsApi } from '../../api/deployments';
import { serversApi } from '../../api/servers';
import type { Environment } from '../../api/types';
import { ErrorAlert } from '../../components/alert';
import { TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';

const FIELDS = ['name', 'branch', 'serverIds', 'strategy', 'requiresApproval'];

/** A new environment of a project: name, branch, servers, strategy and approval. */
export function EnvironmentForm({
  projectId,
  organizationId,
  defaultBranch = 'main',
  defaultName = 'production',
  onCreated,
}: {
  projectId: string;
  organizationId: string;
  defaultBranch?: string;
  defaultName?: string;
  onCreated: (env: Environment) => void;
}) {
  const [name, setName] = useState(defaultName);
  const [branch, setBranch] = useState(defaultBranch);
  const [serverIds, setServerIds] = useState<string[]>([]);
  const [requiresApproval, setRequiresApproval] = useState(false);
  const servers = useResource(`env-form-servers:${organizationId}`, (signal) => serversApi.list(organizationId, undefined, signal));
  const create = useAction((input: Parameters<typeof projectsApi.createEnvironment>[1]) => projectsApi.createEnvironment(projectId, input));
  const fe = create.fieldErrors;
  const list = servers.data?.data ?? [];

  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        void create.run({ name, branch, serverIds, requiresApproval, strategy: 'release' }).then((r) => r.ok && onCreated(r.value));
      }}
    >
      <ErrorAlert error={create.error} fields={FIELDS} />
      <div className="form__row">
        <TextField label="Name" hint="Lower-case letters, digits and dashes: production, staging…" value={name} onChange={(e) => setName(e.target.value)} error={fe.name} required />
        <TextField label="Branch" value={branch} onChange={(e) => setBranch(e.target.value)} error={fe.branch} required spellCheck={false} />
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
        <button type="submit" className="button button--primary" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create environment'}
        </button>
      </div>
    </form>
  );
}
