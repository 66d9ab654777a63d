import { useRef, useState, type FormEvent } from 'react';
import { identityApi } from '../api/identity';
import { ErrorAlert } from '../components/alert';
import { AuthLayout } from '../components/auth-layout';
import { TextField } from '../components/field';
import { useAction } from '../lib/use-action';
import { useFocusInvalid } from '../lib/use-focus-invalid';
import { Link, navigate } from '../router/router';
import { useSession } from '../session/session';

/** The token of an invitation link (`/invite#<token>`): in the fragment, so it never reaches a server log. */
function tokenFromHash(): string {
  try {
    return decodeURIComponent(window.location.hash.slice(1));
  } catch {
    return '';
  }
}

/**
 * Accepts an invitation: a signed-in user joins with one click; a visitor
 * creates an account (name and password) for the invited email.
 */
export function InvitePage() {
  const session = useSession();
  const [token] = useState(tokenFromHash);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const accept = useAction(identityApi.acceptInvitation);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, accept.error);
  const signedIn = session.state.status === 'authenticated' ? session.state.me.user : null;
  const loginHref = `/login?next=${encodeURIComponent(`/invite#${token}`)}`;

  if (!token) {
    return (
      <AuthLayout title="Invitation link incomplete">
        <p>This link lacks its invitation code. Open the full link from the invitation, or ask the admin for a new one.</p>
        <Link to="/login">Go to sign in</Link>
      </AuthLayout>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await accept.run(signedIn ? { token } : { token, name: name.trim(), password });
    if (!res.ok) return;
    if (signedIn) {
      await session.refresh();
      session.selectOrganization(res.value.organizationId);
      navigate('/', { replace: true });
    } else {
      navigate('/login?joined=1', { replace: true });
    }
  };

  if (signedIn) {
    return (
      <AuthLayout title="Join an organization" intro={<p>You are signed in as {signedIn.email}.</p>}>
        <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
          <ErrorAlert error={accept.error} />
          {accept.error?.code === 'invitation.wrong_user' && (
            <button type="button" className="button button--secondary" onClick={() => void session.signOut()}>
              Sign out and continue as someone else
            </button>
          )}
          <button type="submit" className="button button--primary button--block" disabled={accept.pending}>
            {accept.pending ? 'Joining…' : 'Accept invitation'}
          </button>
        </form>
      </AuthLayout>
    );
  }

  const needsSignIn = accept.error?.code === 'invitation.sign_in';
  return (
    <AuthLayout
      title="Accept your invitation"
      intro={<p>Choose your name and a password to create your DevFlow Pro account.</p>}
      footer={
        <p>
          Already have an account? <Link to={loginHref}>Sign in to join with it</Link>.
        </p>
      }
    >
      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
        <ErrorAlert error={accept.error} fields={['name', 'password']} />
        {needsSignIn && (
          <Link to={loginHref} className="button button--primary button--block">
            Sign in
          </Link>
        )}
        <TextField
          label="Your name"
          name="name"
          autoComplete="name"
          required
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={accept.fieldErrors.name}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={accept.fieldErrors.password}
          hint="Use a long passphrase; a password manager helps."
        />
        <button type="submit" className="button button--primary button--block" disabled={accept.pending}>
          {accept.pending ? 'Creating account…' : 'Create account and join'}
        </button>
      </form>
    </AuthLayout>
  );
}
