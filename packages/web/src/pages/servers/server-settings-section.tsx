import { useRef, useState, type FormEvent } from 'react';
import { serversApi } from '../../api/servers';
import type { Server, ServerPatch } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useFocusInvalid } from '../../lib/use-focus-invalid';
import { navigate } from '../../router/router';

const FIELDS = ['name', 'host', 'port', 'user', 'metricsIntervalSeconds'];

interface Form {
  name: string;
  host: string;
  port: string;
  user: string;
  metricsIntervalSeconds: string;
}

const formOf = (s: Server): Form => ({
  name: s.name,
  host: s.host,
  port: String(s.port),
  user: s.user,
  metricsIntervalSeconds: String(s.metricsIntervalSeconds),
});

/** Only the fields that differ, so an unchanged host never unpins the host key. */
function patchOf(s: Server, f: Form): ServerPatch {
  const patch: ServerPatch = {};
  if (f.name.trim() !== s.name) patch.name = f.name.trim();
  if (f.host.trim() !== s.host) patch.host = f.host.trim();
  if (Number(f.port) !== s.port) patch.port = Number(f.port);
  if (f.user.trim() !== s.user) patch.user = f.user.trim();
  if (Number(f.metricsIntervalSeconds) !== s.metricsIntervalSeconds) patch.metricsIntervalSeconds = Number(f.metricsIntervalSeconds);
  return patch;
}

/** Admins: change how DevFlow reaches the server, or remove it. */
export function ServerSettingsSection({ server, onChanged }: { server: Server; onChanged(server: Server): void }) {
  const [form, setForm] = useState<Form>(() => formOf(server));
  const [saved, setSaved] = useState(false);
  const update = useAction(serversApi.update);
  const remove = useAction(serversApi.remove);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, update.error);
  const set = (k: keyof Form) => (e: { target: { value: string } }) => {
    setSaved(false);
    setForm((f) => ({ ...f, [k]: e.target.value }));
  };
  const patch = patchOf(server, form);
  const moves = patch.host !== undefined || patch.port !== undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await update.run(server.id, patch);
    if (res.ok) {
      setSaved(true);
      setForm(formOf(res.value));
      onChanged(res.value);
    }
  };

  const onRemove = async () => {
    const res = await remove.run(server.id);
    if (res.ok) navigate('/servers');
  };

  const errors = update.fieldErrors;
  return (
    <section className="card section" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
        {saved && <Notice>Saved.</Notice>}
        <ErrorAlert error={update.error} fields={FIELDS} />
        <div className="form__row">
          <TextField label="Name" name="name" required maxLength={100} value={form.name} onChange={set('name')} error={errors.name} />
          <TextField
            label="Metrics interval (seconds)"
            name="metricsIntervalSeconds"
            type="number"
            min={10}
            max={3600}
            required
            value={form.metricsIntervalSeconds}
            onChange={set('metricsIntervalSeconds')}
            error={errors.metricsIntervalSeconds}
          />
        </div>
        <div className="form__row form__row--4">
          <TextField label="Host" name="host" required autoCapitalize="off" spellCheck={false} value={form.host} onChange={set('host')} error={errors.host} />
          <TextField label="SSH port" name="port" type="number" min={1} max={65535} required value={form.port} onChange={set('port')} error={errors.port} />
          <TextField label="User" name="user" required autoCapitalize="off" spellCheck={false} value={form.user} onChange={set('user')} error={errors.user} />
        </div>
        {moves && (
          <Notice tone="warning">
            A new host or port is another machine to DevFlow: the pinned host key is dropped and the server must be checked again.
          </Notice>
        )}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={update.pending || Object.keys(patch).length === 0}>
            {update.pending ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>

      <h3>Remove the server</h3>
      <p>DevFlow forgets the server, its metrics and its provisioning history. Nothing on the server itself is changed.</p>
      <ErrorAlert error={remove.error} />
      <div>
        <ConfirmButton confirmLabel={`Remove ${server.name}`} onConfirm={() => void onRemove()} pending={remove.pending}>
          Remove server
        </ConfirmButton>
      </div>
    </section>
  );
}
