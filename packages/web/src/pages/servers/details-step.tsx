import { useRef, useState, type FormEvent } from 'react';
import { serversApi } from '../../api/servers';
import type { Server, SshKey } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useFocusInvalid } from '../../lib/use-focus-invalid';

const FIELDS = ['name', 'host', 'port', 'user', 'sshKeyId'];

interface Form {
  name: string;
  host: string;
  port: string;
  user: string;
}

/** Creates the server record, or changes it when the user came back from a failed check. */
function save(organizationId: string, sshKey: SshKey, existing: Server | null, form: Form): Promise<Server> {
  const fields = { name: form.name.trim(), host: form.host.trim(), port: Number(form.port), user: form.user.trim(), sshKeyId: sshKey.id };
  return existing ? serversApi.update(existing.id, fields) : serversApi.create({ organizationId, ...fields });
}

/** Step 2 of adding a server: its name and how to reach it over SSH. */
export function DetailsStep({
  organizationId,
  sshKey,
  server,
  onSaved,
  onBack,
}: {
  organizationId: string;
  sshKey: SshKey;
  server: Server | null;
  onSaved(server: Server): void;
  onBack(): void;
}) {
  const [form, setForm] = useState<Form>(() => ({
    name: server?.name ?? '',
    host: server?.host ?? '',
    port: String(server?.port ?? 22),
    user: server?.user ?? 'root',
  }));
  const action = useAction(save);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, action.error);
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await action.run(organizationId, sshKey, server, form);
    if (res.ok) onSaved(res.value);
  };

  const errors = action.fieldErrors;
  return (
    <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
      <ErrorAlert error={action.error} fields={FIELDS} />
      <TextField
        label="Name"
        name="name"
        required
        maxLength={100}
        autoComplete="off"
        placeholder="e.g. web-1"
        hint="How the server appears in DevFlow."
        value={form.name}
        onChange={set('name')}
        error={errors.name}
      />
      <div className="form__row">
        <TextField
          label="Host"
          name="host"
          required
          maxLength={253}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          inputMode="url"
          placeholder="203.0.113.10 or web-1.example.com"
          hint="IP address or host name, without ssh:// or a user."
          value={form.host}
          onChange={set('host')}
          error={errors.host}
        />
        <TextField
          label="SSH port"
          name="port"
          type="number"
          required
          min={1}
          max={65535}
          inputMode="numeric"
          value={form.port}
          onChange={set('port')}
          error={errors.port}
        />
      </div>
      <TextField
        label="User"
        name="user"
        required
        maxLength={32}
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        hint="root, or a user with passwordless sudo. Install the key for this user."
        value={form.user}
        onChange={set('user')}
        error={errors.user}
      />
      <p className="muted">
        Signs in with the key <strong>{sshKey.name}</strong> (<code>{sshKey.fingerprint}</code>).
      </p>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.pending}>
          {action.pending ? 'Saving…' : server ? 'Save and continue' : 'Add server'}
        </button>
        <button type="button" className="button button--ghost" onClick={onBack}>
          Back
        </button>
      </div>
    </form>
  );
}
