import { useRef, useState, type FormEvent } from 'react';
import { identityApi } from '../api/identity';
import type { SetupInput } from '@devflow/contracts';
import { ErrorAlert } from '../components/alert';
import { AuthLayout } from '../components/auth-layout';
import { TextField } from '../components/field';
import { useAction } from '../lib/use-action';
import { useFocusInvalid } from '../lib/use-focus-invalid';
import { navigate } from '../router/router';
import { useSession } from '../session/session';

const FIELDS = ['name', 'email', 'password', 'organizationName'];

/** First run: creates the first admin and their organization, then signs them in. */
export function SetupPage() {
  const session = useSession();
  const [form, setForm] = useState<SetupInput>({ name: '', email: '', password: '', organizationName: '' });
  const setup = useAction(identityApi.setup);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, setup.error);
  const set = (k: keyof SetupInput) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await setup.run(form);
    if (res.ok) {
      await session.started(res.value);
      navigate('/', { replace: true });
    } else if (res.error.status === 409) {
      // An admin exists already: this installation is set up.
      navigate('/login?setup=done', { replace: true });
    }
  };

  const errors = setup.fieldErrors;
  return (
    <AuthLayout
      title="Set up DevFlow Pro"
      intro={<p>Create the first administrator account and your organization. You can invite your team afterwards.</p>}
    >
      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
        <ErrorAlert error={setup.error} fields={FIELDS} />
        <TextField label="Your name" name="name" autoComplete="name" required autoFocus value={form.name} onChange={set('name')} error={errors.name} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          required
          value={form.email}
          onChange={set('email')}
          error={errors.email}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={form.password}
          onChange={set('password')}
          error={errors.password}
          hint="Use a long passphrase; a password manager helps."
        />
        <TextField
          label="Organization name"
          name="organizationName"
          autoComplete="organization"
          required
          value={form.organizationName}
          onChange={set('organizationName')}
          error={errors.organizationName}
          hint="Your company or team. Servers and projects belong to it."
        />
        <button type="submit" className="button button--primary button--block" disabled={setup.pending}>
          {setup.pending ? 'Creating account…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}
